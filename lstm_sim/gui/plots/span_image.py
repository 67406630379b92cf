"""Many units' binned curves as one image at screen resolution.

When several steps share a screen column (:mod:`.screen_bins`), what a thin curve draws
in that column is a vertical stroke over the span of values its steps reached. Drawn as
paths, H units cost Qt a stroke per unit and column, and each stroke costs its length in
pixels: hundreds of milliseconds for 256 units. Counted here instead, a column of a
unit's span adds one at the pixel rows it covers; the image then shows each pixel as H
faint strokes over one another would (alpha composited ``count`` times), in time that
grows with columns × units, whatever the length of the strokes or of the sequence.
"""

from __future__ import annotations

import numpy as np


def joined(lows: np.ndarray, highs: np.ndarray, before: np.ndarray) -> tuple[np.ndarray, ...]:
    """Widen each column's span to the value of the step before it, ``before`` (same
    shape): a line through every step also draws the segment from the previous column's
    last step to this column's first, so a jump between columns leaves no gap. Every
    value a widened span covers lies on that line; a step before that is not finite
    joins nothing (the line breaks there), and a column that is not finite stays so."""
    usable = np.isfinite(before)
    return (
        np.where(usable, np.minimum(lows, before), lows),
        np.where(usable, np.maximum(highs, before), highs),
    )


def span_counts(
    lows: np.ndarray, highs: np.ndarray, y_range: tuple[float, float], rows: int
) -> np.ndarray:
    """How many units' spans cover each pixel, (rows, bins); row 0 is the lowest value.

    lows, highs: (bins, H), each unit's span in each column. ``y_range`` (bottom, top) is
    the range of values the ``rows`` pixel rows show. A span that is not finite (its
    column reached NaN or infinity) covers nothing, as a curve breaks there.
    """
    if lows.shape != highs.shape or lows.ndim != 2:
        raise ValueError(f"lows {lows.shape} and highs {highs.shape} must both be (bins, H)")
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    bottom, top = y_range
    if not top > bottom:
        raise ValueError(f"y_range {y_range} must rise")
    bins = lows.shape[0]
    finite = np.isfinite(lows) & np.isfinite(highs)
    scale = rows / (top - bottom)
    first = np.clip(np.floor((lows[finite] - bottom) * scale), 0, rows - 1).astype(np.intp)
    last = np.clip(np.floor((highs[finite] - bottom) * scale), 0, rows - 1).astype(np.intp)
    column = np.broadcast_to(np.arange(bins)[:, None], lows.shape)[finite]
    # +1 where a span starts, -1 a row past its end; summed up each column, the count.
    size = (rows + 1) * bins
    steps = np.bincount(first * bins + column, minlength=size)
    steps -= np.bincount((last + 1) * bins + column, minlength=size)
    return np.cumsum(steps.reshape(rows + 1, bins)[:rows], axis=0, dtype=np.int32)


def faint_rgba(counts: np.ndarray, rgb: tuple[int, int, int], alpha: int) -> np.ndarray:
    """(rows, bins, 4) uint8 RGBA: ``rgb`` at the opacity of ``count`` strokes of
    ``alpha`` (0..255) composited over one another, transparent where none is."""
    if not 0 <= alpha <= 255:
        raise ValueError(f"alpha must be within 0..255, got {alpha}")
    most = int(counts.max(initial=0))
    opacity = 1.0 - (1.0 - alpha / 255.0) ** np.arange(most + 1)
    table = np.empty((most + 1, 4), dtype=np.uint8)
    table[:, :3] = rgb
    table[:, 3] = np.round(255.0 * opacity)
    return table[counts]
