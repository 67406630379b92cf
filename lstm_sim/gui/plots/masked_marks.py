"""Keras's masked steps in the plots over time (:mod:`lstm_sim.model.masked_steps`).

At a masked step the layer computes no gate and carries h and c through; the engine's
kernels compute gate values there anyway and the model discards them. So a heatmap of a
gate draws a masked step's column in a neutral hatched fill that is no colour of its
scale, never the discarded values; a plot of h or c, whose values there are the carried
state, keeps its curves and shades the masked steps; and a line under the plots says what
the hatching means (the bands' tooltip says it too).

Where a screen column gathers several steps, only a column of masked steps is drawn
masked (:mod:`.masked_bins`). The columns are worked out once per recording (and from an
edit's step on); a step moves the cursors only.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath

from lstm_sim.gui.colors import Palette
from lstm_sim.gui.plots.masked_bins import column_runs, masked_columns

LEGEND_PT = 9
LEGEND_SWATCH = "▨"
"""The legend's sample of the hatching (U+25A8, in DejaVu Sans)."""
SHADE_ALPHA = 45
"""How strongly a plot of h or c is shaded at masked steps (its curves stay readable)."""
HATCH_ALPHA = 150
Z_OVER_IMAGE = 1.0
"""Over a heatmap's image, under the selected unit's outline, the hits and the cursors."""
Z_UNDER_CURVES = -1.0


BandStyle = Literal["hide", "hatch", "shade"]
"""How a plot's masked steps are drawn: hatched over a neutral fill that hides a
heatmap's discarded gate values (``hide``); hatched over a heatmap whose values there are
the model's (``hatch``: h carried through, or the zeros a bidirectional layer hands on);
shaded and hatched under a plot's curves (``shade``)."""


class MaskedBands(pg.GraphicsObject):
    """The masked steps of one plot as bands across its whole height, drawn in ``style``
    (:data:`BandStyle`). Its tooltip, over a band, says what the bands are."""

    def __init__(self, style: BandStyle) -> None:
        super().__init__()
        self.style = style
        self.runs: list[tuple[float, float]] = []
        self.fill = QColor(0, 0, 0, 0)
        self.hatch = QColor(0, 0, 0, 0)
        self.setZValue(Z_UNDER_CURVES if style == "shade" else Z_OVER_IMAGE)

    def set_runs(self, runs: list[tuple[float, float]]) -> None:
        if runs != self.runs:
            self.prepareGeometryChange()
            self.runs = runs
            self.update()

    def set_palette(self, palette: Palette) -> None:
        """A fill that is no colour of a heatmap's scale: the paper, hatched in grey."""
        if self.style == "hide":
            self.fill = QColor(palette.background)
        else:
            self.fill = QColor(palette.caption)
            self.fill.setAlpha(SHADE_ALPHA if self.style == "shade" else 0)
        self.hatch = QColor(palette.caption)
        self.hatch.setAlpha(HATCH_ALPHA)
        self.update()

    def _height(self) -> tuple[float, float]:
        view = self.viewRect()
        if view is None:
            return 0.0, 0.0
        return view.top(), view.height()

    def _rects(self) -> list[QRectF]:
        top, height = self._height()
        return [QRectF(start, top, stop - start, height) for start, stop in self.runs]

    def boundingRect(self) -> QRectF:
        rects = self._rects()
        if not rects:
            return QRectF()
        bounds = QRectF(rects[0])
        for rect in rects[1:]:
            bounds = bounds.united(rect)
        return bounds

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        for rect in self._rects():
            path.addRect(rect)
        return path

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()  # the bands span the view's height

    def paint(self, painter: QPainter, *args: object) -> None:
        # In device pixels: the hatching then has the same pitch at any zoom.
        device = painter.transform()
        painter.resetTransform()
        hatch = QBrush(self.hatch, Qt.BrushStyle.BDiagPattern)
        for rect in self._rects():
            on_screen = device.mapRect(rect)
            painter.fillRect(on_screen, self.fill)
            painter.fillRect(on_screen, hatch)


class LegendLine(pg.LabelItem):
    """A line of text under the plots that takes the height of its line and no width of
    its own: the plots keep their room, and a narrow dock cuts the line, not the plots."""

    def updateMin(self) -> None:
        super().updateMin()
        self.setMinimumWidth(0)
        self.setMaximumHeight(self.itemRect().height())


class MaskedMarks:
    """The masked-step bands of one plot widget's plots, by plot key, and its legend."""

    def __init__(self, legend: str) -> None:
        self.legend_text = legend
        self.bands: dict[str, MaskedBands] = {}
        self.legend: LegendLine | None = None
        self.columns = np.zeros(0, dtype=bool)
        """(bins,) True for each screen column drawn masked."""

    def add_plot(
        self, key: str, plot: pg.PlotItem, style: BandStyle, tooltip: str | None = None
    ) -> None:
        """Bands over ``plot``; their tooltip is the legend's unless ``tooltip`` says what
        this plot has at a masked step."""
        bands = MaskedBands(style)
        bands.setToolTip(self.legend_text if tooltip is None else tooltip)
        plot.addItem(bands, ignoreBounds=True)
        self.bands[key] = bands

    def add_legend(self, layout: pg.GraphicsLayout) -> None:
        """A line under every plot of ``layout``, across all its columns."""
        row = max(layout.rows, default=-1) + 1
        columns = max((max(cols, default=0) for cols in layout.rows.values()), default=0) + 1
        self.legend = LegendLine()
        layout.addItem(self.legend, row=row, col=0, colspan=columns)

    def update(
        self,
        masked: np.ndarray,
        per_bin: int,
        first_bin: int,
        palette: Palette,
    ) -> None:
        """Draw the masked columns from ``first_bin`` on (all of them from 0) in ``palette``."""
        tail = masked_columns(masked, per_bin, first_bin)
        self.columns = np.concatenate([self.columns[:first_bin], tail])
        runs = column_runs(self.columns, per_bin, masked.shape[0])
        for bands in self.bands.values():
            bands.set_palette(palette)
            bands.set_runs(runs)
        if self.legend is not None:
            text = f"{LEGEND_SWATCH} {self.legend_text}"
            self.legend.setText(text, color=palette.caption, size=f"{LEGEND_PT}pt")
