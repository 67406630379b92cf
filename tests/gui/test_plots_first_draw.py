"""The plots draw a long sequence once when the window opens (issue 12): binned for their
final width from the start, never binned again when the layout settles."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.network import Network
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.gui.plots import screen_bins
from lstm_sim.gui.plots.gate_heatmaps import GateHeatmaps
from lstm_sim.gui.plots.state_plot import StatePlot
from lstm_sim.model import Session

STEPS = 3000
"""Wider than the plots are in pixels: a change of width changes the steps per column."""
ALPHABET = "abcd ,\n"


@pytest.fixture
def long_session() -> Session:
    rng = np.random.default_rng(5)
    vocab = Vocabulary(tuple(ALPHABET), "char")
    network = Network.random("lstm", len(vocab), 6, rng, num_layers=2, vocab=vocab)
    text = [ALPHABET[k] for k in rng.integers(0, len(ALPHABET), STEPS)]
    return Session(network, text, title="long")


def view_sizes(plot: StatePlot | GateHeatmaps) -> list[tuple[float, float]]:
    return [(p.getViewBox().width(), p.getViewBox().height()) for p in plot.plots.values()]


def test_each_plot_bins_its_data_once_for_its_final_width(
    qtbot, make_window, settle, long_session, monkeypatch
) -> None:
    binned: list[tuple[str, int, list[tuple[float, float]]]] = []
    for cls in (StatePlot, GateHeatmaps):
        original = cls._update_data

        def counted(self, original=original) -> None:  # type: ignore[no-untyped-def]
            original(self)
            binned.append((type(self).__name__, self.per_bin, view_sizes(self)))

        monkeypatch.setattr(cls, "_update_data", counted)
    window = make_window(long_session, size=(1280, 720))
    window.docks["gates"].raise_()
    settle(window)
    assert sorted(name for name, _, _ in binned) == ["GateHeatmaps", "StatePlot"]
    for plot in (window.state_plot, window.gate_heatmaps):
        # The width the data was binned for is the width on screen now.
        # The size every plot had when its data was set is its size on screen now: the
        # pixmaps its curves are cached in are not drawn again for a new size either.
        _, per_bin, sizes = next(b for b in binned if b[0] == type(plot).__name__)
        assert sizes == view_sizes(plot)
        assert per_bin == plot.per_bin == screen_bins.steps_per_bin(STEPS, plot._pixels()) > 1
