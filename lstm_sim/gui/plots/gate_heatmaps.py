"""Gate activations over time as heatmaps, units × t, on the diagram's fixed scales."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF

from lstm_sim.gui.colors import colormap, value_range
from lstm_sim.gui.plots.masked_bins import read_envelope
from lstm_sim.gui.plots.masked_marks import MaskedMarks
from lstm_sim.gui.plots.pass_marks import BlockUnitAxis, PassMarks, stacked_blocks
from lstm_sim.gui.plots.screen_bins import envelope, farthest_from, steps_per_bin
from lstm_sim.gui.plots.trace_plot import TracePlotWidget
from lstm_sim.model.both_passes import pass_series
from lstm_sim.model.masked_steps import masked_legend, masked_output_legend, masked_steps

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
BOTH_WAYS_OUTPUT_TITLE = "h<sub>t</sub>  output [→ ‖ ←]"


class GateHeatmaps(TracePlotWidget):
    """f, i, g, o of the selected layer (a GRU's r, z, n and h) as images with one row per
    unit (unit 0 on top, the left axis) and one column per step t (the bottom axis); a
    simple RNN, which has no gates, shows h instead.

    Each image has at most one column per pixel (:mod:`.screen_bins`): a column of
    several steps shows, per unit, the value farthest from the middle of its colour
    scale, so a gate that snaps shut for one step still shows. An edit at step t
    recomputes the columns from t on and sets the image in place.

    A bidirectional layer has a block of H rows per pass, the forward pass's on top, each
    in time order (column t is the step that read x_t in both), with a cursor per pass
    (:mod:`.pass_marks`).

    A model with Keras's input mask draws each masked step's column of a gate in a
    neutral hatched fill, not the values the model discarded, and hatches its columns of
    h: the state carried through, or the zeros a bidirectional layer outputs at a masked
    step (:mod:`.masked_marks`).
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
        if self.both_ways:
            self.pass_marks = PassMarks()
        network = self.session.network
        legend = masked_legend(network)
        # A bidirectional layer's h map is its output, zeros at a masked step, not the
        # carried h (Keras's zero_output_for_mask): its bands and the legend say so.
        shows_output = self.both_ways and any(key == "h" for key, _, _ in maps)
        output_note = masked_output_legend(network) if shows_output else None
        if output_note:
            legend = output_note
        self.masked_marks = MaskedMarks(legend.replace(": ", ": no gates; ", 1)) if legend else None
        for k, (key, title, kind) in enumerate(maps):
            if key == "h" and self.pass_marks is not None:
                title = BOTH_WAYS_OUTPUT_TITLE  # its two blocks, read together, are the output
            plot = self._add_plot(key, title, k // 2, k % 2)
            plot.invertY(True)
            plot.setYRange(-0.5, self._rows() - 0.5, padding=0.0)
            if self.pass_marks is not None:
                plot.setAxisItems({"left": BlockUnitAxis(hidden)})
                blocks = stacked_blocks(hidden)
                self.pass_marks.add_blocks(key, plot, blocks, self.cursors[key], self.curtains[key])
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            mark = pg.PlotCurveItem()  # an outline around the selected unit's row
            mark.setZValue(9)
            plot.addItem(mark)
            self.images[key], self.kinds[key], self.unit_marks[key] = image, kind, mark
            if self.masked_marks is not None:
                # h at a masked step is a value of the model's (the carried state, or a
                # bidirectional layer's zero output): hatched over, not hidden.
                tooltip = output_note if key == "h" else None
                self.masked_marks.add_plot(key, plot, "hatch" if key == "h" else "hide", tooltip)
            plot.getViewBox().sigResized.connect(self._on_view_resized)
        if self.masked_marks is not None:
            self.masked_marks.add_legend(self.ci)

    def values(self, key: str) -> np.ndarray:
        """What the image of ``key`` shows at full resolution, (H, T): a row per unit; (2H,
        T) for a bidirectional layer, the forward pass's rows then the reverse pass's."""
        session, layer = self.session, self.session.layer
        if self.both_ways and key == "h":
            # Exactly what the next layer reads, which the title calls the output.
            return session.trace.layer_output(layer).T
        if self.both_ways:
            passes = [pass_series(session.trace, layer, shown, key) for shown in session.passes]
            return np.hstack(passes).T
        trace = session.shown
        data = trace.h[layer] if key == "h" else trace.gate(key)[layer]
        return data.T

    def _rows(self) -> int:
        """Rows of each image: a unit's, or a unit's per pass of a bidirectional layer."""
        return self.session.network.hidden_size * len(self.session.passes)

    def _followed_block(self) -> int:
        """The first row of the followed pass's block (the reverse pass's rows come second)."""
        if self.both_ways and self.session.followed == "reverse":
            return self.session.network.hidden_size
        return 0

    def _pixels(self) -> float:
        return min(self.plots[key].getViewBox().width() for key in self.images)

    def _on_view_resized(self) -> None:
        if self.built and steps_per_bin(self.session.num_steps, self._pixels()) != self.per_bin:
            self._mark_all_stale()

    def _binned(self, key: str, first_bin: int) -> np.ndarray:
        """Columns ``first_bin``.. of the image of ``key``, (H, bins - first_bin)."""
        low, high = value_range(self.kinds[key])
        masked = masked_steps(self.session.trace)
        if masked is not None and key != "h":
            # The gates of a masked step were discarded: a column shows its read steps.
            lows, highs = read_envelope(self.values(key).T, masked, self.per_bin, first_bin)
        else:
            lows, highs = envelope(self.values(key).T, self.per_bin, first_bin)
        return farthest_from(lows, highs, (low + high) / 2.0).T

    def _update_data(self) -> None:
        self.per_bin = steps_per_bin(self.session.num_steps, self._pixels())
        rows = self._rows()
        for key, image in self.images.items():
            kind = self.kinds[key]
            self._columns[key] = np.ascontiguousarray(self._binned(key, 0))
            image.setColorMap(colormap(kind, self.palette_.name))
            image.setImage(self._columns[key], levels=value_range(kind), autoLevels=False)
            # Pixel (t, u) centred on the integer coordinates, so t reads off the axis;
            # a column spans per_bin steps (the last one may reach past T, off the plot).
            width = self._columns[key].shape[1] * self.per_bin
            image.setRect(QRectF(-0.5, -0.5, width, rows))
        self._mark_masked(0)
        self._update_unit()

    def _update_tail(self, start: int) -> None:
        first = start // self.per_bin
        for key, image in self.images.items():
            self._columns[key][:, first:] = self._binned(key, first)
            image.setImage(
                self._columns[key], levels=value_range(self.kinds[key]), autoLevels=False
            )
        self._mark_masked(first)

    def _mark_masked(self, first_bin: int) -> None:
        masked = masked_steps(self.session.trace)
        if self.masked_marks is not None and masked is not None:
            self.masked_marks.update(masked, self.per_bin, first_bin, self.palette_)

    def _update_pass(self) -> None:
        # The same images: the unit's outline moves to the followed pass's block.
        for mark in self.unit_marks.values():
            mark.setPos(0, self._followed_block())

    def _update_unit(self) -> None:
        unit = self.session.unit
        right = self.session.num_steps - 0.5
        outline_x = [-0.5, right, right, -0.5, -0.5]
        # Drawn in the first block, moved to the followed pass's (a pass switch moves it).
        outline_y = [unit - 0.5, unit - 0.5, unit + 0.5, unit + 0.5, unit - 0.5]
        for mark in self.unit_marks.values():
            mark.setPos(0, self._followed_block())
            if unit >= 0:
                mark.setData(outline_x, outline_y, pen=pg.mkPen(self.palette_.highlight, width=3))
            else:
                mark.setData([], [])

    def _unit_at(self, key: str, t: int, point: QPointF, scene_pos: QPointF) -> int | None:
        row = round(point.y())
        hidden = self.session.network.hidden_size
        return row % hidden if 0 <= row < self._rows() else None
