"""Gate saturation per unit, the scatter plot of Karpathy, Johnson & Fei-Fei (2015,
figure 3): one point per unit, the fraction of characters at which its gate is below
0.1 (left-saturated, x) and above 0.9 (right-saturated, y)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QWidget

from lstm_sim.gui.colors import THEMES
from lstm_sim.model.code_reader import SATURATION_GATES, UnitSaturation

GATE_TITLES = {"i": "input gate i", "f": "forget gate f", "o": "output gate o"}
AXIS_FONT_PT = 11
POINT_PX = 9
SELECTED_PX = 18


class SaturationPlot(pg.GraphicsLayoutWidget):
    """Three scatter plots, one per sigmoid gate; the selected unit drawn large in the
    highlight colour. The data come whole from :func:`code_reader.unit_saturation`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.palette_ = THEMES["light"]
        self.saturation: UnitSaturation | None = None
        self.unit = -1
        self.plots: dict[str, pg.PlotItem] = {}
        self.points: dict[str, pg.ScatterPlotItem] = {}
        self.selected: dict[str, pg.ScatterPlotItem] = {}
        font = QFont()
        font.setPointSize(AXIS_FONT_PT)
        for col, gate in enumerate(SATURATION_GATES):
            plot = self.addPlot(row=0, col=col)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.04)
            plot.setLabel("bottom", "left-saturated")
            plot.setLabel("left", "right-saturated")
            for side in ("left", "bottom"):
                plot.getAxis(side).setStyle(tickFont=font)
            # Points on the diagonal x + y = 1 are saturated at every step.
            plot.plot([0, 1], [1, 0], pen=pg.mkPen(QColor(150, 150, 150), width=1))
            self.points[gate] = pg.ScatterPlotItem(size=POINT_PX)
            self.selected[gate] = pg.ScatterPlotItem(size=SELECTED_PX)
            self.selected[gate].setZValue(5)
            plot.addItem(self.points[gate])
            plot.addItem(self.selected[gate])
            self.plots[gate] = plot
        self.set_theme("light")

    def set_data(self, saturation: UnitSaturation | None, unit: int) -> None:
        """Show ``saturation`` (None for an empty plot) with ``unit`` marked."""
        self.saturation, self.unit = saturation, unit
        self._draw()

    def set_theme(self, name: str) -> None:
        self.palette_ = THEMES[name]
        self.setBackground(self.palette_.background)
        for gate, plot in self.plots.items():
            plot.setTitle(GATE_TITLES[gate], color=self.palette_.foreground, size="12pt")
            for side in ("left", "bottom"):
                plot.getAxis(side).setPen(self.palette_.foreground)
                plot.getAxis(side).setTextPen(self.palette_.foreground)
        self._draw()

    def _draw(self) -> None:
        faint = QColor(self.palette_.foreground)
        faint.setAlpha(110)
        for gate in SATURATION_GATES:
            if self.saturation is None:
                self.points[gate].setData([], [])
                self.selected[gate].setData([], [])
                continue
            sat = self.saturation.of(gate)
            self.points[gate].setData(sat.left, sat.right, brush=faint, pen=None)
            if 0 <= self.unit < sat.left.size:
                self.selected[gate].setData(
                    [sat.left[self.unit]],
                    [sat.right[self.unit]],
                    brush=self.palette_.highlight,
                    pen=pg.mkPen(self.palette_.foreground, width=1.5),
                )
            else:
                self.selected[gate].setData([], [])

    def plotted(self, gate: str) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) points on the plot of ``gate``: what a test compares."""
        x, y = self.points[gate].getData()
        return np.asarray(x), np.asarray(y)
