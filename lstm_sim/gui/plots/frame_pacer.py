"""Redraw at most once per frame, however often the data changes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

FRAME_MS = 16


class FramePacer(QObject):
    """Collects "something changed" calls and runs ``redraw`` once, on the next frame.

    A plot subscribes to several session signals that often fire together (a load emits
    network_changed then history_changed, playback moves the cursor every few frames);
    coalescing them keeps a step's cost to one redraw.
    """

    def __init__(self, redraw: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._redraw = redraw
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._redraw)

    def mark_dirty(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @property
    def dirty(self) -> bool:
        return self._timer.isActive()

    def flush(self) -> None:
        """Redraw now if anything is pending (screenshots, benchmarks, tests)."""
        if self._timer.isActive():
            self._timer.stop()
            self._redraw()

    def stop(self) -> None:
        self._timer.stop()
