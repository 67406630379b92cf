"""Stepping and playback: the one place that moves the session's cursor over time.

Every step first finishes the diagram's running flow animation, so animations never
queue. Playback advances one phase, then waits for the diagram's ``animation_finished``
(or, with reduced motion, just the timer) before holding for a moment and advancing
again; it stops at the end of the sequence.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from lstm_sim.gui.diagram import DiagramView
from lstm_sim.model import Session
from lstm_sim.model.view_settings import ViewSettings

BASE_ANIMATION_MS = 600
"""Length of one phase's flow animation at 1× speed."""
BASE_HOLD_MS = 500
"""Pause after a phase's animation, at 1× speed, so the numbers can be read."""


class PlaybackController(QObject):
    """Owns the playback timer; steps the session on behalf of buttons and keys."""

    playing_changed = Signal(bool)

    def __init__(
        self,
        session: Session,
        diagram: DiagramView,
        parent: QObject,
        view: ViewSettings | None = None,
    ) -> None:
        """``view``: the speed and reduced motion to follow (the window's settings)."""
        super().__init__(parent)
        self.session = session
        self.diagram = diagram
        self.view = view or ViewSettings()
        self._playing = False
        self._waiting_for_animation = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._advance)
        diagram.animation_finished.connect(self._on_animation_finished)
        self.view.speed_changed.connect(self._on_speed_changed)
        self.view.reduced_motion_changed.connect(self._on_reduced_motion_changed)
        self._on_speed_changed(self.view.speed)
        self._on_reduced_motion_changed(self.view.reduced_motion)

    # -- settings ------------------------------------------------------------------------
    @property
    def speed(self) -> float:
        return self.view.speed

    @property
    def reduced_motion(self) -> bool:
        return self.view.reduced_motion

    def set_speed(self, speed: float) -> None:
        """Scale animation and hold times: 2.0 plays twice as fast."""
        self.view.speed = speed

    def set_reduced_motion(self, on: bool) -> None:
        self.view.reduced_motion = on

    def _on_speed_changed(self, speed: float) -> None:
        self.diagram.set_animation_duration(round(BASE_ANIMATION_MS / speed))

    def _on_reduced_motion_changed(self, on: bool) -> None:
        self.diagram.set_reduced_motion(on)

    @property
    def hold_ms(self) -> int:
        """Time between the end of one phase and the next advance."""
        if self.reduced_motion:
            # No animation to wait for: the timer alone paces playback.
            return round((BASE_ANIMATION_MS + BASE_HOLD_MS) / self.speed)
        return round(BASE_HOLD_MS / self.speed)

    # -- single steps ----------------------------------------------------------------------
    def _step(self, move: Callable[[], object]) -> None:
        self.diagram.finish_animation()
        move()

    def next_phase(self) -> None:
        self._step(self.session.next_phase)

    def prev_phase(self) -> None:
        self._step(self.session.prev_phase)

    def next_step(self) -> None:
        self._step(self.session.next_step)

    def prev_step(self) -> None:
        self._step(self.session.prev_step)

    def first(self) -> None:
        self._step(self.session.first)

    def last(self) -> None:
        self._step(self.session.last)

    def seek(self, t: int) -> None:
        self._step(lambda: self.session.seek(t))

    # -- playback --------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._playing

    def toggle(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self._playing:
            return
        if self.session.at_end:
            self.first()
        self._playing = True
        self.playing_changed.emit(True)
        self._advance()

    def pause(self) -> None:
        """Stop advancing; the current phase's animation runs to its end on its own."""
        self.timer.stop()
        self._waiting_for_animation = False
        if self._playing:
            self._playing = False
            self.playing_changed.emit(False)

    def _advance(self) -> None:
        if not self._playing:
            return
        self.diagram.finish_animation()
        if not self.session.next_phase():
            self.pause()
            return
        if self.session.at_end:
            # Nothing left to advance to: stop now rather than after one more wait.
            self.pause()
            return
        if not self.reduced_motion and self.diagram.is_animating():
            self._waiting_for_animation = True
        else:
            self.timer.start(self.hold_ms)

    def _on_animation_finished(self) -> None:
        if self._playing and self._waiting_for_animation:
            self._waiting_for_animation = False
            self.timer.start(self.hold_ms)
