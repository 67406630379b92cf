"""The lecture tour in the window: Help ▸ Lecture tour and the keys that move through it.

The stop itself is applied by the Qt-free :class:`~lstm_sim.model.tour_state.TourState`
(scenario, step, phase, layer, unit); here the window follows it: the named parts of the
cell light up and the stop's view comes to the front. A scenario that cannot be opened
gets a dialog and the tour stays where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from lstm_sim.model.tour_state import ShownStop

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow


class TourCommands(QObject):
    """Start, step through, leave and resume the tour of ``window.state.tour``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.state = window.state.tour
        self.state.changed.connect(self._on_changed)

    def detach(self) -> None:
        self.state.changed.disconnect(self._on_changed)

    def follow_current(self) -> None:
        """Show the stop the tour is at (one applied before this window existed)."""
        self._on_changed(self.state.shown)

    def _runs(self, move: Callable[[], object]) -> bool:
        self.window.controller.pause()
        self.window.diagram.finish_animation()
        try:
            move()
        except (ValueError, OSError) as err:
            self.window.show_error("Cannot show this tour stop", str(err))
            return False
        return True

    def start(self, key: str | None = None) -> bool:
        """Begin at stop ``key`` (the first when None), or resume where the tour was left."""
        return self._runs(lambda: self.state.start(key))

    def toggle(self) -> None:
        """Help ▸ Lecture tour: start (or resume) the tour, or leave it to explore."""
        if self.state.active:
            self.state.leave()
        elif self.state.index:
            self._runs(self.state.resume)
        else:
            self.start()

    def next(self) -> bool:
        return self._runs(self.state.next)

    def previous(self) -> bool:
        return self._runs(self.state.previous)

    def _on_changed(self, shown: ShownStop | None) -> None:
        window = self.window
        window.action("tour").setChecked(shown is not None)
        if shown is None:
            window.diagram.set_highlights(())
            return
        window.diagram.set_highlights(shown.stop.highlight)
        # The code reader is a dock; the other views are tabs of the centre.
        centre = shown.stop.view if shown.stop.view in ("unrolled", "gradient") else "cell"
        window.show_centre_view(centre)
