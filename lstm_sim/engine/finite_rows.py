"""Which rows of a float (n, k) array hold a NaN, or only finite values, at the speed the
rows stream from memory: for the expressions' ``isnan``/``isfinite`` and for the search
for a run's first non-finite value (:mod:`lstm_sim.engine.nonfinite`), which the window
runs as it opens without the expression language."""

from __future__ import annotations

import numpy as np


def rows_with_nan(values: np.ndarray) -> np.ndarray:
    """(n,) whether each row of a float (n, k) array holds a NaN.

    A row's sum is NaN when one of its values is, and BLAS sums the rows at the speed
    they stream from memory, several times faster than ``isnan`` writes a mask of them;
    only rows whose sum is NaN (a NaN, or +inf and -inf together) are looked at again.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # those rows are looked at again
        sums = values @ np.ones(values.shape[1], values.dtype)
    suspects = np.flatnonzero(np.isnan(sums))
    found = np.zeros(values.shape[0], bool)
    if suspects.size:
        found[suspects] = np.isnan(values[suspects]).any(axis=1)
    return found


def rows_all_finite(values: np.ndarray) -> np.ndarray:
    """(n,) whether every value of each row of a float (n, k) array is finite: a row
    whose sum is finite is (an infinity or a NaN would make it one), so only the rest are
    looked at value by value."""
    with np.errstate(over="ignore", invalid="ignore"):  # those rows are looked at again
        sums = values @ np.ones(values.shape[1], values.dtype)
    finite: np.ndarray = np.isfinite(sums)
    suspects = np.flatnonzero(~finite)
    if suspects.size:
        finite[suspects] = np.isfinite(values[suspects]).all(axis=1)
    return finite
