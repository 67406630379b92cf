"""The equation panel's wrapped labels: heights remembered per width must follow every
change of text and font."""

from __future__ import annotations

from PySide6.QtGui import QFont

from lstm_sim.gui.app import create_application
from lstm_sim.gui.panels.equation_panel import WrappedLabel

SHORT = "<i>f</i><sub>t</sub>[2] = 0.30"
LONG = " ".join([SHORT] * 40)


def make_label() -> WrappedLabel:
    create_application()
    label = WrappedLabel()
    label.setWordWrap(True)
    return label


def test_the_height_for_a_width_follows_the_text():
    label = make_label()
    label.setText(SHORT)
    short = label.heightForWidth(300)
    label.setText(LONG)
    long = label.heightForWidth(300)
    assert long > 3 * short
    label.setText(SHORT)
    assert label.heightForWidth(300) == short
    assert label.heightForWidth(150) >= short


def test_the_height_for_a_width_follows_the_font():
    label = make_label()
    label.setText(LONG)
    small = label.heightForWidth(400)
    font = QFont(label.font())
    font.setPointSize(font.pointSize() * 2)
    label.setFont(font)
    assert label.heightForWidth(400) > 1.5 * small


def test_setting_the_same_text_again_changes_nothing():
    label = make_label()
    label.setText(LONG)
    label.heightForWidth(300)
    label.setText(LONG)
    assert label.text() == LONG
    assert label.heightForWidth(300) == label.heightForWidth(300)
