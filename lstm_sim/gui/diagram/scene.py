"""The diagram's scene: items built once per network, then redrawn as a pure function of
(step record, phase, progress) plus the view's choices (unit window, selected unit, theme).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import pairwise

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRect, QRectF
from PySide6.QtGui import QColor, QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsSimpleTextItem

from lstm_sim.engine.network import Kind
from lstm_sim.engine.trace import StepRecord
from lstm_sim.gui.colors import THEMES, Palette, value_colors
from lstm_sim.gui.diagram.geometry import (
    CAPTION_FONT,
    HEADER_FONT,
    LABEL_FONT,
    MAX_CELLS,
    SCENE_RECT,
    VALUE_FONT,
    Layout,
    StripGeometry,
    TextAnchor,
    gru_layout,
    lstm_layout,
    rnn_layout,
    strip_rect,
)
from lstm_sim.gui.diagram.highlights import HighlightItem
from lstm_sim.gui.diagram.items import (
    DotTrainItem,
    NodeItem,
    State,
    StripItem,
    TextItem,
    WireItem,
    cosmetic_pen,
    scene_font,
)
from lstm_sim.gui.diagram.lstm_options import lstm_options_layout, lstm_options_wiring
from lstm_sim.gui.diagram.wiring import PREVIOUS, Quantity, Wiring, relabelled, wiring_for
from lstm_sim.model.cell_options import CellOptions
from lstm_sim.model.gru_terms import gru_term
from lstm_sim.model.masked_steps import MASKED_STEP_FIELDS
from lstm_sim.model.phases import phases_for

_NO_CACHE = QGraphicsItem.CacheMode.NoCache
_EXIT_LABELS = {"c_out": "C<sub>t</sub>", "h_out": "h<sub>t</sub>", "h_up": "h<sub>t</sub>"}
_VISIBLE_WHITESPACE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


@dataclass(frozen=True, eq=False)
class Frame:
    """Everything a frame depends on besides the theme."""

    record: StepRecord
    phase: int
    progress: float
    unit: int
    window_start: int
    header: str  # rich text: the step and phase
    token: str | None  # the input token at this step, when the inputs are tokens
    masked: bool = False  # Keras's mask skips this step: only the carried state is shown


class StripLabel:
    """The label of a strip and, under it, the value of the selected unit."""

    def __init__(self, scene: QGraphicsScene, quantity: Quantity, geometry: StripGeometry):
        self.geometry = geometry
        self.label = TextItem(TextAnchor(geometry.center, "left"), LABEL_FONT)
        self.label.set_html(quantity.label)
        self.value = QGraphicsSimpleTextItem()
        self.value.setFont(scene_font(VALUE_FONT, monospace=True))
        scene.addItem(self.label)
        scene.addItem(self.value)

    def place(self, strip: QRectF) -> None:
        """On a vertical wire: label left of the strip (right of it where the scene's edge
        leaves no room), value under it beside the wire.
        On a horizontal wire: label above the strip, value after the label (or under the
        strip, where the scene's edge leaves no room after it)."""
        label = self.label.boundingRect()
        value = self.value.boundingRect()
        if self.geometry.label_side == "left":
            # A long label ("h_t of layer 0") left of a strip near the edge would leave
            # the scene: it goes right of the strip instead, clear of the wire through it.
            left = strip.left() - 10.0 - label.width()
            if left >= SCENE_RECT.left():
                self.label.setPos(left, strip.center().y() - label.height() / 2)
            else:  # its foot level with the strip's, above the value under the strip
                self.label.setPos(strip.right() + 10.0, strip.bottom() - label.height())
            self.value.setPos(strip.center().x() + 10.0, strip.bottom() + 4.0)
        else:
            top = strip.top() - 6.0 - label.height()
            self.label.setPos(strip.left(), top)
            if self.geometry.value_below:
                self.value.setPos(strip.left(), strip.bottom() + 4.0)
                return
            self.value.setPos(
                strip.left() + label.width() + 12.0,
                top + label.height() - value.height() - 4.0,
            )

    def value_spots(self, strip: QRectF) -> list[QPointF]:
        """Where the value may go besides where :meth:`place` put it, in the order tried
        when that spot runs into something: grown for a small view, a number beside a
        vertical wire reaches the next strip's label, one after a label reaches a node."""
        width = self.value.boundingRect().width()
        below = strip.bottom() + 4.0
        if self.geometry.label_side == "left":  # the other side of the wire
            return [QPointF(strip.center().x() - 10.0 - width, below)]
        return [QPointF(strip.left(), below), QPointF(strip.right() - width, below)]

    def set_colors(self, palette: Palette, *, active: bool = False) -> None:
        """Labels of what the active phase computes take the highlight colour."""
        self.label.setDefaultTextColor(palette.highlight if active else palette.foreground)
        self.value.setBrush(palette.caption)


class DiagramScene(QGraphicsScene):
    """The LSTM or simple-RNN cell, built for one network size."""

    def __init__(
        self,
        kind: Kind,
        hidden_size: int,
        input_size: int,
        x_label: str,
        *,
        show_x_strip: bool = True,
        nonlinearity: str = "tanh",
        reset_after: bool = True,
        options: CellOptions | None = None,
        previous: str = PREVIOUS,
        parent: QObject | None = None,
    ):
        """``x_label``: rich text naming the layer's input; ``show_x_strip`` False shows
        only the token for a one-hot input too long to draw; ``nonlinearity`` is a simple
        RNN's ("tanh" or "relu"); ``reset_after`` a GRU's convention (where r acts);
        ``options`` an LSTM layer's peepholes, coupling and activations (a GRU's
        activations); ``previous`` the
        index of the state the step reads ("t+1" in a reverse pass)."""
        super().__init__(parent)
        self.kind = kind
        self.projection = None if options is None else options.projection
        self.reset_after = reset_after
        self.wiring: Wiring = relabelled(wiring_for(kind, nonlinearity, reset_after), previous)
        self.layout: Layout
        if kind == "lstm" and options is not None:
            self.wiring = relabelled(lstm_options_wiring(options), previous)
            self.layout = lstm_options_layout(options)
        elif kind == "lstm":
            self.layout = lstm_layout()
        elif kind == "gru" and options is not None:
            self.layout = gru_layout(reset_after, options.gate, options.candidate)
        elif kind == "gru":
            self.layout = gru_layout(reset_after)
        else:
            self.layout = rnn_layout(nonlinearity)
        self.hidden_size = hidden_size
        self.input_size = input_size
        self.show_x_strip = show_x_strip
        self.theme_colors: Palette = THEMES["light"]
        self.setSceneRect(SCENE_RECT)
        self._phase_keys = [p.key for p in phases_for(kind)]
        self._frame: Frame | None = None

        self.nodes = {
            name: NodeItem(name, geometry, self.theme_colors)
            for name, geometry in self.layout.nodes.items()
        }
        self.wires = {
            w.name: WireItem(
                w.name, self.layout.wires[w.name], self.theme_colors, dashed=w.name == "loop"
            )
            for w in self.wiring.wires
        }
        self.dots = {
            w.name: DotTrainItem(w.name, self.layout.wires[w.name]) for w in self.wiring.wires
        }
        # A wire's path is fixed when it is made: the numbers' placement reads these
        # rectangles on every step instead of walking each path again.
        self._wire_rects = [rect for w in self.wires.values() for rect in _segment_rects(w.path())]
        self.strips: dict[str, StripItem] = {}
        self.strip_labels: dict[str, StripLabel] = {}
        for quantity in self.wiring.quantities:
            geometry = self.layout.strips[quantity.field]
            title = _plain(x_label if quantity.field == "x" else quantity.label)
            strip = StripItem(
                quantity.field,
                title,
                quantity.scale,
                partial(strip_rect, geometry),
                self.theme_colors,
            )
            self.strips[quantity.field] = strip
            if quantity.field == "x":
                quantity = Quantity("x", x_label, quantity.scale, quantity.stage)
            self.strip_labels[quantity.field] = StripLabel(self, quantity, geometry)
        for item in (*self.nodes.values(), *self.wires.values(), *self.dots.values()):
            self.addItem(item)
        for strip in self.strips.values():
            self.addItem(strip)
        self.strips["x"].setVisible(show_x_strip)

        texts = self.layout.texts
        self.header = TextItem(texts["header"], HEADER_FONT)
        self.window_caption = TextItem(texts["window"], CAPTION_FONT)
        self.token = TextItem(TextAnchor(QPointF(), "left"), LABEL_FONT * 1.2)
        self.exit_labels = {
            name: TextItem(texts[name], LABEL_FONT) for name in _EXIT_LABELS if name in texts
        }
        for name, item in self.exit_labels.items():
            item.set_html(_EXIT_LABELS[name])
        for name, html in self.wiring.node_captions.items():
            caption = TextItem(texts[name], CAPTION_FONT)
            caption.set_html(html)
            self.exit_labels[name] = caption
        if "loop" in texts:
            loop = TextItem(texts["loop"], CAPTION_FONT)
            loop.set_html(f"next step: h<sub>t</sub> becomes h<sub>{previous}</sub>")
            self.exit_labels["loop"] = loop
        for item in (self.header, self.window_caption, self.token, *self.exit_labels.values()):
            self.addItem(item)
        self.highlight = HighlightItem()
        self.addItem(self.highlight)
        self.text_scale = 1.0
        self._settled: tuple[object, dict[str, QPointF]] = (None, {})
        """The last placement of the numbers, and what it was made for."""
        self.base_text_px = self.smallest_text_px()
        """The smallest font at text scale 1: what the scale is computed from, since the
        scaled sizes are rounded to whole pixels."""
        self.set_palette(self.theme_colors)

    # -- text size and highlights ----------------------------------------------------------
    def texts(self) -> list[TextItem | QGraphicsSimpleTextItem]:
        """Every label and number the scene draws (the node symbols aside)."""
        pairs = self.strip_labels.values()
        labels = [label for pair in pairs for label in (pair.label, pair.value)]
        return [*labels, self.header, self.window_caption, self.token, *self.exit_labels.values()]

    def smallest_text_px(self) -> float:
        """The smallest font of a label or number, in scene units (times the view's scale:
        on-screen pixels)."""
        return float(min(item.font().pixelSize() for item in self.texts()))

    def set_text_scale(self, factor: float) -> None:
        """Draw every label, number and symbol ``factor`` times its base size, so a small
        view can keep its text readable while the shapes shrink."""
        if factor <= 0:
            raise ValueError(f"text scale must be positive, got {factor}")
        if factor == self.text_scale:
            return
        self.text_scale = factor
        for pair in self.strip_labels.values():
            pair.label.scale_text(factor)
            pair.value.setFont(scene_font(VALUE_FONT * factor, monospace=True))
        for item in (self.header, self.window_caption, self.token, *self.exit_labels.values()):
            item.scale_text(factor)
        for node in self.nodes.values():
            node.scale_text(factor)
        if self._frame is not None:
            self.show_frame(self._frame)  # labels are placed by their size

    def set_highlights(self, parts: tuple[str, ...]) -> None:
        """Light up the named parts (see :data:`~lstm_sim.gui.diagram.highlights.PARTS`);
        () for none."""
        self.highlight.show_parts(self.layout, parts, self.theme_colors.highlight)

    # -- sizes ---------------------------------------------------------------------------
    def window_size(self) -> int:
        """How many units a strip shows at once."""
        return min(self.hidden_size, MAX_CELLS)

    def _x_follows_units(self) -> bool:
        # x is indexed by unit only when it is the h of the layer below (D == H).
        return self.input_size == self.hidden_size

    # -- theme ---------------------------------------------------------------------------
    def set_palette(self, palette: Palette) -> None:
        self.theme_colors = palette
        self.setBackgroundBrush(palette.background)
        self.invalidate(self.sceneRect(), QGraphicsScene.SceneLayer.BackgroundLayer)
        themed: list[NodeItem | WireItem | StripItem] = [
            *self.nodes.values(),
            *self.wires.values(),
            *self.strips.values(),
        ]
        for item in themed:
            item.set_palette(palette)
        for label in self.strip_labels.values():
            label.set_colors(palette)
        for text in (self.header, self.token, *self.exit_labels.values()):
            text.setDefaultTextColor(palette.foreground)
        self.window_caption.setDefaultTextColor(palette.caption)
        self.highlight.show_parts(self.layout, self.highlight.parts, palette.highlight)
        if self._frame is not None:
            self.show_frame(self._frame)

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        # The cell's frame never changes during a step: drawn with the background, which
        # the view caches, a step does not blend this large translucent fill again.
        painter.fillRect(rect, self.theme_colors.background)
        frame_fill = QColor(self.theme_colors.foreground)
        frame_fill.setAlphaF(0.04)
        painter.setPen(cosmetic_pen(self.theme_colors.line_dim, 2.0))
        painter.setBrush(frame_fill)
        painter.drawRect(self.layout.cell_frame)

    def render_vector(self, painter: QPainter, target: QRectF, source: QRectF) -> None:
        """Render ``source`` into ``target`` as shapes and text, never as the pixmaps that
        items cache for the screen (an SVG must stay sharp and searchable)."""
        cached = [
            (item, item.cacheMode()) for item in self.items() if item.cacheMode() != _NO_CACHE
        ]
        for item, _mode in cached:
            item.setCacheMode(_NO_CACHE)
        try:
            self.render(painter, target, source)
        finally:
            for item, mode in cached:
                item.setCacheMode(mode)

    # -- the frame -----------------------------------------------------------------------
    def _state(self, phase_key: str, phase: int) -> State:
        index = self._phase_keys.index(phase_key)
        if index < phase:
            return "done"
        return "active" if index == phase else "pending"

    def _window(self, field: str, start: int) -> tuple[int, int, bool]:
        if field == "x" and not self.show_x_strip:
            return 0, 0, False
        if field == "x" and not self._x_follows_units():
            return 0, min(self.input_size, MAX_CELLS), False
        if field in ("h", "h_prev") and self.projection is not None:
            # P wide, its units are not the cell's: shown whole (up to MAX_CELLS).
            return 0, min(self.projection, MAX_CELLS), False
        return start, self.window_size(), True

    def _values(self, record: StepRecord, field: str, start: int) -> np.ndarray:
        first, count, _ = self._window(field, start)
        if any(field == product.field for product in self.wiring.derived):
            values = gru_term(record, field, self.reset_after)
        else:
            values = getattr(record, field)
        return np.asarray(values[first : first + count])

    def show_frame(self, frame: Frame) -> None:
        """Redraw for ``frame``. Every item compares before it repaints, so only what
        changed since the last frame is touched (the trace may have changed in place)."""
        self._frame = frame
        record, phase, progress = frame.record, frame.phase, frame.progress
        active_key = self._phase_keys[phase]
        stages = self.wiring.stage_count(active_key)

        def stage_done(stage: int) -> bool:
            return progress * stages >= stage + 1 - 1e-9

        for name, node in self.nodes.items():
            node.set_state(self._state(self.wiring.node_phases[name], phase))
        for wire in self.wiring.wires:
            self.wires[wire.name].set_state(self._state(wire.phase, phase))
            head = None
            if wire.phase == active_key and progress < 1.0:
                local = progress * stages - wire.stage
                head = local if 0.0 <= local <= 1.0 else None
            colors: list[QColor] = []
            if head is not None:
                for field in self._shown_fields(wire.carries, frame.masked):
                    values = self._values(record, field, frame.window_start)
                    scale = self.wiring.quantity(field).scale
                    colors += value_colors(values, scale, self.theme_colors.name)
            # A long concatenation would make a train longer than the wire it rides on.
            colors = colors[:MAX_CELLS]
            self.dots[wire.name].set_train(head, colors, self.theme_colors.foreground)
        for quantity in self.wiring.quantities:
            strip = self.strips[quantity.field]
            first, count, selectable = self._window(quantity.field, frame.window_start)
            strip.set_window(first, count, selectable=selectable)
            strip.set_selected(frame.unit)
            state = self._state(self.wiring.quantity_phase(quantity.field), phase)
            filled = state == "done" or (state == "active" and stage_done(quantity.stage))
            if frame.masked and quantity.field not in MASKED_STEP_FIELDS:
                filled = False  # computed by the kernels, then discarded: not the model's
            values = self._values(record, quantity.field, frame.window_start)
            strip.set_values(values if filled else None)
            label = self.strip_labels[quantity.field]
            if filled and selectable and frame.unit in strip.units():
                label.value.setText(f"{values[frame.unit - first]:+.4f}")
            else:
                label.value.setText("")
            label.place(strip_rect(self.layout.strips[quantity.field], count))
            label.set_colors(self.theme_colors, active=state == "active")
        self.header.set_html(frame.header)
        self.token.set_html("" if frame.token is None else _token_html(frame.token))
        x_strip = strip_rect(self.layout.strips["x"], len(self.strips["x"].units()))
        height = self.token.boundingRect().height()
        self.token.setPos(x_strip.right() + 18.0, x_strip.center().y() - height / 2)
        self.window_caption.set_html(self._window_text(frame.window_start, frame.unit))
        _keep_inside(self.window_caption, self.sceneRect())
        self._settle_values()

    def _settle_values(self) -> None:
        """Move a number that runs into other text, a node or a strip to the first of its
        spots that is clear of them and inside the scene, each spot tried as it is and
        then slid down past what it meets, at most twice the number's height (a number
        with no clear spot stays where it was placed). A spot clear of the wires too is
        preferred: a line through a number makes it hard to read."""
        shown = [(f, pair) for f, pair in self.strip_labels.items() if pair.value.text()]
        if not shown:
            return
        fixed = (self.header, self.window_caption, self.token, *self.exit_labels.values())
        taken = [item.sceneBoundingRect() for item in fixed]
        # A flow redraws many frames with the same numbers: placed once for them.
        key = (
            self.text_scale,
            tuple(rect.getRect() for rect in taken[:3]),
            tuple((f, len(pair.value.text()), pair.value.pos().toTuple()) for f, pair in shown),
        )
        if key == self._settled[0]:
            for field, pos in self._settled[1].items():
                self.strip_labels[field].value.setPos(pos)
            return
        taken += [pair.label.sceneBoundingRect() for pair in self.strip_labels.values()]
        taken += [node.sceneBoundingRect() for node in self.nodes.values()]
        taken += [strip.sceneBoundingRect() for strip in self.strips.values() if strip.isVisible()]
        bounds = self.sceneRect()
        for field, pair in shown:
            size = pair.value.boundingRect().size()
            strip = strip_rect(self.layout.strips[field], len(self.strips[field].units()))
            spots = [pair.value.pos(), *pair.value_spots(strip)]
            for obstacles in (taken + self._wire_rects, taken):
                clear = next(
                    (c for s in spots if (c := _slid_clear(QRectF(s, size), obstacles, bounds))),
                    None,
                )
                if clear is not None:
                    pair.value.setPos(clear)
                    break
            taken.append(pair.value.sceneBoundingRect())
        self._settled = (key, {field: pair.value.pos() for field, pair in shown})

    @staticmethod
    def _shown_fields(fields: tuple[str, ...], masked: bool) -> tuple[str, ...]:
        """The fields a wire's dots colour: at a masked step only the carried state."""
        return tuple(f for f in fields if not masked or f in MASKED_STEP_FIELDS)

    def _window_text(self, start: int, unit: int) -> str:
        count = self.window_size()
        pinned = "no unit pinned" if unit < 0 else f"numbers: unit {unit}"
        if count == self.hidden_size:
            return f"{pinned} &nbsp;·&nbsp; H = {self.hidden_size} units"
        shown = f"◀ units {start}–{start + count - 1} of {self.hidden_size} ▶"
        return f"{pinned} &nbsp;·&nbsp; {shown}"


def _segment_rects(path: QPainterPath) -> list[QRectF]:
    """Thin rectangles around each straight segment of a wire (every wire is a polyline)."""
    points = [path.elementAt(k) for k in range(path.elementCount())]
    return [
        QRectF(QPointF(a.x, a.y), QPointF(b.x, b.y)).normalized().adjusted(-3, -3, 3, 3)
        for a, b in pairwise(points)
        if b.isLineTo()
    ]


def _slid_clear(rect: QRectF, taken: list[QRectF], bounds: QRectF) -> QPointF | None:
    """Where ``rect`` meets none of ``taken`` inside ``bounds``: at its place or slid down
    past what it meets, at most twice its height; None if nowhere."""
    lowest = rect.top() + 2.0 * rect.height()
    while rect.top() <= lowest and bounds.contains(rect):
        hits = [other for other in taken if rect.intersects(other)]
        if not hits:
            return rect.topLeft()
        rect.moveTop(max(other.bottom() for other in hits) + 2.0)
    return None


def _keep_inside(item: TextItem, bounds: QRectF) -> None:
    """Move ``item`` up and left from its anchor until it ends inside ``bounds``: text grown
    for a small view would otherwise run off the scene's bottom or right edge."""
    rect = item.sceneBoundingRect()
    dx = min(0.0, bounds.right() - rect.right())
    dy = min(0.0, bounds.bottom() - rect.bottom())
    if dx or dy:
        item.moveBy(dx, dy)


def _plain(html: str) -> str:
    """Tooltip text for a rich-text label: C<sub>t</sub> becomes C_t."""
    return (
        html.replace("<sub>", "_").replace("</sub>", "").replace("<sup>", "^").replace("</sup>", "")
    )


def _token_html(token: str) -> str:
    shown = "".join(_VISIBLE_WHITESPACE.get(ch, ch) for ch in token)
    escaped = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"‘<span style='font-family: DejaVu Sans Mono'>{escaped}</span>’"
