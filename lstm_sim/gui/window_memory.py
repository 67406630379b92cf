"""The window's size and place on the screen, and what it remembers between runs.

A window never opens larger than the screen's available area (minus a margin), so a
1280x720 projector shows all of it. With a QSettings it restores its geometry, dock
layout, theme and last model from the previous run, and View ▸ Reset layout puts the
docks and toolbars back where a first run has them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication

from lstm_sim.model.opening import Opener
from lstm_sim.model.view_settings import THEME_NAMES

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow

SCREEN_MARGIN_PX = 24
"""Kept free on each side of the window: the title bar and a panel stay reachable."""
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
THEME_KEY = "view/theme"
OPENED_KIND_KEY = "opened/kind"
OPENED_SOURCE_KEY = "opened/source"


def fitted_size(wanted: QSize, available: QRect, margin: int = SCREEN_MARGIN_PX) -> QSize:
    """``wanted``, shrunk to fit ``available`` less ``margin`` on every side."""
    return QSize(
        max(1, min(wanted.width(), available.width() - 2 * margin)),
        max(1, min(wanted.height(), available.height() - 2 * margin)),
    )


def available_area(window: MainWindow) -> QRect:
    """The free area of the screen the window is on (the primary one before it shows)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def reopen_last(opener: Opener, settings: QSettings) -> str | None:
    """Open what the previous run had open (a file or a scenario); the problem when it
    cannot be opened any more, None when it opened or nothing was remembered."""
    kind = str(settings.value(OPENED_KIND_KEY, ""))
    source = str(settings.value(OPENED_SOURCE_KEY, ""))
    try:
        if kind == "file" and source:
            opener.open_file(source)
        elif kind == "scenario" and source:
            opener.open_scenario(source)
    except (ValueError, OSError) as err:
        return f"The model the last run had open could not be opened again: {err}"
    return None


class WindowMemory(QObject):
    """Saves the window's geometry, layout, theme and open model when it closes (with a
    QSettings; nothing is kept without one), and restores them."""

    def __init__(self, window: MainWindow, settings: QSettings | None) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        # A first run's layout, for View ▸ Reset layout.
        self.default_state = window.saveState()
        window.installEventFilter(self)

    def restore(self, size: QSize, *, geometry: bool = True, theme: bool = True) -> None:
        """The remembered layout, the remembered theme (with ``theme``) and geometry (with
        ``geometry``) or else ``size``; either fitted to the screen."""
        window = self.window
        settings = self.settings
        restored = False
        if settings is not None:
            saved_geometry = settings.value(GEOMETRY_KEY)
            state = settings.value(STATE_KEY)
            if geometry and isinstance(saved_geometry, QByteArray | bytes):
                restored = window.restoreGeometry(saved_geometry)
            if isinstance(state, QByteArray | bytes):
                window.restoreState(state)
            remembered = str(settings.value(THEME_KEY, ""))
            if theme and remembered in THEME_NAMES:
                window.state.view.theme = remembered
        area = available_area(window)
        wanted = window.size() if restored else size
        window.resize(fitted_size(wanted, area))
        if restored and not area.intersects(window.frameGeometry()):
            window.move(area.topLeft())  # its old screen is gone

    def reset_layout(self) -> None:
        """Docks and toolbars where a first run puts them, the window fitted again."""
        window = self.window
        window.restoreState(self.default_state)
        window.resize(fitted_size(window.size(), available_area(window)))

    def save(self) -> None:
        settings = self.settings
        if settings is None:
            return
        window = self.window
        settings.setValue(GEOMETRY_KEY, window.saveGeometry())
        settings.setValue(STATE_KEY, window.saveState())
        settings.setValue(THEME_KEY, window.state.view.theme)
        opening = window.state.opener.current
        if opening.kind in ("file", "scenario"):
            settings.setValue(OPENED_KIND_KEY, opening.kind)
            settings.setValue(OPENED_SOURCE_KEY, opening.source)
        settings.sync()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.save()
        return False
