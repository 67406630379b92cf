"""``lstm_sim.show(model, inputs)``: the window on a model from Python.

From a script it blocks until the window closes. From IPython or Jupyter with ``%gui qt``
(the shell already runs Qt's event loop) it returns at once with the window, which stays
open and live; ``block=False`` does the same anywhere. Every call reuses the one
QApplication.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from lstm_sim.gui.app import DEFAULT_SIZE, SESSION_SUFFIX, create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session
from lstm_sim.model.app_state import AppState
from lstm_sim.model.demo import default_inputs
from lstm_sim.python_api import _as_inputs, as_network

_open_windows: list[MainWindow] = []
"""Windows shown without blocking: kept here so Python does not collect them while open."""

QT_EVENT_LOOPS = ("qt", "qt5", "qt6")


def shell_runs_qt() -> bool:
    """Whether an IPython shell runs Qt's event loop (``%gui qt``); asked only of an
    IPython the caller already imported."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return getattr(shell, "active_eventloop", None) in QT_EVENT_LOOPS


def _title(model: Any) -> str:
    if isinstance(model, str | os.PathLike):
        return os.path.basename(os.fspath(model))
    return type(model).__name__


def show(model: Any, inputs: Any = None, *, block: bool = True) -> MainWindow:
    """Open the window on ``model`` (a model file's path, a saved ``.lstmsim`` session, an
    lstm-sim Network, a ``torch.nn`` module or a Keras model) run on ``inputs`` (numbers
    (T, D), tokens, or text for a model with a vocabulary; default inputs when None).

    Blocks until the window closes unless ``block`` is False or IPython runs Qt's event
    loop (``%gui qt``); returns the window either way.
    """
    app = create_application()
    if isinstance(model, str | os.PathLike) and os.fspath(model).endswith(SESSION_SUFFIX):
        from lstm_sim.model.session_file import read_session, restore_session

        saved = read_session(model)
        session = Session(saved.network, saved.inputs, h0=saved.h0, c0=saved.c0)
        state = AppState(session)
        restore_session(state, saved)
    else:
        network = as_network(model)
        data = default_inputs(network) if inputs is None else _as_inputs(network, inputs)
        session = Session(network, data, title=_title(model))
        state = AppState(session)
    window = MainWindow(session, state=state)
    window.resize(*DEFAULT_SIZE)
    window.show()
    if block and not shell_runs_qt():
        app.exec()
        return window
    _open_windows.append(window)
    window.destroyed.connect(lambda *_: _forget(window))
    return window


def _forget(window: MainWindow) -> None:
    if window in _open_windows:
        _open_windows.remove(window)
