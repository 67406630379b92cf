"""The network unrolled in time: Olah's chain of repeating modules, live.

Five consecutive steps, the cursor's in the middle drawn large with its gates, its
neighbours compact. The cell state's belt runs straight through every LSTM cell along
the top, h_{t-1} enters each cell from the left and h_t leaves it to the right (and up);
each cell shows colour strips of its c_t and h_t from the trace (the gates too for the
large one), and steps not computed yet stay empty outlines. Stepping slides the chain:
the items are built once per network and a step recolours only the cells that changed.
A GRU has no belt: its chain is the simple RNN's, the large cell showing r, z, n and h.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from psygnal import SignalInstance
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from lstm_sim.engine.trace import StepRecord
from lstm_sim.gui.colors import CONTRAST, THEMES, Palette, value_colors
from lstm_sim.gui.diagram.geometry import MAX_CELLS
from lstm_sim.gui.diagram.items import cosmetic_pen, scene_font
from lstm_sim.model import Session
from lstm_sim.model.masked_steps import MASKED_STEP_FIELDS, step_is_masked
from lstm_sim.model.phases import computed_fields
from lstm_sim.model.view_settings import ViewSettings

SLOTS = 5
"""Steps drawn: the cursor's and two on each side."""
CENTRE = SLOTS // 2
SCENE = QRectF(0.0, 0.0, 2000.0, 820.0)
BELT_Y = 150.0
H_Y = 560.0
"""The h wire runs through every cell's h strip, as the belt runs through its c strip."""
LARGE = QRectF(0.0, 90.0, 640.0, 600.0)
"""The cursor's cell (x is set per slot)."""
SMALL = QRectF(0.0, 140.0, 250.0, 500.0)
GAP = 50.0
ENTRY_ROOM = 130.0
"""Left of the first cell: the h_{t-1} that enters the chain is named there."""
TEXT_PX = 46.0
"""Every label and title: 14 px on screen where the chain is 620 pixels wide (720p)."""
STRIP_HEIGHT = 26.0
GATES = ("f", "i", "g", "o")
GRU_GATES = ("r", "z", "n")
LABELS = {
    "c": "c",
    "h": "h",
    "f": "f",
    "i": "i",
    "g": "g",
    "o": "o",
    "pre": "W·[h,x]+b",
    "r": "r",
    "z": "z",
    "n": "n",
}
SCALES = {
    "f": "gate",
    "i": "gate",
    "o": "gate",
    "g": "signed",
    "c": "signed",
    "h": "signed",
    "pre": "signed",
    "r": "gate",
    "z": "gate",
    "n": "signed",
}


@dataclass
class _Strip:
    """A row of value cells: one rectangle per unit of the window."""

    cells: list[QGraphicsRectItem]
    colors: list[QColor | None]


class _Cell:
    """One step of the chain: its box, its caption and its strips."""

    def __init__(
        self,
        scene: QGraphicsScene,
        rect: QRectF,
        fields: tuple[str, ...],
        units: int,
        *,
        labelled: bool,
    ):
        self.rect = rect
        self.box = QGraphicsRectItem(rect)
        self.box.setZValue(1)
        scene.addItem(self.box)
        self.title = QGraphicsSimpleTextItem()
        self.title.setFont(scene_font(TEXT_PX))
        self.title.setZValue(4)
        scene.addItem(self.title)
        self.labels: dict[str, QGraphicsSimpleTextItem] = {}
        self.strips: dict[str, _Strip] = {}
        rows = _rows(rect, fields)
        width = min(rect.width() - 90.0, units * 30.0)
        left = rect.center().x() - width / 2 + 20.0
        if labelled:
            # The strips start right of the longest label ("W·[h,x]+b"), inside the box.
            room = max(_label_width(LABELS[field]) for field in fields) + 12.0 + 16.0
            width = min(rect.width() - room - 20.0, units * 30.0)
            left = max(left, rect.left() + room)
        for field, y in rows.items():
            step = width / units
            cells = []
            for k in range(units):
                item = QGraphicsRectItem(QRectF(left + k * step, y, step, STRIP_HEIGHT))
                item.setZValue(3)
                scene.addItem(item)
                cells.append(item)
            self.strips[field] = _Strip(cells, [None] * units)
            if not labelled:
                continue
            label = QGraphicsSimpleTextItem(LABELS[field])
            label.setFont(scene_font(TEXT_PX))
            label.setZValue(4)
            height = label.boundingRect().height()
            label.setPos(
                left - 12.0 - label.boundingRect().width(), y + STRIP_HEIGHT / 2 - height / 2
            )
            scene.addItem(label)
            self.labels[field] = label
        self.shown: tuple[int, int, int, str] | None = None
        """(t, last phase drawn, unit window start, palette) of what the strips show."""


def _label_width(text: str) -> float:
    return QFontMetricsF(scene_font(TEXT_PX)).horizontalAdvance(text)


def _rows(rect: QRectF, fields: tuple[str, ...]) -> dict[str, float]:
    """The y of each strip in a cell: c at the top (on the belt), h at the bottom, the
    gates between them."""
    rows: dict[str, float] = {}
    if "c" in fields:
        rows["c"] = BELT_Y - STRIP_HEIGHT / 2
    rows["h"] = H_Y - STRIP_HEIGHT / 2
    middle = [f for f in fields if f not in ("c", "h")]
    top, bottom = BELT_Y + 70.0, rows["h"] - 90.0
    for k, field in enumerate(middle):
        rows[field] = top + (bottom - top) * k / max(len(middle) - 1, 1)
    return rows


class UnrolledScene(QGraphicsScene):
    """The chain for one network: built once, redrawn by :meth:`show`."""

    def __init__(self, kind: str, hidden_size: int) -> None:
        super().__init__()
        self.kind = kind
        self.units = min(hidden_size, MAX_CELLS)
        self.setSceneRect(SCENE)
        self.palette_: Palette = THEMES["light"]
        lstm = kind == "lstm"
        widths = [LARGE.width() if k == CENTRE else SMALL.width() for k in range(SLOTS)]
        x = ENTRY_ROOM
        self.cells: list[_Cell] = []
        for k, width in enumerate(widths):
            shape = LARGE if k == CENTRE else SMALL
            rect = QRectF(x, shape.top(), width, shape.height())
            fields: tuple[str, ...] = ("c", "h") if lstm else ("h",)
            if k == CENTRE:
                fields = ("c", *GATES, "h") if lstm else ("pre", "h")
                if kind == "gru":
                    fields = (*GRU_GATES, "h")
            self.cells.append(_Cell(self, rect, fields, self.units, labelled=k == CENTRE))
            x += width + GAP
        self.wires = QGraphicsPathItem(self._wire_path(lstm))
        self.wires.setZValue(2)
        self.addItem(self.wires)
        self.entry = QGraphicsSimpleTextItem("h\u209c\u208b\u2081")  # h_{t-1}
        self.entry.setFont(scene_font(TEXT_PX))
        self.entry.setPos(10.0, H_Y + 10.0)
        self.addItem(self.entry)
        if lstm:
            self.belt_label = QGraphicsSimpleTextItem("c: the belt")
            self.belt_label.setFont(scene_font(TEXT_PX))
            self.belt_label.setPos(10.0, BELT_Y - 70.0)
            self.addItem(self.belt_label)
        self.unit_mark = QGraphicsRectItem()
        self.unit_mark.setZValue(5)
        self.addItem(self.unit_mark)
        # The simple RNN's one layer, between its pre-activation and h: Olah's tanh box.
        self.layer_box: QGraphicsRectItem | None = None
        if kind == "rnn":
            rows = _rows(self.cells[CENTRE].rect, ("pre", "h"))
            middle = (rows["pre"] + rows["h"] + STRIP_HEIGHT) / 2
            centre_x = self.cells[CENTRE].rect.center().x()
            self.layer_box = QGraphicsRectItem(QRectF(centre_x - 90, middle - 40, 180, 80))
            self.layer_box.setZValue(3)
            self.addItem(self.layer_box)
            self.layer_text = QGraphicsSimpleTextItem("tanh")
            self.layer_text.setFont(scene_font(TEXT_PX))
            self.layer_text.setZValue(4)
            bounds = self.layer_text.boundingRect()
            self.layer_text.setPos(centre_x - bounds.width() / 2, middle - bounds.height() / 2)
            self.addItem(self.layer_text)

    def _wire_path(self, lstm: bool) -> QPainterPath:
        path = QPainterPath()
        # h runs left to right through every cell, entering the first from outside.
        path.moveTo(0.0, H_Y)
        path.lineTo(SCENE.width(), H_Y)
        if lstm:
            path.moveTo(0.0, BELT_Y)
            path.lineTo(SCENE.width(), BELT_Y)
        for cell in self.cells:
            # x_t enters from below, h_t leaves upwards; right of the step's title.
            wire_x = cell.rect.left() + cell.rect.width() * 0.75
            path.moveTo(wire_x, SCENE.bottom())
            path.lineTo(wire_x, cell.rect.bottom())
            path.moveTo(wire_x, cell.rect.top())
            path.lineTo(wire_x, SCENE.top() + 10.0)
        return path

    def set_palette(self, palette: Palette) -> None:
        self.palette_ = palette
        self.setBackgroundBrush(palette.background)
        self.wires.setPen(cosmetic_pen(palette.line, 3.0))
        self.unit_mark.setPen(cosmetic_pen(palette.highlight, 3.0))
        for item in self.items():
            if isinstance(item, QGraphicsSimpleTextItem):
                item.setBrush(palette.foreground)
        if self.layer_box is not None:
            self.layer_box.setBrush(palette.layer_box)
            self.layer_box.setPen(cosmetic_pen(palette.line, 2.0))
            self.layer_text.setBrush(palette.layer_text)
        for cell in self.cells:
            cell.shown = None  # recolour everything once

    def show(self, session: Session, window_start: int) -> None:
        """The chain around the cursor; a cell whose step, phase and window did not
        change keeps its items untouched."""
        t, phase = session.t, session.phase
        last_phase = len(session.phases) - 1
        palette = self.palette_
        for k, cell in enumerate(self.cells):
            step = t + k - CENTRE
            exists = 0 <= step < session.num_steps
            # Steps the shown pass ran before the cursor's are complete (the later ones in
            # time for a reverse pass), the others not yet computed.
            done = step > t if session.shown_pass == "reverse" else step < t
            drawn = last_phase if done else (phase if step == t else -1)
            key = (step, drawn, window_start, palette.name) if exists else None
            active = k == CENTRE
            frame = QColor(palette.highlight if active else palette.line)
            if not exists or drawn < 0:
                frame = QColor(palette.line_dim)
            cell.box.setPen(cosmetic_pen(frame, 5.0 if active else 2.5))
            fill = QColor(palette.foreground)
            fill.setAlphaF(0.06 if exists else 0.0)
            cell.box.setBrush(QBrush(fill))
            token = session.tokens[step] if exists and session.tokens is not None else None
            masked = exists and step_is_masked(session.trace, step)
            title = f"t = {step}{' masked' if masked else ''}" if exists else ""
            if token is not None and active:
                title += f"  ‘{token.strip() or '␣'}’"
            cell.title.setText(title)
            cell.title.setPos(cell.rect.left() + 6.0, cell.rect.bottom() + 6.0)
            if key == cell.shown:
                continue
            cell.shown = key
            record = session.shown.step(session.layer, step) if exists else None
            known = computed_fields(session.network.kind, drawn) if drawn >= 0 else frozenset()
            if masked:
                known &= MASKED_STEP_FIELDS  # its gates were discarded: not the model's
            for field, strip in cell.strips.items():
                values = None
                if record is not None and field in known:
                    values = _window(record, field, window_start, self.units)
                _paint_strip(strip, values, SCALES[field], palette)
        self._mark_unit(session.unit - window_start)

    def _mark_unit(self, index: int) -> None:
        strips = self.cells[CENTRE].strips
        if not 0 <= index < self.units:
            self.unit_mark.setVisible(False)
            return
        top = min(s.cells[index].rect().top() for s in strips.values())
        bottom = max(s.cells[index].rect().bottom() for s in strips.values())
        cell = strips["h"].cells[index].rect()
        self.unit_mark.setRect(
            QRectF(cell.left(), top, cell.width(), bottom - top).adjusted(-3, -3, 3, 3)
        )
        self.unit_mark.setVisible(True)

    def strip_colors(self, slot: int, field: str) -> list[QColor | None]:
        """The colours slot ``slot``'s strip of ``field`` shows (None: not computed)."""
        return list(self.cells[slot].strips[field].colors)


def _window(record: StepRecord, field: str, start: int, count: int) -> np.ndarray:
    values = getattr(record, field)
    return np.asarray(values[start : start + count])


def _paint_strip(strip: _Strip, values: np.ndarray | None, scale: str, palette: Palette) -> None:
    colors: list[QColor | None]
    if values is None:
        colors = [None] * len(strip.cells)
    else:
        # A projected h_t has P < H units: the cells past them stay empty.
        colors = list(value_colors(values, scale, palette.name))
        colors += [None] * (len(strip.cells) - len(colors))
    for item, old, new in zip(strip.cells, strip.colors, colors, strict=True):
        if old == new and old is not None:
            continue
        if new is None:
            item.setBrush(Qt.BrushStyle.NoBrush)
            item.setPen(cosmetic_pen(palette.empty, 1.0))
        else:
            item.setBrush(new)
            item.setPen(cosmetic_pen(palette.foreground, 1.0))
    strip.colors = colors


class UnrolledView(QGraphicsView):
    """The session's network unrolled around the cursor, for the selected layer."""

    def __init__(
        self,
        session: Session,
        view_settings: ViewSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.view_settings = view_settings
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setMinimumSize(320, 140)
        self._contrast = False
        self.chain: UnrolledScene
        self._build()
        view_settings.theme_changed.connect(self._on_theme_changed)
        for signal, handler in self._links():
            signal.connect(handler)

    def _links(self) -> list[tuple[SignalInstance, Callable[..., None]]]:
        session = self.session
        return [
            (session.network_changed, self._build),
            (session.layer_changed, self._on_changed),
            (session.trace_changed, self._on_trace_changed),
            (session.pass_changed, self._on_trace_changed),  # other numbers, same steps
            (session.cursor_changed, self._on_changed),
            (session.unit_changed, self._on_changed),
        ]

    def detach(self) -> None:
        self.view_settings.theme_changed.disconnect(self._on_theme_changed)
        for signal, handler in self._links():
            signal.disconnect(handler)

    def set_contrast(self, on: bool) -> None:
        self._contrast = bool(on)
        self._on_theme_changed(self.view_settings.theme)

    def window_start(self) -> int:
        """The first unit every strip shows: the page of 16 that holds the selected unit,
        moved back so the window stays full (as the cell's: units 8–23 of 24 for unit 20)."""
        unit, size = max(self.session.unit, 0), self.chain.units
        return min(unit // size * size, self.session.network.hidden_size - size)

    def steps_shown(self) -> list[int | None]:
        """The step of each cell, left to right (None: before 0 or past the end)."""
        t, total = self.session.t, self.session.num_steps
        return [s if 0 <= s < total else None for s in (t + k - CENTRE for k in range(SLOTS))]

    def _build(self) -> None:
        network = self.session.network
        self.chain = UnrolledScene(network.kind, network.hidden_size)
        self.chain.setParent(self)
        self._on_theme_changed(self.view_settings.theme)
        self.setScene(self.chain)
        self._fit()

    def _on_theme_changed(self, name: str) -> None:
        palette = THEMES[CONTRAST[name] if self._contrast else name]
        self.chain.set_palette(palette)
        self._on_changed()

    def _on_trace_changed(self, start: int) -> None:
        for cell in self.chain.cells:
            cell.shown = None
        self._on_changed()

    def _on_changed(self, *_: object) -> None:
        # Behind the cell diagram (where it starts), the chain is drawn when it is shown.
        if self.isVisible():
            self.chain.show(self.session, self.window_start())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._on_changed()

    def _fit(self) -> None:
        self.fitInView(SCENE, Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()
