"""The memory-ledger dock: its bars add up to c_t of the trace and follow the cursor,
the selected unit and edits; an RNN gets a note instead of bars."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from lstm_sim.engine import Network
from lstm_sim.gui.demo_views import install_demo_views, open_ledger
from lstm_sim.model import Session

Key = Qt.Key


@pytest.fixture
def ledger_window(make_window):
    window = make_window(size=(1600, 900))
    install_demo_views(window)
    ledger = open_ledger(window)
    ledger.flush()
    return window, ledger


def check_sum(window, ledger) -> np.ndarray:
    session = window.session
    ledger.flush()
    x, height = ledger.bar_data()
    c_t = session.trace.c[session.layer, session.t, session.unit]
    assert abs(height.sum() - c_t) <= 1e-12
    np.testing.assert_array_equal(x, np.arange(-1, session.t + 1))
    assert ledger.shown_c == c_t
    return height


def test_bars_sum_to_the_recorded_cell_state(ledger_window) -> None:
    window, ledger = ledger_window
    session = window.session
    session.select_unit(0)
    session.seek(9)  # 'in', two words after 'Bob'
    height = check_sum(window, ledger)
    # The demo's unit 0 holds the gender written at 'Bob' (t = 7): that bar carries c_t.
    assert np.argmax(np.abs(height)) == 1 + 7
    assert abs(height[1 + 7]) > 0.9
    assert f"{ledger.shown_sum:+.6f}" in ledger.summary.text
    assert f"{ledger.shown_c:+.6f}" in ledger.summary.text
    ticks = ledger.plots["ledger"].getAxis("bottom")._tickLevels[0]
    assert (7, "Bob") in ticks and (-1, "c₀") in ticks


def test_bars_follow_the_cursor_and_the_unit(ledger_window, qtbot) -> None:
    window, ledger = ledger_window
    session = window.session
    session.select_unit(1)
    qtbot.keyClick(window, Key.Key_Down)
    qtbot.keyClick(window, Key.Key_Down)
    assert session.t == 2
    assert len(check_sum(window, ledger)) == 4
    session.select_unit(3)
    session.seek(5)
    check_sum(window, ledger)
    assert "unit 3 at t = 5" in ledger.plots["ledger"].titleLabel.text


def test_an_edit_reruns_the_ledger(ledger_window) -> None:
    window, ledger = ledger_window
    session = window.session
    session.select_unit(0)
    session.seek(5)
    before = ledger.shown_c
    session.set_token(0, "Bob")  # the subject is now male: unit 0 flips sign
    after = check_sum(window, ledger).sum()
    assert np.sign(after) == -np.sign(before)


def test_no_unit_selected_draws_no_bars(ledger_window) -> None:
    window, ledger = ledger_window
    window.session.select_unit(-1)
    ledger.flush()
    x, height = ledger.bar_data()
    assert x.size == 0 and height.size == 0
    assert "Select a unit" in ledger.plots["ledger"].titleLabel.text


def test_an_rnn_gets_a_note_instead_of_bars(make_window) -> None:
    rng = np.random.default_rng(0)
    rnn = Network.random("rnn", 2, 3, rng)
    window = make_window(Session(rnn, rng.uniform(-1, 1, size=(6, 2))))
    install_demo_views(window)
    ledger = open_ledger(window)
    ledger.flush()
    assert ledger.bars is None
    assert "simple RNN has no cell state" in ledger.summary.text
