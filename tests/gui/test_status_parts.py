"""The status bar's parts (what is simulated, the reader's notes, the position, the phase)
read as separate parts at any window size: side by side without overlapping, each set off
by a rule, shown whole while there is room and elided (the path first), never widening
the window, when there is not."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QLabel, QStatusBar

from lstm_sim.engine.formats import load_model
from lstm_sim.gui.panels.elided_label import ELLIPSIS
from lstm_sim.gui.panels.status_line import StatusLine
from lstm_sim.gui.panels.status_part import StatusPart
from lstm_sim.model import Session

BIDIRECTIONAL = Path(__file__).parents[1] / "fixtures" / "family" / "network_lstm_bidirectional.pt"
PARTS = ("source_label", "notes_label", "position_label", "phase_label")


def painted(label: QLabel) -> str:
    """The text the label paints (an elided label's own text() is the whole of it)."""
    return QLabel.text(label)


def laid_out(window, settle) -> None:
    """Settled, and the status bar laid out again for its new texts (a posted event)."""
    settle(window)
    QApplication.processEvents()


def open_with_note(make_window, settle, size):
    window = make_window(size=size)
    assert window.open_model(str(BIDIRECTIONAL))
    for _ in range(4):
        window.controller.next_phase()
    laid_out(window, settle)
    assert window.notes_label.text().startswith("⚠ 1 note")
    assert "(reverse at t = " in window.position_label.text()
    return window


def part_spans(line: StatusLine, bar: QStatusBar) -> list[tuple[int, int]]:
    spans = []
    for name in PARTS:
        label = getattr(line, name)
        left = label.mapTo(bar, label.rect().topLeft()).x()
        spans.append((left, left + label.width()))
    return spans


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_every_part_is_whole_and_apart_at_common_sizes(make_window, settle, size):
    window = open_with_note(make_window, settle, size)
    spans = part_spans(window.status_line, window.statusBar())
    assert all(right <= next_left for (_, right), (next_left, _) in pairwise(spans))
    assert spans[-1][1] <= window.statusBar().width()
    for name in PARTS[1:]:
        label = getattr(window.status_line, name)
        assert isinstance(label, StatusPart)
        assert painted(label) == label.text(), name  # whole: the path gives way first
    # The rule at each part's left edge is drawn, in neither the text's nor the bar's colour.
    image = window.position_label.grab().toImage()
    middle = image.height() // 2
    rule, paper = image.pixelColor(0, middle), image.pixelColor(4, middle)
    assert rule != paper and rule == window.position_label.rule_color()


def test_a_short_bar_elides_parts_rather_than_overlap_or_grow(qtbot):
    network = load_model(str(BIDIRECTIONAL))
    session = Session(network, np.random.default_rng(0).standard_normal((12, 3)))
    bar = QStatusBar()
    qtbot.addWidget(bar)
    line = StatusLine(session, bar)
    bar.resize(520, 30)
    bar.show()
    qtbot.waitExposed(bar)
    session.seek(10, 5)
    QApplication.processEvents()
    assert bar.width() == 520 and bar.minimumSizeHint().width() < 520
    spans = part_spans(line, bar)
    assert all(right <= next_left for (_, right), (next_left, _) in pairwise(spans))
    assert spans[-1][1] <= bar.width()
    assert painted(line.source_label) == ELLIPSIS  # what is simulated gives way first
    for name in PARTS[1:]:
        label = getattr(line, name)
        assert painted(label).endswith(ELLIPSIS) and len(painted(label)) > 4, name
    bar.resize(1400, 30)
    QApplication.processEvents()
    for name in PARTS[1:]:
        label = getattr(line, name)
        assert painted(label) == label.text(), name  # whole again when there is room
    line.detach()


def test_the_nonlinearity_switch_is_a_part_of_its_own(make_window, settle):
    window = make_window(size=(1280, 720))
    assert window.open_model(str(Path(__file__).parents[1] / "fixtures" / "torch" / "rnn_relu.pt"))
    laid_out(window, settle)
    bar, switch = window.statusBar(), window.nonlinearity_switch.widget
    assert switch.isVisibleTo(window)
    name = switch.findChild(StatusPart)
    assert name is not None and painted(name) == "RNN nonlinearity"
    phase_right = part_spans(window.status_line, bar)[-1][1]
    assert phase_right <= switch.mapTo(bar, switch.rect().topLeft()).x()
    assert switch.mapTo(bar, switch.rect().topRight()).x() <= bar.width()
    assert name.toolTip() == "" and "assumed" in switch.toolTip()
