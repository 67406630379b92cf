"""Redraw at most once per frame, however often the data changes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEvent, QObject, QTimer

FRAME_MS = 16

_REDRAW_DUE = QEvent.Type(QEvent.registerEventType())


class FramePacer(QObject):
    """Collects "something changed" calls and runs ``redraw`` once per frame.

    A plot subscribes to several session signals that often fire together (a load emits
    network_changed then history_changed, playback moves the cursor every few frames);
    coalescing them keeps a step's cost to one redraw. A view that has not redrawn for a
    frame redraws as soon as the signals being emitted have been handled: through a
    posted event, which Qt delivers before it paints the window, so the view's new
    content goes out in the same paint as the rest of the window. Only changes that
    arrive faster than the frame rate wait for the frame.
    """

    def __init__(self, redraw: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._redraw = redraw
        self._pending = False
        self._since_redraw = QElapsedTimer()  # invalid until the first redraw
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run)

    def mark_dirty(self) -> None:
        if self._pending:
            return
        self._pending = True
        elapsed = self._since_redraw.elapsed() if self._since_redraw.isValid() else FRAME_MS
        if elapsed >= FRAME_MS:
            QCoreApplication.postEvent(self, QEvent(_REDRAW_DUE))
        else:
            self._timer.start(FRAME_MS - elapsed)

    @property
    def dirty(self) -> bool:
        return self._pending

    def flush(self) -> None:
        """Redraw now if anything is pending (screenshots, benchmarks, tests)."""
        if self._pending:
            self._run()

    def stop(self) -> None:
        """Drop a pending redraw."""
        self._pending = False
        self._timer.stop()

    def event(self, event: QEvent) -> bool:
        if event.type() == _REDRAW_DUE:
            # Stale if the redraw was flushed or stopped since, or is now timed.
            if self._pending and not self._timer.isActive():
                self._run()
            return True
        return super().event(event)

    def _run(self) -> None:
        self._timer.stop()
        self._pending = False
        self._since_redraw.start()
        self._redraw()
