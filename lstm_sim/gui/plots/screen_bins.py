"""Time steps gathered into screen columns: what a plot of T steps draws when T is wider
than the plot in pixels.

A plot never needs more than one column of values per pixel; more only costs drawing
time. Each bin keeps its lowest and highest value (peak-preserving, as pyqtgraph's
``'peak'`` downsampling does), so a single step that spikes still shows. While every step
has a pixel of its own a bin is one step and the values are drawn exactly.
"""

from __future__ import annotations

import numpy as np


def steps_per_bin(steps: int, pixels: float) -> int:
    """How many steps share a column so that ``steps`` fit in ``pixels`` columns."""
    columns = max(int(pixels), 1)
    return max(1, -(-steps // columns))


def bin_count(steps: int, per_bin: int) -> int:
    """Columns needed for ``steps`` steps, ``per_bin`` to a column (the last may be short)."""
    return -(-steps // per_bin)


def envelope(values: np.ndarray, per_bin: int, first_bin: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest value of every unit in each bin from ``first_bin`` on.

    values: (T, H). Returns (lows, highs), each (bins - first_bin, H); with ``per_bin`` 1
    both are the values themselves (copies).
    """
    if values.ndim != 2:
        raise ValueError(f"values has shape {values.shape}, expected (T, H)")
    if per_bin < 1:
        raise ValueError(f"per_bin must be at least 1, got {per_bin}")
    tail = values[first_bin * per_bin :]
    if per_bin == 1:
        return tail.copy(), tail.copy()
    whole = (tail.shape[0] // per_bin) * per_bin
    blocks = tail[:whole].reshape(-1, per_bin, tail.shape[1])
    # A step of every bin at a time: NumPy reduces the rows of units, contiguous, at
    # full speed, where min(axis=1) over the middle axis is 2-4x slower (same values:
    # the extremes are exact, and NaN propagates through minimum as through min).
    lows, highs = blocks[:, 0].copy(), blocks[:, 0].copy()
    for k in range(1, per_bin):
        np.minimum(lows, blocks[:, k], out=lows)
        np.maximum(highs, blocks[:, k], out=highs)
    if whole < tail.shape[0]:  # the last, shorter bin
        lows = np.vstack([lows, tail[whole:].min(axis=0)])
        highs = np.vstack([highs, tail[whole:].max(axis=0)])
    return lows, highs


def farthest_from(lows: np.ndarray, highs: np.ndarray, middle: float) -> np.ndarray:
    """Per bin, whichever of its extremes lies farther from ``middle`` (the centre of a
    colour scale): a heatmap column then shows the strongest value its steps reached."""
    return np.where(np.abs(highs - middle) >= np.abs(lows - middle), highs, lows)
