"""Where the lecture tour is, Qt-free: the current stop, next and previous, and leaving
the tour to explore and coming back.

Applying a stop opens its scenario through the :class:`~lstm_sim.model.opening.Opener`
(only when it is not open already, so the views a scenario asks for open once) and puts
the session's cursor, layer and unit where the stop's rule says. What a window shows of
the stop (the caption, the highlights, which tab is in front) it reads from
:attr:`TourState.shown` and follows :attr:`TourState.changed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import Signal

from lstm_sim.model.opening import Opener
from lstm_sim.model.tour import STOPS, Stop


@dataclass(frozen=True)
class ShownStop:
    """A stop as applied to the session: where it put the cursor, and what the caption
    says (the narration, or why the stop cannot be shown as the lecture describes it)."""

    index: int
    stop: Stop
    t: int
    phase: int
    unit: int | None
    caption: str

    @property
    def position(self) -> str:
        """ "3 of 13", for the caption band."""
        return f"{self.index + 1} of {len(STOPS)}"


class TourState:
    """The tour over one session. ``changed`` fires with the :class:`ShownStop` after a
    stop is applied, and with None when the tour is left; ``active`` says whether the
    clicker keys move through stops (True) or phases (False)."""

    changed = Signal(object)  # ShownStop | None

    def __init__(self, opener: Opener, stops: tuple[Stop, ...] = STOPS) -> None:
        self.opener = opener
        self.session = opener.session
        self.stops = stops
        self.index = 0
        self.active = False
        self.shown: ShownStop | None = None
        self.applying = False
        """True while a stop opens its scenario: the views that opening asks for are
        the stop's to arrange."""
        opener.opened.connect(self._on_opened)

    def detach(self) -> None:
        self.opener.opened.disconnect(self._on_opened)

    def _on_opened(self, opening: object) -> None:
        # Something else was opened (File > Open, the picker): the stop's caption no
        # longer describes what is on screen, so the tour steps aside (resume returns).
        if not self.applying:
            self.leave()

    # -- intents -------------------------------------------------------------------------
    def start(self, key: str | None = None) -> ShownStop:
        """Begin (or jump) at the stop called ``key``, the first when None."""
        index = 0 if key is None else self._index_of(key)
        return self.go(index)

    def go(self, index: int) -> ShownStop:
        """Apply stop ``index``; raises ValueError (and stays where it was) when its
        scenario cannot be opened."""
        if not 0 <= index < len(self.stops):
            raise ValueError(f"tour stop {index} is out of range for {len(self.stops)} stops")
        shown = self._apply(index, self.stops[index])
        self.index, self.active, self.shown = index, True, shown
        self.changed.emit(shown)
        return shown

    def next(self) -> bool:
        """The next stop; False (and nothing changes) at the last."""
        if self.index + 1 >= len(self.stops):
            return False
        self.go(self.index + 1)
        return True

    def previous(self) -> bool:
        if self.index == 0:
            return False
        self.go(self.index - 1)
        return True

    def leave(self) -> None:
        """Stop touring: the session stays where it is, to explore; :meth:`resume` comes
        back to the stop that was left."""
        if self.active:
            self.active = False
            self.shown = None
            self.changed.emit(None)

    def resume(self) -> ShownStop:
        """Back to the stop the tour was left at, re-applied (the cursor may have moved)."""
        return self.go(self.index)

    # -- applying ------------------------------------------------------------------------
    def _index_of(self, key: str) -> int:
        for index, candidate in enumerate(self.stops):
            if candidate.key == key:
                return index
        keys = ", ".join(s.key for s in self.stops)
        raise ValueError(f"no tour stop {key!r}; the stops are {keys}")

    def _apply(self, index: int, stop: Stop) -> ShownStop:
        current = self.opener.current
        if not (current.kind == "scenario" and current.source == stop.opens):
            self.applying = True
            try:
                self.opener.open_scenario(stop.opens)
            finally:
                self.applying = False
        session = self.session
        t, unit = stop.locate(session.network, session.trace)
        keys = [p.key for p in session.phases]
        # A stop names an LSTM phase; a simple RNN shows its one computing phase instead.
        phase = keys.index(stop.phase) if stop.phase in keys else len(keys) - 1
        session.select_layer(0)
        if unit is not None:
            session.select_unit(unit)
        session.seek(t, phase)
        caption = stop.narration
        if unit is None:
            # Showing some other unit here would teach the wrong thing: say what is missing.
            named = stop.unit_pattern or "unit"
            caption = (
                f"This model names no {named!r} unit, so this stop cannot be shown yet: "
                f"{session.title or session.network.source} was not trained or searched for "
                "it. The narration describes a cell the lecture shows; the step here is t = 0."
            )
        return ShownStop(index, stop, session.t, session.phase, unit, caption)
