"""Opening from the window: the scenario picker, File ▸ New random model, the chooser of
a file's recurrent module, reading an RNN again with another nonlinearity, loading
inputs, the dialogs that say why something could not be opened, and the views an opening
asks for besides the cell. The loading itself is the state's
:class:`~lstm_sim.model.opening.Opener`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from lstm_sim.gui.panels.module_chooser import ask_for_module
from lstm_sim.model.input_source import InputSource
from lstm_sim.model.opening import ModuleChoiceNeeded, Opening

if TYPE_CHECKING:
    from lstm_sim.engine.formats.torch_state_dict import RecurrentModule
    from lstm_sim.gui.main_window import MainWindow

    ModuleQuestion = Callable[[str, Sequence[RecurrentModule], QWidget | None], str | None]


class OpenCommands(QObject):
    """Opens through ``window.state.opener`` and reacts to every opening: a file goes to
    File ▸ Recent files, the cell is fitted again, a scenario's view opens."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.opener = window.state.opener
        self.opener.opened.connect(self._on_opened)
        # Asks which recurrent module to open: (path, candidates, parent) → a prefix, or
        # None when the user cancels. A test puts its own answer here.
        self.ask_for_module: ModuleQuestion = ask_for_module

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
        try:
            self.opener.open_file(path)
        except ModuleChoiceNeeded as choice:
            return self.choose_module(choice)
        except (ValueError, OSError) as err:
            self.window.show_error("Cannot open this model", str(err))
            return False
        return True

    def choose_module(
        self,
        choice: ModuleChoiceNeeded,
        inputs: InputSource | None = None,
        nonlinearity: str | None = None,
    ) -> bool:
        """Ask which of the file's recurrent modules to open, and open it (on ``inputs``,
        with ``nonlinearity``, when given); a cancel changes nothing."""
        prefix = self.ask_for_module(choice.path, choice.candidates, self.window)
        if prefix is None:
            return False
        return self._opens(
            "Cannot open this module",
            lambda: self.opener.open_file(
                choice.path, prefix=prefix, nonlinearity=nonlinearity, inputs=inputs
            ),
        )

    def set_nonlinearity(self, nonlinearity: str) -> bool:
        """Read the open RNN again with ``nonlinearity``; every step reruns."""
        return self._opens(
            "Cannot switch the nonlinearity", lambda: self.opener.set_nonlinearity(nonlinearity)
        )

    def load_inputs(self, source: InputSource) -> bool:
        """Run the open model on the files ``source`` names, as one undoable edit."""
        if not self._opens("Cannot load these inputs", lambda: self.opener.load_inputs(source)):
            return False
        self.window.statusBar().showMessage(
            f"Loaded {source.describe()} · Edit ▸ Undo edit puts the previous sequence back",
            8000,
        )
        return True

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

    def open_views(self, opening: Opening) -> None:
        """The view ``opening`` asks for besides the cell, a dock or a centre tab (the
        vanishing-gradient tab closes when the opening does not ask for it); a scenario's
        Guide in front."""
        from lstm_sim.gui.demo_views import show_code_reader

        window = self.window
        if opening.kind == "scenario" and not window.presentation.active:
            # A scenario says what to watch: its Guide comes first among the docks (not
            # over a presentation, where a tour's stops open scenarios too).
            window.show_guide()
        if opening.view == "code_reader":
            if not window.tour.arranges_reader():
                show_code_reader(window)
        elif opening.view == "gradient_comparison" and opening.partners:
            window.gradient_tab.show(*(partner.copy() for partner in opening.partners))
        else:
            window.gradient_tab.remove()
