"""The gru-vs-lstm scenario's comparison: the trained GRU beside the LSTM and RNN, its
column following the shared cursor with the trace's own numbers, its gradient on the plot
(gradflow's), and a GRU side that refuses other kinds."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QApplication, QMessageBox

from lstm_sim.engine import Network
from lstm_sim.engine.formats import save_native
from lstm_sim.engine.gradflow import gradient_flow
from lstm_sim.model import scenario_registry


def _comparison(make_window, qtbot):
    window = make_window()
    assert window.open_scenario("gru-vs-lstm")
    (view,) = window.demo_views.comparisons
    qtbot.waitExposed(view)
    return window, view


def _close(window, view, settle) -> None:
    view.close()
    QApplication.processEvents()
    settle(window)


def test_the_scenario_opens_all_three_models_on_one_cursor(make_window, qtbot, settle) -> None:
    window, view = _comparison(make_window, qtbot)
    gru = scenario_registry.get("gru-vs-lstm").load_networks()[2]
    assert [n.kind for n in view.networks()] == ["lstm", "rnn", "gru"]
    assert "RNN, LSTM and GRU" in view.windowTitle()
    assert view.gru_title.text().startswith("GRU · H = 32 · long_lag_gru.npz")
    column = view.gru_column
    assert column is not None and column.unit == int(gru.metadata["unit"])
    assert column.isVisible() and "does not draw a GRU cell" in column.note.text()
    view.last()
    view.flush()
    t = view.num_steps - 1
    assert column.t == t == view.rnn_session.t
    # The numbers shown are the engine's: the named unit's h at the query, and the answer.
    h = column.trace.h[0, t, column.unit]
    text = column.numbers.text()
    assert f"<b>{h:+.2f}</b>" in text and f"t = {t}" in text
    assert column.trace.tokens is not None and column.trace.tokens[t] == "?"
    first = column.trace.tokens[0]
    assert f"most probable outputs: '{first}'" in text
    steps, values = column.h_curve.getOriginalDataset()
    np.testing.assert_array_equal(values, column.trace.h[0, :, column.unit])
    assert column.step_line.value() == t
    # The GRU's gradient joins the plot, as gradflow measures it.
    flow = gradient_flow(column.network, column.trace, t)
    for key, expected in (("gru_h", flow.dh_norm), ("update", flow.forget_mean)):
        steps, values = view.gradient_plot.plotted(key)
        np.testing.assert_array_equal(steps, np.arange(t + 1))
        np.testing.assert_array_equal(values, expected)
    view.seek(3)
    assert column.t == 3 and "t = 3" in column.numbers.text()
    _close(window, view, settle)


def test_the_gru_side_opens_a_gru_and_refuses_other_kinds(
    make_window, qtbot, settle, tmp_path, monkeypatch
) -> None:
    window, view = _comparison(make_window, qtbot)
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: errors.append(text))
    gru = view.gru_column.network
    rng = np.random.default_rng(0)
    other = Network.random("gru", gru.input_size, 5, rng, output_size=2, vocab=gru.vocab)
    path = save_native(other, tmp_path / "gru5.npz")
    assert view.open_model("gru", str(path))
    assert errors == [] and view.gru_column.network.hidden_size == 5
    assert "H = 5" in view.gru_title.text()
    lstm_file = save_native(view.lstm_session.network, tmp_path / "lstm.npz")
    assert not view.open_model("gru", str(lstm_file))
    assert "needs a GRU" in errors[0]
    assert view.gru_column.network.hidden_size == 5
    _close(window, view, settle)
