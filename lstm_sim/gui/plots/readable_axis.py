"""A vertical axis whose tick labels never crowd: on a short plot (a 720p screen gives the
states plots about 60 pixels each) pyqtgraph still labels at least two intervals' worth
of major ticks, and five labels of 0.5 in 60 pixels print over each other."""

from __future__ import annotations

import math

import pyqtgraph as pg

LABEL_GAP = 1.5
"""Major ticks at least this many label heights apart."""
NICE_STEPS = (1.0, 2.0, 5.0)
"""Spacings, times a power of ten, that the major ticks are widened to (as pyqtgraph's)."""


def widened_spacing(spacing: float, pixels_per_unit: float, min_gap_px: float) -> float:
    """The smallest spacing of at least ``spacing``, 1, 2 or 5 times a power of ten,
    whose ticks lie ``min_gap_px`` or more apart on screen (``spacing`` itself when its
    ticks already do)."""
    if spacing <= 0 or pixels_per_unit <= 0 or spacing * pixels_per_unit >= min_gap_px:
        return spacing
    wanted = max(spacing, min_gap_px / pixels_per_unit)
    power = 10.0 ** math.floor(math.log10(wanted))
    for step in NICE_STEPS:
        if step * power >= wanted * (1 - 1e-9):
            return step * power
    return 10.0 * power  # wanted < 10 * power, by the choice of power


class ReadableAxis(pg.AxisItem):
    """A left or right axis that widens pyqtgraph's major tick spacing until the labels
    stand :data:`LABEL_GAP` label heights apart; the old major spacing marks minor ticks."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        levels = super().tickSpacing(minVal, maxVal, size)
        span = abs(maxVal - minVal)
        if self._tickSpacing is not None or not levels or span == 0 or size <= 0:
            return levels
        label_px = float(self.style.get("tickTextHeight") or 18)
        major = levels[0][0]
        wide = widened_spacing(major, size / span, LABEL_GAP * label_px)
        if wide == major:
            return levels
        return [(wide, 0.0), (major, 0.0)]
