"""The shared colour scales: fixed ranges, clipping, and heatmaps that agree with cells."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.gui.colors import (
    GATE_RANGE,
    SIGNED_RANGE,
    THEMES,
    colormap,
    value_color,
    value_colors,
    value_range,
)


def test_the_scales_have_fixed_ranges():
    assert value_range("gate") == GATE_RANGE == (0.0, 1.0)
    assert value_range("signed") == SIGNED_RANGE == (-1.0, 1.0)


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_values_beyond_the_range_are_clipped(theme):
    # c may exceed 1: it takes the colour of 1, the number beside it tells the truth.
    assert value_color(3.7, "signed", theme) == value_color(1.0, "signed", theme)
    assert value_color(-9.0, "signed", theme) == value_color(-1.0, "signed", theme)
    assert value_color(1.5, "gate", theme) == value_color(1.0, "gate", theme)


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_closed_and_open_gates_and_signs_look_different(theme):
    assert value_color(0.0, "gate", theme) != value_color(1.0, "gate", theme)
    negative = value_color(-1.0, "signed", theme)
    positive = value_color(1.0, "signed", theme)
    assert negative.blue() > negative.red()  # negative is blue
    assert positive.red() > positive.blue()  # positive is red


def test_the_signed_centre_follows_the_themes_paper():
    assert value_color(0.0, "signed", "light").lightness() > 200
    assert value_color(0.0, "signed", "dark").lightness() < 60


def test_an_array_is_coloured_like_its_elements():
    values = np.array([-2.0, -0.3, 0.0, 0.42, 0.999, np.nan])
    for kind in ("gate", "signed"):
        colors = value_colors(values, kind, "dark")
        assert [c.name() for c in colors[:-1]] == [
            value_color(float(v), kind, "dark").name() for v in values[:-1]
        ]
        assert colors[-1].name() == value_color(float("nan"), kind).name() == "#808080"
    with pytest.raises(ValueError, match=r"values has shape \(2, 3\)"):
        value_colors(np.zeros((2, 3)), "gate")


def test_heatmaps_use_the_same_scale_as_the_cells():
    for kind in ("gate", "signed"):
        low, high = value_range(kind)
        table = colormap(kind).getLookupTable(0.0, 1.0, 256, alpha=False)
        for value in (low, 0.25, 0.5, high):
            index = round((value - low) / (high - low) * 255)
            assert tuple(table[index]) == value_color(value, kind).getRgb()[:3]


def test_unknown_kinds_and_themes_are_refused():
    with pytest.raises(ValueError, match="kind"):
        value_color(0.5, "hue")
    with pytest.raises(ValueError, match="theme"):
        colormap("gate", "sepia")


@pytest.mark.parametrize("theme", sorted(THEMES))
@pytest.mark.parametrize("kind", ["gate", "signed"])
def test_the_written_out_tables_are_pyqtgraphs_own(kind, theme):
    # The diagram's cells read the written-out table, heatmaps pyqtgraph's: the same colours.
    table = colormap(kind, theme).getLookupTable(0.0, 1.0, 256, alpha=False)
    low, high = value_range(kind)
    values = np.linspace(low, high, 256)
    cells = [(c.red(), c.green(), c.blue()) for c in value_colors(values, kind, theme)]
    assert cells == [tuple(int(v) for v in rgb) for rgb in table]
