"""How the window shows the session, Qt-free: the colour theme, reduced motion, the
playback speed and the "no spoilers" option (not yet read by any view). One object per
window; every view that depends on a setting reads it here and follows its signal, none
keeps a copy."""

from __future__ import annotations

from psygnal import Signal

THEME_NAMES = ("light", "dark")
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
"""The playback speeds offered, as multiples of the normal pace."""


class ViewSettings:
    """The view's settings; each setter validates, and emits only on a real change."""

    theme_changed = Signal(str)
    reduced_motion_changed = Signal(bool)
    speed_changed = Signal(float)
    no_spoilers_changed = Signal(bool)

    def __init__(self, theme: str = "light") -> None:
        self._theme = self._checked_theme(theme)
        self._reduced_motion = False
        self._speed = 1.0
        self._no_spoilers = False

    @staticmethod
    def _checked_theme(name: str) -> str:
        if name not in THEME_NAMES:
            raise ValueError(f"theme must be one of {THEME_NAMES}, got {name!r}")
        return name

    @property
    def theme(self) -> str:
        """The colour theme, one of :data:`THEME_NAMES`."""
        return self._theme

    @theme.setter
    def theme(self, name: str) -> None:
        if self._checked_theme(name) != self._theme:
            self._theme = name
            self.theme_changed.emit(name)

    @property
    def reduced_motion(self) -> bool:
        """No flow animation: a phase shows its result at once."""
        return self._reduced_motion

    @reduced_motion.setter
    def reduced_motion(self, on: bool) -> None:
        if bool(on) != self._reduced_motion:
            self._reduced_motion = bool(on)
            self.reduced_motion_changed.emit(self._reduced_motion)

    @property
    def speed(self) -> float:
        """Playback speed: 2.0 animates and holds each phase half as long."""
        return self._speed

    @speed.setter
    def speed(self, speed: float) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        if float(speed) != self._speed:
            self._speed = float(speed)
            self.speed_changed.emit(self._speed)

    @property
    def no_spoilers(self) -> bool:
        """Whether views show only the steps up to the cursor. No view reads it yet: it is
        the state the presentation mode's "no spoilers" option sets and its plots follow."""
        return self._no_spoilers

    @no_spoilers.setter
    def no_spoilers(self, on: bool) -> None:
        if bool(on) != self._no_spoilers:
            self._no_spoilers = bool(on)
            self.no_spoilers_changed.emit(self._no_spoilers)
