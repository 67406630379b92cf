"""The window marks where the run on screen first went NaN or infinite: a notice in the
status bar and a marker line on the plots, both gone once the run is finite again."""

from __future__ import annotations

import dataclasses

import numpy as np

from lstm_sim.engine import Network
from lstm_sim.engine.nonfinite import first_nonfinite
from lstm_sim.model import Session


def exploding_session() -> Session:
    network = Network.random("rnn", 2, 4, np.random.default_rng(0), num_layers=2)
    for layer in network.layers:
        layer.weight_hh[...] = 50 * np.eye(4)  # h grows as 50^t until it overflows
    network = dataclasses.replace(network, nonlinearity="relu")
    with np.errstate(over="ignore", invalid="ignore"):
        return Session(network, np.ones((250, 2)), title="exploding")


def test_the_first_non_finite_step_is_in_the_status_bar_and_on_the_plots(
    qtbot, make_window, settle, numeric_session
):
    session = exploding_session()
    found = first_nonfinite(session.trace)
    assert found is not None and 0 < found.step < 250
    window = make_window(session)
    label = window.nonfinite.label
    assert label.isVisible() and label.text() == f"First NaN/inf: {found.describe()}"
    assert f"step {found.step}, layer" in label.text()
    for plots in (window.state_plot, window.gate_heatmaps):
        if plots.plots:  # an RNN has no gate heatmaps to mark
            assert all(m.isVisible() and m.value() == found.step for m in plots.markers.values())
    assert window.state_plot.markers
    # a finite run clears both
    window.session.load(numeric_session.network, numeric_session.trace.x, title="numeric")
    settle(window)
    assert not label.isVisible()
    assert window.state_plot.markers and not any(
        m.isVisible() for m in window.state_plot.markers.values()
    )
    assert not any(m.isVisible() for m in window.gate_heatmaps.markers.values())


def test_an_edit_searches_only_the_steps_it_reran(qtbot, make_window, settle, numeric_session):
    window = make_window(numeric_session)
    session, label = window.session, window.nonfinite.label
    assert not label.isVisible()
    session.trace.c_all[1, 3, 2] = np.nan  # c_2 of layer 1, unit 2
    session.trace_changed.emit(2)
    assert label.text() == "First NaN/inf: step 2, layer 1, c unit 2 = nan"
    assert window.nonfinite.found is not None and window.nonfinite.found.step == 2
    session.trace.h_all[0, 5, 0] = np.inf  # a later step: the first is still step 2
    session.trace_changed.emit(4)
    assert label.text() == "First NaN/inf: step 2, layer 1, c unit 2 = nan"
    session.trace.c_all[1, 3, 2] = 0.0
    session.trace_changed.emit(1)
    assert label.text() == "First NaN/inf: step 4, layer 0, h unit 0 = inf"
    settle(window)
    assert all(m.value() == 4 for m in window.state_plot.markers.values())
