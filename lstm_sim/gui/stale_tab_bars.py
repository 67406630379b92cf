"""Hiding the dock tab bars Qt leaves behind.

When a second group of tabbed docks forms in a QMainWindow, Qt (6.11) creates a tab bar
for it twice and keeps painting the first one, unused, over the central widget (the
debugger's Breakpoints tab beside "States over time" showed as a stray strip above the
diagram). A tab bar in use sits on the edge of the docks it switches; any other tab bar
that is a direct child of the window is such a leftover.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar


def hide_stale_tab_bars(window: QMainWindow) -> list[QTabBar]:
    """Hide the window's dock tab bars that line up with no docked widget; returns them."""
    docked = [
        dock.geometry()
        for dock in window.findChildren(QDockWidget)
        if dock.isVisible() and not dock.isFloating()
    ]
    stale = [
        bar
        for bar in window.findChildren(QTabBar)
        if bar.parentWidget() is window
        and bar.isVisible()
        and not any(
            area.left() == bar.geometry().left() and area.width() == bar.geometry().width()
            for area in docked
        )
    ]
    for bar in stale:
        bar.hide()
    return stale
