"""A bidirectional PyTorch model in the window: both passes stepped, the reverse one from
the last step back, with the trace's reverse numbers in the equations and plots, and an
input edit rerunning the reverse pass."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from lstm_sim.gui.panels.equation_text import number

FIXTURES = Path(__file__).parents[1] / "fixtures" / "family"
LSTM_PHASES = ("arrive", "forget", "input", "cell", "output", "hidden")


def bold_numbers(html: str) -> list[str]:
    return re.findall(r"<b>([^<]*)</b>", html)


def open_bidirectional(make_window, settle):
    window = make_window()
    assert window.open_model(str(FIXTURES / "network_lstm_bidirectional.pt"))
    settle(window)
    return window


def test_the_reverse_pass_steps_from_the_end_with_the_trace_numbers(make_window, settle, qtbot):
    window = open_bidirectional(make_window, settle)
    session = window.session
    trace = session.trace
    assert session.passes == ("forward", "reverse") and session.followed == "forward"
    switch = window.action("reverse_pass")
    assert switch.isEnabled() and not switch.isChecked()
    assert "Ctrl+Shift+R" in switch.toolTip()
    assert "forward pass" in window.position_label.text()
    qtbot.keyClick(
        window,
        Qt.Key.Key_R,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    settle(window)
    assert session.followed == "reverse" and switch.isChecked()
    assert "reverse pass" in window.position_label.text()
    # The same cell, its labels naming the state the reverse pass read: step t+1's.
    labels = window.diagram.diagram().strip_labels
    assert labels["h_prev"].label.toPlainText() == "ht+1"
    assert labels["c_prev"].label.toPlainText() == "Ct+1"
    assert "t−1" not in window.equation.caption.text()
    qtbot.keyClick(window, Qt.Key.Key_Home)
    settle(window)
    last = session.num_steps - 1
    assert (session.t, session.phase) == (last, 0)
    session.select_unit(2)
    u = 2
    assert trace.c_all_reverse is not None and trace.act_reverse is not None
    for step in range(2 * len(LSTM_PHASES)):
        if step:
            qtbot.keyClick(window, Qt.Key.Key_Right)
        settle(window)
        t, key = session.t, session.phases[session.phase].key
        assert (t, key) == (last - step // len(LSTM_PHASES), LSTM_PHASES[step % 6])
        html = window.equation.equation.text()
        assert "reverse pass" in html and "reverse pass" in window.diagram.header_text()
        bold = bold_numbers(html)
        gates = dict(zip("ifgo", np.split(trace.act_reverse[0, t], 4), strict=True))
        if key == "arrive":
            # The reverse pass came from step t+1 (from zeros at the last step).
            assert f"[{u}] = {number(trace.h_all_reverse[0, t + 1, u])}" in html
            assert "t+1" in html and "t−1" not in html
        elif key in ("forget", "output"):
            assert bold[0] == number(gates[key[0]][u])
        elif key == "cell":
            assert bold[0] == number(trace.c_all_reverse[0, t, u])
        elif key == "hidden":
            assert bold[0] == number(trace.h_all_reverse[0, t, u])
    # The plots show both passes in time order (tests/gui/test_both_passes_plots.py).
    np.testing.assert_array_equal(
        window.state_plot.values("h_reverse"), trace.h_all_reverse[0, :-1]
    )
    # The unrolled chain has the later steps done; "no spoilers" hides the earlier ones.
    window.view_commands.show_centre_view("unrolled")
    settle(window)
    cells = window.unrolled.chain.cells
    done = {cell.shown[0]: cell.shown[1] for cell in cells if cell.shown is not None}
    assert done[session.t + 1] == len(LSTM_PHASES) - 1 and done[session.t - 1] == -1
    window.action("no_spoilers").trigger()
    settle(window)
    assert window.state_plot.revealed_steps() == session.num_steps - session.t
    window.action("no_spoilers").trigger()
    window.view_commands.show_centre_view("cell")
    settle(window)
    # Back to the forward pass: the same step, the forward numbers, time runs forward.
    switch.trigger()
    settle(window)
    assert session.followed == "forward" and not switch.isChecked()
    assert window.diagram.diagram().strip_labels["h_prev"].label.toPlainText() == "ht−1"
    qtbot.keyClick(window, Qt.Key.Key_Down)
    settle(window)
    assert session.t == last  # from step T-2 forward to T-1
    html = window.equation.equation.text()
    assert bold_numbers(html)[0] == number(trace.h_all[0, last + 1, u])
    np.testing.assert_array_equal(window.state_plot.values("h"), trace.h_all[0, 1:])


def test_the_next_layer_reads_the_concatenation(make_window, settle, qtbot):
    window = open_bidirectional(make_window, settle)
    session = window.session
    session.select_layer(1)
    session.follow("reverse")
    session.seek(4, 0)
    session.select_unit(0)
    settle(window)
    html = window.equation.equation.text()
    below = np.concatenate([session.trace.h_all[0, 5], session.trace.h_all_reverse[0, 4]])
    assert below.shape == (8,)
    np.testing.assert_array_equal(session.current.x, below)
    for value in (below[0], below[4], below[7]):
        assert number(value) in html
    assert "[forward ‖ reverse]" in html


def test_an_input_edit_reruns_the_reverse_pass(make_window, settle, qtbot):
    window = open_bidirectional(make_window, settle)
    session = window.session
    session.follow("reverse")
    session.seek(0)
    session.select_unit(1)
    settle(window)
    before = session.trace.h_all_reverse[0, 0, 1]
    table = window.inputs.sequence_model
    later = session.num_steps - 1
    assert later > 0 and table.setData(table.index(later, 0), "2.5")
    settle(window)
    after = session.trace.h_all_reverse[0, 0, 1]
    assert after != before  # x_{T-1} is read before x_0 by the reverse pass
    assert bold_numbers(window.equation.equation.text())[0] == number(after)
    np.testing.assert_array_equal(
        window.state_plot.values("h_reverse"), session.trace.h_all_reverse[0, :-1]
    )
