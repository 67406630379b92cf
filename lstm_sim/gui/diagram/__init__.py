"""The Olah-style cell diagram: a QGraphicsView drawn from the session's trace."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from lstm_sim.gui.colors import THEMES
from lstm_sim.model import Session


class DiagramView(QGraphicsView):
    """The cell of ``session.network`` at the session's cursor."""

    animation_finished = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self._theme = "light"
        self._reduced_motion = False
        self._duration_ms = 600
        self._progress = 1.0
        self.set_theme("light")

    def set_theme(self, name: str) -> None:
        if name not in THEMES:
            raise ValueError(f"theme must be one of {tuple(THEMES)}, got {name!r}")
        self._theme = name
        self.setBackgroundBrush(THEMES[name].background)

    def set_reduced_motion(self, on: bool) -> None:
        self._reduced_motion = on

    def set_animation_duration(self, ms: int) -> None:
        if ms < 0:
            raise ValueError(f"animation duration must be >= 0 ms, got {ms}")
        self._duration_ms = ms

    def set_progress(self, p: float) -> None:
        self._progress = min(max(float(p), 0.0), 1.0)

    def progress(self) -> float:
        return self._progress

    def is_animating(self) -> bool:
        return False

    def finish_animation(self) -> None:
        self.set_progress(1.0)

    def zoom_in(self) -> None:
        self.scale(1.25, 1.25)

    def zoom_out(self) -> None:
        self.scale(0.8, 0.8)

    def reset_zoom(self) -> None:
        self.fitInView(self.scene().itemsBoundingRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def save_svg(self, path: str) -> None:
        rect = self.scene().itemsBoundingRect()
        generator = QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(QSize(int(rect.width()), int(rect.height())))
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        painter = QPainter(generator)
        self.scene().render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        painter.end()
