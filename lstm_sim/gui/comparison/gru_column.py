"""A GRU beside the drawn LSTM and RNN, for as long as the window cannot draw a GRU cell:
its named unit's h and update gate over time with the shared step marked, and the step's
numbers (gates, the state update, the most probable answers) read from the engine's
trace. It says plainly that the cell itself is not drawn here."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace, record
from lstm_sim.gui.colors import THEMES
from lstm_sim.model.gru_step import gru_step_numbers
from lstm_sim.model.scenario import described_unit

NOT_DRAWN = (
    "This window does not draw a GRU cell yet: the numbers below are the GRU's own, from "
    "the same engine, at the same step."
)
H_COLOR, Z_COLOR = "#9467bd", "#8c564b"
AXIS_FONT_PT = 11


def named_unit(network: Network) -> int:
    """The unit the model's description names (a shipped scenario model), else unit 0."""
    try:
        return described_unit(network)[0]
    except ValueError:
        return 0


class GruColumn(QWidget):
    """A GRU's numbers at the shared step t: a plot of its unit's h_t and z_t over the
    sequence, and the step as text."""

    def __init__(self, network: Network, inputs: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.network = network
        self.trace: Trace = record(network, inputs)  # type: ignore[arg-type]
        self.unit = named_unit(network)
        self.t = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.note = QLabel(NOT_DRAWN)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setYRange(-1.05, 1.05, padding=0.0)
        self.legend = item.addLegend(offset=(10, 10), labelTextSize="11pt")
        self.h_curve = item.plot([], [], pen=pg.mkPen(H_COLOR, width=2), name="")
        self.z_curve = item.plot(
            [], [], pen=pg.mkPen(Z_COLOR, width=2, style=Qt.PenStyle.DashLine), name=""
        )
        self.step_line = pg.InfiniteLine(angle=90, movable=False)
        item.addItem(self.step_line, ignoreBounds=True)
        layout.addWidget(self.plot, 1)
        self.numbers = QLabel()
        self.numbers.setTextFormat(Qt.TextFormat.RichText)
        self.numbers.setWordWrap(True)
        self.numbers.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.numbers)
        self.set_theme("light")
        self._draw_curves()
        self.seek(0)

    def load(self, network: Network, inputs: object) -> None:
        """Show ``network`` on ``inputs`` (recorded first: a failure changes nothing)."""
        trace = record(network, inputs)  # type: ignore[arg-type]
        self.network, self.trace, self.unit = network, trace, named_unit(network)
        self._draw_curves()
        self.seek(min(self.t, trace.num_steps - 1))

    def set_theme(self, name: str) -> None:
        palette = THEMES[name]
        self.plot.setBackground(palette.background)
        font = QFont()
        font.setPointSize(AXIS_FONT_PT)
        item = self.plot.getPlotItem()
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(palette.foreground)
            axis.setTextPen(palette.foreground)
            axis.setStyle(tickFont=font)
        item.setLabel("bottom", "step t", color=palette.foreground.name())
        self.step_line.setPen(pg.mkPen(palette.highlight, width=2, style=Qt.PenStyle.DashLine))
        self.legend.setLabelTextColor(palette.foreground)

    def _draw_curves(self) -> None:
        steps = np.arange(self.trace.num_steps, dtype=np.float64)
        unit = self.unit
        self.h_curve.setData(steps, self.trace.h[0, :, unit].astype(np.float64))
        self.z_curve.setData(steps, self.trace.gate("z")[0, :, unit].astype(np.float64))
        # pyqtgraph keeps a legend entry's text as given when the item was added.
        for curve, text in ((self.h_curve, "h"), (self.z_curve, "z (update gate)")):
            self.legend.removeItem(curve)
            self.legend.addItem(curve, f"unit {unit}  {text}")

    def seek(self, t: int) -> None:
        """Mark step ``t`` and show its numbers."""
        self.t = t
        self.step_line.setValue(t)
        s = gru_step_numbers(self.network, self.trace, t, self.unit)
        read = "" if s.token is None else f" reads '{html.escape(s.token)}'"
        answers = ", ".join(f"'{html.escape(label)}' {p:.2f}" for label, p in s.top)
        lines = [
            f"<b>t = {t}</b>{read}. Unit {s.unit}: reset r = {s.r:.2f}, update z = {s.z:.2f}, "
            f"candidate n = {s.n:+.2f}",
            f"h = (1 − z)·n + z·h<sub>t−1</sub> = {1 - s.z:.2f}·({s.n:+.2f}) + "
            f"{s.z:.2f}·({s.h_prev:+.2f}) = <b>{s.h:+.2f}</b>",
            f"mean z over the {self.trace.hidden_size} units: {s.mean_z:.2f} "
            "(the share of h<sub>t−1</sub> kept)",
        ]
        if answers:
            lines.append(f"most probable outputs: {answers}")
        self.numbers.setText("<br>".join(lines))
