"""No dock tab bar paints over the cell: the one Qt leaves behind when the debugger's docks
join "States over time" is hidden, and every tab bar still shown switches real docks."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QTabBar

from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network


def test_no_stray_tab_bar_over_the_centre(qtbot) -> None:  # type: ignore[no-untyped-def]
    # Built and shown as the screenshot path does (the stray bar appears there).
    window = MainWindow(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
    qtbot.addWidget(window)
    window.resize(1600, 900)
    window.show()
    QApplication.processEvents()
    window.flush_views()
    QApplication.processEvents()
    centre = window.centralWidget().geometry()
    shown = [
        bar
        for bar in window.findChildren(QTabBar)
        if bar.parentWidget() is window and bar.isVisible()
    ]
    for bar in shown:
        overlap = QRect(bar.geometry()).intersects(centre)
        assert not overlap, [bar.tabText(i) for i in range(bar.count())]
    titles = {bar.tabText(i) for bar in shown for i in range(bar.count())}
    assert {"States over time", "Breakpoints", "Gates", "Guide"} <= titles
    window.close()
