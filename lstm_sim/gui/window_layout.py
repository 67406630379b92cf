"""Where the main window's views go: the token strip, the cell (or the unrolled chain)
and the equation in the centre, the plots, inputs, training and guide tabbed in the right
column, the demo views at the bottom; and how the space is shared between them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from lstm_sim.gui.lazy_dock import LazyDock
from lstm_sim.gui.scrolled import scrolled

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow

DOCK_WIDTH_FRACTION = 0.36
EQUATION_HEIGHT_FRACTION = 0.36
PRESENTING_EQUATION_FRACTION = 0.26
"""In presentation mode the cell takes more of the height: its text is what the room reads."""


def arrange_centre(window: MainWindow) -> tuple[QTabWidget, QSplitter, QScrollArea]:
    """Fill the window's centre; returns the cell/unrolled tabs, the splitter that shares
    the height between them and the equation, and the equation's scroll area."""
    centre = QSplitter(Qt.Orientation.Vertical)
    # The unrolled chain is a tab beside the cell: one of them fills the centre.
    centre_views = QTabWidget()
    centre_views.setDocumentMode(True)
    centre_views.addTab(window.diagram, "Cell")
    centre_views.addTab(window.unrolled, "Unrolled in time")
    centre.addWidget(centre_views)
    # A long equation scrolls instead of forcing the window taller than the screen.
    equation_area = scrolled(window.equation)
    centre.addWidget(equation_area)
    # The equation keeps its natural height; every spare pixel goes to the diagram.
    centre.setStretchFactor(0, 1)
    centre.setStretchFactor(1, 0)
    centre.setChildrenCollapsible(False)
    # The token strip sits right under the toolbars' timeline, above the diagram.
    middle = QWidget()
    layout = QVBoxLayout(middle)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(window.token_strip)
    layout.addWidget(centre, 1)
    layout.addWidget(window.caption)
    window.setCentralWidget(middle)
    return centre_views, centre, equation_area


def arrange_docks(window: MainWindow) -> dict[str, LazyDock]:
    """Add the window's docks, by key; the predictions, training and demo docks stay
    empty until their views are built."""
    docks = {
        "states": LazyDock("States over time", window, widget=window.state_plot),
        # Short titles: five tabs share the right column at 1280 pixels wide.
        "gates": LazyDock("Gates", window, widget=window.gate_heatmaps),
        "predictions": LazyDock("Predictions", window),
        "inputs": LazyDock("Inputs", window, widget=inputs_column(window)),
        "training": LazyDock("Training", window),
        "guide": LazyDock("Guide", window, widget=window.guide_view),
        # Filled by install_demo_views; hidden until the Demos menu opens them.
        "code_reader": LazyDock("Code reader", window, "code reader"),
        "ledger": LazyDock("Memory ledger", window, "memory ledger"),
    }
    right, bottom = (
        Qt.DockWidgetArea.RightDockWidgetArea,
        Qt.DockWidgetArea.BottomDockWidgetArea,
    )
    window.addDockWidget(right, docks["states"])
    window.addDockWidget(right, docks["gates"])
    for key in ("predictions", "inputs", "training", "guide"):
        window.tabifyDockWidget(docks["gates"], docks[key])
    for key in ("code_reader", "ledger"):
        window.addDockWidget(bottom, docks[key])
        docks[key].hide()
    return docks


def inputs_column(window: MainWindow) -> QWidget:
    """The Inputs dock: the sequence's length and sentence above its table."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(window.sequence_editor)
    layout.addWidget(window.inputs, 1)
    return column


def size_docks(window: MainWindow) -> None:
    """The diagram keeps most of the width; the plots get a readable column."""
    width = round(window.width() * DOCK_WIDTH_FRACTION)
    window.resizeDocks([window.docks["states"]], [width], Qt.Orientation.Horizontal)


def proportion_centre(centre: QSplitter, equation_fraction: float) -> None:
    """Give the equation ``equation_fraction`` of the centre's height, the cell the rest."""
    total = centre.height()
    equation = round(total * equation_fraction)
    centre.setSizes([total - equation, equation])
