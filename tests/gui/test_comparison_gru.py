"""The gru-vs-lstm scenario's comparison: the trained GRU's cell beside the LSTM and RNN on
one cursor, its gradient on the plot (gradflow's), and a GRU side that refuses other
kinds."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QApplication, QMessageBox

from lstm_sim.engine import Network
from lstm_sim.engine.formats import save_native
from lstm_sim.engine.gradflow import gradient_flow


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
    # The main window opens the GRU, its guide on the GRU's description.
    assert window.session.network.kind == "gru"
    assert window.session.unit == int(window.session.network.metadata["unit"])
    assert [n.kind for n in view.networks()] == ["lstm", "rnn", "gru"]
    assert "RNN, LSTM and GRU" in view.windowTitle()
    assert view.gru_title.text() == "GRU · H = 32 · long_lag_gru.npz"
    gru = view.gru_session
    assert gru is not None and view.gru_view is not None and view.gru_view.isVisible()
    # Each cell shows the unit its model's description names.
    named = [int(s.network.metadata["unit"]) for s in view.sessions() if s.network.kind != "rnn"]
    assert [view.lstm_session.unit, gru.unit] == named and view.rnn_session.unit == 0
    view.last()
    view.flush()
    t = view.num_steps - 1
    assert [s.t for s in view.sessions()] == [t] * 3
    # Each shows its whole step, the GRU through its own phases.
    assert gru.phase == len(gru.phases) - 1
    assert view.gru_view.header_text().startswith(f"t = {t}")
    # The GRU's gradient joins the plot, as gradflow measures it.
    flow = gradient_flow(gru.network, gru.trace, t)
    for key, expected in (("gru_h", flow.dh_norm), ("update", flow.forget_mean)):
        steps, values = view.gradient_plot.plotted(key)
        np.testing.assert_array_equal(steps, np.arange(t + 1))
        np.testing.assert_array_equal(values, expected)
    view.seek(3)
    assert gru.t == 3 and view.rnn_session.t == 3
    _close(window, view, settle)


def test_the_gru_side_opens_a_gru_and_refuses_other_kinds(
    make_window, qtbot, settle, tmp_path, monkeypatch
) -> None:
    window, view = _comparison(make_window, qtbot)
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: errors.append(text))
    gru = view.gru_session.network
    rng = np.random.default_rng(0)
    other = Network.random("gru", gru.input_size, 5, rng, output_size=2, vocab=gru.vocab)
    path = save_native(other, tmp_path / "gru5.npz")
    assert view.open_model("gru", str(path))
    assert errors == [] and view.gru_session.network.hidden_size == 5
    assert "H = 5" in view.gru_title.text()
    lstm_file = save_native(view.lstm_session.network, tmp_path / "lstm.npz")
    assert not view.open_model("gru", str(lstm_file))
    assert "needs a GRU" in errors[0]
    assert view.gru_session.network.hidden_size == 5
    _close(window, view, settle)
