"""The plots' tick labels stay apart on a 720p screen: between two labels of an axis
there is at least half a label's height, however short the plot a 1280x720 window gives
it (pyqtgraph's own spacing stacks five labels 3 pixels apart there)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from PySide6.QtGui import QImage, QPainter

from lstm_sim.gui.plots.readable_axis import widened_spacing


def test_spacing_widens_to_the_next_round_step_that_fits() -> None:
    # 27 pixels per unit and 22-pixel labels: 0.5 apart is 13.5 pixels, 1 apart fits.
    assert widened_spacing(0.5, 27.0, 22.0) == 1.0
    assert widened_spacing(0.5, 60.0, 22.0) == 0.5  # already apart: kept
    assert widened_spacing(0.2, 10.0, 22.0) == 5.0
    assert widened_spacing(5.0, 3.0, 22.0) == 10.0
    assert widened_spacing(1.0, 8.0, 22.0) == 5.0  # whole units stay whole


def test_a_lone_zero_becomes_a_tick_either_side(qapp) -> None:
    from lstm_sim.gui.plots.readable_axis import ReadableAxis

    axis = ReadableAxis("left")
    axis.setStyle(tickTextHeight=17)
    # c from -8.5 to 8.5 in 50 pixels: 5 apart crowds, 10 apart from 0 shows 0 alone.
    assert axis.tickSpacing(-8.5, 8.5, 50.0) == [(10.0, 5.0)]  # -5 and 5
    # h from -1.1 to 1.1 in 50 pixels: -1, 0 and 1 fit.
    assert axis.tickSpacing(-1.1, 1.1, 50.0) == [(1.0, 0.0)]


def test_ticks_offset_by_half_a_step_are_labelled_with_their_own_values(qapp) -> None:
    from lstm_sim.gui.plots.readable_axis import ReadableAxis

    axis = ReadableAxis("left")
    # h from -0.7 to 0.7 in 50 pixels: ticks 1 apart at -0.5 and 0.5, not "-0" and "0".
    assert axis.tickStrings([-0.5, 0.5], 1.0, 1.0) == ["-0.5", "0.5"]
    assert axis.tickStrings([-2.5, 2.5], 1.0, 5.0) == ["-2.5", "2.5"]
    assert axis.tickStrings([-1.0, 0.0, 1.0], 1.0, 1.0) == ["-1", "0", "1"]  # as pyqtgraph's
    assert axis.tickStrings([0.1 + 0.2], 1.0, 0.1) == ["0.3"]


def label_rects(axis) -> list:
    """The rectangles pyqtgraph draws the axis's tick labels in, top to bottom."""
    image = QImage(400, 400, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    _axis_spec, _tick_specs, text_specs = specs
    return sorted((rect for rect, _flags, _text in text_specs), key=lambda r: r.top())


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
@pytest.mark.parametrize("scenario", ["subject-gender", "long-lag"])
def test_tick_labels_stand_apart(make_window, size, scenario) -> None:
    window = make_window(size=size)
    assert window.open_scenario(scenario)
    window.docks["states"].raise_()
    window.docks["gates"].raise_()
    window.flush_views()
    plots = [*window.state_plot.plots.values(), *window.gate_heatmaps.plots.values()]
    assert plots
    for plot in plots:
        rects = label_rects(plot.getAxis("left"))
        assert len(rects) >= 2, plot.titleLabel.text
        for upper, lower in pairwise(rects):
            gap = lower.top() - upper.bottom()
            assert gap >= upper.height() / 2, (plot.titleLabel.text, upper, lower)


def test_the_loss_and_watch_plots_too(make_window, settle) -> None:
    window = make_window(size=(1280, 720))
    assert window.open_scenario("subject-gender")
    settle(window)
    window.docks["training"].raise_()
    window.flush_views()
    loss_axis = window.training.loss_plot.getPlotItem().getAxis("left")
    assert loss_axis.logMode  # less than a decade: pyqtgraph labels 2, 3, ... 9
    watches = window.debugger.watches_panel.plot.getPlotItem().getAxis("left")
    for axis in (loss_axis, watches):
        rects = label_rects(axis)
        assert rects
        for upper, lower in pairwise(rects):
            assert lower.top() - upper.bottom() >= upper.height() / 2, (axis, upper, lower)
