"""Redraw at most once per frame, however often the data changes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QElapsedTimer, QObject, QTimer

FRAME_MS = 16


class FramePacer(QObject):
    """Collects "something changed" calls and runs ``redraw`` once per frame.

    A plot subscribes to several session signals that often fire together (a load emits
    network_changed then history_changed, playback moves the cursor every few frames);
    coalescing them keeps a step's cost to one redraw. A view that has not redrawn for a
    frame redraws as soon as control returns to the event loop, so a single key press is
    not held back by up to a frame; only changes arriving faster than the frame rate wait.
    """

    def __init__(self, redraw: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._redraw = redraw
        self._since_redraw = QElapsedTimer()  # invalid until the first redraw
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run)

    def mark_dirty(self) -> None:
        if self._timer.isActive():
            return
        elapsed = self._since_redraw.elapsed() if self._since_redraw.isValid() else FRAME_MS
        # A zero timer still waits for the signal cascade in progress to finish, so
        # changes emitted together are drawn together.
        self._timer.start(max(0, FRAME_MS - elapsed))

    @property
    def dirty(self) -> bool:
        return self._timer.isActive()

    def flush(self) -> None:
        """Redraw now if anything is pending (screenshots, benchmarks, tests)."""
        if self._timer.isActive():
            self._timer.stop()
            self._run()

    def stop(self) -> None:
        self._timer.stop()

    def _run(self) -> None:
        self._since_redraw.start()
        self._redraw()
