"""The plots of a long sequence cost what is on screen (issue 12): binned once for their
final size when the window opens, images no wider than the plots in pixels however long
the sequence, and every step's own value shown while each step has a column."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.network import Network
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.gui.plots import screen_bins
from lstm_sim.gui.plots.gate_heatmaps import GateHeatmaps
from lstm_sim.gui.plots.state_plot import TILE_BINS, StatePlot
from lstm_sim.model import Session

STEPS = 3000
"""Wider than the plots are in pixels: a change of width changes the steps per column."""
ALPHABET = "abcd ,\n"


def session_of(steps: int) -> Session:
    rng = np.random.default_rng(5)
    vocab = Vocabulary(tuple(ALPHABET), "char")
    network = Network.random("lstm", len(vocab), 6, rng, num_layers=2, vocab=vocab)
    text = [ALPHABET[k] for k in rng.integers(0, len(ALPHABET), steps)]
    return Session(network, text, title=f"T={steps}")


@pytest.fixture
def long_session() -> Session:
    return session_of(STEPS)


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


def image_columns(window: MainWindow) -> dict[str, int]:
    """How many columns each plot's images have, and how many pixels wide the plot is."""
    states, gates = window.state_plot, window.gate_heatmaps
    return {
        "spans": states.spans["h"].image.shape[1],
        "states px": int(states.plots["h"].getViewBox().width()),
        "heatmap": gates.images["f"].image.shape[1],
        "heatmap px": int(gates.plots["f"].getViewBox().width()),
    }


def test_the_images_are_as_wide_as_the_plots_whatever_t(qtbot, make_window, settle) -> None:
    widths = []
    for steps in (STEPS, 4 * STEPS):
        window = make_window(session_of(steps), size=(1280, 720))
        window.docks["gates"].raise_()
        settle(window)
        widths.append(image_columns(window))
        window.close()
    # Four times the steps, four times the steps per column: images as wide as the
    # plots (at most a column per pixel, and more than half the pixels used) either way.
    assert widths[0]["states px"] == widths[1]["states px"]
    for columns in widths:
        assert columns["states px"] / 2 < columns["spans"] <= columns["states px"] + 1
        assert columns["heatmap px"] / 2 < columns["heatmap"] <= columns["heatmap px"] + 1


def test_while_each_step_has_a_column_the_plots_show_every_value(
    qtbot, make_window, settle
) -> None:
    window = make_window(session_of(TILE_BINS - 4), size=(1280, 720))
    window.docks["gates"].raise_()
    settle(window)
    states, gates = window.state_plot, window.gate_heatmaps
    assert states.per_bin == gates.per_bin == 1
    assert states.spans["c"].image is None  # curves, not an image of spans
    np.testing.assert_array_equal(
        np.concatenate([tile.yData for tile in states.tiles["c"]]).reshape(6, -1)[:, :-1],
        states.values("c").T,
    )
    for key, image in gates.images.items():
        np.testing.assert_array_equal(image.image, gates.values(key))


def test_the_span_image_follows_the_plot_height(qtbot, make_window, settle, long_session) -> None:
    window = make_window(long_session, size=(1280, 720))
    states = window.state_plot
    window.resize(1280, 900)
    settle(window)
    for key, plot in states.plots.items():
        rows = round(plot.getViewBox().height() * states.devicePixelRatioF())
        assert states._span_counts[key].shape[0] == rows
        assert states.spans[key].image.shape[:2] == states._span_counts[key].shape
