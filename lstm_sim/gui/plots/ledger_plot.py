"""The memory ledger of the selected unit at the cursor: c_t as the sum of what each
earlier step wrote, scaled by every forget gate since, plus what is left of c_0
(:mod:`lstm_sim.engine.ledger`)."""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QResizeEvent

from lstm_sim.engine.ledger import Ledger, memory_ledger
from lstm_sim.gui.colors import value_color
from lstm_sim.gui.plots.trace_plot import TracePlotWidget

TOKEN_TICKS_MAX = 48
"""Up to this many steps the axis names each step by its token; beyond, numbers."""
TOKEN_LABEL_PX = 64
"""Room one token's name needs on the axis (the longer words of the stories)."""
BAR_WIDTH = 0.8
INITIAL_X = -1
"""Where the c_0 bar stands, left of step 0."""


def _display(token: str) -> str:
    return token.replace("\n", "↵").replace(" ", "␣")


class LedgerPlot(TracePlotWidget):
    """A bar per step s = 0..t: the share of c_t that step s wrote, i_s·g_s·Π f; a bar
    at the left for c_0·Π f; the sum and the recorded c_t printed side by side."""

    def _build(self) -> None:
        self.ledger: Ledger | None = None
        self.bars: pg.BarGraphItem | None = None
        self.initial_bar: pg.BarGraphItem | None = None
        self.summary = self.addLabel("", row=1, col=0)
        if self.session.network.kind != "lstm":
            self.summary.setText(
                "The memory ledger splits an LSTM's cell state c<sub>t</sub> into what each "
                "step wrote; a GRU or a simple RNN has no cell state."
            )
            return
        plot = self._add_plot("ledger", "", 0, 0)
        plot.setXRange(INITIAL_X - 0.5, self.session.num_steps - 0.5, padding=0.0)
        plot.addLine(y=0.0, pen=pg.mkPen(QColor(150, 150, 150), width=1))
        plot.setLabel("left", "share of c<sub>t</sub>")
        self.bars = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH)
        self.initial_bar = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH)
        plot.addItem(self.bars)
        plot.addItem(self.initial_bar)
        self._set_ticks(plot)

    def _set_ticks(self, plot: pg.PlotItem) -> None:
        tokens = self.session.tokens
        axis = plot.getAxis("bottom")
        plot.getAxis("left").enableAutoSIPrefix(False)  # shares of c, never "x0.001"
        if tokens is not None and len(tokens) <= TOKEN_TICKS_MAX:
            # Every k-th token, k such that the names do not run into each other.
            room = max(self.width() - 80, 1) / (len(tokens) + 1)
            every = max(1, math.ceil(TOKEN_LABEL_PX / room))
            names = [(INITIAL_X, "c₀")] + [
                (s, _display(tok)) for s, tok in enumerate(tokens) if (s + 1) % every == 0
            ]
            axis.setTicks([names])
        else:
            axis.setTicks(None)
            plot.setLabel("bottom", "step s (c₀ at −1)")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # How many token names fit depends on the width (none before the plots exist:
        # the base class resizes the widget while it is being built).
        plot = getattr(self, "plots", {}).get("ledger")
        if plot is not None:
            self._set_ticks(plot)

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self._data_stale = True
        self._pacer.mark_dirty()

    def _on_trace_changed(self, start: int) -> None:
        # A token edit renames a step: the axis labels are part of the data here.
        self._built_for = None
        super()._on_trace_changed(start)

    def _update_data(self) -> None:
        session = self.session
        if self.bars is None or self.initial_bar is None:
            return
        plot = self.plots["ledger"]
        unit, t = session.unit, session.t
        # The ledger sums the steps 0..t that wrote c_t: the forward recurrence. A reverse
        # pass's c_t was written by the steps t..T-1; it is not decomposed here, and says so.
        empty = "Select a unit to see where its cell value came from"
        if session.shown_pass == "reverse":
            empty = "The ledger decomposes a forward pass's cell state, not the reverse's"
        if unit < 0 or session.shown_pass == "reverse":
            self.ledger = None
            self.bars.setOpts(x=[], height=[])
            self.initial_bar.setOpts(x=[], height=[])
            plot.setTitle(empty, size="13pt")
            self.summary.setText("")
            return
        ledger = memory_ledger(session.trace, session.layer, t, unit)
        self.ledger = ledger
        theme = self.palette_.name
        # Each bar takes the colour of its own value on the shared signed scale.
        brushes = [value_color(v, "signed", theme) for v in ledger.contributions]
        pen = pg.mkPen(self.palette_.foreground, width=1)
        self.bars.setOpts(x=np.arange(t + 1), height=ledger.contributions, brushes=brushes, pen=pen)
        self.initial_bar.setOpts(
            x=[INITIAL_X],
            height=[float(ledger.initial)],
            brushes=[QColor(self.palette_.caption)],
            pen=pen,
        )
        token = ""
        if session.tokens is not None and session.layer == 0:
            token = f" ({html.escape(_display(session.tokens[t]))})"
        plot.setTitle(
            f"Where c<sub>t</sub> of unit {unit} at t = {t}{token} came from",
            color=self.palette_.foreground,
            size="13pt",
        )
        self.summary.setText(
            f"c₀ term + Σ writes = <b>{self.shown_sum:+.6f}</b> &nbsp;&nbsp; "
            f"c<sub>t</sub> recorded = <b>{self.shown_c:+.6f}</b>",
            color=self.palette_.foreground,
            size="13pt",
        )

    @property
    def shown_sum(self) -> float:
        """The sum of every bar on the plot, the c_0 bar included."""
        assert self.ledger is not None
        return float(self.ledger.total())

    @property
    def shown_c(self) -> float:
        """c_t of the selected unit as the trace recorded it."""
        assert self.ledger is not None
        return float(self.ledger.c)

    def bar_data(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, height) of every bar drawn, the c_0 bar first: what a test sums."""
        assert self.bars is not None and self.initial_bar is not None
        x = np.concatenate([self.initial_bar.opts["x"], self.bars.opts["x"]])
        height = np.concatenate([self.initial_bar.opts["height"], self.bars.opts["height"]])
        return np.asarray(x, dtype=float), np.asarray(height, dtype=float)
