"""No error is swallowed by the window: an exception raised in a slot or a worker thread
becomes a dialog (short message, traceback in the details) and a log entry, and the
session on screen is kept; long messages and typed values are cut before display."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLineEdit, QMessageBox

from lstm_sim.gui.error_dialog import (
    DETAILS_LIMIT,
    MESSAGE_LIMIT,
    ExceptionReporter,
    elide,
    install_exception_hook,
)
from lstm_sim.gui.panels.input_panel import INPUT_TEXT_LIMIT
from lstm_sim.model import opening as opening_module


@pytest.fixture
def reporter(monkeypatch, tmp_path: Path):
    """The hook the application installs, with its log under a temporary state folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    hooks = (sys.excepthook, threading.excepthook)
    installed = install_exception_hook()
    yield installed
    if installed.box is not None:
        installed.box.done(0)
    installed.uninstall()
    assert (sys.excepthook, threading.excepthook) == hooks


def shown_box(qtbot, reporter: ExceptionReporter) -> QMessageBox:
    qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible(), timeout=5000)
    assert reporter.box is not None
    return reporter.box


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_shows_a_dialog_logs_it_and_keeps_the_session(
    qtbot, make_window, settle, reporter, monkeypatch, tmp_path
):
    window = make_window()
    session = window.session
    session.seek(3, 2)
    network, h = session.network, session.trace.h.copy()

    def broken_reader(path: str, *options: object):
        raise RecursionError("maximum recursion depth exceeded while reading")

    # A reader bug: not a ValueError, so open_model does not catch it; the slot raises.
    monkeypatch.setattr(opening_module, "model_from_file", broken_reader)
    window.files.recent_files = [str(tmp_path / "model.pt")]
    window.files._fill_recent_menu()
    QTimer.singleShot(0, window.files.recent_menu.actions()[0].trigger)
    box = shown_box(qtbot, reporter)
    assert box.text() == "RecursionError: maximum recursion depth exceeded while reading"
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert "Traceback" in box.detailedText() and "broken_reader" in box.detailedText()
    log = tmp_path / "state" / "lstm-sim" / "errors.log"
    assert reporter.log_path == log and str(log) in box.detailedText()
    assert "RecursionError: maximum recursion depth" in log.read_text(encoding="utf-8")
    # the session on screen is the one before, and the window still steps
    assert session.network is network and (session.t, session.phase) == (3, 2)
    np.testing.assert_array_equal(session.trace.h, h)
    window.controller.next_phase()
    assert (session.t, session.phase) == (3, 3)
    box.done(0)
    qtbot.waitUntil(lambda: reporter.box is None)
    settle(window)


def test_a_worker_threads_exception_reaches_the_gui_thread(qtbot, reporter):
    def work() -> None:
        raise KeyError("unit 7")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    box = shown_box(qtbot, reporter)
    assert box.text() == "KeyError: 'unit 7'"
    assert "in work" in box.detailedText()


def test_a_file_error_is_shown_as_its_one_line(qtbot, reporter):
    reporter.report((ValueError, ValueError("model.pt: expected a zip, found text"), None))
    assert shown_box(qtbot, reporter).text() == "model.pt: expected a zip, found text"


def test_a_ten_million_character_message_is_elided_everywhere(
    qtbot, make_window, reporter, monkeypatch
):
    huge = "model.h5: expected a dataset, found " + "x" * 10_000_000 + " at the end"
    reporter.report((ValueError, ValueError(huge), None))
    box = shown_box(qtbot, reporter)
    assert len(box.text()) < MESSAGE_LIMIT + 60
    assert box.text().startswith("model.h5: expected") and box.text().endswith(" at the end")
    assert "characters omitted" in box.text()
    assert len(box.detailedText()) < DETAILS_LIMIT + 60
    assert reporter.log_path is not None and reporter.log_path.stat().st_size < 300_000
    # the window's own error dialogs are elided too
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: shown.append(text))
    make_window().show_error("Cannot open this model", huge)
    assert shown == [elide(huge)] and len(shown[0]) < MESSAGE_LIMIT + 60


def test_one_dialog_at_a_time_while_errors_repeat(qtbot, reporter):
    for k in range(3):
        reporter.report((RuntimeError, RuntimeError(f"paint failed {k}"), None))
    box = shown_box(qtbot, reporter)
    qtbot.wait(50)
    assert box.text() == "RuntimeError: paint failed 0" and reporter.box is box
    assert reporter.log_path is not None
    assert reporter.log_path.read_text(encoding="utf-8").count("paint failed") == 3


def test_a_megabyte_typed_into_an_input_cell_is_refused_before_validation(
    qtbot, make_window, settle, monkeypatch
):
    window = make_window()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    tokens = window.session.tokens
    set_token = window.session.set_token
    monkeypatch.setattr(window.session, "set_token", lambda *a: pytest.fail("validated"))
    assert not window.inputs.edit_cell(window.inputs.sequence, 0, 2, "x" * 1_000_000)
    assert len(shown) == 1 and "1,000,000 characters" in shown[0] and len(shown[0]) < 200
    assert window.session.tokens == tokens
    assert window.inputs.cell_text(window.inputs.sequence, 0, 2) == tokens[2]
    monkeypatch.setattr(window.session, "set_token", set_token)
    # the cell's editor itself stops at the limit
    cell = window.inputs.sequence_model.index(0, 2)
    window.inputs.sequence.edit(cell)
    editors = window.inputs.sequence.findChildren(QLineEdit)
    assert editors and all(e.maxLength() == INPUT_TEXT_LIMIT for e in editors)
    window.inputs.sequence.closePersistentEditor(cell)
    settle(window)


@pytest.mark.qt_no_exception_capture
def test_the_application_installs_the_hook_while_it_runs(qtbot, monkeypatch):
    from PySide6.QtWidgets import QApplication

    from lstm_sim.gui import app

    hooks = (sys.excepthook, threading.excepthook)
    seen: list[object] = []

    def exec_once(self) -> int:
        seen.append(sys.excepthook.__self__)  # a bound method of the installed reporter
        return 0

    monkeypatch.setattr(QApplication, "exec", exec_once)
    assert app.run() == 0
    assert len(seen) == 1 and isinstance(seen[0], ExceptionReporter)
    assert (sys.excepthook, threading.excepthook) == hooks
