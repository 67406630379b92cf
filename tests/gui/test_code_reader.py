"""The code reader driven like a user: colours read back from pixels, clicks on
characters, pasted text, the find-units list and the saturation plot against the
back end's numbers."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from lstm_sim.engine import Network
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.gui.code_reader import CodeReader
from lstm_sim.gui.colors import value_color, value_colors
from lstm_sim.gui.demo_views import install_demo_views, open_code_reader
from lstm_sim.model import Session
from lstm_sim.model.code_reader import find_units, unit_saturation
from lstm_sim.model.scenarios.python_code import VOCABULARY

SNIPPET = "def f(x):\n    # add one\n    s = 'hi there'\n    return (x + 1) * 2\n"


def char_lstm(hidden: int = 8, seed: int = 3) -> Network:
    """A random character LSTM on the Python corpus alphabet, input weights scaled so
    every character moves the gates far from 0.5."""
    rng = np.random.default_rng(seed)
    size = len(VOCABULARY)
    network = Network.random(
        "lstm", size, hidden, rng, vocab=Vocabulary(VOCABULARY), output_size=size
    )
    network.layers[0].weight_ih *= 10.0
    return network


@pytest.fixture
def reader_window(make_window, qtbot):
    window = make_window(Session(char_lstm(), list(SNIPPET), title="chars"), size=(1600, 900))
    install_demo_views(window)
    reader = open_code_reader(window)
    qtbot.waitUntil(lambda: reader.text_view.isVisible(), timeout=2000)
    reader.flush()
    return window, reader


def pixel(reader, t: int):
    """The background colour of character t, read from the painted viewport."""
    image = reader.text_view.viewport().grab().toImage()
    rect = reader.text_view.char_rect(t)
    # Just inside the top-left corner: the background, clear of the glyph and the outline.
    return image.pixelColor(rect.left() + 2, rect.top() + 2)


def test_text_colours_are_the_units_values(reader_window) -> None:
    window, reader = reader_window
    session = window.session
    session.seek(0)
    session.select_unit(3)
    reader.set_quantity("c")
    c = session.trace.c[0, :, 3]
    for t in (5, 14, 30, len(SNIPPET) - 2):
        assert pixel(reader, t) == value_color(float(c[t]), "signed")
    # The colours differ along the text: the test would notice a uniform fill.
    assert len({pixel(reader, t).name() for t in (5, 14, 30)}) > 1
    reader.set_quantity("f")
    f = session.trace.gate("f")[0, :, 3]
    for t in (5, 30):
        assert pixel(reader, t) == value_color(float(f[t]), "gate")


def test_selecting_a_unit_elsewhere_recolours_the_text(reader_window) -> None:
    window, reader = reader_window
    session = window.session
    reader.set_quantity("h")
    session.select_unit(6)
    expected = value_colors(session.trace.h[0, :, 6], "signed")
    assert reader.text_view.colors == expected
    np.testing.assert_array_equal(reader.shown_values(), session.trace.h[0, :, 6])
    assert "unit 6" in reader.unit_label.text()


def test_clicking_a_character_seeks_there(reader_window, qtbot) -> None:
    window, reader = reader_window
    view = reader.text_view
    target = SNIPPET.index("return")
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.char_rect(target).center()
    )
    assert window.session.t == target
    assert view.current == target
    window.session.seek(4)
    assert view.current == 4


def test_pasting_text_reads_it_through_the_model(reader_window, qtbot) -> None:
    window, reader = reader_window
    text = "x = [1, 2]  # two\ny = 'a'\n"
    QApplication.clipboard().setText(text)
    qtbot.mouseClick(reader.paste_button, Qt.MouseButton.LeftButton)
    session = window.session
    assert session.tokens == tuple(text)
    assert reader.text_view.num_tokens == len(text)
    assert reader.text_view.lines[1] == "y = 'a' "  # the newline shows as one cell


def test_unknown_characters_are_reported_and_change_nothing(reader_window, monkeypatch) -> None:
    window, reader = reader_window
    messages: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: messages.append(text))
    before = window.session.tokens
    assert not reader.set_text("naïve = 'café'\n")
    assert window.session.tokens == before
    assert len(messages) == 1
    assert "'ï'" in messages[0] and "'é'" in messages[0]
    assert "2 of the 15 tokens" in messages[0]


def test_a_text_file_loads_and_a_fifo_is_refused_without_blocking(
    reader_window, monkeypatch, tmp_path
) -> None:
    window, reader = reader_window
    messages: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: messages.append(text))
    (tmp_path / "code.py").write_text("x = 1\n")
    assert reader.load_text_file(str(tmp_path / "code.py"))
    assert "".join(window.session.tokens) == "x = 1\n"
    os.mkfifo(tmp_path / "pipe.py")
    assert not reader.load_text_file(str(tmp_path / "pipe.py"))
    assert "".join(window.session.tokens) == "x = 1\n"
    assert len(messages) == 1
    assert "pipe.py: expected a regular text file, found a FIFO" in messages[0]


def test_tabs_and_windows_line_ends_are_read_as_the_corpus_writes_them(reader_window) -> None:
    window, reader = reader_window
    assert reader.set_text("if x:\r\n\treturn 1\r\n")
    assert "".join(window.session.tokens) == "if x:\n        return 1\n"


def test_find_units_lists_the_back_ends_ranking(reader_window, qtbot) -> None:
    window, reader = reader_window
    session = window.session
    for pattern in ("in_string", "indent"):
        reader.finder.set_pattern(pattern)
        reader.flush()
        expected = find_units(session.network, session.trace, pattern, reader.quantity, 0)
        assert reader.finder.shown_units() == [entry.unit for entry in expected]
        shown_scores = [
            float(reader.finder.table.item(row, 1).text())
            for row in range(reader.finder.table.rowCount())
        ]
        np.testing.assert_allclose(shown_scores, [e.score for e in expected], atol=5e-4)
    # Picking the second row selects its unit and colours the text by it.
    second = reader.finder.shown_units()[1]
    rect = reader.finder.table.visualItemRect(reader.finder.table.item(1, 0))
    qtbot.mouseClick(reader.finder.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert session.unit == second
    np.testing.assert_array_equal(reader.shown_values(), session.trace.c[0, :, second])


def test_a_text_without_the_pattern_says_so(reader_window) -> None:
    _window, reader = reader_window
    assert reader.set_text("x = 1\ny = 2\n")
    reader.finder.set_pattern("in_comment")
    reader.flush()
    assert reader.finder.shown_units() == []
    assert "no character" in reader.finder.caption.text()


def test_saturation_plot_shows_the_back_ends_fractions(reader_window) -> None:
    window, reader = reader_window
    expected = unit_saturation(window.session.trace, 0)
    for gate in ("i", "f", "o"):
        x, y = reader.saturation_plot.plotted(gate)
        np.testing.assert_array_equal(x, expected.of(gate).left)
        np.testing.assert_array_equal(y, expected.of(gate).right)
    # The scaled input weights saturate some gates: the plot is not all zeros.
    assert expected.left.max() > 0 or expected.right.max() > 0


def test_a_numeric_model_gets_a_note_not_a_crash(make_window, numeric_session) -> None:
    window = make_window(numeric_session)
    install_demo_views(window)
    reader = window.demo_views.code_reader
    reader.flush()
    assert not reader.reads_characters
    assert "numbers, not text" in reader.note.text()
    assert reader.text_view.num_tokens == 0
    assert not reader.paste_button.isEnabled()


def test_a_theme_change_while_the_reader_is_hidden_waits_for_its_text(make_window, settle) -> None:
    # The reader, built for the demo's 12 tokens and hidden, must not colour those
    # tokens with the 52 values of the model opened since (it raised, as a dialog).
    window = make_window()
    settle(window)
    reader = window.demo_views.code_reader
    assert not reader.isVisible()
    assert window.open_scenario("long-lag")
    window.set_theme("dark")
    window.set_theme("light")
    open_code_reader(window)  # the code-reader scenario: shown, and coloured for its text
    reader.flush()
    assert reader.text_view.num_tokens == window.session.num_steps
    assert len(reader.text_view.colors) == window.session.num_steps


def test_a_reader_nobody_opened_lays_out_no_text(qtbot) -> None:
    # The window builds the reader into a closed dock as it opens: the T characters are
    # laid out when it is first shown, not while every view is being drawn.
    reader = CodeReader(Session(char_lstm(), list(SNIPPET), title="chars"))
    qtbot.addWidget(reader)
    assert reader.text_view.num_tokens == 0
    reader.set_quantity("h")  # the tour picks a quantity before it shows the reader
    assert reader.quantity == "h"
    reader.show()
    qtbot.waitExposed(reader)
    assert reader.text_view.num_tokens == len(SNIPPET)
    assert reader.quantity == "h"
    reader.detach()
