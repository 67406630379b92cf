"""The gru-vs-lstm scenario's comparison: the trained GRU's cell beside the LSTM and RNN on
the window's cursor (the Vanishing gradient tab), its gradient on the plot (gradflow's),
and a comparison window whose GRU side opens GRUs and refuses other kinds."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QMessageBox

from lstm_sim.engine import Network
from lstm_sim.engine.formats import save_native
from lstm_sim.engine.gradflow import gradient_flow
from lstm_sim.gui.demo_views import open_gradient_comparison
from lstm_sim.model import scenario_registry


def test_the_scenario_tab_steps_all_three_models_with_the_window(make_window, settle) -> None:
    window = make_window()
    assert window.open_scenario("gru-vs-lstm")
    # The main window opens the GRU, on the unit its description names.
    session = window.session
    assert session.network.kind == "gru"
    assert session.unit == int(session.network.metadata["unit"])
    panel = window.gradient_tab.panel
    assert panel is not None and window.centre_views.currentWidget() is panel
    assert [n.kind for n in panel.networks()] == ["lstm", "rnn", "gru"]
    assert panel.gru_title.text() == "GRU · H = 32 · long_lag_gru.npz"
    # Each cell shows the unit its model's description names.
    named = [int(s.network.metadata["unit"]) for s in panel.sessions() if s.network.kind != "rnn"]
    assert [panel.lstm_session.unit, panel.gru_session.unit] == named
    assert panel.rnn_session.unit == 0
    session.seek(session.num_steps - 1)
    panel.flush()
    t = session.num_steps - 1
    assert [s.t for s in panel.sessions()] == [t] * 3
    gru = panel.gru_session
    assert gru.phase == len(gru.phases) - 1
    flow = gradient_flow(gru.network, gru.trace, t)
    for key, expected in (("gru_h", flow.dh_norm), ("update", flow.forget_mean)):
        steps, values = panel.gradient_plot.plotted(key)
        np.testing.assert_array_equal(steps, np.arange(t + 1))
        np.testing.assert_array_equal(values, expected)
    # Another scenario's opening closes the three-model tab and shows its own pair.
    assert window.open_scenario("long-lag")
    assert [n.kind for n in window.gradient_tab.panel.networks()] == ["lstm", "rnn"]
    settle(window)


def test_the_gru_side_opens_a_gru_and_refuses_other_kinds(
    make_window, qtbot, settle, tmp_path, monkeypatch
) -> None:
    window = make_window()
    gru, lstm, rnn = scenario_registry.get("gru-vs-lstm").load_networks()
    inputs = scenario_registry.get("gru-vs-lstm").default_input()
    view = open_gradient_comparison(window, lstm, rnn, inputs, gru)
    assert view is not None
    qtbot.waitExposed(view)
    assert "RNN, LSTM and GRU" in view.windowTitle()
    view.last()
    assert [s.t for s in view.sessions()] == [view.num_steps - 1] * 3
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: errors.append(text))
    other = Network.random(
        "gru", gru.input_size, 5, np.random.default_rng(0), output_size=2, vocab=gru.vocab
    )
    path = save_native(other, tmp_path / "gru5.npz")
    assert view.open_model("gru", str(path))
    assert errors == [] and view.gru_session.network.hidden_size == 5
    assert "H = 5" in view.gru_title.text()
    lstm_file = save_native(lstm, tmp_path / "lstm.npz")
    assert not view.open_model("gru", str(lstm_file))
    assert "needs a GRU" in errors[0]
    assert view.gru_session.network.hidden_size == 5
    view.close()
    settle(window)
