"""File ▸ Save session / Open session: the whole window's state in one ``.lstmsim`` file
(see :mod:`lstm_sim.model.session_file`). A damaged file gets a dialog naming the problem
and the session on screen stays as it was.

The session-file module is imported by the first save or open, not with the window.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from lstm_sim.engine.formats.errors import ModelFileError

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow


def file_filter() -> str:
    from lstm_sim.model.session_file import SUFFIX

    return f"lstm-sim sessions (*{SUFFIX})"


class SessionFiles(QObject):
    """Saving and opening sessions for ``window``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def save_dialog(self) -> None:
        from lstm_sim.model.session_file import SUFFIX

        path, _ = QFileDialog.getSaveFileName(self.window, "Save session", "", file_filter())
        if path:
            self.save(path if path.endswith(SUFFIX) else path + SUFFIX)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session", "", file_filter())
        if path:
            self.open(path)

    def save(self, path: str | Path) -> bool:
        """Write the session to ``path``; a failure gets a dialog."""
        from lstm_sim.model.session_file import save_session

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
        from lstm_sim.model.session_file import read_session, restore_session

        window = self.window
        window.controller.pause()
        try:
            restore_session(window.state, read_session(path))
        except ModelFileError as err:
            window.show_error("Cannot open the session", str(err))
            return False
        window.statusBar().showMessage(f"Session opened from {path}")
        return True
