"""Screen columns keep each unit's exact extremes, NaN included, at any bin width."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.gui.plots.screen_bins import envelope


@pytest.mark.parametrize("per_bin", [2, 3, 7, 40])
@pytest.mark.parametrize("first_bin", [0, 2])
def test_envelope_is_each_bins_min_and_max(per_bin: int, first_bin: int) -> None:
    rng = np.random.default_rng(per_bin)
    values = rng.normal(size=(101, 5)).astype(np.float32)
    values[17, 2] = np.nan
    values[60, 4] = -np.inf
    lows, highs = envelope(values[:, 1:], per_bin, first_bin)  # a strided view, as a gate
    tail = values[first_bin * per_bin :, 1:]
    bins = -(-tail.shape[0] // per_bin)
    assert lows.shape == highs.shape == (bins, 4)
    for k in range(bins):
        block = tail[k * per_bin : (k + 1) * per_bin]
        np.testing.assert_array_equal(lows[k], block.min(axis=0))
        np.testing.assert_array_equal(highs[k], block.max(axis=0))
