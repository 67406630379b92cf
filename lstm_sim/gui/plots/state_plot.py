"""h_t and c_t over time: one thin line per unit, the selected unit drawn bold, and under
clamps the selected unit's run without them as a faint dashed ghost."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem

from lstm_sim.gui.plots.masked_marks import MaskedMarks
from lstm_sim.gui.plots.pass_marks import PassMarks
from lstm_sim.gui.plots.screen_bins import bin_count, envelope, steps_per_bin
from lstm_sim.gui.plots.span_image import faint_rgba, joined, span_counts
from lstm_sim.gui.plots.trace_plot import TITLE_SIZE, TracePlotWidget
from lstm_sim.model.both_passes import PASS_ARROWS, output_reader, pass_series
from lstm_sim.model.masked_steps import masked_legend, masked_steps
from lstm_sim.model.pass_view import Pass

PICK_RADIUS_PX = 12.0
"""How close (in pixels) a click must land to a unit's point to select that unit."""
Y_PADDING = 0.05
"""Space above and below the curves, as a fraction of their range."""
Y_MIN_SPAN = 0.1
"""The y range of flat curves (all values equal): a band around them, not a zero range."""
TILE_BINS = 64
"""Columns per tile: an edit near the end redraws the last tile, not the whole plot."""
FAINT_ALPHA = 140
PASS_SUFFIX: dict[Pass, str] = {"forward": "", "reverse": "_reverse"}
"""What a plot's key adds for the pass it shows (a bidirectional layer has one per pass)."""
QUANTITY_SYMBOLS = {"h": "h<sub>t</sub>", "c": "c<sub>t</sub>"}


class StatePlot(TracePlotWidget):
    """h_t (and c_t for an LSTM) of the selected layer against t.

    What is drawn is at screen resolution (:mod:`.screen_bins`): at most one column of
    values per pixel, each unit's lowest and highest value in it. While every step has a
    column of its own, the units share a few antialiased curve items (NaN-separated),
    one per tile of ``TILE_BINS`` columns, each cached as a pixmap: H = 512 costs a draw
    call per tile, moving the cursor redraws none, and an edit at step t redraws only the
    tiles from t on. Once steps share columns, the units' spans are one image of the
    plot's pixels instead (:mod:`.span_image`), whose cost does not grow with T; an edit
    recounts its columns from t on. The selected unit has its own bold item on top.

    A bidirectional layer has a column of plots per pass, forward then reverse (keys
    ``h``, ``h_reverse``, ...), each in time order with its own cursor at the step its
    pass is at (:mod:`.pass_marks`); the followed pass's titles stand out.

    A model with Keras's input mask has its masked steps shaded: the curves there are
    the state carried through (:mod:`.masked_marks`).
    """

    def _build(self) -> None:
        self.tiles: dict[str, list[pg.PlotCurveItem]] = {}
        self.spans: dict[str, pg.ImageItem] = {}  # shown once steps share columns
        self._span_counts: dict[str, np.ndarray] = {}  # (rows, bins) per quantity
        self.selected: dict[str, pg.PlotCurveItem] = {}
        self.per_bin = 1
        self._lows: dict[str, np.ndarray] = {}  # (bins, H) per quantity
        self._highs: dict[str, np.ndarray] = {}
        # The run without clamps, binned like the live one; None while no clamp acts.
        self.ghosts: dict[str, pg.PlotCurveItem] = {}
        self._ghost_lows: dict[str, np.ndarray | None] = {}
        self._ghost_highs: dict[str, np.ndarray | None] = {}
        self._y_range: dict[str, tuple[float, float]] = {}
        quantities = [("h", "h<sub>t</sub>  hidden state")]
        kind = self.session.network.kind
        if kind == "lstm":
            quantities.append(("c", "c<sub>t</sub>  cell state"))
        else:
            # Said where the c plot would be, so its absence does not look like a fault.
            name = "A GRU" if kind == "gru" else "A simple RNN"
            self.no_cell_state = self.addLabel(
                f"{name} has no cell state c<sub>t</sub>: h<sub>t</sub> is all it remembers.",
                row=1,
                col=0,
                colspan=len(self.session.passes) if self.both_ways else 1,
            )
        columns: tuple[Pass, ...] = ("forward",)
        if self.both_ways:
            columns = self.session.passes
            self.pass_marks = PassMarks()
            caption = self.addLabel(row=len(quantities) + (kind != "lstm"), col=0, colspan=2)
            self.pass_marks.add_caption(caption)
            for col in range(len(columns)):  # both passes as wide, whatever their titles
                self.ci.layout.setColumnStretchFactor(col, 1)
        plots = [
            (key + PASS_SUFFIX[shown], title, row, col, shown)
            for row, (key, title) in enumerate(quantities)
            for col, shown in enumerate(columns)
        ]
        for key, title, row, col, shown in plots:
            if self.pass_marks is not None:
                title = self._both_ways_title(key)
            plot = self._add_plot(key, title, row, col)
            if self.pass_marks is not None:
                self.pass_marks.add_plot(key, shown, self.cursors[key], self.curtains[key])
            self.tiles[key] = []
            self.spans[key] = pg.ImageItem(axisOrder="row-major")
            # Cached like the tiles: a step repaints under the moving cursor line only.
            self.spans[key].setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.addItem(self.spans[key])
            # Drawn as separate segments: Qt strokes a wide pen along a jagged path by
            # outlining the whole path, hundreds of ms for a 1000-point curve; segment by
            # segment it takes a few.
            self.selected[key] = pg.PlotCurveItem(segmentedLineMode="on")
            self.selected[key].setZValue(5)
            # Cached like the tiles: a step repaints under the moving cursor line only.
            self.selected[key].setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.addItem(self.selected[key])
            self.ghosts[key] = pg.PlotCurveItem(segmentedLineMode="on")
            self.ghosts[key].setZValue(4)
            plot.addItem(self.ghosts[key])
            plot.getViewBox().sigResized.connect(self._on_view_resized)
        legend = masked_legend(self.session.network)
        if legend:
            self.masked_marks = MaskedMarks(legend)
            for key, plot in self.plots.items():
                self.masked_marks.add_plot(key, plot, "shade")
            self.masked_marks.add_legend(self.ci)

    def values(self, key: str) -> np.ndarray:
        """The recorded h or c of the selected layer in its shown pass, (T, H); of a pass
        of a bidirectional layer for the keys of its plots (``h_reverse``, ...)."""
        if self.both_ways:
            quantity = key.removesuffix(PASS_SUFFIX["reverse"])
            return pass_series(
                self.session.trace, self.session.layer, self._key_pass(key), quantity
            )
        trace = self.session.shown
        source = trace.h if key == "h" else trace.c
        assert source is not None
        return source[self.session.layer]

    def _bin_ghost(self, key: str, first: int) -> None:
        """Bin the ghost's columns from ``first`` on (all of them when it just appeared).
        The bins before the one where the session's kept original starts are the trace's
        own (the runs agree there), so only the steps after a clamp are read."""
        original = self.session.original
        lows, highs = self._ghost_lows.get(key), self._ghost_highs.get(key)
        if original is None:
            self._ghost_lows[key] = self._ghost_highs[key] = None
            return
        own = min(original.start // self.per_bin, self._lows[key].shape[0])
        if lows is None or highs is None or first == 0 or first < own:
            ghost = original.series(key, self.session.layer, own * self.per_bin)
            kept_lows, kept_highs = envelope(ghost, self.per_bin)
            self._ghost_lows[key] = np.concatenate([self._lows[key][:own], kept_lows])
            self._ghost_highs[key] = np.concatenate([self._highs[key][:own], kept_highs])
        else:
            ghost = original.series(key, self.session.layer, first * self.per_bin)
            lows[first:], highs[first:] = envelope(ghost, self.per_bin)

    def _pixels(self) -> float:
        return min(self.plots[key].getViewBox().width() for key in self.tiles)

    def _on_view_resized(self) -> None:
        if not self.built:
            return
        if steps_per_bin(self.session.num_steps, self._pixels()) != self.per_bin:
            self._mark_all_stale()
        elif not self._data_stale and self._stale_from is None:
            # The same columns on more or fewer pixel rows: recounted at once, cheaply
            # (a pending redraw of new data counts them anyway).
            for key in self.spans:
                self._draw_spans(key, 0)

    # -- data ----------------------------------------------------------------------------
    def _update_data(self) -> None:
        self.per_bin = steps_per_bin(self.session.num_steps, self._pixels())
        if self.pass_marks is not None:
            self._emphasise_followed()
            # A layer of the same shape is drawn in the same plots: who reads it may differ.
            self.pass_marks.caption_tail = self._reads_text()
        for key in self.tiles:
            self._lows[key], self._highs[key] = envelope(self.values(key), self.per_bin)
            self._bin_ghost(key, 0)
            self._fit_y(key)
            self._draw_tiles(key, 0)
            self._draw_spans(key, 0)
        self._mark_masked(0)
        self._update_unit()

    def _update_tail(self, start: int) -> None:
        first = start // self.per_bin
        for key in self.tiles:
            lows, highs = envelope(self.values(key), self.per_bin, first)
            self._lows[key][first:], self._highs[key][first:] = lows, highs
            self._bin_ghost(key, first)
            # A new scale moves every tile; otherwise the tiles from the edit on change
            # (a tile also draws the first column of the next, to join them).
            rescaled = self._fit_y(key)
            self._draw_tiles(key, 0 if rescaled else max(first - 1, 0) // TILE_BINS)
            self._draw_spans(key, 0 if rescaled else first)
        self._mark_masked(first)
        self._update_unit()

    def _mark_masked(self, first_bin: int) -> None:
        masked = masked_steps(self.session.trace)
        if self.masked_marks is not None and masked is not None:
            self.masked_marks.update(masked, self.per_bin, first_bin, self.palette_)

    def _unit_pens(self) -> tuple[QPen, QPen, QPen]:
        """The selected unit's pens: its curve in the followed pass, in the pass not
        followed (there, but not what the stepper shows), and its ghost."""
        bold = pg.mkPen(self.palette_.highlight, width=4)
        faint = QColor(self.palette_.highlight)
        faint.setAlpha(110)
        return bold, pg.mkPen(faint, width=3), pg.mkPen(faint, width=2, style=Qt.PenStyle.DashLine)

    def _update_pass(self) -> None:
        # The same curves: the followed pass's titles and unit curve stand out instead.
        self._emphasise_followed()
        bold, beside, _ = self._unit_pens()
        for key, curve in self.selected.items():
            curve.setPen(beside if self._followed_elsewhere(key) else bold)

    def _update_unit(self) -> None:
        unit = self.session.unit
        bold, beside, dashed = self._unit_pens()
        for key, curve in self.selected.items():
            ghost_lows, ghost_highs = self._ghost_lows.get(key), self._ghost_highs.get(key)
            # A projected h has P < H units: a cell unit past them has no h curve.
            if not 0 <= unit < self._lows[key].shape[1]:
                curve.setData([], [])
                self.ghosts[key].setData([], [])
                continue
            x, y = self._points(key, 0, self._lows[key].shape[0], unit)
            # Columns of several steps are vertical strokes, which look the same without
            # antialiasing and draw several times faster with a wide pen.
            pen = beside if self._followed_elsewhere(key) else bold
            curve.setData(x, y[:, 0], pen=pen, antialias=self.per_bin == 1)
            if ghost_lows is None or ghost_highs is None:
                self.ghosts[key].setData([], [])
            else:
                x, y = self._columns(ghost_lows[:, [unit]], ghost_highs[:, [unit]], 0)
                self.ghosts[key].setData(x, y[:, 0], pen=dashed)

    def _points(
        self, key: str, first: int, stop: int, unit: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """x (N,) and y (N, H) (or (N, 1) for one ``unit``) of columns first..stop-1: the
        values themselves while a column is one step, else each column's low then high."""
        lows, highs = self._lows[key][first:stop], self._highs[key][first:stop]
        if unit is not None:
            lows, highs = lows[:, [unit]], highs[:, [unit]]
        return self._columns(lows, highs, first)

    def _columns(
        self, lows: np.ndarray, highs: np.ndarray, first: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """x and y of binned columns starting at column ``first``."""
        stop = first + lows.shape[0]
        per_bin = self.per_bin
        centres = np.arange(first, stop) * per_bin + (per_bin - 1) / 2.0
        if per_bin == 1:
            return centres, lows
        y = np.empty((2 * lows.shape[0], lows.shape[1]), lows.dtype)
        y[0::2], y[1::2] = lows, highs
        return np.repeat(centres, 2), y

    def _draw_tiles(self, key: str, first_tile: int) -> None:
        """Set the data of tiles ``first_tile``.. (creating or dropping tiles to fit)."""
        bins = bin_count(self.session.num_steps, self.per_bin)
        # Columns of several steps are drawn by the span image instead.
        count = -(-bins // TILE_BINS) if self.per_bin == 1 else 0
        tiles, plot = self.tiles[key], self.plots[key]
        while len(tiles) > count:
            plot.removeItem(tiles.pop())
        while len(tiles) < count:
            tile = pg.PlotCurveItem(connect="finite")
            # Moving the cursor line repaints the plot; caching each tile as a pixmap
            # keeps that repaint from redrawing H antialiased lines.
            tile.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.addItem(tile)
            tiles.append(tile)
            first_tile = min(first_tile, len(tiles) - 1)
        faint = QColor(self.palette_.caption)
        faint.setAlpha(FAINT_ALPHA)
        # Width 1: Qt draws thin cosmetic lines with its fast line rasteriser; a wider
        # pen makes it outline and fill the whole path of H curves, many times slower.
        pen = pg.mkPen(faint, width=1)
        for k in range(first_tile, count):
            x, y = self._points(key, k * TILE_BINS, min((k + 1) * TILE_BINS + 1, bins))
            units = y.shape[1]
            # Row per unit, a NaN after each so connect="finite" lifts the pen between units.
            xs = np.tile(np.append(x, np.nan), units)
            ys = np.hstack([y.T, np.full((units, 1), np.nan)]).ravel()
            tiles[k].setData(xs, ys, pen=pen, antialias=True)

    def _draw_spans(self, key: str, first: int) -> None:
        """Count the units' spans into the image of ``key`` from column ``first`` on (all
        columns when the image has another size), while steps share columns."""
        image = self.spans[key]
        if self.per_bin == 1:
            if self._span_counts.pop(key, None) is not None:
                image.clear()
            return
        view = self.plots[key].getViewBox()
        rows = max(round(view.height() * self.devicePixelRatioF()), 1)
        bins, per_bin = self._lows[key].shape[0], self.per_bin
        counts = self._span_counts.get(key)
        if counts is None or counts.shape != (rows, bins):
            counts = self._span_counts[key] = np.zeros((rows, bins), dtype=np.int32)
            first = 0
        # Column k joined to step k*per_bin - 1, the last of the column before it
        # (column 0 to its own first step, which changes nothing).
        before = self.values(key)[np.maximum(np.arange(first, bins) * per_bin - 1, 0)]
        lows, highs = joined(self._lows[key][first:], self._highs[key][first:], before)
        bottom, top = view.viewRange()[1]
        counts[:, first:] = span_counts(lows, highs, (bottom, top), rows)
        faint = QColor(self.palette_.caption)
        rgb = (faint.red(), faint.green(), faint.blue())
        image.setImage(faint_rgba(counts, rgb, FAINT_ALPHA), autoLevels=False)
        # Column k spans steps k*per_bin .. (k+1)*per_bin - 1, centred on integer t; the
        # last column may reach past T, off the plot.
        image.setRect(QRectF(-0.5, bottom, bins * per_bin, top - bottom))

    def _fit_y(self, key: str) -> bool:
        """Fit the y range to every value shown; True if it changed."""
        # A fixed range set with the data, rather than pyqtgraph's auto-range, which
        # re-measures all H curves before every paint, even one that only moves the cursor.
        lows, highs = self._lows[key], self._highs[key]
        ghost_lows, ghost_highs = self._ghost_lows.get(key), self._ghost_highs.get(key)
        if ghost_lows is not None and ghost_highs is not None:
            lows, highs = np.vstack([lows, ghost_lows]), np.vstack([highs, ghost_highs])
        finite_low, finite_high = lows[np.isfinite(lows)], highs[np.isfinite(highs)]
        if finite_low.size and finite_high.size:
            low, high = float(finite_low.min()), float(finite_high.max())
        else:
            low, high = -1.0, 1.0
        if high - low < Y_MIN_SPAN:
            middle = (low + high) / 2
            low, high = middle - Y_MIN_SPAN / 2, middle + Y_MIN_SPAN / 2
        if self._y_range.get(key) == (low, high):
            return False
        self._y_range[key] = (low, high)
        self.plots[key].setYRange(low, high, padding=Y_PADDING)
        return True

    # -- a bidirectional layer -----------------------------------------------------------
    def _key_pass(self, key: str) -> Pass:
        return "reverse" if key.endswith(PASS_SUFFIX["reverse"]) else "forward"

    def _followed_elsewhere(self, key: str) -> bool:
        """Whether plot ``key`` shows the pass of a bidirectional layer not followed."""
        return self.pass_marks is not None and self._key_pass(key) != self.session.followed

    def _both_ways_title(self, key: str) -> str:
        shown = self._key_pass(key)
        quantity = key.removesuffix(PASS_SUFFIX["reverse"])
        return f"{QUANTITY_SYMBOLS[quantity]}  {PASS_ARROWS[shown]} {shown}"

    def _emphasise_followed(self) -> None:
        """The followed pass's titles bold in the highlight colour, the other's plain."""
        for key, plot in self.plots.items():
            followed = not self._followed_elsewhere(key)
            color = self.palette_.highlight if followed else self.palette_.foreground
            plot.titleLabel.setText(
                self._both_ways_title(key), color=color, size=TITLE_SIZE, bold=followed
            )

    def _reads_text(self) -> str:
        """Where the two passes meet: what reads them, joined, at each step."""
        session = self.session
        width = 2 * session.network.h_size
        reader = output_reader(session.network, session.layer)
        return f"{reader} reads [h<sub>t</sub>→ ‖ h<sub>t</sub>←] ({width} values) at each t"

    def curve_points(self, key: str) -> int:
        """How many finite points the tiles of ``key`` draw: what a test counts."""
        return sum(int(np.count_nonzero(np.isfinite(tile.yData))) for tile in self.tiles[key])

    def _unit_at(self, key: str, t: int, point: QPointF, scene_pos: QPointF) -> int | None:
        column = self.values(key)[t]
        unit = int(np.argmin(np.abs(column - point.y())))
        view = self.plots[key].getViewBox()
        hit = view.mapViewToScene(QPointF(t, float(column[unit])))
        distance = np.hypot(hit.x() - scene_pos.x(), hit.y() - scene_pos.y())
        return unit if distance <= PICK_RADIUS_PX else None
