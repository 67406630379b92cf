"""One part of the status bar (the reader's notes, the cursor's position, the phase): set
off from its neighbours by a thin rule and some room, shown whole while the bar has room
for it and elided when it has not, so that parts never run together or overlap.

QStatusBar puts its widgets side by side a few pixels apart with nothing between them;
plain labels then read as one run-on sentence ("… was read t = 3 of 0–11 · forward pass
… phase 6/6"). A plain label also cannot shrink below its text, so a long part widens
the window rather than giving way.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QWidget

from lstm_sim.gui.panels.elided_label import ElidedLabel

PAD_PX = 8
"""Room either side of a part's text."""
RULE_PX = 1
RULE_INSET_PX = 3
"""How far the rule stops short of the bar's top and bottom edges."""
RULE_INK = 0.45
"""How much of the text colour the rule takes (the rest is the background's)."""


class StatusPart(ElidedLabel):
    """A status bar label with a rule at its left edge; its size hint is its whole text, so
    a layout shows all of it when it can and elides it when it must."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setContentsMargins(PAD_PX + RULE_PX, 0, PAD_PX, 0)

    def setText(self, text: str) -> None:
        changed = text != self.text()
        super().setText(text)
        if changed:
            # QLabel asks for a new layout only when the text it paints changes, and an
            # elided text can stay the same while the whole one grows.
            self.updateGeometry()

    def sizeHint(self) -> QSize:
        margins = self.contentsMargins()
        # A pixel more than the advance: elidedText measures sub-pixel widths and cuts a
        # text that fits its rounded advance exactly.
        width = self.fontMetrics().horizontalAdvance(self.text()) + 1
        return QSize(width + margins.left() + margins.right(), super().sizeHint().height())

    def rule_color(self) -> QColor:
        """Between the text and the background, so it follows the window's theme."""
        ink, paper = (
            self.palette().color(QPalette.ColorRole.WindowText),
            self.palette().color(QPalette.ColorRole.Window),
        )
        mixed = [
            round(RULE_INK * a + (1 - RULE_INK) * b)
            for a, b in (
                (ink.red(), paper.red()),
                (ink.green(), paper.green()),
                (ink.blue(), paper.blue()),
            )
        ]
        return QColor(*mixed)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self)
        height = self.height() - 2 * RULE_INSET_PX
        painter.fillRect(0, RULE_INSET_PX, RULE_PX, max(height, 1), self.rule_color())
        painter.end()


class YieldingLabel(ElidedLabel):
    """The status bar's stretching label (what is simulated): it asks for no room of its
    own, so it is the part that gives way first and the one that takes what is left."""

    def sizeHint(self) -> QSize:
        return self.minimumSizeHint()
