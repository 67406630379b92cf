"""File ▸ Save session / Open session: the whole window's state in one ``.lstmsim`` file
(see :mod:`lstm_sim.model.session_file`). A damaged file gets a dialog naming the problem
and the session on screen stays as it was."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from lstm_sim.engine.formats.errors import ModelFileError
from lstm_sim.model.session_file import SUFFIX, read_session, restore_session, save_session

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow

FILTER = f"lstm-sim sessions (*{SUFFIX})"


class SessionFiles(QObject):
    """Saving and opening sessions for ``window``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save session", "", FILTER)
        if path:
            self.save(path if path.endswith(SUFFIX) else path + SUFFIX)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session", "", FILTER)
        if path:
            self.open(path)

    def save(self, path: str | Path) -> bool:
        """Write the session to ``path``; a failure gets a dialog."""
        window = self.window
        try:
            saved = save_session(window.state, path)
        except (OSError, ValueError) as err:
            window.show_error("Cannot save the session", f"{path}: {err}")
            return False
        window.statusBar().showMessage(f"Session saved to {saved}")
        return True

    def open(self, path: str | Path) -> bool:
        """Show the session saved in ``path``; a damaged file gets a dialog and changes
        nothing."""
        window = self.window
        window.controller.pause()
        try:
            restore_session(window.state, read_session(path))
        except ModelFileError as err:
            window.show_error("Cannot open the session", str(err))
            return False
        window.statusBar().showMessage(f"Session opened from {path}")
        return True
