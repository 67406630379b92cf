"""Keras's masked steps gathered into screen columns (:mod:`.screen_bins`): which columns
hold masked steps only, and each column's peak over the steps the model read.

A gate's value at a masked step was computed by the engine's kernels and discarded by
the model, so it must not win a column's peak: a column that mixes masked and read steps
shows the read ones, and only a column of masked steps is drawn masked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_sim.gui.plots.screen_bins import envelope


def masked_columns(masked: np.ndarray, per_bin: int, first_bin: int = 0) -> np.ndarray:
    """(bins - first_bin,) True for each screen column of ``per_bin`` steps from
    ``first_bin`` on whose every step is masked (masked: (T,) bools)."""
    lows, _ = envelope(masked[:, None], per_bin, first_bin)
    return lows[:, 0].astype(bool)


def read_envelope(
    values: np.ndarray, masked: np.ndarray, per_bin: int, first_bin: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~.screen_bins.envelope` of the read steps only: each column's lowest and
    highest value over its steps that are not masked, NaN in a column of masked steps.

    values: (T, H); masked: (T,). Returns (lows, highs), each (bins - first_bin, H).
    """
    start = first_bin * per_bin
    values, masked = values[start:], masked[start:]
    # A masked step can be neither a column's lowest nor its highest value.
    lows = _read_extreme(values, masked, per_bin, np.min, np.inf)
    highs = _read_extreme(values, masked, per_bin, np.max, -np.inf)
    empty = masked_columns(masked, per_bin)
    lows[empty] = np.nan
    highs[empty] = np.nan
    return lows, highs


def _read_extreme(
    values: np.ndarray, masked: np.ndarray, per_bin: int, reduce: Any, initial: float
) -> np.ndarray:
    """``reduce`` (np.min or np.max) of each column's read steps, ``initial`` where it has
    none: a reduction with ``where``, which needs no filled copy of the values."""
    steps, units = values.shape
    whole = (steps // per_bin) * per_bin
    read = ~masked
    parts = [
        reduce(
            values[:whole].reshape(-1, per_bin, units),
            axis=1,
            where=read[:whole].reshape(-1, per_bin, 1),
            initial=initial,
        )
    ]
    if whole < steps:  # the last, shorter column
        parts.append(
            reduce(values[whole:], axis=0, where=read[whole:, None], initial=initial)[None]
        )
    return np.concatenate(parts)


def column_runs(columns: np.ndarray, per_bin: int, num_steps: int) -> list[tuple[float, float]]:
    """The x ranges (view coordinates, step t centred on t) of each run of True columns."""
    edges = np.diff(np.concatenate([[0], columns.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    last = num_steps - 0.5
    return [
        (float(a * per_bin - 0.5), min(float(b * per_bin - 0.5), last))
        for a, b in zip(starts, stops, strict=True)
    ]
