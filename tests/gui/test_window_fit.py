"""The window fits the screen, keeps every dock on it, and remembers its layout, theme
and model between runs (in an isolated QSettings)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSettings, QSize
from PySide6.QtWidgets import QDockWidget

from lstm_sim.gui.main_window import MainWindow
from lstm_sim.gui.window_memory import SCREEN_MARGIN_PX, fitted_size, reopen_last
from lstm_sim.model import Session
from lstm_sim.model.app_state import AppState
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network


def test_a_window_never_opens_larger_than_the_screen():
    screen = QRect(0, 0, 1280, 720)
    fitted = fitted_size(QSize(1600, 900), screen)
    assert fitted == QSize(1280 - 2 * SCREEN_MARGIN_PX, 720 - 2 * SCREEN_MARGIN_PX)
    assert fitted_size(QSize(1000, 600), QRect(0, 0, 3840, 2160)) == QSize(1000, 600)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_no_dock_or_panel_outside_the_window(make_window, size):
    window = make_window(size=size)
    window.flush_views()
    area = window.rect()
    # A tabbed dock behind another counts as visible but has no region on screen.
    docks = window.findChildren(QDockWidget)
    shown = [w for w in docks if w.isVisible() and not w.visibleRegion().isEmpty()]
    assert len(shown) >= 2
    shown += [window.diagram, window.equation.parentWidget(), window.centre_views]
    for widget in shown:
        top_left = widget.mapTo(window, widget.rect().topLeft())
        where = QRect(top_left, widget.size())
        assert area.contains(where), (widget.objectName() or type(widget).__name__, where)
        assert widget.width() >= 200 and widget.height() >= 100, widget


def _window(settings: QSettings, qtbot) -> MainWindow:
    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    window = MainWindow(session, settings=settings, state=AppState(session))
    qtbot.addWidget(window)
    return window


def test_layout_theme_and_model_are_remembered(tmp_path, qtbot):
    settings = QSettings(str(tmp_path / "lstm-sim.ini"), QSettings.Format.IniFormat)
    window = _window(settings, qtbot)
    window.memory.restore(QSize(700, 600))  # the offscreen screen is 800x800
    window.show()
    window.state.opener.open_scenario("counting")
    window.set_theme("dark")
    window.docks["states"].hide()
    saved = window.size()  # 700x600, or the window's minimum where that is larger
    window.close()

    again = _window(settings, qtbot)
    assert reopen_last(again.state.opener, settings) is None
    assert again.state.opener.current.source == "counting"
    again.memory.restore(QSize(1600, 900))
    again.show()
    assert again.state.view.theme == "dark"
    assert again.size() == saved
    assert not again.docks["states"].isVisible()
    third = _window(settings, qtbot)
    third.memory.restore(QSize(700, 600), theme=False)  # lstm-sim --theme light
    assert third.state.view.theme == "light"
    third.close()
    again.action("reset_layout").trigger()
    assert again.docks["states"].isVisible()
    again.close()


def test_a_model_that_is_gone_is_reported_not_opened(tmp_path, qtbot):
    settings = QSettings(str(tmp_path / "lstm-sim.ini"), QSettings.Format.IniFormat)
    settings.setValue("opened/kind", "file")
    settings.setValue("opened/source", str(tmp_path / "gone.npz"))
    window = _window(settings, qtbot)
    problem = reopen_last(window.state.opener, settings)
    assert problem is not None and "gone.npz" in problem
    assert window.state.opener.current.kind == "demo"
    window.close()
