"""h_t and c_t over time: one thin line per unit, the selected unit drawn bold, and under
clamps the selected unit's run without them as a faint dashed ghost."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem

from lstm_sim.gui.plots.trace_plot import TracePlotWidget

PICK_RADIUS_PX = 12.0
"""How close (in pixels) a click must land to a unit's point to select that unit."""
Y_PADDING = 0.05
"""Space above and below the curves, as a fraction of their range."""
Y_MIN_SPAN = 0.1
"""The y range of flat curves (all values equal): a band around them, not a zero range."""


class StatePlot(TracePlotWidget):
    """h_t (and c_t for an LSTM) of the selected layer against t.

    All units share one curve item (NaN-separated), so H = 512 costs one draw call; the
    selected unit gets its own bold item on top.
    """

    def _build(self) -> None:
        self.all_units: dict[str, pg.PlotCurveItem] = {}
        self.selected: dict[str, pg.PlotCurveItem] = {}
        self.ghosts: dict[str, pg.PlotCurveItem] = {}
        quantities = [("h", "h<sub>t</sub>  hidden state")]
        if self.session.network.kind == "lstm":
            quantities.append(("c", "c<sub>t</sub>  cell state"))
        for row, (key, title) in enumerate(quantities):
            plot = self._add_plot(key, title, row, 0)
            # Moving the cursor line repaints the plot; caching the many-unit curve as a
            # pixmap keeps that repaint from redrawing H antialiased lines.
            self.all_units[key] = pg.PlotCurveItem(connect="finite")
            self.all_units[key].setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.selected[key] = pg.PlotCurveItem()
            self.selected[key].setZValue(5)
            self.ghosts[key] = pg.PlotCurveItem()
            self.ghosts[key].setZValue(4)
            plot.addItem(self.all_units[key])
            plot.addItem(self.ghosts[key])
            plot.addItem(self.selected[key])

    def values(self, key: str) -> np.ndarray:
        """The recorded h or c of the selected layer, (T, H)."""
        trace = self.session.trace
        source = trace.h if key == "h" else trace.c
        assert source is not None
        return source[self.session.layer]

    def _update_data(self) -> None:
        palette = self.palette_
        faint = QColor(palette.caption)
        faint.setAlpha(140)
        unit = self.session.unit
        steps = np.arange(self.session.num_steps, dtype=float)
        for key in self.all_units:
            values = self.values(key)
            hidden = values.shape[1]
            # Row per unit, a NaN after each so connect="finite" lifts the pen between units.
            x = np.tile(np.append(steps, np.nan), hidden)
            y = np.hstack([values.T, np.full((hidden, 1), np.nan)]).ravel()
            self.all_units[key].setData(x, y, pen=pg.mkPen(faint, width=1.5))
            ghost = self.ghost_values(key)
            self._fit_y(key, values if ghost is None else np.vstack([values, ghost]))
            if unit >= 0:
                bold = pg.mkPen(palette.highlight, width=4)
                self.selected[key].setData(steps, values[:, unit], pen=bold)
            else:
                self.selected[key].setData([], [])
            if ghost is not None and unit >= 0:
                pen = pg.mkPen(palette.highlight, width=2, style=Qt.PenStyle.DashLine)
                color = QColor(palette.highlight)
                color.setAlpha(110)
                pen.setColor(color)
                self.ghosts[key].setData(steps, ghost[:, unit], pen=pen)
            else:
                self.ghosts[key].setData([], [])

    def ghost_values(self, key: str) -> np.ndarray | None:
        """The run without clamps (the session's ``original``) of the selected layer,
        (T, H); None when no clamp acts."""
        original = self.session.original
        if original is None:
            return None
        source = original.h if key == "h" else original.c
        assert source is not None
        return source[self.session.layer]

    def _fit_y(self, key: str, values: np.ndarray) -> None:
        # A fixed range set with the data, rather than pyqtgraph's auto-range, which
        # re-measures all H curves before every paint, even one that only moves the cursor.
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
        if high - low < Y_MIN_SPAN:
            middle = (low + high) / 2
            low, high = middle - Y_MIN_SPAN / 2, middle + Y_MIN_SPAN / 2
        self.plots[key].setYRange(low, high, padding=Y_PADDING)

    def _unit_at(self, key: str, t: int, point: QPointF, scene_pos: QPointF) -> int | None:
        column = self.values(key)[t]
        unit = int(np.argmin(np.abs(column - point.y())))
        view = self.plots[key].getViewBox()
        hit = view.mapViewToScene(QPointF(t, float(column[unit])))
        distance = np.hypot(hit.x() - scene_pos.x(), hit.y() - scene_pos.y())
        return unit if distance <= PICK_RADIUS_PX else None
