"""The main window's two toolbars: stepping (with the timeline) and view (speed, layer,
unit and the view toggles), filled from the action table's toolbar lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QToolBar, QWidget

from lstm_sim.gui.window_actions import STEPPING_TOOLBAR, VIEW_TOOLBAR

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow

TOOLBAR_ICON_PX = 32


def build_toolbars(window: MainWindow) -> None:
    """Add both toolbars to ``window`` (its ``controls`` and ``commands`` exist)."""
    controls = window.controls
    steps = QToolBar("Stepping", window)
    steps.setObjectName("stepping")
    steps.setIconSize(QSize(TOOLBAR_ICON_PX, TOOLBAR_ICON_PX))
    window.commands.fill(steps, STEPPING_TOOLBAR)
    steps.addSeparator()
    for widget in (QLabel(" t "), controls.timeline, controls.step_label):
        steps.addWidget(widget)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, steps)
    view = QToolBar("View", window)
    view.setObjectName("view")
    labelled: tuple[tuple[str, QWidget], ...] = (
        ("Speed", controls.speed),
        ("Layer", controls.layer_box),
        ("Unit", controls.unit_box),
    )
    for label, control in labelled:
        view.addWidget(QLabel(f" {label} "))
        view.addWidget(control)
    view.addSeparator()
    window.commands.fill(view, VIEW_TOOLBAR)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, view)
