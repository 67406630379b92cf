"""Gate activations over time as heatmaps, units × t, on the diagram's fixed scales."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF

from lstm_sim.gui.colors import colormap, value_range
from lstm_sim.gui.plots.trace_plot import TracePlotWidget

LSTM_MAPS = (
    ("f", "f<sub>t</sub>  forget", "gate"),
    ("i", "i<sub>t</sub>  input", "gate"),
    ("g", "g<sub>t</sub>  candidate", "signed"),
    ("o", "o<sub>t</sub>  output", "gate"),
)
RNN_MAPS = (("h", "h<sub>t</sub>  hidden state", "signed"),)


class GateHeatmaps(TracePlotWidget):
    """f, i, g, o of the selected layer as images with one row per unit (unit 0 on top,
    the left axis) and one column per step t (the bottom axis); a simple RNN, which has
    no gates, shows h instead."""

    def _build(self) -> None:
        self.images: dict[str, pg.ImageItem] = {}
        self.kinds: dict[str, str] = {}
        self.unit_marks: dict[str, pg.PlotCurveItem] = {}
        lstm = self.session.network.kind == "lstm"
        maps = LSTM_MAPS if lstm else RNN_MAPS
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

    def values(self, key: str) -> np.ndarray:
        """What the image of ``key`` shows, (H, T): one row per unit."""
        trace, layer = self.session.trace, self.session.layer
        data = trace.h[layer] if key == "h" else trace.gate(key)[layer]
        return data.T

    def _update_data(self) -> None:
        unit, hidden = self.session.unit, self.session.network.hidden_size
        right = self.session.num_steps - 0.5
        outline_x = [-0.5, right, right, -0.5, -0.5]
        outline_y = [unit - 0.5, unit - 0.5, unit + 0.5, unit + 0.5, unit - 0.5]
        for key, image in self.images.items():
            kind = self.kinds[key]
            image.setColorMap(colormap(kind, self.palette_.name))
            image.setImage(self.values(key), levels=value_range(kind), autoLevels=False)
            # Pixel (t, u) centred on the integer coordinates, so t reads off the axis.
            image.setRect(QRectF(-0.5, -0.5, self.session.num_steps, hidden))
            mark = self.unit_marks[key]
            if unit >= 0:
                mark.setData(outline_x, outline_y, pen=pg.mkPen(self.palette_.highlight, width=3))
            else:
                mark.setData([], [])

    def _unit_at(self, key: str, t: int, point: QPointF, scene_pos: QPointF) -> int | None:
        unit = round(point.y())
        return unit if 0 <= unit < self.session.network.hidden_size else None
