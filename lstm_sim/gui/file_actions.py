"""The main window's file commands: File ▸ Open and Recent files, dropping a model file on
the window, File ▸ Load inputs…, and the exports (the trace as .npz or .csv, the diagram
as SVG or PNG). Opening goes through the window, which opens everything through the
state's opener."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMenu

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow

TRACE_FILE_FILTERS = {"NumPy arrays (*.npz)": ".npz", "CSV table, one row per unit (*.csv)": ".csv"}
RECENT_FILES_KEY = "recent_files"
MAX_RECENT_FILES = 8


def model_file_filter() -> str:
    """File ▸ Open's filter: every suffix the engine reads. Built when the dialog opens:
    the list of suffixes comes with every reader's module, which a start does not need."""
    from lstm_sim.engine.formats import SUFFIXES

    return f"Model files ({' '.join(f'*{suffix}' for suffix in SUFFIXES)});;All files (*)"


class FileActions(QObject):
    """File commands of ``window``; ``settings`` keeps the recent files between runs (none:
    this run only); ``recent_menu`` lists them."""

    def __init__(
        self, window: MainWindow, recent_menu: QMenu, settings: QSettings | None = None
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.recent_menu = recent_menu
        self.recent_files: list[str] = self._stored_recent_files()
        self._fill_recent_menu()
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    # -- opening ---------------------------------------------------------------------------
    def open_dialog(self) -> None:
        window = self.window
        path, _ = QFileDialog.getOpenFileName(window, "Open model", "", model_file_filter())
        if path:
            window.open_model(path)

    def load_inputs_dialog(self) -> None:
        """Ask for a sequence and initial-state files and run the open model on them."""
        from lstm_sim.gui.panels.load_inputs_dialog import LoadInputsDialog

        window = self.window
        dialog = LoadInputsDialog(window.session.network, window)
        if dialog.exec() != LoadInputsDialog.DialogCode.Accepted:
            return
        try:
            source = dialog.source()
        except ValueError as err:
            window.show_error("Cannot load these inputs", str(err))
            return
        if source is not None:
            window.opening.load_inputs(source)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A single local file dragged onto the window opens like File ▸ Open."""
        if watched is self.window and isinstance(event, QDragEnterEvent):
            urls = event.mimeData().urls()
            if len(urls) == 1 and urls[0].isLocalFile():
                event.acceptProposedAction()
                return True
        elif watched is self.window and isinstance(event, QDropEvent):
            urls = event.mimeData().urls()
            if urls:
                event.acceptProposedAction()
                self.window.open_model(urls[0].toLocalFile())
                return True
        return False

    # -- recent files ----------------------------------------------------------------------
    def _stored_recent_files(self) -> list[str]:
        if self.settings is None:
            return []
        stored = self.settings.value(RECENT_FILES_KEY, [])
        # QSettings gives back a bare string when a single value was stored.
        if isinstance(stored, str):
            return [stored]
        return [str(p) for p in stored] if isinstance(stored, list) else []

    def remember(self, path: str) -> None:
        """Put ``path`` first in File ▸ Recent files."""
        full = str(Path(path).resolve())
        self.recent_files = [full] + [p for p in self.recent_files if p != full]
        del self.recent_files[MAX_RECENT_FILES:]
        if self.settings is not None:
            self.settings.setValue(RECENT_FILES_KEY, self.recent_files)
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.window.open_model(p))
        self.recent_menu.setEnabled(bool(self.recent_files))

    # -- exports ---------------------------------------------------------------------------
    def export_trace(self, path: str) -> bool:
        """Write every recorded quantity to ``path`` (.npz or .csv), as ``lstm-sim trace``
        does; a file that cannot be written gets a dialog."""
        from lstm_sim.engine.formats.trace_files import write_trace

        session = self.window.session
        try:
            write_trace(session.network, session.trace, path)
        except (ValueError, OSError) as err:
            self.window.show_error("Cannot export the trace", f"{path}: {err}")
            return False
        self.window.statusBar().showMessage(f"Trace written to {path}", 5000)
        return True

    def export_trace_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self.window, "Export trace", "trace.npz", ";;".join(TRACE_FILE_FILTERS)
        )
        if not path:
            return
        if Path(path).suffix.lower() not in TRACE_FILE_FILTERS.values():
            path += TRACE_FILE_FILTERS.get(chosen, ".npz")
        self.export_trace(path)

    def export_svg(self) -> None:
        window = self.window
        path, _ = QFileDialog.getSaveFileName(window, "Export diagram", "cell.svg", "SVG (*.svg)")
        if not path:
            return
        try:
            window.diagram.save_svg(path)
        except OSError as err:
            window.show_error("Cannot export the diagram", str(err))

    def export_png(self) -> None:
        window = self.window
        path, _ = QFileDialog.getSaveFileName(window, "Export diagram", "cell.png", "PNG (*.png)")
        if not path:
            return
        from lstm_sim.gui.image_file import save_pixmap

        try:
            save_pixmap(window.diagram.grab(), path)
        except OSError as err:
            window.show_error("Cannot export the diagram", str(err))
