"""The input text as a monospace grid, each character's background the colour of one
unit's value at that step (Karpathy, Johnson & Fei-Fei 2015, figure 2).

The grid is painted by hand, only the visible lines and one rectangle per run of equal
colours, so recolouring a text of thousands of characters is one vectorised lookup and
one repaint: colours are kept as integers, and a QColor is made only for what is painted.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from lstm_sim.gui.colors import THEMES, value_color_keys

TEXT_FONT_PT = 15
"""Large enough to read code from the back of a lecture room."""
LINE_SPACING = 1.25
MARGIN_PX = 8
CURSOR_PEN_PX = 3
NO_TOKEN = -1
"""Grid cells that belong to no token: the space between words of a word model."""


def _luminance(color: QColor) -> float:
    return 0.299 * color.redF() + 0.587 * color.greenF() + 0.114 * color.blueF()


class CodeTextView(QAbstractScrollArea):
    """Tokens laid out as text, one grid cell per character; a newline token ends its
    line. ``char_clicked`` gives the index of the token under a click."""

    char_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(TEXT_FONT_PT)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        metrics = QFontMetricsF(font)
        self.cell_width = metrics.horizontalAdvance("M" * 100) / 100.0
        self.line_height = metrics.height() * LINE_SPACING
        self._ascent = metrics.ascent() + (self.line_height - metrics.height()) / 2.0
        self.palette_ = THEMES["light"]
        self.current = -1
        self.lines: list[str] = []
        # Per grid line: the token index of each cell (NO_TOKEN for a separator), (W,).
        self._line_tokens: list[np.ndarray] = []
        self._row = np.zeros(0, dtype=np.intp)  # (T,) line of each token
        self._col = np.zeros(0, dtype=np.intp)  # (T,) first cell of each token
        self._width = np.zeros(0, dtype=np.intp)  # (T,) cells of each token
        self._coloured = False
        self._text_dark: np.ndarray = np.zeros(0, dtype=bool)
        self._keys = np.zeros(0, dtype=np.int64)  # (T,) 0xRRGGBB of each token's colour
        self.setMouseTracking(False)

    # -- content -------------------------------------------------------------------------
    def set_tokens(self, tokens: tuple[str, ...] | list[str], separator: str = "") -> None:
        """Lay out ``tokens`` (T,): joined by ``separator`` (a space for word models),
        a line break after every newline token, which itself shows as one cell."""
        lines: list[str] = []
        line_tokens: list[np.ndarray] = []
        rows, cols, widths = [], [], []
        text: list[str] = []
        owners: list[int] = []
        for index, token in enumerate(tokens):
            if text and separator:
                text.append(separator)
                owners.extend([NO_TOKEN] * len(separator))
            rows.append(len(lines))
            cols.append(len(text))
            shown = token.replace("\n", " ").replace("\t", " ")
            widths.append(len(shown))
            text.append(shown)
            owners.extend([index] * len(shown))
            if token.endswith("\n"):
                lines.append("".join(text))
                line_tokens.append(np.array(owners, dtype=np.intp))
                text, owners = [], []
        if text or not lines:
            lines.append("".join(text))
            line_tokens.append(np.array(owners, dtype=np.intp))
        self.lines, self._line_tokens = lines, line_tokens
        self._row = np.array(rows, dtype=np.intp)
        self._col = np.array(cols, dtype=np.intp)
        self._width = np.array(widths, dtype=np.intp)
        self._coloured = False
        self._text_dark = np.ones(len(tokens), dtype=bool)
        self.current = -1
        self._update_scroll_range()
        self.viewport().update()

    @property
    def colors(self) -> list[QColor]:
        """Each token's background colour, (T,); empty when the text is not coloured."""
        if not self._coloured:
            return []
        return [QColor.fromRgb(int(key)) for key in self._keys]

    @property
    def num_tokens(self) -> int:
        return int(self._row.size)

    def set_theme(self, name: str) -> None:
        self.palette_ = THEMES[name]
        self.viewport().update()

    def set_values(self, values: np.ndarray, kind: str) -> None:
        """Colour token t by ``values[t]`` on the fixed scale ``kind``; values (T,)."""
        values = np.asarray(values)
        if values.shape != (self.num_tokens,):
            raise ValueError(f"values has shape {values.shape}, expected ({self.num_tokens},)")
        # Colours as integers, computed with NumPy; a QColor is made only for a run of
        # characters being painted.
        self._keys = value_color_keys(values, kind, self.palette_.name)
        red, green, blue = (self._keys >> 16) & 0xFF, (self._keys >> 8) & 0xFF, self._keys & 0xFF
        self._text_dark = (0.299 * red + 0.587 * green + 0.114 * blue) / 255.0 > 0.5
        self._coloured = True
        self.viewport().update()

    def clear_values(self) -> None:
        """No colouring: every character on the plain background."""
        self._coloured = False
        self._text_dark = np.full(self.num_tokens, _luminance(self.palette_.background) > 0.5)
        self.viewport().update()

    def set_current(self, t: int) -> None:
        """Outline token ``t`` and scroll it into view."""
        old, self.current = self.current, t
        for index in (old, t):
            if 0 <= index < self.num_tokens:
                self.viewport().update(self.char_rect(index).adjusted(-4, -4, 4, 4))
        self.ensure_visible(t)

    # -- geometry ------------------------------------------------------------------------
    def char_rect(self, t: int) -> QRect:
        """Where token ``t`` is drawn, in viewport coordinates."""
        if not 0 <= t < self.num_tokens:
            raise ValueError(f"token {t} is out of range for a text of {self.num_tokens}")
        x = MARGIN_PX + self._col[t] * self.cell_width - self.horizontalScrollBar().value()
        y = MARGIN_PX + self._row[t] * self.line_height - self.verticalScrollBar().value()
        width = max(int(self._width[t]), 1) * self.cell_width
        return QRectF(x, y, width, self.line_height).toAlignedRect()

    def token_at(self, point: QPoint) -> int | None:
        """The token drawn at ``point`` (viewport coordinates), or None."""
        x = point.x() + self.horizontalScrollBar().value() - MARGIN_PX
        y = point.y() + self.verticalScrollBar().value() - MARGIN_PX
        row, col = int(y // self.line_height), int(x // self.cell_width)
        if x < 0 or y < 0 or row >= len(self.lines):
            return None
        owners = self._line_tokens[row]
        if col >= owners.size or owners[col] == NO_TOKEN:
            return None
        return int(owners[col])

    def ensure_visible(self, t: int) -> None:
        if not 0 <= t < self.num_tokens:
            return
        rect = self.char_rect(t)
        view = self.viewport().rect()
        vbar, hbar = self.verticalScrollBar(), self.horizontalScrollBar()
        if rect.top() < 0 or rect.bottom() > view.height():
            vbar.setValue(vbar.value() + rect.center().y() - view.height() // 2)
        if rect.left() < 0 or rect.right() > view.width():
            hbar.setValue(hbar.value() + rect.left() - view.width() // 3)

    def _update_scroll_range(self) -> None:
        longest = max((len(line) for line in self.lines), default=0)
        content_w = int(2 * MARGIN_PX + (longest + 1) * self.cell_width)
        content_h = int(2 * MARGIN_PX + len(self.lines) * self.line_height)
        view = self.viewport().size()
        self.horizontalScrollBar().setRange(0, max(0, content_w - view.width()))
        self.verticalScrollBar().setRange(0, max(0, content_h - view.height()))
        self.horizontalScrollBar().setPageStep(view.width())
        self.verticalScrollBar().setPageStep(view.height())
        self.verticalScrollBar().setSingleStep(int(self.line_height))

    # -- painting ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        palette = self.palette_
        painter.fillRect(event.rect(), palette.background)
        painter.setFont(self.font())
        dx = MARGIN_PX - self.horizontalScrollBar().value()
        dy = MARGIN_PX - self.verticalScrollBar().value()
        first = max(0, int((event.rect().top() - dy) // self.line_height))
        last = min(len(self.lines) - 1, int((event.rect().bottom() - dy) // self.line_height))
        dark, light = QColor("#111111"), QColor("#f5f5f5")
        for row in range(first, last + 1):
            owners = self._line_tokens[row]
            top = dy + row * self.line_height
            if owners.size == 0:
                continue
            self._paint_backgrounds(painter, owners, dx, top)
            # Runs of characters sharing a text colour are drawn in one call each.
            text = self.lines[row]
            text_dark = np.where(
                owners == NO_TOKEN, _luminance(palette.background) > 0.5, self._text_dark[owners]
            )
            starts = np.flatnonzero(np.diff(text_dark.astype(np.int8), prepend=-1))
            ends = np.append(starts[1:], owners.size)
            for start, end in zip(starts, ends, strict=True):
                painter.setPen(dark if text_dark[start] else light)
                painter.drawText(
                    QRectF(
                        dx + start * self.cell_width,
                        top,
                        (end - start) * self.cell_width,
                        self.line_height,
                    ),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    text[start:end],
                )
        if 0 <= self.current < self.num_tokens:
            painter.setPen(QPen(palette.highlight, CURSOR_PEN_PX))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.char_rect(self.current).adjusted(-1, -1, 1, 1))
        painter.end()

    def _paint_backgrounds(
        self, painter: QPainter, owners: np.ndarray, dx: float, top: float
    ) -> None:
        """One rectangle per run of cells of the same colour."""
        if not self._coloured:
            return
        painter.setPen(Qt.PenStyle.NoPen)
        keys = np.where(owners == NO_TOKEN, NO_TOKEN, self._keys[owners])
        starts = np.flatnonzero(np.diff(keys, prepend=NO_TOKEN - 1))
        ends = np.append(starts[1:], owners.size)
        for start, end in zip(starts, ends, strict=True):
            if owners[start] != NO_TOKEN:
                rect = QRectF(
                    dx + start * self.cell_width,
                    top,
                    (end - start) * self.cell_width,
                    self.line_height,
                )
                painter.fillRect(rect, QColor.fromRgb(int(keys[start])))

    # -- events --------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scroll_range()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            token = self.token_at(event.position().toPoint())
            if token is not None:
                self.char_clicked.emit(token)
                event.accept()
                return
        super().mousePressEvent(event)
