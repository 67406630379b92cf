"""Masked steps gathered into screen columns (numpy only, no window): a column of masked
steps is drawn masked, a column that mixes them with read steps shows the read steps'
peak, never a discarded gate value, and an edit's tail matches a full recount."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.gui.plots.masked_bins import column_runs, masked_columns, read_envelope
from lstm_sim.gui.plots.screen_bins import envelope


def test_one_step_per_column_hides_exactly_the_masked_steps() -> None:
    values = np.random.default_rng(0).random((9, 3))
    masked = np.zeros(9, bool)
    masked[[0, 4, 5]] = True
    lows, highs = read_envelope(values, masked, 1)
    assert np.isnan(lows[masked]).all() and np.isnan(highs[masked]).all()
    np.testing.assert_array_equal(lows[~masked], values[~masked])
    np.testing.assert_array_equal(highs[~masked], values[~masked])
    assert masked_columns(masked, 1).tolist() == masked.tolist()
    assert column_runs(masked_columns(masked, 1), 1, 9) == [(-0.5, 0.5), (3.5, 5.5)]


def test_a_mixed_column_shows_the_peak_of_its_read_steps() -> None:
    # Columns of 4 steps: [read, read, masked, masked], [masked x4], [masked, read, read].
    values = np.array(
        [[0.2], [0.3], [0.99], [0.01], [0.5], [0.5], [0.5], [0.5], [0.9], [0.4], [0.6]]
    )
    masked = np.array([0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0], bool)
    lows, highs = read_envelope(values, masked, 4)
    assert (lows[0, 0], highs[0, 0]) == (0.2, 0.3)  # not 0.01 nor 0.99
    assert np.isnan(lows[1, 0]) and np.isnan(highs[1, 0])
    assert (lows[2, 0], highs[2, 0]) == (0.4, 0.6)  # the masked 0.9 is not its peak
    assert masked_columns(masked, 4).tolist() == [False, True, False]
    # The last column stops at the last step, not at a whole column's width.
    assert column_runs(np.array([False, True, True]), 4, 11) == [(3.5, 10.5)]


@pytest.mark.parametrize("per_bin", [1, 3, 7])
def test_an_edit_s_tail_matches_a_full_recount(per_bin: int) -> None:
    rng = np.random.default_rng(1)
    values = rng.standard_normal((200, 5))
    masked = rng.random(200) < 0.3
    masked[50:90] = True
    full_lows, full_highs = read_envelope(values, masked, per_bin)
    first = 60 // per_bin
    lows, highs = read_envelope(values, masked, per_bin, first)
    np.testing.assert_array_equal(lows, full_lows[first:])
    np.testing.assert_array_equal(highs, full_highs[first:])
    np.testing.assert_array_equal(
        masked_columns(masked, per_bin, first), masked_columns(masked, per_bin)[first:]
    )
    # Without masked steps it is the plain envelope.
    plain = read_envelope(values, np.zeros(200, bool), per_bin)
    for got, expected in zip(plain, envelope(values, per_bin), strict=True):
        np.testing.assert_array_equal(got, expected)
