"""Starting the GUI: the QApplication, the first session, and the window (or a
screenshot of it)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

# pyqtgraph picks its Qt binding at import; PySide6 is the only one lstm-sim ships with.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication

from lstm_sim.collector_pause import resume_collection
from lstm_sim.model.opening import ModuleChoiceNeeded

if TYPE_CHECKING:
    from lstm_sim.model.app_state import AppState
    from lstm_sim.model.input_source import InputSource

APP_NAME = "lstm-sim"
FONT_PT = 12
"""Default font size: readable from the back of a lecture room."""
DEFAULT_SIZE = (1600, 900)
SESSION_SUFFIX = ".lstmsim"
"""A saved session (see :mod:`lstm_sim.model.session_file`), opened whole instead of a model."""
COLLECTOR_DEADLINE_MS = 3000
"""When the garbage collector comes back on even if the window has not painted yet (it
starts minimised, or on a screen that never exposes it): a normal start is done in half
a second, and a session must not run for hours without collecting."""


def create_application() -> QApplication:
    """The QApplication, created once (tests and the CLI share this)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Fractional scale factors (125 %, 150 %) keep their size instead of rounding.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setStyle("Fusion")  # the same look on every platform, and a dark palette that works
    font = QFont(app.font())
    font.setPointSize(max(font.pointSize(), FONT_PT))
    app.setFont(font)
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True)
    return app


def open_first(
    state: AppState,
    model_path: str | None,
    scenario: str | None = None,
    inputs: InputSource | None = None,
    prefix: str | None = None,
    nonlinearity: str | None = None,
) -> tuple[str | None, ModuleChoiceNeeded | None]:
    """Open what the command line names into ``state`` (nothing: the session stays).
    Returns (what went wrong, or None; the module choice a file with several recurrent
    modules needs, or None); whatever failed left the session as it was."""
    try:
        if model_path is not None and str(model_path).endswith(SESSION_SUFFIX):
            from lstm_sim.model.session_file import read_session, restore_session

            restore_session(state, read_session(model_path))
            if inputs is not None:
                state.opener.load_inputs(inputs)
        elif model_path is not None:
            state.opener.open_file(
                model_path, prefix=prefix, nonlinearity=nonlinearity, inputs=inputs
            )
        else:
            if scenario is not None:
                state.opener.open_scenario(scenario)
            if inputs is not None:
                state.opener.load_inputs(inputs)
    except ModuleChoiceNeeded as err:
        # The window asks which module to open; a screenshot cannot ask.
        return str(err), err
    except (ValueError, OSError) as err:
        return str(err), None
    return None, None


def run(
    model_path: str | None = None,
    *,
    scenario: str | None = None,
    inputs: InputSource | None = None,
    prefix: str | None = None,
    nonlinearity: str | None = None,
    screenshot: str | None = None,
    steps: int = 0,
    size: tuple[int, int] | None = None,
    theme: str | None = None,
    present: bool = False,
    tour: str | None = None,
) -> int:
    """Open the window on ``model_path`` (a model file or a saved ``.lstmsim`` session) or
    the lecture ``scenario`` (the demo when both are None), on ``inputs`` when given
    (``prefix`` and ``nonlinearity`` as ``lstm-sim trace`` takes them), and run until it
    closes. A file with several recurrent modules and no prefix asks which one to open.

    With ``screenshot``, render the window after ``steps`` phase steps to that PNG
    instead, and return at once. ``present`` starts in presentation mode; ``tour`` starts
    the lecture tour at that chapter ("" for the first; the tour opens its own scenarios).
    Without a model, scenario or tour, the window reopens what the last run had open.
    Returns the process exit status.
    """
    from PySide6.QtCore import QSettings

    from lstm_sim.gui.main_window import MainWindow
    from lstm_sim.model import Session
    from lstm_sim.model.app_state import AppState
    from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network
    from lstm_sim.model.view_settings import ViewSettings

    app = create_application()
    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    # No theme asked for: light, or the one the last run ended with (restored below).
    state = AppState(session, ViewSettings(theme or "light"))
    # Recent files, the layout and the last model persist only for the real application,
    # never for tests or screenshots.
    settings = QSettings() if screenshot is None else None
    problem, choice = open_first(state, model_path, scenario, inputs, prefix, nonlinearity)
    named = model_path is not None or scenario is not None or inputs is not None
    if problem is None and tour is not None:
        try:
            state.tour.start(tour or None)
        except (ValueError, OSError) as err:
            problem = str(err)
    elif problem is None and not named and settings is not None:
        from lstm_sim.gui.window_memory import reopen_last

        problem = reopen_last(state.opener, settings)
    if problem is not None and screenshot is not None:
        print(f"lstm-sim: error: {problem}", file=sys.stderr)
        return 2
    window = MainWindow(session, settings=settings, state=state)
    if size is not None and screenshot is not None:
        window.resize(*size)  # off screen: exactly the picture asked for
    else:
        from PySide6.QtCore import QSize

        # A size asked for on the command line wins over the remembered one.
        window.memory.restore(
            QSize(*(size or DEFAULT_SIZE)), geometry=size is None, theme=theme is None
        )
    # The view an opening asks for is part of the first picture. After the window has its
    # size: the code reader floats at nearly that size, as it does from the Demos menu.
    window.opening.open_views(state.opener.current)
    if state.tour.active:
        window.tour.follow_current()
    try:
        if screenshot is not None:
            from lstm_sim.gui.screenshot import save_screenshot

            if present:
                window.presentation.enter(full_screen=False)
            if not save_screenshot(window, screenshot, steps):
                print(f"lstm-sim: error: could not write {screenshot}", file=sys.stderr)
                return 2
            return 0
        from lstm_sim.gui.error_dialog import install_exception_hook

        # From here on an exception no code caught is a dialog and a log entry, not silence.
        reporter = install_exception_hook()
        # What the start made lives as long as the window: see collector_pause.
        window.deferred.finished.connect(lambda: resume_collection(freeze=True))
        QTimer.singleShot(COLLECTOR_DEADLINE_MS, lambda: resume_collection(freeze=True))
        window.show()
        window.diagram.reset_zoom()
        if present:
            window.presentation.enter()
        if choice is not None:
            chosen = choice
            QTimer.singleShot(0, lambda: window.opening.choose_module(chosen, inputs, nonlinearity))
        elif problem is not None:
            QTimer.singleShot(0, lambda: window.show_error("Cannot open this model", problem))
        try:
            return int(app.exec())
        finally:
            reporter.uninstall()
    finally:
        window.close()
        # Delete the window while the QApplication still exists; Python's exit-time
        # teardown would otherwise destroy them in the wrong order and crash.
        window.deleteLater()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
