"""The graphics items of the diagram: layer and pointwise nodes, wires, value strips and
the trains of dots that carry a vector along a wire.

Items are built once per network and only restyled on a frame; each paints itself so a
strip of 16 cells is one item, not 16.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from lstm_sim.gui.colors import Palette, value_colors
from lstm_sim.gui.diagram.geometry import (
    CELL_HEIGHT,
    SYMBOL_FONT,
    NodeGeometry,
    TextAnchor,
)

State = Literal["pending", "done", "active"]
"""pending: not computed yet at the cursor; done: computed earlier; active: this phase."""

WIRE_WIDTH = 3.0  # device pixels: cosmetic pens stay crisp at any zoom
ACTIVE_WIRE_WIDTH = 5.0
ARROW_LENGTH = 18.0
ARROW_HALF_WIDTH = 8.0
DOT_RADIUS = 7.0
DOT_SPACING = 17.0


def scene_font(pixel_size: float, *, monospace: bool = False, bold: bool = False) -> QFont:
    """A font sized in scene units, so text scales with the view like everything else."""
    font = QFont("DejaVu Sans Mono" if monospace else "DejaVu Sans")
    font.setPixelSize(round(pixel_size))
    font.setBold(bold)
    return font


def cosmetic_pen(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style, Qt.PenCapStyle.FlatCap, Qt.PenJoinStyle.MiterJoin)
    pen.setCosmetic(True)
    return pen


class TextItem(QGraphicsTextItem):
    """Rich text (subscripts as <sub>) kept aligned to a fixed anchor as it changes."""

    def __init__(self, anchor: TextAnchor, pixel_size: float, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.anchor = anchor
        self.document().setDocumentMargin(0)
        self.setFont(scene_font(pixel_size))
        # Laying out and shaping rich text is the costly part of painting it; most labels
        # never change, so they are painted from a pixmap.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._html = ""

    def set_html(self, html: str) -> None:
        if html != self._html:
            self._html = html
            self.setHtml(html)
            self._align()

    def _align(self) -> None:
        width = self.boundingRect().width()
        shift = {"left": 0.0, "right": width, "center": width / 2}[self.anchor.align]
        self.setPos(self.anchor.point.x() - shift, self.anchor.point.y())


class NodeItem(QGraphicsItem):
    """A yellow layer box (σ, tanh) or a pink pointwise operation (×, +, tanh)."""

    def __init__(self, name: str, geometry: NodeGeometry, palette: Palette):
        super().__init__()
        self.name = name
        self.geometry = geometry
        self._rect = geometry.rect()
        self._palette = palette
        self._state: State = "done"
        self._font = scene_font(SYMBOL_FONT if len(geometry.symbol) == 1 else SYMBOL_FONT * 0.8)
        self.setZValue(3)
        # A step repaints most of the view; a node changes only with its state, so it is
        # drawn once into a pixmap and then copied (its antialiased fill is the costly part).
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def state(self) -> State:
        return self._state

    def set_state(self, state: State) -> None:
        if state != self._state:
            self._state = state
            self.update()

    def set_palette(self, palette: Palette) -> None:
        self._palette = palette
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-6, -6, 6, 6)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = self._palette
        layer = self.geometry.kind == "layer"
        fill = QColor(palette.layer_box if layer else palette.pointwise)
        text = QColor(palette.layer_text if layer else palette.pointwise_text)
        border = QColor(palette.line)
        width = 2.0
        if self._state == "pending":
            # Not computed yet: the shape stays readable but steps back.
            fill.setAlphaF(0.35)
            text.setAlphaF(0.5)
            border = QColor(palette.line_dim)
        elif self._state == "active":
            border, width = QColor(palette.highlight), 5.0
        painter.setPen(cosmetic_pen(border, width))
        painter.setBrush(QBrush(fill))
        radius = 10.0 if layer else self._rect.height() / 2
        painter.drawRoundedRect(self._rect, radius, radius)
        painter.setPen(text)
        painter.setFont(self._font)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.geometry.symbol)


class WireItem(QGraphicsItem):
    """A line carrying a vector, with an arrow head where it enters its target."""

    def __init__(self, name: str, path: QPainterPath, palette: Palette, *, dashed: bool = False):
        super().__init__()
        self.name = name
        self._path = path
        self._palette = palette
        self._dashed = dashed
        self._state: State = "done"
        self._arrow = self._arrow_head(path)
        self._bounds = path.boundingRect().united(self._arrow.boundingRect()).adjusted(-4, -4, 4, 4)
        self.setZValue(1)
        self._style()

    @staticmethod
    def _arrow_head(path: QPainterPath) -> QPolygonF:
        tip = path.pointAtPercent(1.0)
        before = path.pointAtPercent(path.percentAtLength(max(path.length() - 1.0, 0.0)))
        direction = tip - before
        norm = max((direction.x() ** 2 + direction.y() ** 2) ** 0.5, 1e-9)
        ux, uy = direction.x() / norm, direction.y() / norm
        base = QPointF(tip.x() - ux * ARROW_LENGTH, tip.y() - uy * ARROW_LENGTH)
        side = QPointF(-uy * ARROW_HALF_WIDTH, ux * ARROW_HALF_WIDTH)
        return QPolygonF([tip, base + side, base - side])

    def path(self) -> QPainterPath:
        return self._path

    def state(self) -> State:
        return self._state

    def set_state(self, state: State) -> None:
        if state != self._state:
            self._state = state
            # Lit wires above dim ones where they share a segment of the bus.
            self.setZValue({"pending": 0.5, "done": 1.0, "active": 1.5}[state])
            self._style()

    def set_palette(self, palette: Palette) -> None:
        self._palette = palette
        self._style()

    def _style(self) -> None:
        # Pen and colour are made when they change, not on each of the frames that
        # repaint a wire under a moving dot.
        self._color = {
            "pending": self._palette.line_dim,
            "done": self._palette.line,
            "active": self._palette.highlight,
        }[self._state]
        width = ACTIVE_WIRE_WIDTH if self._state == "active" else WIRE_WIDTH
        style = Qt.PenStyle.DashLine if self._dashed else Qt.PenStyle.SolidLine
        self._pen = cosmetic_pen(self._color, width, style)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(self._pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._color)
        painter.drawPolygon(self._arrow)


class StripItem(QGraphicsItem):
    """One vector as a row of cells, one per unit of the visible window.

    Cells are coloured on the fixed scale of the quantity; an empty strip (not computed
    yet at the cursor) shows grey dashed outlines. Hovering a cell shows its exact value,
    clicking it calls ``on_click(unit)``.
    """

    def __init__(
        self,
        field: str,
        title: str,
        scale: str,
        rect_for: Callable[[int], QRectF],
        palette: Palette,
    ):
        super().__init__()
        self.field = field
        self.title = title  # plain text for tooltips, e.g. "f_t"
        self.color_scale = scale
        self._rect_for = rect_for
        self._palette = palette
        self._first = 0
        self._values: np.ndarray | None = None
        self._colors: list[QColor] = []
        self._count = 0
        self._rect = QRectF()
        self._cells: list[QRectF] = []
        self._selected = -1
        self._selectable = True
        self.on_click: Callable[[int], None] | None = None
        self.setAcceptHoverEvents(True)
        self.setZValue(4)
        # Redrawn from a pixmap when a neighbour changes; re-rendered only when it does.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    # -- what tests and the scene read ---------------------------------------------------
    def values(self) -> np.ndarray | None:
        """The values shown, shape (N,), or None while the strip is empty."""
        return None if self._values is None else self._values.copy()

    def is_filled(self) -> bool:
        return self._values is not None

    def units(self) -> range:
        """The unit (or feature) indices of the cells, left to right."""
        return range(self._first, self._first + self._count)

    def colors(self) -> list[QColor]:
        """The fill colour of each cell; empty while the strip is empty."""
        return [QColor(c) for c in self._colors]

    def cell_rect(self, index: int) -> QRectF:
        """Scene rectangle of the cell of unit ``index`` (an element of :meth:`units`)."""
        if index not in self.units():
            raise ValueError(f"unit {index} is not shown; the strip shows {self.units()}")
        return self._cell_box(index - self._first)

    def selected_unit(self) -> int:
        return self._selected

    # -- updates -------------------------------------------------------------------------
    def set_window(self, first: int, count: int, *, selectable: bool) -> None:
        """Show ``count`` cells for units ``first``..first+count-1."""
        if (first, count, selectable) != (self._first, self._count, self._selectable):
            self.prepareGeometryChange()
            self._first, self._count, self._selectable = first, count, selectable
            self._rect = self._rect_for(count)
            self._cells = [self._cell_box(k) for k in range(count)]
            self.update()

    def set_values(self, values: np.ndarray | None) -> None:
        """Fill the cells with ``values`` (N,) or empty them with None."""
        if values is None:
            if self._values is not None:
                self._values, self._colors = None, []
                self.update()
            return
        if values.shape != (self._count,):
            raise ValueError(
                f"{self.field} values have shape {values.shape}, expected ({self._count},)"
            )
        if self._values is not None and np.array_equal(values, self._values):
            return
        self._values = np.array(values, dtype=float)
        self._colors = value_colors(self._values, self.color_scale, self._palette.name)
        self.update()

    def set_selected(self, unit: int) -> None:
        if unit != self._selected:
            self._selected = unit
            self.update()

    def set_palette(self, palette: Palette) -> None:
        self._palette = palette
        if self._values is not None:
            self._colors = value_colors(self._values, self.color_scale, palette.name)
        self.update()

    # -- Qt ------------------------------------------------------------------------------
    def _cell_width(self) -> float:
        return self._rect.width() / max(self._count, 1)

    def _cell_box(self, k: int) -> QRectF:
        width = self._cell_width()
        return QRectF(self._rect.left() + k * width, self._rect.top(), width, CELL_HEIGHT)

    def _cell_at(self, pos: QPointF) -> int | None:
        k = int((pos.x() - self._rect.left()) // self._cell_width())
        return k if 0 <= k < self._count and self._rect.contains(pos) else None

    def unit_at(self, scene_pos: QPointF) -> int | None:
        """The unit (or feature) whose cell is drawn at ``scene_pos``, or None."""
        k = self._cell_at(self.mapFromScene(scene_pos))
        return None if k is None else self._first + k

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-4, -4, 4, 4)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = self._palette
        # Cell rectangles are made when the window changes; a paint fills them and
        # outlines all of them in one call.
        if self._values is None:
            painter.setPen(cosmetic_pen(palette.empty, 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(palette.background)
        else:
            for rect, color in zip(self._cells, self._colors, strict=True):
                painter.fillRect(rect, color)
            painter.setPen(cosmetic_pen(palette.foreground, 1.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRects(self._cells)
        k = self._selected - self._first
        if self._selectable and 0 <= k < self._count:
            painter.setPen(cosmetic_pen(palette.highlight, 4.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self._cell_box(k).adjusted(-2, -3, 2, 3))

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        k = self._cell_at(event.pos())
        if k is None:
            self.setToolTip("")
            return
        what = "unit" if self._selectable else "feature"
        value = "not computed yet" if self._values is None else f"{self._values[k]:.4f}"
        self.setToolTip(f"{self.title}, {what} {self._first + k}: {value}")

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        k = self._cell_at(event.pos())
        if k is None or not self._selectable or event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        if self.on_click is not None:
            self.on_click(self._first + k)
        event.accept()


class DotTrainItem(QGraphicsItem):
    """A vector travelling along a wire: one dot per element, coloured by its value.

    The train's head is at ``head`` (a fraction of the way from the wire's start,
    counting the train's own length, so 0 is before the first dot enters and 1 after the
    last has arrived); dots outside the wire are not drawn.
    """

    def __init__(self, name: str, path: QPainterPath):
        super().__init__()
        self.name = name
        self._path = path
        self._length = path.length()
        self._bounds = QRectF()
        self._colors: list[QColor] = []
        self._points: list[QPointF] = []
        self._outline = QColor("#000000")
        self.setZValue(6)
        self.setVisible(False)

    def positions(self) -> list[QPointF]:
        """Scene positions of the dots on the wire now, head first."""
        return [QPointF(p) for p in self._points]

    def colors(self) -> list[QColor]:
        """The colours of the dots on the wire now, head first."""
        return [QColor(c) for c in self._colors]

    def set_train(self, head: float | None, colors: Sequence[QColor], outline: QColor) -> None:
        """Place the train (``head`` in 0..1) or hide it (None)."""
        if head is None or not colors:
            if self.isVisible():
                self.setVisible(False)
                self._points = []
            return
        train = (len(colors) - 1) * DOT_SPACING
        head_at = head * (self._length + train)
        self._points, self._colors = [], []
        for k, color in enumerate(colors):
            along = head_at - k * DOT_SPACING
            if 0.0 < along <= self._length:
                self._points.append(self._path.pointAtPercent(self._path.percentAtLength(along)))
                self._colors.append(color)
        self._outline = outline
        # Bounds hug the dots, not the whole wire: a frame then repaints only where the
        # train was and where it is, not every item along a long wire.
        bounds = QPolygonF(self._points).boundingRect()
        margin = DOT_RADIUS + 2
        bounds = bounds.adjusted(-margin, -margin, margin, margin) if self._points else QRectF()
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self.setVisible(True)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(cosmetic_pen(self._outline, 1.5))
        for point, color in zip(self._points, self._colors, strict=True):
            painter.setBrush(color)
            painter.drawEllipse(point, DOT_RADIUS, DOT_RADIUS)
