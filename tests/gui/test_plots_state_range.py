"""The h/c plot sets its y range from the data (no auto-range before every paint): every
curve stays inside it, and a flat trace still gets a visible band."""

from __future__ import annotations

import numpy as np

from lstm_sim.gui.app import create_application
from lstm_sim.gui.plots import StatePlot
from lstm_sim.model import Session
from lstm_sim.model.demo import random_model


def make_plot(session: Session) -> StatePlot:
    create_application()
    plot = StatePlot(session)
    plot.flush()
    return plot


def test_the_y_range_holds_every_value_and_auto_range_is_off():
    network, inputs = random_model("lstm", 3, 6, 1, seed=2, steps=9)
    session = Session(network, inputs * 4.0, title="range")
    plot = make_plot(session)
    for key in ("h", "c"):
        values = plot.values(key)
        view = plot.plots[key].getViewBox()
        low, high = view.viewRange()[1]
        assert low < values.min() and values.max() < high
        assert not any(view.state["autoRange"])
    plot.detach()


def test_the_range_follows_an_edit():
    network, inputs = random_model("lstm", 3, 6, 1, seed=2, steps=9)
    session = Session(network, inputs, title="edit")
    plot = make_plot(session)
    before = plot.plots["c"].getViewBox().viewRange()[1]
    session.set_input(4, 0, 40.0)
    plot.flush()
    after = plot.plots["c"].getViewBox().viewRange()[1]
    assert after != before
    assert after[0] < plot.values("c").min() and plot.values("c").max() < after[1]
    plot.detach()


def test_a_flat_trace_gets_a_band_around_it():
    network, inputs = random_model("lstm", 2, 3, 1, seed=0, steps=4)
    for layer in network.layers:
        for array in (layer.weight_ih, layer.weight_hh, layer.bias_ih, layer.bias_hh):
            array[...] = 0.0
    session = Session(network, inputs, title="flat")
    plot = make_plot(session)
    low, high = plot.plots["h"].getViewBox().viewRange()[1]
    assert np.all(plot.values("h") == 0.0)
    assert low < 0.0 < high and high - low >= 0.1
    plot.detach()
