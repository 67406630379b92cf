"""The views the main window's first frame does not show, built right after it: the
training panel, the demo views and (unless their dock is the one in front) the
predictions, into docks that are there from the start. The window appears sooner, with
empty docks behind the tabs that fill at once; screenshots, benchmarks and tests build
them at once with :meth:`DeferredViews.flush`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

from lstm_sim.gui.scrolled import scrolled
from lstm_sim.gui.session_link import follow_theme
from lstm_sim.gui.stale_tab_bars import hide_stale_tab_bars

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow


class DeferredViews(QObject):
    """Kept as ``window.deferred``; ``built`` once the views are in their docks."""

    finished = Signal()
    """Emitted once, when the views are in their docks."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.built = False
        window.diagram.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window.diagram.viewport() and event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # On the next turn of the event loop: this frame is finished first.
            QTimer.singleShot(0, self, self.build)
        return False

    def build(self) -> None:
        """Build the predictions and training panels and the demo views into their docks,
        and mark the breakpoints' hits on the plots, once (not after the window closed)."""
        window = self.window
        if self.built or window.closed:
            return
        from lstm_sim.gui.demo_views import install_demo_views
        from lstm_sim.gui.panels.training_panel import TrainingPanel

        self.built = True
        if window.predictions is None:
            self.build_predictions()
        window.training = TrainingPanel(window.state.training)
        window.following.append(follow_theme(window.state.view, window.training.set_theme))
        window.docks["training"].fill(scrolled(window.training))
        install_demo_views(window)
        window.debugger.mark_hits()
        hide_stale_tab_bars(window)
        self.finished.emit()

    def build_predictions(self) -> None:
        """The predictions panel, into its dock: before the first frame when that dock is
        in front (a model with a readout), else with the other views."""
        from lstm_sim.gui.panels.predictions_panel import PredictionsPanel

        window = self.window
        window.predictions = PredictionsPanel(window.session)
        window.following.append(follow_theme(window.state.view, window.predictions.set_theme))
        window.docks["predictions"].fill(window.predictions)

    def flush(self) -> None:
        """Build the views still waiting and draw every pending plot change now."""
        self.build()
        window = self.window
        window.state_plot.flush()
        window.gate_heatmaps.flush()
        if window.predictions is not None:
            window.predictions.flush()
        if self.built:
            window.training.flush()
            window.demo_views.flush()
