"""The vanishing gradient measured: how much of the state at step T reaches each earlier
step t, for the RNN, the LSTM (and a GRU when one is compared) on one log axis
(:mod:`lstm_sim.engine.gradflow`)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QWidget

from lstm_sim.engine.gradflow import GradientFlow
from lstm_sim.gui.colors import THEMES

AXIS_FONT_PT = 12
LEGEND_PT = 12
TITLE_PT = 14
CURVE_PX = 3
CURVES = (
    ("rnn_h", "RNN  ‖∂h<sub>T</sub>/∂h<sub>t</sub>‖", "#d62728", Qt.PenStyle.SolidLine),
    ("lstm_h", "LSTM  ‖∂h<sub>T</sub>/∂h<sub>t</sub>‖", "#1f77b4", Qt.PenStyle.SolidLine),
    ("lstm_c", "LSTM  ‖∂c<sub>T</sub>/∂c<sub>t</sub>‖", "#1f77b4", Qt.PenStyle.DashLine),
    ("forget", "LSTM  mean Π f  along the belt", "#2ca02c", Qt.PenStyle.DotLine),
)
GRU_CURVES = (
    ("gru_h", "GRU  ‖∂h<sub>T</sub>/∂h<sub>t</sub>‖", "#9467bd", Qt.PenStyle.SolidLine),
    ("update", "GRU  mean Π z  along h", "#9467bd", Qt.PenStyle.DotLine),
)
"""Drawn when a GRU is compared too: added to the legend only then."""


def _positive(values: np.ndarray) -> np.ndarray:
    """``values`` with every value that has no logarithm (0, underflow) as NaN, so the
    log axis shows a gap rather than a fall to -inf."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(values > 0.0, values, np.nan)


FEW_STEPS = 10
"""Up to this many steps the x axis is ticked at every whole step."""


class GradientPlot(pg.PlotWidget):
    """Four curves over the earlier step t, log y; the chosen step T marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.palette_ = THEMES["light"]
        self.text_scale = 1.0
        plot = self.getPlotItem()
        plot.setLogMode(x=False, y=True)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.showGrid(x=False, y=True, alpha=0.25)
        # Bottom right: the curves start near 1 at T on the right and the RNN's falls
        # towards the left, leaving that corner empty.
        self.legend = plot.addLegend(offset=(-10, -10), labelTextSize=f"{LEGEND_PT}pt")
        # Two rows, not four: on a short plot a column of four hides the curves it names.
        self.legend.setColumnCount(2)
        self.curves: dict[str, pg.PlotDataItem] = {}
        for key, name, color, style in CURVES:
            pen = pg.mkPen(color, width=CURVE_PX, style=style)
            self.curves[key] = plot.plot([], [], pen=pen, name=name, connect="finite")
        self._shown: tuple[GradientFlow, GradientFlow, GradientFlow | None] | None = None
        self.end_line = pg.InfiniteLine(angle=90, movable=False)
        plot.addItem(self.end_line, ignoreBounds=True)
        self.set_theme("light")

    def set_theme(self, name: str) -> None:
        self.palette_ = THEMES[name]
        plot = self.getPlotItem()
        self.setBackground(self.palette_.background)
        font = QFont()
        font.setPointSize(round(AXIS_FONT_PT * self.text_scale))
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(self.palette_.foreground)
            axis.setTextPen(self.palette_.foreground)
            axis.setStyle(tickFont=font)
            axis.enableAutoSIPrefix(False)  # steps are whole numbers, never "x0.001"
        # The axis titles keep their size: scaled, the left one outgrows a short plot.
        plot.setLabel("bottom", "earlier step t", color=self.palette_.foreground.name())
        plot.setLabel("left", "gradient reaching step t", color=self.palette_.foreground.name())
        self.legend.setLabelTextSize(f"{round(LEGEND_PT * self.text_scale)}pt")
        self.end_line.setPen(pg.mkPen(self.palette_.highlight, width=2, style=Qt.PenStyle.DashLine))
        self.legend.setLabelTextColor(self.palette_.foreground)
        for _sample, label in self.legend.items:
            # pyqtgraph stores the new colour but renders it only when the text is set.
            label.setText(label.text, color=self.palette_.foreground)
        backdrop = QColor(self.palette_.background)
        backdrop.setAlpha(220)
        self.legend.setBrush(backdrop)
        self.legend.setPen(pg.mkPen(self.palette_.caption))

    def _add_gru_curves(self) -> None:
        plot = self.getPlotItem()
        for key, name, color, style in GRU_CURVES:
            pen = pg.mkPen(color, width=CURVE_PX, style=style)
            self.curves[key] = plot.plot([], [], pen=pen, name=name, connect="finite")
        self.set_theme(self.palette_.name)

    def set_text_scale(self, scale: float) -> None:
        """Every text of the plot at ``scale`` times its size (presentation mode)."""
        self.text_scale = float(scale)
        self.set_theme(self.palette_.name)
        if self._shown is not None:
            self.show_flows(*self._shown)

    def show_flows(
        self, rnn: GradientFlow, lstm: GradientFlow, gru: GradientFlow | None = None
    ) -> None:
        """Draw the networks' flows back from their common end step T."""
        assert lstm.dc_norm is not None and lstm.forget_mean is not None
        self._shown = (rnn, lstm, gru)
        data = {
            "rnn_h": (rnn.steps, rnn.dh_norm),
            "lstm_h": (lstm.steps, lstm.dh_norm),
            "lstm_c": (lstm.steps, lstm.dc_norm),
            "forget": (lstm.steps, lstm.forget_mean),
        }
        if gru is not None:
            assert gru.forget_mean is not None  # a GRU's is its update gate's
            if "gru_h" not in self.curves:
                self._add_gru_curves()
            data["gru_h"] = (gru.steps, gru.dh_norm)
            data["update"] = (gru.steps, gru.forget_mean)
        for key, (steps, values) in data.items():
            curve = self.curves[key]
            curve.setData(steps.astype(np.float64), _positive(values))
            # One point (T = 0) draws no line: a dot shows it.
            curve.setSymbol("o" if len(steps) == 1 else None)
            curve.setSymbolBrush(curve.opts["pen"].color())
        self.end_line.setValue(lstm.end)
        self.getPlotItem().setTitle(
            f"Gradient from step T = {lstm.end} back to each earlier step t",
            color=self.palette_.foreground.name(),
            size=f"{round(TITLE_PT * self.text_scale)}pt",
        )
        # At T = 0 there is one point per curve: the range still spans whole steps (and
        # never a fraction that pyqtgraph labels "x0.001"), and the log axis spans a decade
        # either side of the one value instead of an arbitrary default.
        first = float(min(steps[0] for steps, _values in data.values()))
        plot = self.getPlotItem()
        last = max(float(lstm.end), first + 1.0)
        plot.setXRange(first - 0.5, last + 0.5, padding=0.0)
        bottom = plot.getAxis("bottom")
        if last - first <= FEW_STEPS:
            bottom.setTickSpacing(1.0, 1.0)  # whole steps only, no t = 0.2
        else:
            bottom.setTickSpacing()  # pyqtgraph's own spacing
        values = np.concatenate([_positive(v) for _steps, v in data.values()])
        finite = values[np.isfinite(values)]
        if finite.size and np.ptp(np.log10(finite)) < 1e-9:
            centre = float(np.log10(finite[0]))
            plot.setYRange(centre - 1.0, centre + 1.0, padding=0.0)
        else:
            plot.enableAutoRange(axis="y")

    def plotted(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The (t, value) data of curve ``key`` before the log axis transforms it."""
        dataset = self.curves[key].getOriginalDataset()
        return np.asarray(dataset[0]), np.asarray(dataset[1])
