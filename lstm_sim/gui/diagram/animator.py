"""The clock of the flow inside one phase: a progress value running from 0 to 1."""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QObject, QVariantAnimation, Signal


class PhaseAnimator(QObject):
    """Runs progress 0 → 1 over ``duration_ms`` and reports every value.

    ``finished`` is emitted exactly once per :meth:`start`, when the progress reaches 1,
    whether it ran out or was cut short by :meth:`finish`; so whoever waits for it is
    never left waiting.
    """

    progress_changed = Signal(float)
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._animation = QVariantAnimation(self)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(1.0)
        # Linear in time: the dots' speed then says nothing the values do not.
        self._animation.setEasingCurve(QEasingCurve.Type.Linear)
        self._animation.valueChanged.connect(self._on_value_changed)
        self._animation.finished.connect(self._on_finished)
        self._running = False
        self.set_duration(600)

    def set_duration(self, ms: int) -> None:
        if ms < 0:
            raise ValueError(f"animation duration must be >= 0 ms, got {ms}")
        # At least 1 ms, so even the shortest flow ends on the event loop and never
        # inside the caller's own call.
        self._animation.setDuration(max(int(ms), 1))

    def duration(self) -> int:
        return self._animation.duration()

    def is_running(self) -> bool:
        return self._running

    def start(self) -> None:
        """Run from 0; a flow still running is finished first."""
        self.finish()
        self._running = True
        self.progress_changed.emit(0.0)
        self._animation.start()

    def finish(self) -> None:
        """Jump a running flow to its end."""
        if not self._running:
            return
        self._animation.stop()
        self._end()

    def _on_value_changed(self, value: float) -> None:
        if self._running:
            self.progress_changed.emit(float(value))

    def _on_finished(self) -> None:
        if self._running:
            self._end()

    def _end(self) -> None:
        self._running = False
        self.progress_changed.emit(1.0)
        self.finished.emit()
