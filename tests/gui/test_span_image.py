"""The span image counts what thin strokes would cover, pixel row by pixel row."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.gui.plots.span_image import faint_rgba, joined, span_counts


def test_each_span_covers_the_rows_of_its_values() -> None:
    # Two units over three columns; 4 rows show 0..4, a row per unit of value.
    lows = np.array([[0.5, 1.5], [0.0, 3.2], [2.0, 2.1]])
    highs = np.array([[2.5, 1.7], [3.99, 3.3], [2.0, 4.0]])
    counts = span_counts(lows, highs, (0.0, 4.0), 4)
    assert counts.shape == (4, 3)
    np.testing.assert_array_equal(counts[:, 0], [1, 2, 1, 0])  # rows 0-2, and row 1
    np.testing.assert_array_equal(counts[:, 1], [1, 1, 1, 2])  # rows 0-3, and row 3
    np.testing.assert_array_equal(counts[:, 2], [0, 0, 2, 1])  # a point, and rows 2-3


def test_a_span_that_is_not_finite_covers_nothing() -> None:
    lows = np.array([[np.nan, 1.0, -np.inf]])
    highs = np.array([[np.nan, 1.0, 0.0]])
    np.testing.assert_array_equal(span_counts(lows, highs, (0.0, 2.0), 2)[:, 0], [0, 1])


def test_values_past_the_range_land_on_the_edge_rows() -> None:
    counts = span_counts(np.array([[-5.0]]), np.array([[9.0]]), (0.0, 1.0), 3)
    np.testing.assert_array_equal(counts[:, 0], [1, 1, 1])


def test_a_join_widens_a_span_to_the_step_before_unless_that_is_not_finite() -> None:
    lows, highs = np.array([[1.0, 1.0, np.nan]]), np.array([[2.0, 2.0, np.nan]])
    before = np.array([[3.0, np.nan, 0.0]])
    joined_lows, joined_highs = joined(lows, highs, before)
    np.testing.assert_array_equal(joined_lows, [[1.0, 1.0, np.nan]])
    np.testing.assert_array_equal(joined_highs, [[3.0, 2.0, np.nan]])


def test_the_colour_is_strokes_composited_count_times() -> None:
    rgba = faint_rgba(np.array([[0, 1], [2, 3]]), (10, 20, 30), 128)
    assert rgba.dtype == np.uint8 and rgba.shape == (2, 2, 4)
    assert (rgba[..., :3] == (10, 20, 30)).all()
    # Over white, n strokes of opacity a leave (1 - a)^n of the background showing.
    a = 128 / 255
    expected = [[0, 255 * a], [255 * (1 - (1 - a) ** 2), 255 * (1 - (1 - a) ** 3)]]
    np.testing.assert_array_equal(rgba[..., 3], np.round(expected))


def test_shapes_and_ranges_are_checked() -> None:
    with pytest.raises(ValueError, match="bins, H"):
        span_counts(np.zeros((2, 3)), np.zeros((2, 2)), (0.0, 1.0), 4)
    with pytest.raises(ValueError, match="rise"):
        span_counts(np.zeros((2, 3)), np.zeros((2, 3)), (1.0, 1.0), 4)
    with pytest.raises(ValueError, match="rows"):
        span_counts(np.zeros((2, 3)), np.zeros((2, 3)), (0.0, 1.0), 0)
