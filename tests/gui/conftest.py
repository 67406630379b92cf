"""GUI test set-up: a factory that builds main windows and fails the test if anything
is still running when it ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PySide6.QtCore import QAbstractAnimation, QThread, QTimer
from PySide6.QtWidgets import QApplication

from lstm_sim.gui.app import create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network


def still_running(window: MainWindow) -> list[str]:
    """Timers, animations and threads owned by ``window`` that have not stopped."""
    busy = [
        f"timer {timer.parent().__class__.__name__}.{timer.objectName() or 'unnamed'}"
        for timer in window.findChildren(QTimer)
        if timer.isActive()
    ]
    busy += [
        f"animation {anim.__class__.__name__}"
        for anim in window.findChildren(QAbstractAnimation)
        if anim.state() == QAbstractAnimation.State.Running
    ]
    busy += [f"thread {t.objectName()}" for t in window.findChildren(QThread) if t.isRunning()]
    if window.diagram.is_animating():
        busy.append("diagram flow animation")
    return busy


def settle_window(qtbot, window: MainWindow) -> None:
    """Let the diagram's flow finish and the plots draw their pending frame."""
    window.diagram.finish_animation()
    window.flush_views()
    # Generous: a loaded CI machine can take seconds to run a deferred view's first frame,
    # and waitUntil returns as soon as the window is idle.
    qtbot.waitUntil(lambda: not still_running(window), timeout=15000)


@pytest.fixture
def settle(qtbot) -> Callable[[MainWindow], None]:
    return lambda window: settle_window(qtbot, window)


@pytest.fixture
def make_window(qtbot) -> Iterator[Callable[..., MainWindow]]:
    create_application()
    windows: list[MainWindow] = []

    def build(session: Session | None = None, size: tuple[int, int] = (1280, 720)) -> MainWindow:
        if session is None:
            session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
        window = MainWindow(session)
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        # Window shortcuts (the arrow keys) fire only in the active window.
        with qtbot.waitActive(window):
            window.activateWindow()
        settle_window(qtbot, window)
        windows.append(window)
        return window

    yield build
    leftovers = {id(w): still_running(w) for w in windows}
    for window in windows:
        window.close()
    QApplication.processEvents()
    running = [item for items in leftovers.values() for item in items]
    if running:
        pytest.fail(f"still running at teardown: {', '.join(running)}")


@pytest.fixture
def numeric_session() -> Session:
    rng = np.random.default_rng(5)
    from lstm_sim.engine import Network

    network = Network.random("lstm", 2, 3, rng, num_layers=2)
    return Session(network, rng.uniform(-1, 1, size=(5, 2)), title="numeric")
