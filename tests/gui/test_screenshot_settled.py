"""A screenshot shows the window as it settles, not its first paint: presenting the
long-lag scenario, the gradient plot's axis keeps its tick labels (a first paint widens the
axis for them and leaves them out)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF
from PySide6.QtGui import QImage

from lstm_sim.gui.app import create_application
from lstm_sim.gui.comparison.paging import PLOT
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.gui.screenshot import save_screenshot
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network


def test_a_presenting_screenshot_keeps_the_gradient_axis_labels(qtbot, tmp_path):
    # As `lstm-sim --scenario long-lag --present --screenshot` does: set up before the
    # window is first shown, which its first paint then does.
    create_application()
    window = MainWindow(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
    qtbot.addWidget(window)
    window.resize(1280, 720)
    assert window.open_scenario("long-lag")
    window.presentation.enter(full_screen=False)
    panel = window.gradient_tab.panel
    panel.show_page(PLOT)
    path = tmp_path / "present.png"
    # From T = 0 (labels 1 to 5, a narrow axis) to T = 51 (down to 10^-40).
    steps = len(window.session.phases) * window.session.num_steps - 1
    assert save_screenshot(window, str(path), steps)
    assert panel.t == window.session.num_steps - 1
    image = QImage(str(path))
    axis = panel.gradient_plot.getPlotItem().getAxis("left")
    # The tick labels' column: right of the axis title (written upwards at its left
    # edge), left of the ticks at its right edge; below the top label "1", 10^-5 down
    # to 10^-40 are written there.
    bounds = axis.mapRectToScene(QRectF(0, 0, axis.width(), axis.height()))
    title = axis.label.mapRectToScene(axis.label.boundingRect())
    plot = panel.gradient_plot

    def on_window(x: float, y: float) -> QPoint:
        return plot.mapTo(window, plot.mapFromScene(QPointF(x, y)))

    top_left = on_window(title.right() + 2, bounds.top() + bounds.height() / 4)
    bottom_right = on_window(bounds.right() - 12, bounds.bottom())
    foreground = window.diagram.diagram().theme_colors.foreground
    inked_rows = 0
    for y in range(top_left.y(), bottom_right.y()):
        for x in range(top_left.x(), bottom_right.x()):
            if abs(image.pixelColor(x, y).lightness() - foreground.lightness()) < 60:
                inked_rows += 1
                break
    assert inked_rows > 40
    window.presentation.leave()
    window.close()
