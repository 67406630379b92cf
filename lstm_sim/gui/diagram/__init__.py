"""The Olah-style cell diagram: a QGraphicsView drawn from the session's trace.

The view owns no numbers: every value it shows is read from the session's recorded
trace at the cursor. A frame is a pure function of (step record, phase, progress); the
animator only moves ``progress`` from 0 to 1 when the cursor advances by one phase.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QResizeEvent, QShowEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QWidget

from lstm_sim.engine.atomic_write import atomic_path
from lstm_sim.gui.colors import CONTRAST, THEMES
from lstm_sim.gui.diagram.animator import PhaseAnimator
from lstm_sim.gui.diagram.items import DotTrainItem, NodeItem, StripItem, WireItem
from lstm_sim.gui.diagram.scene import DiagramScene, Frame
from lstm_sim.gui.diagram.wiring import PREVIOUS
from lstm_sim.gui.panels.equation_text import pass_caption_html
from lstm_sim.model import Session
from lstm_sim.model.cell_options import cell_options
from lstm_sim.model.masked_steps import step_is_masked
from lstm_sim.model.numbering import index_range
from lstm_sim.model.pass_view import layer_passes
from lstm_sim.model.view_settings import ViewSettings

ZOOM_STEP = 1.25
MAX_ZOOM = 8.0
MIN_TEXT_PX = 14.0
"""On screen, no label or number of the cell is smaller than this (720p stays readable)."""
MAX_TEXT_SCALE = 2.5
"""Text grows at most this much over its drawn size: beyond it, labels cover the cell."""


def scene_for(session: Session, parent: QObject | None = None) -> DiagramScene:
    """A scene for the session's network at its selected layer (the view's, or an
    export's off screen)."""
    network = session.network
    layer = session.layer
    input_size = network.input_size if layer == 0 else network.layer_output_size(layer - 1)
    # Layer l reads the h_t of the layer below it, l - 1 (both passes' when it has two).
    x_label = "x<sub>t</sub>" if layer == 0 else f"h<sub>t</sub> of layer {layer - 1}"
    if layer > 0 and len(layer_passes(network, layer - 1)) > 1:
        x_label = f"[forward ‖ reverse] h<sub>t</sub> of layer {layer - 1}"
    show_x = not (layer == 0 and session.tokens is not None and input_size > 16)
    return DiagramScene(
        network.kind,
        network.hidden_size,
        input_size,
        x_label,
        show_x_strip=show_x,
        nonlinearity=network.nonlinearity,
        reset_after=network.reset_after,
        # The shown pass's own arrays: its peepholes and projection are its own.
        options=cell_options(session.shown_network, layer),
        previous="t+1" if session.shown_pass == "reverse" else PREVIOUS,
        parent=parent,
    )


def keep_text_readable(
    diagram: DiagramScene, scale: float, min_px: float, max_scale: float = MAX_TEXT_SCALE
) -> None:
    """Text scales with the view like the shapes, until that would make it smaller than
    ``min_px`` on screen at this ``scale``; then it stops shrinking (the smallest base
    font sets the factor, at most ``max_scale``)."""
    # From the unscaled size: the scaled ones are rounded, and dividing them by the scale
    # would make the result depend on the sizes the view had before.
    base = diagram.base_text_px
    factor = min(max(1.0, min_px / (base * scale)), max_scale)
    diagram.set_text_scale(round(factor, 2))


def frame_at(session: Session, t: int, phase: int, progress: float, window_start: int) -> Frame:
    """The frame of step ``t``, ``phase`` of the session's selected layer, ``progress``
    of the way through that phase's flow."""
    title = session.phases[phase].title
    masked = step_is_masked(session.trace, t)
    # First, beside t: the rest of a long header may be cut at the view's edge.
    skipped = " <b>masked: skipped</b>" if masked else ""
    header = f"<b>t = {t}</b> {index_range(session.num_steps)}{skipped} &nbsp;·&nbsp; {title}"
    if session.network.num_layers > 1:
        layers = index_range(session.network.num_layers)
        header += f" &nbsp;·&nbsp; layer {session.layer} {layers}"
    if len(session.passes) > 1 or session.shown_pass == "reverse":
        header += f" &nbsp;·&nbsp; {pass_caption_html(session.shown_pass)}"
    token = None
    if session.tokens is not None and session.layer == 0:
        token = session.tokens[t]
    return Frame(
        record=session.shown.step(session.layer, t),
        phase=phase,
        progress=progress,
        unit=session.unit,
        window_start=window_start,
        header=header,
        token=token,
        masked=masked,
    )


class DiagramView(QGraphicsView):
    """The cell of ``session.network`` (LSTM, GRU or simple RNN) at the session's cursor.

    Reads the session, writes to it only to select a unit (a click on a strip cell).
    ``animation_finished`` is emitted exactly once for every flow that starts, when it
    ends by itself, by :meth:`finish_animation`, or because the cursor moved again; no
    flow starts with reduced motion on.
    """

    animation_finished = Signal()

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        view_settings: ViewSettings | None = None,
    ) -> None:
        """``view_settings``: the theme to follow (the window's; a view of its own if
        none is given)."""
        super().__init__(parent)
        self.session = session
        self.view_settings = view_settings or ViewSettings()
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        # A frame changes a few strips and dots: repaint only their regions.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumSize(320, 180)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._reduced_motion = False
        self._zoom = 1.0
        self._progress = 1.0
        self._window_start = 0
        self._cursor = (session.t, session.phase)
        self._animator = PhaseAnimator(self)
        self._animator.progress_changed.connect(self.set_progress)
        self._animator.finished.connect(self.animation_finished)
        self._diagram: DiagramScene | None = None
        self._min_text_px = MIN_TEXT_PX
        self._max_text_scale = MAX_TEXT_SCALE
        self._highlights: tuple[str, ...] = ()
        self._contrast = False
        self._build()
        self.view_settings.theme_changed.connect(self._on_theme_changed)

        session.network_changed.connect(self._on_network_changed)
        session.trace_changed.connect(self._on_trace_changed)
        session.cursor_changed.connect(self._on_cursor_changed)
        session.layer_changed.connect(self._on_layer_changed)
        session.pass_changed.connect(self._on_pass_changed)
        session.unit_changed.connect(self._on_unit_changed)

    # -- what tests and the window read --------------------------------------------------
    def diagram(self) -> DiagramScene:
        """The scene on screen, rebuilt when the network or layer changes."""
        assert self._diagram is not None
        return self._diagram

    def diagram_kind(self) -> str:
        """ "lstm", "gru" or "rnn": which cell is drawn."""
        return self.diagram().kind

    def strip(self, field: str) -> StripItem:
        """The strip of a StepRecord field ('f', 'c', 'h', 'x', 'pre', ...)."""
        strips = self.diagram().strips
        if field not in strips:
            raise ValueError(f"the {self.diagram_kind()} diagram has no strip {field!r}")
        return strips[field]

    def wire(self, name: str) -> WireItem:
        return self.diagram().wires[name]

    def dots(self, name: str) -> DotTrainItem:
        """The train of dots that rides wire ``name`` during its phase's flow."""
        return self.diagram().dots[name]

    def node(self, name: str) -> NodeItem:
        return self.diagram().nodes[name]

    def header_text(self) -> str:
        """The step and phase caption, as plain text."""
        return self.diagram().header.toPlainText()

    def theme(self) -> str:
        return self.view_settings.theme

    def unit_window(self) -> range:
        """The units every strip shows, at most 16 of H."""
        return range(self._window_start, self._window_start + self.diagram().window_size())

    def smallest_text_on_screen(self) -> float:
        """The smallest label or number of the cell as drawn, in device-independent
        pixels: its font size in the scene times the view's scale."""
        return self.diagram().smallest_text_px() * self.transform().m11()

    # -- settings ------------------------------------------------------------------------
    def set_min_text_px(self, pixels: float) -> None:
        """Keep every label at least ``pixels`` tall on screen (presentation mode asks for
        a projector's size), as far as :data:`MAX_TEXT_SCALE` allows."""
        self._min_text_px = float(pixels)
        self._fit()

    def set_max_text_scale(self, factor: float) -> None:
        """Let text grow at most ``factor`` times its drawn size (default
        :data:`MAX_TEXT_SCALE`): a view too small for readable labels (a thumbnail of the
        cell) keeps them small rather than piled on one another."""
        if factor < 1.0:
            raise ValueError(f"the text scale limit must be at least 1, got {factor}")
        self._max_text_scale = float(factor)
        self._fit()

    def set_highlights(self, parts: tuple[str, ...]) -> None:
        """Light up the named parts of the cell (the tour's stops); () for none."""
        self._highlights = tuple(parts)
        self.diagram().set_highlights(self._highlights)

    def highlights(self) -> tuple[str, ...]:
        return self._highlights

    def set_theme(self, name: str) -> None:
        """Ask for the theme ``name``; the view repaints when its settings change."""
        self.view_settings.theme = name

    def set_contrast(self, on: bool) -> None:
        """Draw in the theme's high-contrast palette (presentation mode) or its own."""
        self._contrast = bool(on)
        self.diagram().set_palette(THEMES[self.palette_name()])

    def palette_name(self) -> str:
        """The palette the cell is drawn in: the theme's, or its high-contrast one."""
        theme = self.view_settings.theme
        return CONTRAST[theme] if self._contrast else theme

    def _on_theme_changed(self, name: str) -> None:
        self.diagram().set_palette(THEMES[self.palette_name()])

    def detach_settings(self) -> None:
        """Stop following the settings: they outlive this view (a second window's)."""
        self.view_settings.theme_changed.disconnect(self._on_theme_changed)

    def set_reduced_motion(self, on: bool) -> None:
        self._reduced_motion = bool(on)
        if on:
            self.finish_animation()

    def set_animation_duration(self, ms: int) -> None:
        self._animator.set_duration(ms)

    def set_unit_window(self, start: int) -> None:
        """Show units ``start``.. in every strip (clipped so the window stays full)."""
        size = self.diagram().window_size()
        start = max(0, min(int(start), self.session.network.hidden_size - size))
        if start != self._window_start:
            self._window_start = start
            self._redraw()

    def scroll_units(self, pages: int) -> None:
        """Move the unit window by ``pages`` windows (negative: towards unit 0)."""
        self.set_unit_window(self._window_start + pages * self.diagram().window_size())

    # -- the flow ------------------------------------------------------------------------
    def set_progress(self, p: float) -> None:
        """Show the frame at progress ``p`` (0..1) of the current phase's flow."""
        self._progress = min(max(float(p), 0.0), 1.0)
        self._redraw()

    def progress(self) -> float:
        return self._progress

    def is_animating(self) -> bool:
        return self._animator.is_running()

    def finish_animation(self) -> None:
        """Jump a running flow to its end state."""
        self._animator.finish()

    # -- zoom and export -----------------------------------------------------------------
    def zoom_in(self) -> None:
        self._set_zoom(self._zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._set_zoom(self._zoom / ZOOM_STEP)

    def reset_zoom(self) -> None:
        """Fit the whole cell in the view."""
        self._set_zoom(1.0)

    def zoom(self) -> float:
        """1.0 when the whole cell fits the view."""
        return self._zoom

    def save_svg(self, path: str) -> None:
        """Write the diagram as it is now to an SVG file."""
        from PySide6.QtSvg import QSvgGenerator  # only an export needs the SVG module

        rect = self.diagram().sceneRect()
        with atomic_path(path) as temporary:
            generator = QSvgGenerator()
            generator.setFileName(str(temporary))
            generator.setSize(QSize(int(rect.width()), int(rect.height())))
            generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
            generator.setTitle("lstm-sim cell diagram")
            painter = QPainter(generator)
            painter.setRenderHints(self.renderHints())
            area = QRectF(0, 0, rect.width(), rect.height())
            painter.fillRect(area, THEMES[self.view_settings.theme].background)
            self.diagram().render_vector(painter, area, rect)
            if not painter.end():
                raise OSError(f"could not write the SVG file {path}")

    # -- session signals -----------------------------------------------------------------
    def _on_network_changed(self) -> None:
        self.finish_animation()
        self._window_start = 0
        self._cursor = (self.session.t, self.session.phase)
        self._build()

    def _on_layer_changed(self, layer: int) -> None:
        self.finish_animation()
        self._build()

    def _on_pass_changed(self, followed: str) -> None:
        self._on_layer_changed(self.session.layer)

    def _on_trace_changed(self, start: int) -> None:
        self._redraw()

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        previous, self._cursor = self._cursor, (t, phase)
        self.finish_animation()
        if not self._reduced_motion and self._is_next_phase(previous, (t, phase)):
            self._animator.start()
        else:
            self.set_progress(1.0)

    def _on_unit_changed(self, unit: int) -> None:
        self._show_selected_unit()
        self._redraw()

    # -- building and drawing ------------------------------------------------------------
    def _is_next_phase(self, before: tuple[int, int], after: tuple[int, int]) -> bool:
        last = len(self.session.phases) - 1
        t, phase = before
        return after == ((t, phase + 1) if phase < last else (t + 1, 0))

    def _build(self) -> None:
        old = self._diagram
        self._diagram = scene_for(self.session, parent=self)
        self._diagram.set_palette(THEMES[self.palette_name()])
        for strip in self._diagram.strips.values():
            strip.on_click = self.session.select_unit
        self._diagram.set_highlights(self._highlights)
        self.setScene(self._diagram)
        if old is not None:
            old.deleteLater()
        self._show_selected_unit()
        self._progress = 1.0
        self._redraw()
        self._fit()

    def _show_selected_unit(self) -> None:
        """Page the unit window onto the selected unit, on a unit change and whenever the
        scene is built (a scenario or session can open on a unit past the first window,
        and no unit change announces it then)."""
        unit, size = self.session.unit, self.diagram().window_size()
        if unit >= 0 and unit not in self.unit_window():
            hidden = self.session.network.hidden_size
            self._window_start = max(0, min(unit // size * size, hidden - size))

    def _frame(self) -> Frame:
        session = self.session
        return frame_at(session, session.t, session.phase, self._progress, self._window_start)

    def _redraw(self) -> None:
        if self._diagram is not None:
            self._diagram.show_frame(self._frame())

    def _set_zoom(self, zoom: float) -> None:
        self._zoom = min(max(zoom, 1.0 / ZOOM_STEP**2), MAX_ZOOM)
        policy = (
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if self._zoom > 1.0
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.setHorizontalScrollBarPolicy(policy)
        self.setVerticalScrollBarPolicy(policy)
        self.setDragMode(
            QGraphicsView.DragMode.ScrollHandDrag
            if self._zoom > 1.0
            else QGraphicsView.DragMode.NoDrag
        )
        self._fit()

    def _fit(self) -> None:
        center = self.mapToScene(self.viewport().rect().center())
        self.fitInView(self.diagram().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        if self._zoom != 1.0:
            self.scale(self._zoom, self._zoom)
            self.centerOn(center)
        self._scale_text()

    def _scale_text(self) -> None:
        # Hidden, the view's size is not final (the window is still being laid out, or
        # another tab is in front): scaling the text now would only be redone when shown.
        if not self.isVisible():
            return
        keep_text_readable(
            self.diagram(), self.transform().m11(), self._min_text_px, self._max_text_scale
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        # Ctrl + wheel zooms like every other canvas; the plain wheel keeps scrolling.
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_in() if event.angleDelta().y() > 0 else self.zoom_out()
            event.accept()
        else:
            super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        caption = self.diagram().window_caption
        point = self.mapToScene(event.position().toPoint())
        if self.diagram().window_size() < self.session.network.hidden_size and (
            caption.sceneBoundingRect().contains(point)
        ):
            # The ◀ and ▶ ends of "units 16–31 of 64" page the unit window.
            left = point.x() < caption.sceneBoundingRect().center().x()
            self.scroll_units(-1 if left else 1)
            event.accept()
            return
        super().mousePressEvent(event)
