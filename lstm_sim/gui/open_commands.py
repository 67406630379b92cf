"""Opening from the window: the scenario picker, File ▸ New random model, the dialogs
that say why something could not be opened, and the views an opening asks for besides
the cell. The loading itself is the state's :class:`~lstm_sim.model.opening.Opener`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from lstm_sim.model.opening import Opening

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow


class OpenCommands(QObject):
    """Opens through ``window.state.opener`` and reacts to every opening: a file goes to
    File ▸ Recent files, the cell is fitted again, a scenario's view opens."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.opener = window.state.opener
        self.opener.opened.connect(self._on_opened)

    def detach(self) -> None:
        self.opener.opened.disconnect(self._on_opened)

    def _opens(self, problem: str, open_: Callable[[], object]) -> bool:
        """Run one of the opener's loads; a failure gets a dialog and changes nothing."""
        try:
            open_()
        except (ValueError, OSError) as err:
            self.window.show_error(problem, str(err))
            return False
        return True

    def open_model(self, path: str) -> bool:
        return self._opens("Cannot open this model", lambda: self.opener.open_file(path))

    def open_scenario(self, name: str) -> bool:
        return self._opens("Cannot open this scenario", lambda: self.opener.open_scenario(name))

    def open_scenario_dialog(self) -> None:
        from lstm_sim.gui.panels.scenario_picker import PickerEntry, ScenarioPicker
        from lstm_sim.model.scenario_registry import listings

        entries = [PickerEntry(e.name, e.title, e.description) for e in listings()]
        picker = ScenarioPicker(entries, self.window)
        if picker.exec() == ScenarioPicker.DialogCode.Accepted:
            self.open_scenario(picker.chosen)

    def new_random_model(self) -> None:
        from lstm_sim.gui.panels.new_model_dialog import NewModelDialog

        dialog = NewModelDialog(self.window)
        if dialog.exec() == NewModelDialog.DialogCode.Accepted:
            arguments = dialog.arguments()
            self._opens("Cannot build this model", lambda: self.opener.open_random(**arguments))

    def _on_opened(self, opening: Opening) -> None:
        window = self.window
        if opening.kind == "file":
            window.files.remember(opening.source)
        window.diagram.reset_zoom()
        self.open_views(opening)

    def open_views(self, opening: Opening, *, docks: bool = True, windows: bool = True) -> None:
        """The view ``opening`` asks for besides the cell: a dock of the window (with
        ``docks``) or a window of its own (with ``windows``)."""
        from lstm_sim.gui.demo_views import open_gradient_comparison, show_code_reader

        window = self.window
        if opening.view == "code_reader" and docks:
            show_code_reader(window)
        elif opening.view == "gradient_comparison" and opening.partners and windows:
            lstm, rnn = window.session.network, opening.partners[0]
            open_gradient_comparison(window, lstm.copy(), rnn.copy(), window.session.inputs())
