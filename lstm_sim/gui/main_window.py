"""The main window: the diagram large in the centre, the equation under it, plots and
inputs in docks, and every command on the toolbar, in the menus and on the keyboard.

The window arranges views; what they show lives in the :class:`AppState` (the session,
view settings, guide, opener and training job), its commands in
:mod:`lstm_sim.gui.window_actions`, its file commands in :mod:`lstm_sim.gui.file_actions`,
where each view goes in :mod:`lstm_sim.gui.window_layout`, the views built after the
first frame in :mod:`lstm_sim.gui.deferred_views`, what a close undoes in
:mod:`lstm_sim.gui.window_close`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QCloseEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QTextBrowser, QToolBar, QWidget

from lstm_sim.gui.actions import Actions
from lstm_sim.gui.controller import PlaybackController
from lstm_sim.gui.debugger import Debugger
from lstm_sim.gui.deferred_views import DeferredViews
from lstm_sim.gui.diagram import MIN_TEXT_PX, DiagramView
from lstm_sim.gui.diagram.unrolled import UnrolledView
from lstm_sim.gui.file_actions import FileActions
from lstm_sim.gui.gradient_tab import GradientTab
from lstm_sim.gui.lecture_tour import TourCommands
from lstm_sim.gui.nonfinite_marker import NonFiniteMarker
from lstm_sim.gui.open_commands import OpenCommands
from lstm_sim.gui.panels.equation_panel import EquationPanel
from lstm_sim.gui.panels.input_panel import InputPanel
from lstm_sim.gui.panels.nonlinearity_switch import NonlinearitySwitch
from lstm_sim.gui.panels.scenario_picker import description_html
from lstm_sim.gui.panels.sequence_editor import SequenceEditor
from lstm_sim.gui.panels.session_controls import SessionControls
from lstm_sim.gui.panels.status_line import StatusLine
from lstm_sim.gui.panels.token_strip import TokenStrip
from lstm_sim.gui.plots import GateHeatmaps, StatePlot
from lstm_sim.gui.presentation import Presentation
from lstm_sim.gui.session_files import SessionFiles
from lstm_sim.gui.session_link import follow_theme, subscribe
from lstm_sim.gui.toolbars import build_toolbars
from lstm_sim.gui.tour_caption import NORMAL_PT, PRESENTING_PT_AT_1080, TourCaption
from lstm_sim.gui.view_commands import ViewCommands
from lstm_sim.gui.window_actions import ACTIONS, MENUS
from lstm_sim.gui.window_close import detach_window
from lstm_sim.gui.window_layout import (
    EQUATION_HEIGHT_FRACTION,
    PRESENTING_EQUATION_FRACTION,
    arrange_centre,
    arrange_docks,
    proportion_centre,
    size_docks,
)
from lstm_sim.gui.window_memory import WindowMemory
from lstm_sim.model import Session
from lstm_sim.model.app_state import AppState

if TYPE_CHECKING:
    from lstm_sim.gui.demo_views import DemoViews
    from lstm_sim.gui.panels.predictions_panel import PredictionsPanel
    from lstm_sim.gui.panels.training_panel import TrainingPanel

PRESENTING_EQUATION_SCALE = 1.25
"""The equation's text in presentation mode, over its normal size."""


class MainWindow(QMainWindow):
    """Shows one session; every view reads the state and writes only to it."""

    demo_views: DemoViews
    """Set by :func:`~lstm_sim.gui.demo_views.install_demo_views` after the first frame."""

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
        state: AppState | None = None,
    ) -> None:
        """``settings`` keeps File ▸ Recent files between runs (none: this run only);
        ``state``: the state around ``session`` (a fresh one, this window's, if not given)."""
        super().__init__(parent)
        self.session = session
        self.owns_state = state is None
        self.state = state or AppState(session)
        self.closed = False
        self._equation_fraction = EQUATION_HEIGHT_FRACTION
        self._presenting = self._touring = False
        # Built after the first frame (see DeferredViews), the predictions sooner when
        # their dock is in front.
        self.predictions: PredictionsPanel | None = None
        self.training: TrainingPanel
        # What the views follow in the state and the session, undone when the window closes.
        self.following: list[Callable[[], None]] = []

        view = self.state.view
        self.diagram = DiagramView(session, view_settings=view)
        self.unrolled = UnrolledView(session, view)
        self.caption = TourCaption(self.state.tour)
        self.equation = EquationPanel(session)
        self.state_plot = StatePlot(session)
        self.gate_heatmaps = GateHeatmaps(session)
        self.inputs = InputPanel(session)
        self.token_strip = TokenStrip(session)
        self.guide_view = QTextBrowser()
        self.sequence_editor = SequenceEditor(session)
        self.controller = PlaybackController(session, self.diagram, self, view)
        self.centre_views, self.centre, self.equation_area = arrange_centre(self)
        self.docks = arrange_docks(self)
        self.deferred = DeferredViews(self)
        if session.network.readout is not None:
            # Its dock is in front: the first frame shows it, and the right column is
            # divided by its size as it always was.
            self.deferred.build_predictions()
        self._raise_main_dock()

        self.controls = SessionControls(self.state, self.controller, self)
        self.commands = Actions(self, ACTIONS)
        build_toolbars(self)
        # Tests and benchmarks drive the controls as a user does, through the window.
        self.timeline, self.speed = self.controls.timeline, self.controls.speed
        self.layer_box, self.unit_box = self.controls.layer_box, self.controls.unit_box
        self.menus = self.commands.build_menus(self.menuBar(), MENUS)
        self.tour = TourCommands(self)
        self.gradient_tab = GradientTab(self)
        # Remembers before presentation mode is set up: a close leaves it, then saves.
        self.memory = WindowMemory(self, settings)
        self.presentation = Presentation(self)
        self.presentation.fill_strip_menu(self.menus["present_strip"])
        self.action("leave_present").setEnabled(False)
        self.files = FileActions(self, self.menus["recent"], settings)
        self.opening = OpenCommands(self)
        self.status_line = StatusLine(session, self.statusBar())
        self.source_label = self.status_line.source_label
        self.position_label = self.status_line.position_label
        self.notes_label = self.status_line.notes_label
        self.nonlinearity_switch = NonlinearitySwitch(
            self.state.opener, self.statusBar(), self.opening.set_nonlinearity
        )
        plots = (self.state_plot, self.gate_heatmaps)
        self.nonfinite = NonFiniteMarker(session, self.statusBar(), plots)
        self.debugger = Debugger(self)
        self.session_files = SessionFiles(self)

        self.view_commands = ViewCommands(self)
        self.following.append(subscribe(self, session))
        self.following += [
            follow_theme(view, set_theme)
            for set_theme in (
                self.state_plot.set_theme,
                self.gate_heatmaps.set_theme,
                self.token_strip.set_theme,
            )
        ]
        self.state.guide.changed.connect(self._show_guide)
        self._show_guide(*self.guide)
        self._sync_with_session()
        for dock in self.docks.values():
            self.panels_menu.addAction(dock.toggleViewAction())

    def action(self, action_id: str) -> QAction:
        """The window's action ``action_id`` (see :mod:`lstm_sim.gui.window_actions`)."""
        return self.commands[action_id]

    def toolbars(self) -> list[QToolBar]:
        return self.findChildren(QToolBar)

    @property
    def panels_menu(self) -> QMenu:
        """View ▸ Panels: one show/hide entry per dock, the demo views' included."""
        return self.menus["panels"]

    @property
    def demos_menu(self) -> QMenu:
        return self.menus["demos"]

    # -- views built after the first frame (see DeferredViews) ------------------------------
    @property
    def views_built(self) -> bool:
        return self.deferred.built

    def flush_views(self) -> None:
        """Build the views still waiting for the first frame and draw every pending plot
        change now (screenshots, benchmarks, tests)."""
        self.deferred.flush()

    # -- following the state -----------------------------------------------------------------
    def _sync_with_session(self) -> None:
        title = self.session.title or Path(self.session.network.source).name
        self.setWindowTitle(f"{title} — lstm-sim")
        self._on_history_changed()

    def _raise_main_dock(self) -> None:
        """Predictions for a model with a readout, else the gates."""
        has_readout = self.session.network.readout is not None
        self.docks["predictions" if has_readout else "gates"].raise_()

    def _on_network_changed(self) -> None:
        self.controller.pause()
        self._sync_with_session()
        self._raise_main_dock()

    def _on_history_changed(self) -> None:
        self.action("undo").setEnabled(self.session.can_undo)
        self.action("redo").setEnabled(self.session.can_redo)

    @property
    def guide(self) -> tuple[str, str]:
        """(title, text) of Help ▸ What to watch."""
        return self.state.guide.title, self.state.guide.text

    def _show_guide(self, title: str, text: str) -> None:
        self.guide_view.setHtml(description_html(title, text))

    # -- intents: controls that write to the state ------------------------------------------
    def show_centre_view(self, name: str) -> None:
        """Bring ``cell``, ``unrolled`` or ``gradient`` to the front (see ViewCommands)."""
        self.view_commands.show_centre_view(name)

    def diagram_min_text_px(self) -> float:
        """The smallest on-screen text of the cell outside presentation mode."""
        return MIN_TEXT_PX

    def set_presenting(self, on: bool) -> None:
        """Presentation mode's look for the views it keeps: projector-sized captions and
        the high-contrast palette."""
        self.unrolled.set_contrast(on)
        points = round(PRESENTING_PT_AT_1080 * self.height() / 1080) if on else NORMAL_PT
        self.caption.set_point_size(max(points, NORMAL_PT))
        self._presenting = on
        self.centre_views.tabBar().setVisible(not on)
        # The cell shows the token too: the strip would only take height from it.
        self.token_strip.setVisible(not on and self.session.tokens is not None)
        self._fit_equation()

    def set_touring(self, on: bool) -> None:
        """While the tour's caption band shows, its narration stands in for the phase's
        explanation under the equation, and the cell keeps the height the band takes."""
        self._touring = on
        self._fit_equation()

    def _fit_equation(self) -> None:
        scale = PRESENTING_EQUATION_SCALE if self._presenting else 1.0
        compact = self._presenting or self._touring
        self.equation.set_point_scale(scale, captioned=not compact)
        self._equation_fraction = (
            PRESENTING_EQUATION_FRACTION if compact else EQUATION_HEIGHT_FRACTION
        )
        self._proportion_centre()

    @property
    def theme(self) -> str:
        return self.state.view.theme

    def set_theme(self, name: str) -> None:
        """Light or dark, for every view; the window's own palette follows."""
        self.state.view.theme = name

    # -- opening (see OpenCommands) -------------------------------------------------------
    def open_model(self, path: str) -> bool:
        """Simulate the model in ``path`` on default inputs; a file the engine cannot read
        gets a dialog naming the problem and the current session stays as it was."""
        return self.opening.open_model(path)

    def open_scenario(self, name: str) -> bool:
        """Load the lecture scenario ``name`` (its model and opening input) and the view
        it asks for; an unknown name or a broken model gets a dialog and changes nothing."""
        return self.opening.open_scenario(name)

    # -- dialogs -----------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        from lstm_sim.gui.error_dialog import elide

        # Elided: a message quoting a broken file can run to millions of characters.
        QMessageBox.critical(self, title, elide(message))

    def show_guide(self) -> None:
        """The What to watch panel, brought to the front (shown again if it was closed)."""
        dock = self.docks["guide"]
        dock.show()
        dock.raise_()

    # -- window events -----------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not getattr(self, "_docks_sized", False):
            size_docks(self)
            self._docks_sized = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Re-proportion once the layout has settled: sizes set before that are overridden.
        self._proportion_centre()
        self.diagram.reset_zoom()

    def _proportion_centre(self) -> None:
        proportion_centre(self.centre, self._equation_fraction)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed = True
        detach_window(self)
        super().closeEvent(event)
