"""What the trace plots share: following the session, pacing redraws, themes, and
turning a click into a step (and, where a row or curve is hit, a unit)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QWidget

from lstm_sim.gui.colors import THEMES, Palette
from lstm_sim.gui.plots.frame_pacer import FramePacer
from lstm_sim.gui.plots.masked_marks import MaskedMarks
from lstm_sim.gui.plots.pass_marks import PassMarks
from lstm_sim.gui.plots.readable_axis import ReadableAxis
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session
from lstm_sim.model.both_passes import runs_both_ways

AXIS_FONT_PT = 11
TITLE_SIZE = "13pt"
MARKER_COLOR = "#e03131"
"""The line at the first NaN or infinity: red in both themes, apart from the cursor."""
TICK_TEXT_SAMPLE = "-0.000"
"""The widest tick label the axes make room for (wider ones are clipped at the left)."""
HIT_COLOR = (240, 140, 0, 90)
"""The light lines at the steps where a breakpoint holds (RGBA: faint behind the data)."""


class TracePlotWidget(pg.GraphicsLayoutWidget):
    """A grid of plots over time steps t = 0..T-1 of the session's selected layer.

    Subclasses create their items in ``_build`` (on a new network) and update them with
    ``setData`` in ``_update_data``; the cursor lines follow ``session.t``, and a step
    moves only them. An edit at step t calls ``_update_tail(t)``, a new selected unit
    ``_update_unit()`` and a new followed pass of a bidirectional layer
    ``_update_pass()``; each redoes all the data unless a subclass updates less.
    """

    # Hooks every subclass defines (Qt's metaclass rules out abc's abstract methods).
    _build: Callable[[], None]
    _update_data: Callable[[], None]

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.palette_ = THEMES["light"]
        self.plots: dict[str, pg.PlotItem] = {}
        self.cursors: dict[str, pg.InfiniteLine] = {}
        # The step where the run first went NaN or infinite, marked on every plot.
        self.markers: dict[str, pg.InfiniteLine] = {}
        self.marked_step: int | None = None
        # "No spoilers": a curtain in the background colour over the steps after the
        # cursor. Moving it costs the same at any T; the data and the x range stay put.
        self.curtains: dict[str, pg.LinearRegionItem] = {}
        self.no_spoilers = False
        # The steps where an enabled breakpoint holds: one light line item per plot, its
        # data set once per change of the breakpoints or the trace, never per step.
        self.hit_marks: dict[str, pg.PlotCurveItem] = {}
        self.hit_steps = np.zeros(0, dtype=np.intp)
        # A bidirectional layer's two passes each have a cursor: built by the subclass.
        self.pass_marks: PassMarks | None = None
        # Keras's masked steps, shaded or hatched: built by the subclass for a masked model.
        self.masked_marks: MaskedMarks | None = None
        self._hits_stale = False
        self._pacer = FramePacer(self._on_frame, self)
        self._hidden_changes = False  # changes held back while the plot is hidden
        self._data_stale = True
        self._stale_from: int | None = None  # the first step an edit changed
        self._unit_stale = False
        self._pass_stale = False  # a bidirectional layer's followed pass changed
        self._built_for: tuple[str, int, int, str, bool, bool] | None = None
        # Plots are built after the widget's first paint (or on flush), not here: a window
        # then shows its first frame without waiting for pyqtgraph's plot items, and a
        # dock that is never opened never builds them.
        self._waiting_for_first_paint = True
        self.setBackground(self.palette_.background)
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self._unsubscribe = subscribe(self, session)

    # -- session signals: mark what is stale, redraw on the next frame -------------------
    def _on_network_changed(self) -> None:
        self._data_stale = True
        self._pacer.mark_dirty()

    def _on_trace_changed(self, start: int) -> None:
        self._stale_from = start if self._stale_from is None else min(start, self._stale_from)
        self._pacer.mark_dirty()

    def _on_layer_changed(self, layer: int) -> None:
        self._data_stale = True
        self._pacer.mark_dirty()

    def _on_pass_changed(self, followed: str) -> None:
        if not self.both_ways:
            self._on_layer_changed(self.session.layer)
            return
        # Both passes are drawn already: only which one stands out changes.
        self._pass_stale = True
        self._pacer.mark_dirty()

    def _on_unit_changed(self, unit: int) -> None:
        self._unit_stale = True
        self._pacer.mark_dirty()

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self._pacer.mark_dirty()

    def detach(self) -> None:
        """Stop following the session and drop a pending redraw: the window is closing."""
        self._unsubscribe()
        self._pacer.stop()
        self._hidden_changes = False

    # -- drawing -------------------------------------------------------------------------
    @property
    def redraw_pending(self) -> bool:
        return self._pacer.dirty

    @property
    def built(self) -> bool:
        """Whether the plot items exist (after the first paint or a flush)."""
        return self._built_for is not None

    def flush(self) -> None:
        """Draw pending changes now rather than on the next frame; builds the plots if
        the widget has not been painted yet."""
        if self._waiting_for_first_paint:
            self._waiting_for_first_paint = False
            self._pacer.mark_dirty()
        self._pacer.flush()
        if self._hidden_changes:
            self._hidden_changes = False
            self._redraw()

    def _on_frame(self) -> None:
        # A plot on a dock tab behind another (or closed) draws when it is shown again,
        # so that an edit or a step costs nothing for the views nobody sees.
        if self.isVisible():
            self._redraw()
        else:
            self._hidden_changes = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._hidden_changes:
            self._hidden_changes = False
            self._pacer.mark_dirty()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._waiting_for_first_paint:
            self._waiting_for_first_paint = False
            self._pacer.mark_dirty()

    def _redraw(self) -> None:
        if self._waiting_for_first_paint:
            return  # the first paint schedules the build
        session = self.session
        shape = (
            session.network.kind,
            session.num_steps,
            session.network.hidden_size,
            self._pass_label(),
            self.both_ways,
            session.network.mask_value is not None,
        )
        if shape != self._built_for:
            self.clear()
            self.plots.clear()
            self.cursors.clear()
            self.markers.clear()
            self.curtains.clear()
            self.hit_marks.clear()
            self.pass_marks = None
            self.masked_marks = None
            self._build()
            # The styled axes are larger than pyqtgraph's; laid out at once (each plot,
            # then the grid), the data below is binned and cached for the plots' final
            # size rather than binned and drawn again when the layout catches up.
            for plot in self.plots.values():
                self._style_plot(plot)
                plot.layout.activate()
            self.ci.layout.activate()
            self._built_for = shape
            self._data_stale = True
            self._hits_stale = True
        if self._data_stale:
            self._update_data()
        else:
            if self._stale_from is not None:
                self._update_tail(self._stale_from)
            if self._pass_stale:
                self._update_pass()
            if self._unit_stale:
                self._update_unit()
        self._data_stale, self._stale_from, self._unit_stale = False, None, False
        self._pass_stale = False
        for line in self.cursors.values():
            line.setValue(session.t)
        for curtain in self.curtains.values():
            curtain.setVisible(self.no_spoilers)
            # The steps the shown pass has not reached: before t for a reverse pass.
            if session.shown_pass == "reverse":
                curtain.setRegion((-0.5, session.t - 0.5))
            else:
                curtain.setRegion((session.t + 0.5, session.num_steps - 0.5))
        if self.pass_marks is not None:
            self.pass_marks.move(
                num_steps=session.num_steps,
                followed=session.followed,
                t=session.t,
                no_spoilers=self.no_spoilers,
                palette=self.palette_,
            )
        for line in self.markers.values():
            line.setVisible(self.marked_step is not None)
            line.setValue(self.marked_step or 0)
        if self._hits_stale:
            self._draw_hits()
            self._hits_stale = False

    def mark_hits(self, steps: np.ndarray) -> None:
        """Draw a light vertical line at each of ``steps`` on every plot."""
        self.hit_steps = np.asarray(steps, dtype=np.intp)
        self._hits_stale = True
        self._pacer.mark_dirty()

    def _draw_hits(self) -> None:
        # Each line spans far beyond any y range set by the plots; the view clips it.
        steps = self.hit_steps.astype(float)
        x = np.repeat(steps, 3)
        y = np.tile([-1e9, 1e9, np.nan], steps.size)
        x[2::3] = np.nan
        for item in self.hit_marks.values():
            item.setData(x, y)

    def set_no_spoilers(self, on: bool) -> None:
        """Show only the steps up to the cursor (the rest stays hidden until reached)."""
        self.no_spoilers = bool(on)
        self._pacer.mark_dirty()

    def revealed_steps(self) -> int:
        """How many steps a viewer can see: from t = 0 to the cursor, or from the cursor
        to the last step while a reverse pass is shown."""
        session = self.session
        if not self.no_spoilers:
            return session.num_steps
        return session.num_steps - session.t if session.shown_pass == "reverse" else session.t + 1

    def mark_step(self, t: int | None) -> None:
        """Draw a marker line at step ``t`` on every plot (None: no marker)."""
        self.marked_step = t
        self._pacer.mark_dirty()

    def _update_tail(self, start: int) -> None:
        """Show the trace recomputed from step ``start`` on."""
        self._update_data()

    def _update_unit(self) -> None:
        """Show the newly selected unit."""
        self._update_data()

    def _update_pass(self) -> None:
        """Show which pass of the bidirectional layer drawn is followed now (the pass
        marks move with the cursors); the data is the same."""
        self._update_data()

    def _mark_all_stale(self) -> None:
        """Redo every item's data on the next frame (a subclass's own reasons: a resize)."""
        self._data_stale = True
        self._pacer.mark_dirty()

    short_pass_label = False
    """Titles in a narrow grid name the shown pass with an arrow (← reverse) only."""

    @property
    def both_ways(self) -> bool:
        """Whether the selected layer is bidirectional: the plots show both its passes."""
        return runs_both_ways(self.session.network, self.session.layer)

    def _pass_label(self) -> str:
        """What follows each title: which pass a layer with a reverse pass shows."""
        session = self.session
        if self.both_ways or (len(session.passes) == 1 and session.shown_pass == "forward"):
            return ""
        if self.short_pass_label:
            return " ←" if session.shown_pass == "reverse" else " →"
        return f" · {session.shown_pass} pass"

    def _add_plot(self, key: str, title: str, row: int, col: int) -> pg.PlotItem:
        # Without a context menu: it is disabled below anyway, and building it is a good
        # part of the cost of a plot.
        plot = self.addPlot(
            row=row,
            col=col,
            viewBox=pg.ViewBox(enableMenu=False),
            axisItems={"left": ReadableAxis("left")},
        )
        plot.setTitle(title + self._pass_label(), size=TITLE_SIZE)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setXRange(-0.5, self.session.num_steps - 0.5, padding=0.0)
        cursor = pg.InfiniteLine(angle=90, movable=False)
        cursor.setZValue(10)
        plot.addItem(cursor, ignoreBounds=True)
        marker = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(MARKER_COLOR, width=2))
        marker.setZValue(9)
        marker.setVisible(False)
        plot.addItem(marker, ignoreBounds=True)
        hits = pg.PlotCurveItem(connect="finite", pen=pg.mkPen(HIT_COLOR, width=3))
        hits.setZValue(8)  # over a heatmap's image, under the cursor and the NaN marker
        plot.addItem(hits, ignoreBounds=True)
        self.hit_marks[key] = hits
        curtain = pg.LinearRegionItem(movable=False)
        curtain.setZValue(8.5)  # over the data and breakpoint hits, under the cursor
        curtain.setVisible(False)
        plot.addItem(curtain, ignoreBounds=True)
        self.curtains[key] = curtain
        self.plots[key] = plot
        self.cursors[key] = cursor
        self.markers[key] = marker
        return plot

    def set_theme(self, name: str) -> None:
        self.palette_ = THEMES[name]
        self.setBackground(self.palette_.background)
        for plot in self.plots.values():
            self._style_plot(plot)
        self._data_stale = True
        self._pacer.mark_dirty()

    def _style_plot(self, plot: pg.PlotItem) -> None:
        palette: Palette = self.palette_
        font = QFont()
        font.setPointSize(AXIS_FONT_PT)
        metrics = QFontMetrics(font)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(palette.foreground)
            axis.setTextPen(palette.foreground)
            # Room for tick labels fixed from the font, not measured from the labels as
            # they are painted: that measurement resizes the axis after the first paint
            # and every range change, and the whole plot is laid out and painted again.
            axis.setStyle(
                tickFont=font,
                autoExpandTextSpace=False,
                tickTextWidth=metrics.horizontalAdvance(TICK_TEXT_SAMPLE),
                tickTextHeight=metrics.height(),
            )
        plot.titleLabel.setText(plot.titleLabel.text, color=palette.foreground, size=TITLE_SIZE)
        key = next(k for k, p in self.plots.items() if p is plot)
        self.cursors[key].setPen(pg.mkPen(palette.highlight, width=2, style=Qt.PenStyle.DashLine))
        curtain = self.curtains[key]
        curtain.setBrush(pg.mkBrush(palette.background))
        for edge in curtain.lines:
            edge.setPen(pg.mkPen(None))
        self.setBackground(palette.background)

    # -- clicks ----------------------------------------------------------------------------
    def _on_scene_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        for key, plot in self.plots.items():
            view = plot.getViewBox()
            if not view.sceneBoundingRect().contains(event.scenePos()):
                continue
            point = view.mapSceneToView(event.scenePos())
            t = int(np.clip(round(point.x()), 0, self.session.num_steps - 1))
            # A click on a pass of a bidirectional layer follows that pass to that step.
            shown = None if self.pass_marks is None else self.pass_marks.pass_at(key, point.y())
            if shown is not None:
                self.session.follow(shown)
            unit = self._unit_at(key, t, point, event.scenePos())
            self.session.seek(t)
            if unit is not None:
                self.session.select_unit(unit)
            event.accept()
            return

    def _unit_at(self, key: str, t: int, point: QPointF, scene_pos: QPointF) -> int | None:
        """The unit drawn at ``point`` of plot ``key`` at step ``t``, or None."""
        return None
