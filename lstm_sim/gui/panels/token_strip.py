"""The input tokens as words or characters in a row under the timeline: the current one
marked, a click seeks to it. Shown only for a model that reads tokens."""

from __future__ import annotations

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
    """Paints one box per token; the strip scrolls it."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.palette_: Palette = THEMES["light"]
        self.token_font = QFont()
        self.token_font.setPointSize(TOKEN_PT)
        self.index_font = QFont()
        self.index_font.setPointSize(INDEX_PT)
        self.boxes: list[QRect] = []
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.layout_tokens()

    def texts(self) -> list[str]:
        """What each box shows, one per step."""
        return [display_token(token) for token in (self.session.tokens or ())]

    def layout_tokens(self) -> None:
        token_metrics = QFontMetrics(self.token_font)
        index_metrics = QFontMetrics(self.index_font)
        self.box_height = token_metrics.height() + PAD_PX
        self.strip_height = self.box_height + index_metrics.height() + 4
        x = GAP_PX
        self.boxes = []
        for text in self.texts():
            width = max(token_metrics.horizontalAdvance(text) + 2 * PAD_PX, MIN_BOX_PX)
            self.boxes.append(QRect(x, 2, width, self.box_height))
            x += width + GAP_PX
        self.setFixedSize(QSize(max(x, 1), self.strip_height))
        self.update()

    def step_at(self, x: int, y: int) -> int | None:
        for t, box in enumerate(self.boxes):
            if box.left() <= x <= box.right() + GAP_PX and 0 <= y <= self.strip_height:
                return t
        return None

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
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), palette.background)
        for t, (box, text) in enumerate(zip(self.boxes, self.texts(), strict=True)):
            if not box.intersects(event.rect()):
                continue
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
        t = self.session.t
        if 0 <= t < len(self.canvas.boxes):
            box = self.canvas.boxes[t]
            # Centred, so the tokens read before and those still to come both show.
            self.ensureVisible(box.center().x(), 0, self.viewport().width() // 2, 0)
        self.canvas.update()

    def set_theme(self, name: str) -> None:
        self.canvas.palette_ = THEMES[name]
        self.canvas.update()

    # -- session signals ---------------------------------------------------------------------
    def _on_network_changed(self) -> None:
        self._fit()

    def _on_trace_changed(self, start: int) -> None:
        # An edited token may be wider or narrower than the one it replaced.
        self._fit()

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self._follow_cursor()
