"""The RNN-beside-LSTM window: one cursor drives both sessions, the plotted gradient
norms are gradflow's, and a pair that cannot share an input is refused with a dialog."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from lstm_sim.engine import Network
from lstm_sim.engine.formats import save_native
from lstm_sim.engine.gradflow import gradient_flow
from lstm_sim.gui.demo_views import install_demo_views, open_gradient_comparison

Key = Qt.Key
STEPS = 14


def vanishing_pair(inputs: int = 3, hidden: int = 6, seed: int = 1) -> tuple[Network, Network]:
    """(lstm, rnn): an LSTM whose forget gates sit near 1 and a tanh RNN with a weak
    recurrence, so the RNN's gradient fades within a few steps and the LSTM's does not."""
    rng = np.random.default_rng(seed)
    lstm = Network.random("lstm", inputs, hidden, rng)
    lstm.layers[0].bias_ih[hidden : 2 * hidden] = 6.0  # f ≈ 1: the belt keeps its contents
    rnn = Network.random("rnn", inputs, hidden, rng)
    rnn.layers[0].weight_hh *= 0.5
    return lstm, rnn


@pytest.fixture
def comparison(make_window, numeric_session, qtbot):
    window = make_window(numeric_session)
    install_demo_views(window)
    lstm, rnn = vanishing_pair()
    inputs = np.random.default_rng(2).uniform(-1, 1, size=(STEPS, 3))
    view = open_gradient_comparison(window, lstm, rnn, inputs)
    assert view is not None
    qtbot.waitExposed(view)
    with qtbot.waitActive(view):
        view.activateWindow()
    return window, view


def test_keys_step_both_networks_together(comparison, qtbot) -> None:
    _window, view = comparison
    sessions = (view.lstm_session, view.rnn_session)
    qtbot.keyClick(view, Key.Key_Right)
    qtbot.keyClick(view, Key.Key_Right)
    assert [s.t for s in sessions] == [2, 2]
    # Each network shows its whole step: the last of its own phases.
    assert [s.phase for s in sessions] == [len(s.phases) - 1 for s in sessions]
    qtbot.keyClick(view, Key.Key_Left)
    assert [s.t for s in sessions] == [1, 1]
    qtbot.keyClick(view, Key.Key_End)
    assert [s.t for s in sessions] == [STEPS - 1] * 2
    assert view.timeline.value() == STEPS - 1
    qtbot.keyClick(view, Key.Key_Home)
    assert [s.t for s in sessions] == [0, 0]
    assert view.rnn_view.header_text().startswith("t = 0")
    assert view.lstm_view.header_text().startswith("t = 0")


def test_plotted_gradients_are_gradflows(comparison) -> None:
    _window, view = comparison
    view.seek(11)
    view.flush()
    rnn = gradient_flow(view.rnn_session.network, view.rnn_session.trace, 11)
    lstm = gradient_flow(view.lstm_session.network, view.lstm_session.trace, 11)
    plot = view.gradient_plot
    for key, expected in (
        ("rnn_h", rnn.dh_norm),
        ("lstm_h", lstm.dh_norm),
        ("lstm_c", lstm.dc_norm),
        ("forget", lstm.forget_mean),
    ):
        steps, values = plot.plotted(key)
        np.testing.assert_array_equal(steps, np.arange(12))
        np.testing.assert_array_equal(values, expected)
    assert plot.end_line.value() == 11
    # What the demo is for: the RNN's gradient fades, the LSTM's cell keeps most of it.
    _, rnn_h = plot.plotted("rnn_h")
    _, lstm_c = plot.plotted("lstm_c")
    assert rnn_h[0] < 1e-3 * rnn_h[-1]
    assert lstm_c[0] > 0.1 * lstm_c[-1]


def test_moving_the_cursor_moves_T(comparison, qtbot) -> None:
    _window, view = comparison
    view.seek(5)
    view.flush()
    qtbot.keyClick(view, Key.Key_Right)
    view.flush()
    steps, values = view.gradient_plot.plotted("rnn_h")
    np.testing.assert_array_equal(steps, np.arange(7))
    expected = gradient_flow(view.rnn_session.network, view.rnn_session.trace, 6).dh_norm
    np.testing.assert_array_equal(values, expected)


def test_a_pair_of_different_input_sizes_is_refused(make_window, numeric_session, monkeypatch):
    window = make_window(numeric_session)
    install_demo_views(window)
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: errors.append(text))
    rng = np.random.default_rng(0)
    lstm = Network.random("lstm", 3, 4, rng)
    rnn = Network.random("rnn", 4, 4, rng)
    assert open_gradient_comparison(window, lstm, rnn, np.zeros((5, 3))) is None
    assert len(errors) == 1
    assert "D = 3" in errors[0] and "D = 4" in errors[0]
    assert window.demo_views.comparisons == []


def test_open_swaps_in_a_model_of_the_same_input_size(comparison, tmp_path, monkeypatch) -> None:
    _window, view = comparison
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: errors.append(text))
    rng = np.random.default_rng(9)
    wider = Network.random("rnn", 3, 10, rng)
    path = save_native(wider, tmp_path / "rnn10.npz")
    inputs_before = view.lstm_session.trace.x.copy()
    assert view.open_model("rnn", str(path))
    assert errors == []
    assert view.rnn_session.network.hidden_size == 10
    np.testing.assert_array_equal(view.rnn_session.trace.x, inputs_before)
    assert "H = 10" in view.rnn_title.text()
    # A model of another input size is refused, naming both sizes; nothing changes.
    other = save_native(Network.random("lstm", 5, 4, rng), tmp_path / "lstm_d5.npz")
    assert not view.open_model("lstm", str(other))
    assert "D = 5" in errors[0] and "D = 3" in errors[0]
    assert view.lstm_session.network.input_size == 3
    # A file of the wrong kind for its side is refused too.
    assert not view.open_model("rnn", str(other))
    assert "simple RNN" in errors[1]
