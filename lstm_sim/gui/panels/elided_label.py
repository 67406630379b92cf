"""A one-line label that elides its text to its width, for status lines whose text (a
model's path, a training report) can be longer than the room the window gives it."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

ELLIPSIS = "…"


class ElidedLabel(QLabel):
    """Shows as much of its text as fits, ending in "…"; :meth:`text` and the tooltip keep
    the whole of it. QLabel's own text is what is painted.

    A plain QLabel with QFontMetrics.elidedText rather than superqt's QElidingLabel:
    importing superqt loads all of it, a visible share of the window's cold start.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full_text = ""
        self.setText(text)

    def text(self) -> str:
        """The whole text, however much of it is shown."""
        return self._full_text

    def setText(self, text: str) -> None:
        """Show ``text`` elided to the width; the tooltip is set to the whole of it (a
        caller may set another one afterwards)."""
        self._full_text = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def minimumSizeHint(self) -> QSize:
        # Only the ellipsis has to fit: a long text must never widen the window.
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        return QSize(
            metrics.horizontalAdvance(ELLIPSIS) + margins.left() + margins.right(),
            super().minimumSizeHint().height(),
        )

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(
            self._full_text, Qt.TextElideMode.ElideRight, self.contentsRect().width()
        )
        super().setText(shown)
