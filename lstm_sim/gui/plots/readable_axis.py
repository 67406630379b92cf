"""A vertical axis whose tick labels never crowd: on a short plot (a 720p screen gives the
states plots about 60 pixels each) pyqtgraph still labels at least two intervals' worth
of major ticks, and five labels of 0.5 in 60 pixels print over each other; on a log axis
spanning less than a decade it labels every one of 2, 3, ... 9."""

from __future__ import annotations

import math

import pyqtgraph as pg

LABEL_GAP = 1.3
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


def _ticks_between(low: float, high: float, spacing: float, offset: float) -> int:
    """How many of the ticks at ``offset + k * spacing`` lie in [low, high]."""
    return math.floor((high - offset) / spacing) - math.ceil((low - offset) / spacing) + 1


class ReadableAxis(pg.AxisItem):
    """A left or right axis that widens pyqtgraph's major tick spacing until the labels
    stand :data:`LABEL_GAP` label heights apart (without minor ticks then), and on a log
    scale keeps only the ticks that far apart."""

    def _min_gap_px(self) -> float:
        return LABEL_GAP * float(self.style.get("tickTextHeight") or 18)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        levels = super().tickSpacing(minVal, maxVal, size)
        span = abs(maxVal - minVal)
        if self._tickSpacing is not None or not levels or span == 0 or size <= 0:
            return levels
        major = levels[0][0]
        wide = widened_spacing(major, size / span, self._min_gap_px())
        if wide == major:
            return levels
        low, high = min(minVal, maxVal), max(minVal, maxVal)
        offset = 0.0
        if _ticks_between(low, high, wide, 0.0) < 2 <= _ticks_between(low, high, wide, wide / 2):
            offset = wide / 2  # -5 and 5 say more about the scale than a lone 0
        # The major ticks alone: pyqtgraph labels a minor level too where it thinks
        # there is room, and the minor labels would crowd again.
        return [(wide, offset)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        # pyqtgraph gives every label as many decimals as the spacing has, which is too few
        # for ticks offset by half of it: 0.5 and -0.5, a whole unit apart, print "0" and
        # "-0". Each label gets the decimals its own value needs.
        strings: list[str] = super().tickStrings(values, scale, spacing)
        if self.logMode:
            return strings
        tolerance = abs(spacing * scale) * 1e-6
        for k, value in enumerate(values):
            shown = value * scale
            if abs(shown) < 0.001 or abs(shown) >= 10000:
                continue  # pyqtgraph's %g: already exact enough
            places = len(strings[k].partition(".")[2])
            while abs(round(shown, places) - shown) > tolerance and places < 6:
                places += 1
            strings[k] = f"{shown:.{places}f}"
        return strings

    def logTickValues(
        self,
        minVal: float,
        maxVal: float,
        size: float,
        stdTicks: list[tuple[float, list[float]]],
    ) -> list[tuple[float | None, list[float]]]:
        levels: list[tuple[float | None, list[float]]] = super().logTickValues(
            minVal, maxVal, size, stdTicks
        )
        span = abs(maxVal - minVal)
        if span == 0 or size <= 0:
            return levels
        gap = self._min_gap_px() * span / size  # in the axis's (log10) units
        placed: list[float] = []
        thinned = []
        for spacing, values in levels:  # major levels first: they keep their ticks
            kept = []
            for value in sorted(values):
                if all(abs(value - other) >= gap for other in placed):
                    kept.append(value)
                    placed.append(value)
            thinned.append((spacing, kept))
        return thinned
