"""The colour scales every view shares, and the light and dark themes.

Values are coloured on fixed scales so a colour means the same number everywhere and at
every step: gates (i, f, o) on 0..1, signed quantities (x, g, c, tanh c, h) on -1..1,
clipped (c may exceed 1; the number shown beside the colour tells the truth).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette

from lstm_sim.gui.color_tables import LOOKUP_TABLES_HEX

GATE_RANGE = (0.0, 1.0)
"""Levels of the gate scale: a sigmoid's whole range."""

SIGNED_RANGE = (-1.0, 1.0)
"""Levels of the signed scale: tanh's whole range, symmetric so 0 sits at its centre."""

KINDS = ("gate", "signed")

# Perceptually uniform, colour-blind-safe maps that ship with pyqtgraph. The signed map's
# centre follows the theme's paper so a unit at 0 reads as "nothing" on either background.
_MAP_NAMES = {
    ("gate", "light"): "viridis",
    ("gate", "dark"): "viridis",
    ("signed", "light"): "CET-D1A",  # blue - white - red
    ("signed", "dark"): "CET-D4",  # blue - black - red
    ("gate", "light-contrast"): "viridis",
    ("gate", "dark-contrast"): "viridis",
    ("signed", "light-contrast"): "CET-D1A",
    ("signed", "dark-contrast"): "CET-D4",
}

_LUT_SIZE = 256
_NOT_A_NUMBER = QColor(128, 128, 128)


@dataclass(frozen=True)
class Palette:
    """The colours of one theme, in Olah's grammar (yellow layers, pink pointwise ops)."""

    name: str
    background: QColor
    foreground: QColor  # text and outlines of filled value cells
    layer_box: QColor  # a neural-network layer (σ, tanh)
    layer_text: QColor
    pointwise: QColor  # a pointwise operation (×, +, tanh)
    pointwise_text: QColor
    line: QColor  # an edge carrying a vector that is known
    line_dim: QColor  # an edge whose vector is not computed yet
    empty: QColor  # the outline of a value cell not computed yet
    highlight: QColor  # the active phase and the selected unit
    caption: QColor  # secondary text: unit windows, the step counter


THEMES: dict[str, Palette] = {
    "light": Palette(
        name="light",
        background=QColor("#ffffff"),
        foreground=QColor("#1f1f1f"),
        layer_box=QColor("#fcd869"),
        layer_text=QColor("#1f1f1f"),
        pointwise=QColor("#f4a9c4"),
        pointwise_text=QColor("#1f1f1f"),
        line=QColor("#2b2b2b"),
        line_dim=QColor("#c8c8c8"),
        empty=QColor("#b4b4b4"),
        highlight=QColor("#e8590c"),
        caption=QColor("#5a5a5a"),
    ),
    "dark": Palette(
        name="dark",
        background=QColor("#16181c"),
        foreground=QColor("#ececec"),
        layer_box=QColor("#e0b83e"),
        layer_text=QColor("#16181c"),
        pointwise=QColor("#d77ea1"),
        pointwise_text=QColor("#16181c"),
        line=QColor("#d6d6d6"),
        line_dim=QColor("#4a4d55"),
        empty=QColor("#5c6068"),
        highlight=QColor("#ff922b"),
        caption=QColor("#a8acb4"),
    ),
    # For a projector: pure paper and ink, heavier lines, no mid-grey text that washes out
    # in a bright room (light) or glows into the dark (dark).
    "light-contrast": Palette(
        name="light-contrast",
        background=QColor("#ffffff"),
        foreground=QColor("#000000"),
        layer_box=QColor("#ffd43b"),
        layer_text=QColor("#000000"),
        pointwise=QColor("#f783ac"),
        pointwise_text=QColor("#000000"),
        line=QColor("#000000"),
        line_dim=QColor("#9a9a9a"),
        empty=QColor("#7a7a7a"),
        highlight=QColor("#d9480f"),
        caption=QColor("#1f1f1f"),
    ),
    "dark-contrast": Palette(
        name="dark-contrast",
        background=QColor("#000000"),
        foreground=QColor("#ffffff"),
        layer_box=QColor("#ffd43b"),
        layer_text=QColor("#000000"),
        pointwise=QColor("#f783ac"),
        pointwise_text=QColor("#000000"),
        line=QColor("#ffffff"),
        line_dim=QColor("#6a6a6a"),
        empty=QColor("#8a8a8a"),
        highlight=QColor("#ffa94d"),
        caption=QColor("#e6e6e6"),
    ),
}

CONTRAST = {"light": "light-contrast", "dark": "dark-contrast"}
"""The presentation mode's palette for each theme: the same room, more contrast."""


def _check(kind: str, theme: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {tuple(THEMES)}, got {theme!r}")


def value_range(kind: str) -> tuple[float, float]:
    """The fixed (low, high) levels of a scale; values outside are clipped."""
    _check(kind, "light")
    return GATE_RANGE if kind == "gate" else SIGNED_RANGE


def colormap(kind: str, theme: str = "light") -> pg.ColorMap:
    """The scale of ``kind`` as a pyqtgraph ColorMap over 0..1; give an ImageItem the
    levels :func:`value_range` (kind) so heatmaps match the diagram's cells."""
    _check(kind, theme)
    return pg.colormap.get(_MAP_NAMES[kind, theme])


@cache
def _lookup_table(kind: str, theme: str) -> tuple[QColor, ...]:
    # The diagram colours hundreds of cells per frame: a table lookup keeps that cheap,
    # and it is the same table pyqtgraph uses for heatmaps (written out, so the first
    # frame does not read pyqtgraph's map files), so both agree to the bit.
    _check(kind, theme)
    rgb = bytes.fromhex(LOOKUP_TABLES_HEX[_MAP_NAMES[kind, theme]])
    return tuple(QColor(*rgb[k : k + 3]) for k in range(0, 3 * _LUT_SIZE, 3))


def lookup_index(value: float, kind: str) -> int:
    """Index into the 256-entry table of ``kind`` for ``value``, clipped to the range."""
    low, high = value_range(kind)
    fraction = (min(max(value, low), high) - low) / (high - low)
    return round(fraction * (_LUT_SIZE - 1))


def value_color(value: float, kind: str, theme: str = "light") -> QColor:
    """The colour of ``value`` on the fixed scale ``kind`` ("gate" or "signed")."""
    _check(kind, theme)
    if not math.isfinite(value):
        return QColor(_NOT_A_NUMBER)
    return QColor(_lookup_table(kind, theme)[lookup_index(float(value), kind)])


def value_color_keys(values: np.ndarray, kind: str, theme: str = "light") -> np.ndarray:
    """:func:`value_color` of every element of a 1-D array as 0xRRGGBB integers, (N,),
    computed with NumPy alone: for a view that makes a QColor only for what it paints."""
    _check(kind, theme)
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values has shape {values.shape}, expected (N,)")
    low, high = value_range(kind)
    keys = np.array([color.rgb() & 0xFFFFFF for color in _lookup_table(kind, theme)])
    index = np.rint((np.clip(np.nan_to_num(values), low, high) - low) / (high - low) * 255)
    return np.where(
        np.isfinite(values), keys[index.astype(np.intp)], _NOT_A_NUMBER.rgb() & 0xFFFFFF
    ).astype(np.int64)


def value_colors(values: np.ndarray, kind: str, theme: str = "light") -> list[QColor]:
    """:func:`value_color` of every element of a 1-D array, shape (N,)."""
    _check(kind, theme)
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values has shape {values.shape}, expected (N,)")
    low, high = value_range(kind)
    table = _lookup_table(kind, theme)
    finite = np.isfinite(values)
    index = np.rint((np.clip(np.nan_to_num(values), low, high) - low) / (high - low) * 255)
    return [
        QColor(table[int(k)]) if ok else QColor(_NOT_A_NUMBER)
        for k, ok in zip(index, finite, strict=True)
    ]


def window_palette(name: str, standard: QPalette) -> QPalette:
    """Qt's ``standard`` palette in the colours of theme ``name``: the dark theme darkens
    the windows, fields and buttons; both mark a selection in the theme's highlight."""
    theme = THEMES[name]
    palette = QPalette(standard)
    if name == "dark":
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
            palette.setColor(role, theme.background)
        palette.setColor(QPalette.ColorRole.AlternateBase, theme.line_dim)
        palette.setColor(QPalette.ColorRole.Button, theme.background.lighter(140))
        for role in (
            QPalette.ColorRole.WindowText,
            QPalette.ColorRole.Text,
            QPalette.ColorRole.ButtonText,
            QPalette.ColorRole.ToolTipText,
        ):
            palette.setColor(role, theme.foreground)
        palette.setColor(QPalette.ColorRole.ToolTipBase, theme.background)
    palette.setColor(QPalette.ColorRole.Highlight, theme.highlight)
    return palette
