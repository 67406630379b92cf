"""Gate activations over time as heatmaps, units × t, on the diagram's fixed scales."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF

from lstm_sim.gui.colors import colormap, value_range
from lstm_sim.gui.plots.screen_bins import envelope, farthest_from, steps_per_bin
from lstm_sim.gui.plots.trace_plot import TracePlotWidget

LSTM_MAPS = (
    ("f", "f<sub>t</sub>  forget", "gate"),
    ("i", "i<sub>t</sub>  input", "gate"),
    ("g", "g<sub>t</sub>  candidate", "signed"),
    ("o", "o<sub>t</sub>  output", "gate"),
)
GRU_MAPS = (
    ("r", "r<sub>t</sub>  reset", "gate"),
    ("z", "z<sub>t</sub>  update", "gate"),
    ("n", "n<sub>t</sub>  candidate", "signed"),
    ("h", "h<sub>t</sub>  hidden state", "signed"),
)
RNN_MAPS = (("h", "h<sub>t</sub>  hidden state", "signed"),)
MAPS = {"lstm": LSTM_MAPS, "gru": GRU_MAPS, "rnn": RNN_MAPS}


class GateHeatmaps(TracePlotWidget):
    """f, i, g, o of the selected layer (a GRU's r, z, n and h) as images with one row per
    unit (unit 0 on top, the left axis) and one column per step t (the bottom axis); a
    simple RNN, which has no gates, shows h instead.

    Each image has at most one column per pixel (:mod:`.screen_bins`): a column of
    several steps shows, per unit, the value farthest from the middle of its colour
    scale, so a gate that snaps shut for one step still shows. An edit at step t
    recomputes the columns from t on and sets the image in place.
    """

    short_pass_label = True  # two images a row: a long title would widen the dock

    def _build(self) -> None:
        self.images: dict[str, pg.ImageItem] = {}
        self.kinds: dict[str, str] = {}
        self.unit_marks: dict[str, pg.PlotCurveItem] = {}
        self.per_bin = 1
        self._columns: dict[str, np.ndarray] = {}  # (H, bins) shown by each image
        maps = MAPS[self.session.network.kind]
        hidden = self.session.network.hidden_size
        for k, (key, title, kind) in enumerate(maps):
            plot = self._add_plot(key, title, k // 2, k % 2)
            plot.invertY(True)
            plot.setYRange(-0.5, hidden - 0.5, padding=0.0)
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            mark = pg.PlotCurveItem()  # an outline around the selected unit's row
            mark.setZValue(9)
            plot.addItem(mark)
            self.images[key], self.kinds[key], self.unit_marks[key] = image, kind, mark
            plot.getViewBox().sigResized.connect(self._on_view_resized)

    def values(self, key: str) -> np.ndarray:
        """What the image of ``key`` shows at full resolution, (H, T): a row per unit."""
        trace, layer = self.session.shown, self.session.layer
        data = trace.h[layer] if key == "h" else trace.gate(key)[layer]
        return data.T

    def _pixels(self) -> float:
        return min(self.plots[key].getViewBox().width() for key in self.images)

    def _on_view_resized(self) -> None:
        if self.built and steps_per_bin(self.session.num_steps, self._pixels()) != self.per_bin:
            self._mark_all_stale()

    def _binned(self, key: str, first_bin: int) -> np.ndarray:
        """Columns ``first_bin``.. of the image of ``key``, (H, bins - first_bin)."""
        low, high = value_range(self.kinds[key])
        lows, highs = envelope(self.values(key).T, self.per_bin, first_bin)
        return farthest_from(lows, highs, (low + high) / 2.0).T

    def _update_data(self) -> None:
        self.per_bin = steps_per_bin(self.session.num_steps, self._pixels())
        hidden = self.session.network.hidden_size
        for key, image in self.images.items():
            kind = self.kinds[key]
            self._columns[key] = np.ascontiguousarray(self._binned(key, 0))
            image.setColorMap(colormap(kind, self.palette_.name))
            image.setImage(self._columns[key], levels=value_range(kind), autoLevels=False)
            # Pixel (t, u) centred on the integer coordinates, so t reads off the axis;
            # a column spans per_bin steps (the last one may reach past T, off the plot).
            width = self._columns[key].shape[1] * self.per_bin
            image.setRect(QRectF(-0.5, -0.5, width, hidden))
        self._update_unit()

    def _update_tail(self, start: int) -> None:
        first = start // self.per_bin
        for key, image in self.images.items():
            self._columns[key][:, first:] = self._binned(key, first)
            image.setImage(
                self._columns[key], levels=value_range(self.kinds[key]), autoLevels=False
            )

    def _update_unit(self) -> None:
        unit = self.session.unit
        right = self.session.num_steps - 0.5
        outline_x = [-0.5, right, right, -0.5, -0.5]
        outline_y = [unit - 0.5, unit - 0.5, unit + 0.5, unit + 0.5, unit - 0.5]
        for mark in self.unit_marks.values():
            if unit >= 0:
                mark.setData(outline_x, outline_y, pen=pg.mkPen(self.palette_.highlight, width=3))
            else:
                mark.setData([], [])

    def _unit_at(self, key: str, t: int, point: QPointF, scene_pos: QPointF) -> int | None:
        unit = round(point.y())
        return unit if 0 <= unit < self.session.network.hidden_size else None
