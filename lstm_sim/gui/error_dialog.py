"""No error is swallowed: an exception nobody caught becomes a dialog, and its traceback
goes to a log file.

Qt calls :data:`sys.excepthook` for an exception raised in a slot and then goes on with
the event loop, so the window and its session stay as they were. The hook installed here
writes the traceback to ``errors.log`` in the user's state folder, then shows a dialog
with one short message (a file error's own line; otherwise the exception's type and
message) and the traceback under "Show Details...". A worker thread's exception is
handed to the GUI thread by a queued signal. Every text is elided before it reaches a
widget: laying out a ten-million-character message would freeze the window for seconds.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from lstm_sim.gui.app import APP_NAME

MESSAGE_LIMIT = 600
"""Characters of a message a dialog shows: enough for a path and what was wrong."""
DETAILS_LIMIT = 20_000
"""Characters of a traceback a dialog's details show; the log keeps all of it."""
LOG_NAME = "errors.log"
LOG_ENTRY_LIMIT = 200_000
"""Characters of one traceback the log keeps."""
LOG_LIMIT = 1_000_000
"""Bytes the log may reach before it starts over (the previous one kept as .old)."""

ExceptionInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def elide(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to about ``limit`` characters in the middle, where a message's least
    useful part usually is (its start names the file, its end the finding)."""
    if len(text) <= limit:
        return text
    omitted = f" … ({len(text) - limit:,} characters omitted) … "
    head = (limit * 2) // 3
    return text[:head] + omitted + text[len(text) - (limit - head) :]


def log_folder() -> Path:
    """Where the error log goes: ``$XDG_STATE_HOME/lstm-sim`` when that is set, else
    ``~/.local/state/lstm-sim`` on Linux (the XDG default for state), else Qt's
    application-local data folder."""
    state = os.environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / APP_NAME
    if sys.platform.startswith("linux"):
        return Path.home() / ".local" / "state" / APP_NAME
    location = QStandardPaths.StandardLocation.AppLocalDataLocation
    return Path(QStandardPaths.writableLocation(location))


def write_log(details: str, folder: Path | None = None) -> Path:
    """Append ``details`` with a time stamp to the log; the path written, or OSError."""
    folder = log_folder() if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_NAME
    if path.exists() and path.stat().st_size > LOG_LIMIT:
        os.replace(path, path.with_name(LOG_NAME + ".old"))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with path.open("a", encoding="utf-8") as log:
        log.write(f"--- {stamp}\n{elide(details, LOG_ENTRY_LIMIT)}\n")
    return path


def summary(error: BaseException) -> str:
    """The dialog's one line: a ValueError (every file error is one) is meant for the
    user as it stands; anything else is named by its type too."""
    message = " ".join(str(error).split())
    if isinstance(error, ValueError) and message:
        return elide(message)
    return elide(f"{type(error).__name__}: {message}" if message else type(error).__name__)


def error_box(parent: QWidget | None, title: str, message: str, details: str = "") -> QMessageBox:
    """A dialog showing ``message`` elided, as plain text (a message quoting a file is
    never rendered as HTML), with ``details`` behind its "Show Details..." button."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, elide(message), parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if details:
        box.setDetailedText(elide(details, DETAILS_LIMIT))
    return box


class ExceptionReporter(QObject):
    """Turns an uncaught exception, on any thread, into a log entry and a dialog, once
    :meth:`install` has made it the hook of both :mod:`sys` and :mod:`threading`."""

    reported = Signal(str, str)  # the message and the details, delivered on the GUI thread

    def __init__(self, folder: Path | None = None) -> None:
        """``folder`` holds the log (None: :func:`log_folder`, looked up at each error)."""
        super().__init__()
        self.folder = folder
        self.box: QMessageBox | None = None
        self.log_path: Path | None = None
        self._previous: tuple[Callable[..., object], Callable[..., object]] | None = None
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        """Route uncaught exceptions here; Ctrl+C keeps its usual meaning."""
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook, threading.excepthook = self._hook, self._thread_hook

    def uninstall(self) -> None:
        """Put the hooks found by :meth:`install` back."""
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def _hook(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        self.report((kind, error, tb))

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return  # what threading's own hook does with these: nothing to show
        self.report((args.exc_type, args.exc_value, args.exc_traceback))

    def report(self, info: ExceptionInfo) -> None:
        """Log the exception and ask the GUI thread for a dialog; safe from any thread."""
        details = "".join(traceback.format_exception(*info))
        try:
            self.log_path = write_log(details, self.folder)
            where = f"The details were saved to {self.log_path}."
        except OSError as err:
            where = f"The details could not be saved ({err}); they are below."
        self.reported.emit(summary(info[1]), f"{where}\n\n{details}")

    def _show(self, message: str, details: str) -> None:
        if self.box is not None:
            return  # one at a time: an error that repeats is logged, not stacked up
        self.box = error_box(QApplication.activeWindow(), "Something went wrong", message, details)
        self.box.setInformativeText(
            "lstm-sim did not finish what it was doing. The window and its session are "
            "as they were before."
        )
        self.box.finished.connect(self._on_box_closed)
        self.box.open()  # not exec(): the event loop, and the window, keep running

    def _on_box_closed(self) -> None:
        if self.box is not None:
            self.box.deleteLater()
        self.box = None


def install_exception_hook(folder: Path | None = None) -> ExceptionReporter:
    """An :class:`ExceptionReporter` writing its log to ``folder``, installed."""
    reporter = ExceptionReporter(folder)
    reporter.install()
    return reporter
