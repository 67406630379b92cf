"""The View menu's intents and the window's own reactions to the view settings.

The toggles write to :class:`~lstm_sim.model.view_settings.ViewSettings` (or bring a centre
view forward); the reactions keep the checkable actions, the toolbar icons' tint, the
window palette and the plots' "no spoilers" cover in step with those settings, whoever
changed them (a menu, a restored layout, presentation mode, a test).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QStyle

from lstm_sim.gui.colors import THEMES, window_palette
from lstm_sim.gui.session_link import follow_theme

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow


class ViewCommands:
    """Kept as ``window.view_commands``; :meth:`detach` stops following the settings."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        view = window.state.view
        self._unfollow: list[Callable[[], None]] = [follow_theme(view, self._on_theme_changed)]
        view.reduced_motion_changed.connect(self._on_reduced_motion_changed)
        view.no_spoilers_changed.connect(self._on_no_spoilers_changed)
        self._on_no_spoilers_changed(view.no_spoilers)
        window.controller.playing_changed.connect(self._on_playing_changed)
        window.centre_views.currentChanged.connect(self._on_centre_view_changed)
        session = window.session
        self._pass_signals = (session.network_changed, session.layer_changed, session.pass_changed)
        for signal in self._pass_signals:
            signal.connect(self._on_pass_changed)
        self._on_pass_changed()

    def detach(self) -> None:
        view = self.window.state.view
        for unfollow in self._unfollow:
            unfollow()
        for signal in self._pass_signals:
            signal.disconnect(self._on_pass_changed)
        view.reduced_motion_changed.disconnect(self._on_reduced_motion_changed)
        view.no_spoilers_changed.disconnect(self._on_no_spoilers_changed)

    # -- intents ---------------------------------------------------------------------------
    def toggle_dark(self) -> None:
        self.window.set_theme("dark" if self.window.action("dark").isChecked() else "light")

    def toggle_reduced_motion(self) -> None:
        self.window.state.view.reduced_motion = self.window.action("reduced").isChecked()

    def toggle_no_spoilers(self) -> None:
        self.window.state.view.no_spoilers = self.window.action("no_spoilers").isChecked()

    def toggle_reverse_pass(self) -> None:
        reverse = self.window.action("reverse_pass").isChecked()
        self.window.session.follow("reverse" if reverse else "forward")

    def toggle_unrolled(self) -> None:
        unrolled = self.window.action("unrolled").isChecked()
        self.show_centre_view("unrolled" if unrolled else "cell")

    def show_centre_view(self, name: str) -> None:
        """Bring the ``cell`` diagram, the ``unrolled`` chain or the vanishing ``gradient``
        (when its tab is open; the cell otherwise) to the front."""
        window = self.window
        views = {"unrolled": window.unrolled, "gradient": window.gradient_tab.panel}
        window.centre_views.setCurrentWidget(views.get(name) or window.diagram)

    # -- reactions -------------------------------------------------------------------------
    def _on_centre_view_changed(self, index: int) -> None:
        window = self.window
        front = window.centre_views.currentWidget()
        window.action("unrolled").setChecked(front is window.unrolled)
        # The equation is the cell's: beside the gradient or the code reader it would only
        # take height from them.
        window.equation_area.setVisible(front in (window.diagram, window.unrolled))

    def _on_playing_changed(self, playing: bool) -> None:
        window = self.window
        pix = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        window.action("play").setIcon(window.commands.icon(pix))
        window.action("play").setText("Pause" if playing else "Play")

    def _on_theme_changed(self, name: str) -> None:
        window = self.window
        window.action("dark").setChecked(name == "dark")
        window.commands.set_tint(THEMES[name].foreground if name == "dark" else None)
        self._on_playing_changed(window.controller.playing)
        window.setPalette(window_palette(name, QApplication.style().standardPalette()))
        window.inputs.set_highlight_color(THEMES[name].highlight)

    def _on_pass_changed(self, *_: object) -> None:
        """The switch shows the selected layer's shown pass; it can change it only in a
        bidirectional layer (a one-way layer has one pass to show)."""
        session, action = self.window.session, self.window.action("reverse_pass")
        action.setChecked(session.shown_pass == "reverse")
        action.setEnabled(len(session.passes) > 1)

    def _on_reduced_motion_changed(self, on: bool) -> None:
        self.window.action("reduced").setChecked(on)

    def _on_no_spoilers_changed(self, on: bool) -> None:
        self.window.action("no_spoilers").setChecked(on)
        for plot in (self.window.state_plot, self.window.gate_heatmaps):
            plot.set_no_spoilers(on)
