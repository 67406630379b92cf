"""The clamp ghost in the h/c plots at screen resolution: its columns are the whole
original run's, though only the steps from the clamp's block on are kept and read."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.interventions import parse_clamp
from lstm_sim.engine.network import Network
from lstm_sim.gui.app import create_application
from lstm_sim.gui.plots import StatePlot, screen_bins
from lstm_sim.model import Session
from lstm_sim.model.original_run import block_start

STEPS = 3000


def assert_ghost_columns_are_the_originals(plot: StatePlot, session: Session) -> None:
    original = session.original
    assert original is not None
    whole = original.whole()
    for key in ("h", "c"):
        values = whole.h if key == "h" else whole.c
        assert values is not None
        lows, highs = screen_bins.envelope(values[session.layer], plot.per_bin)
        np.testing.assert_array_equal(plot._ghost_lows[key], lows)
        np.testing.assert_array_equal(plot._ghost_highs[key], highs)


def test_the_ghost_reads_only_the_kept_steps_and_draws_the_whole_original(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create_application()
    rng = np.random.default_rng(5)
    network = Network.random("lstm", 3, 6, rng, num_layers=2)
    session = Session(network, rng.normal(size=(STEPS, 3)))
    plot = StatePlot(session)
    plot.flush()
    assert plot.per_bin > 1
    rows_read: list[int] = []
    envelope = screen_bins.envelope

    def spy(values, per_bin, first_bin=0):  # type: ignore[no-untyped-def]
        rows_read.append(values.shape[0] - first_bin * per_bin)
        return envelope(values, per_bin, first_bin)

    monkeypatch.setattr("lstm_sim.gui.plots.state_plot.envelope", spy)
    session.set_clamps([parse_clamp("c[1] += 2 @ 2510:2600")])
    plot.flush()
    assert rows_read and max(rows_read) <= STEPS - block_start(2510) + plot.per_bin
    assert_ghost_columns_are_the_originals(plot, session)
    session.set_clamps([*session.clamps, parse_clamp("layer 1: h[0] = 0 @ 1203")])
    plot.flush()
    assert_ghost_columns_are_the_originals(plot, session)
    session.set_input(2000, 1, 3.0)
    plot.flush()
    assert_ghost_columns_are_the_originals(plot, session)
    session.select_layer(1)
    plot.flush()
    assert_ghost_columns_are_the_originals(plot, session)
    session.set_clamps([])
    plot.flush()
    assert plot._ghost_lows["c"] is None
    plot.detach()
