"""The lecture tour in the window: Help ▸ Lecture tour and the keys that move through it.

The stop itself is applied by the Qt-free :class:`~lstm_sim.model.tour_state.TourState`
(scenario, step, phase, layer, unit); here the window follows it: the named parts of the
cell light up and the stop's view comes to the front, in the window's centre above the
caption band. The code reader, a floating dock elsewhere, moves into the centre for its
stops (floating, it would cover the caption and miss the clicker's keys) and back to its
dock after them. A scenario that cannot be opened gets a dialog and the tour stays where
it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from lstm_sim.model.tour_state import ShownStop

if TYPE_CHECKING:
    from lstm_sim.gui.code_reader import CodeReader
    from lstm_sim.gui.main_window import MainWindow

READER_TAB_TITLE = "Code reader"


class TourCommands(QObject):
    """Start, step through, leave and resume the tour of ``window.state.tour``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.state = window.state.tour
        self.state.changed.connect(self._on_changed)
        self.reader_in_centre: CodeReader | None = None
        """The code reader while a stop shows it in the centre, else None."""

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

    def arranges_reader(self) -> bool:
        """Whether the tour, not the opening, places the code reader: while a stop opens
        the code-reader scenario, or a code-reader stop is shown."""
        shown = self.state.shown
        at_reader_stop = shown is not None and shown.stop.view == "code-reader"
        return self.state.applying or (self.state.active and at_reader_stop)

    def _on_changed(self, shown: ShownStop | None) -> None:
        window = self.window
        window.action("tour").setChecked(shown is not None)
        window.set_touring(shown is not None)
        if shown is None:
            window.diagram.set_highlights(())
            if self.reader_in_centre is not None:
                from lstm_sim.gui.demo_views import show_code_reader

                self._reader_to_dock()
                if window.state.opener.current.view == "code_reader":
                    # Left to explore: the reader as the code-reader scenario shows it
                    # (not when the tour was left for another opening).
                    show_code_reader(window)
            return
        window.diagram.set_highlights(shown.stop.highlight)
        if shown.stop.view == "code-reader":
            self._reader_to_centre()
            self._point_reader_at(shown)
            return
        self._reader_to_dock()
        centre = shown.stop.view if shown.stop.view in ("unrolled", "gradient") else "cell"
        window.show_centre_view(centre)

    def _reader_to_centre(self) -> None:
        from lstm_sim.gui.demo_views import install_demo_views

        window = self.window
        if self.reader_in_centre is None:
            install_demo_views(window)
            reader = window.demo_views.code_reader
            window.docks["code_reader"].hide()
            window.centre_views.addTab(reader, READER_TAB_TITLE)  # takes it from the dock
            self.reader_in_centre = reader
        window.centre_views.setCurrentWidget(self.reader_in_centre)

    def _point_reader_at(self, shown: ShownStop) -> None:
        """The reader ranks units for the stop's pattern and colours the text by the
        quantity the model names for that unit, so what it shows is what the caption
        says (the unit itself the stop has selected)."""
        from lstm_sim.model.code_reader import shipped_units

        reader = self.reader_in_centre
        pattern = shown.stop.unit_pattern
        if reader is None or pattern is None:
            return
        reader.finder.set_pattern(pattern)
        try:
            found = shipped_units(self.window.session.network).get(pattern)
        except ValueError:
            found = None  # the caption already says the model names no such unit
        if found is not None and shown.unit is not None:
            reader.set_quantity(found.quantity)
        # Scrolled to the stop's character once the reader has its size in the centre:
        # scrolled while it was hidden, the string or comment may sit off screen.
        text_view, t = reader.text_view, shown.t
        QTimer.singleShot(0, text_view, lambda: text_view.ensure_visible(t))

    def _reader_to_dock(self) -> None:
        reader, self.reader_in_centre = self.reader_in_centre, None
        if reader is None:
            return
        window = self.window
        views = window.centre_views
        if views.currentWidget() is reader:
            views.setCurrentWidget(window.diagram)
        views.removeTab(views.indexOf(reader))
        window.docks["code_reader"].setWidget(reader)
