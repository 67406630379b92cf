"""The input tokens as words or characters in a row under the timeline: the current one
marked, a click seeks to it. Shown only for a model that reads tokens."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget

from lstm_sim.gui.colors import THEMES, Palette
from lstm_sim.gui.panels.token_text import display_token
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session

TOKEN_PT = 15
INDEX_PT = 9
PAD_PX = 8
GAP_PX = 3
MIN_BOX_PX = 26
INDEX_EVERY = 5
"""Step numbers under every fifth token: enough to count from without clutter."""


class TokenCanvas(QWidget):
    """Paints one box per token; the strip scrolls it.

    Box positions are arrays (one left edge and width per step), so painting, a click
    and following the cursor look up only the boxes on screen, whatever T is.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.palette_: Palette = THEMES["light"]
        self.token_font = QFont()
        self.token_font.setPointSize(TOKEN_PT)
        self.index_font = QFont()
        self.index_font.setPointSize(INDEX_PT)
        self._widths = np.zeros(0, dtype=np.int64)  # (T,) box width of each step
        self._lefts = np.zeros(0, dtype=np.int64)  # (T,) left edge of each box
        self._width_of: dict[str, int] = {}
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.layout_tokens()

    def texts(self) -> list[str]:
        """What each box shows, one per step."""
        return [display_token(token) for token in (self.session.tokens or ())]

    @property
    def num_boxes(self) -> int:
        return int(self._widths.size)

    def box(self, t: int) -> QRect:
        """Where the box of step ``t`` is drawn."""
        return QRect(int(self._lefts[t]), 2, int(self._widths[t]), self.box_height)

    def _box_width(self, token: str) -> int:
        width = self._width_of.get(token)
        if width is None:
            metrics = QFontMetrics(self.token_font)
            width = max(metrics.horizontalAdvance(display_token(token)) + 2 * PAD_PX, MIN_BOX_PX)
            self._width_of[token] = width
        return width

    def layout_tokens(self) -> None:
        """Measure every box (a new sequence): one measurement per distinct token."""
        token_metrics = QFontMetrics(self.token_font)
        index_metrics = QFontMetrics(self.index_font)
        self.box_height = token_metrics.height() + PAD_PX
        self.strip_height = self.box_height + index_metrics.height() + 4
        self._width_of.clear()
        tokens = self.session.tokens or ()
        for token in set(tokens):
            self._box_width(token)
        # Looked up in C (map over the dict), not a Python call per step.
        widths = map(self._width_of.__getitem__, tokens)
        self._widths = np.fromiter(widths, dtype=np.int64, count=len(tokens))
        self._place()

    def relayout_from(self, t: int) -> None:
        """The token at step ``t`` was replaced: re-measure it and shift the boxes after it."""
        tokens = self.session.tokens or ()
        if len(tokens) != self._widths.size:
            self.layout_tokens()
            return
        if not tokens:
            return
        width = self._box_width(tokens[t])
        if width != self._widths[t]:
            self._widths[t] = width
            self._place()
        self.update()

    def _place(self) -> None:
        spans = self._widths + GAP_PX  # each box and the gap after it
        ends = np.cumsum(spans)
        self._lefts = GAP_PX + ends - spans
        total = GAP_PX + int(ends[-1]) if ends.size else GAP_PX
        self.setFixedSize(QSize(max(total, 1), self.strip_height))
        self.update()

    def step_at(self, x: int, y: int) -> int | None:
        if not 0 <= y <= self.strip_height or self._lefts.size == 0:
            return None
        # The box whose left edge is the last at or before x, its gap to the next included.
        t = int(np.searchsorted(self._lefts, x, side="right")) - 1
        if t < 0 or x > self._lefts[t] + self._widths[t] + GAP_PX:
            return None
        return t

    def visible_steps(self, left: int, right: int) -> range:
        """The steps whose boxes meet the x span left..right."""
        first = max(int(np.searchsorted(self._lefts + self._widths, left, side="left")), 0)
        stop = int(np.searchsorted(self._lefts, right, side="right"))
        return range(first, min(stop, self.num_boxes))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = event.position().toPoint()
        t = self.step_at(point.x(), point.y())
        if t is not None:
            self.session.seek(t)
            event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        palette, current = self.palette_, self.session.t
        tokens = self.session.tokens or ()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(event.rect(), palette.background)
        for t in self.visible_steps(event.rect().left(), event.rect().right()):
            box, text = self.box(t), display_token(tokens[t])
            if t == current:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(palette.highlight)
                painter.drawRoundedRect(box, 5, 5)
                painter.setPen(palette.background)
            else:
                painter.setPen(QPen(palette.line_dim, 1))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(box, 5, 5)
                # Steps already read are solid; those still ahead are dimmed.
                painter.setPen(palette.foreground if t < current else palette.caption)
            painter.setFont(self.token_font)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            if t % INDEX_EVERY == 0 or t == current:
                painter.setFont(self.index_font)
                painter.setPen(palette.highlight if t == current else palette.caption)
                below = QRect(box.left(), box.bottom() + 1, box.width(), self.strip_height)
                painter.drawText(
                    below, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, str(t)
                )
        painter.end()


class TokenStrip(QScrollArea):
    """Scrolls the token row so the current step stays in view."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.canvas = TokenCanvas(session)
        self.setWidget(self.canvas)
        self.setWidgetResizable(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("The input tokens: click one to go to that step")
        self._marked = QRect()
        self._unsubscribe = subscribe(self, session)
        self._fit()

    def detach(self) -> None:
        self._unsubscribe()

    def _fit(self) -> None:
        self.canvas.layout_tokens()
        scroll = self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(self.canvas.strip_height + scroll + 2)
        self.setVisible(self.session.tokens is not None)
        self._follow_cursor()

    def _follow_cursor(self) -> None:
        t, canvas = self.session.t, self.canvas
        if 0 <= t < canvas.num_boxes:
            box = canvas.box(t)
            # Centred, so the tokens read before and those still to come both show.
            self.ensureVisible(box.center().x(), 0, self.viewport().width() // 2, 0)
            # Only the boxes whose look changed: the old and the new current step.
            canvas.update(self._marked.adjusted(0, 0, 0, canvas.strip_height))
            canvas.update(box.adjusted(0, 0, 0, canvas.strip_height))
            self._marked = box
        else:
            canvas.update()

    def set_theme(self, name: str) -> None:
        self.canvas.palette_ = THEMES[name]
        self.canvas.update()

    # -- session signals ---------------------------------------------------------------------
    def _on_network_changed(self) -> None:
        self._fit()

    def _on_trace_changed(self, start: int) -> None:
        # An edited token may be wider or narrower than the one it replaced.
        self.canvas.relayout_from(start)

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self._follow_cursor()
