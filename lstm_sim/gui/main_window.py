"""The main window: the diagram large in the centre, the equation under it, plots and
inputs in docks, and every control on the toolbar, in the menus and on the keyboard."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QPalette,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QStyle,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.gui.colors import THEMES
from lstm_sim.gui.controller import SPEEDS, PlaybackController
from lstm_sim.gui.diagram import DiagramView
from lstm_sim.gui.nonfinite_marker import NonFiniteMarker
from lstm_sim.gui.panels.elided_label import ElidedLabel
from lstm_sim.gui.panels.equation_panel import EquationPanel
from lstm_sim.gui.panels.input_panel import InputPanel
from lstm_sim.gui.panels.scenario_picker import description_html
from lstm_sim.gui.panels.token_strip import TokenStrip
from lstm_sim.gui.plots import GateHeatmaps, StatePlot
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_GUIDE, DEMO_TITLE, model_from_file, random_model

if TYPE_CHECKING:
    from lstm_sim.gui.panels.predictions_panel import PredictionsPanel
    from lstm_sim.gui.panels.training_panel import TrainingPanel

TOOLBAR_ICON_PX = 32
DOCK_WIDTH_FRACTION = 0.36
EQUATION_HEIGHT_FRACTION = 0.36
TRACE_FILE_FILTERS = {"NumPy arrays (*.npz)": ".npz", "CSV table, one row per unit (*.csv)": ".csv"}
RECENT_FILES_KEY = "recent_files"
MAX_RECENT_FILES = 8
GENERIC_GUIDE = (
    "Step through with → (one phase) and ↓ (one time step). Watch the forget gate f and the "
    "input gate i of the selected unit: where f is near 0 the cell state c is wiped, where "
    "i is near 1 the candidate g is written. Click a heatmap cell to jump to that unit and step."
)


def model_file_filter() -> str:
    """File ▸ Open's filter: every suffix the engine reads. Built when the dialog opens:
    the list of suffixes comes with every reader's module, which a start does not need."""
    from lstm_sim.engine.formats import SUFFIXES

    return f"Model files ({' '.join(f'*{suffix}' for suffix in SUFFIXES)});;All files (*)"


class MainWindow(QMainWindow):
    """Shows one session; every view reads it and writes only to it."""

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
        guide: tuple[str, str] | None = None,
    ) -> None:
        """``settings`` keeps File ▸ Recent files between runs (none: this run only);
        ``guide`` is the (title, text) of Help ▸ What to watch for the first session."""
        super().__init__(parent)
        self.session = session
        self.theme = "light"
        self.shortcut_rows: list[tuple[str, str]] = []
        self.setAcceptDrops(True)
        self._docks_sized = False
        self.settings = settings
        self.recent_files: list[str] = self._stored_recent_files()
        self.guide = guide or self._guide_for_network()
        self._next_guide: tuple[str, str] | None = None
        # The training and demo views, and the predictions unless their dock is the one in
        # front, are built after the first frame (or by flush_views): the window appears
        # sooner, with empty docks behind the tabs that fill at once.
        self.views_built = False
        self._closed = False
        self.predictions: PredictionsPanel | None = None
        self.training: TrainingPanel

        self.diagram = DiagramView(session)
        self.equation = EquationPanel(session)
        self.state_plot = StatePlot(session)
        self.gate_heatmaps = GateHeatmaps(session)
        self.inputs = InputPanel(session)
        self.token_strip = TokenStrip(session)
        self.guide_view = QTextBrowser()
        self.controller = PlaybackController(session, self.diagram, self)

        self.centre = centre = QSplitter(Qt.Orientation.Vertical)
        centre.addWidget(self.diagram)
        # A long equation scrolls instead of forcing the window taller than the screen.
        equation_area = QScrollArea()
        equation_area.setWidget(self.equation)
        equation_area.setWidgetResizable(True)
        equation_area.setFrameShape(QFrame.Shape.NoFrame)
        centre.addWidget(equation_area)
        # The equation keeps its natural height; every spare pixel goes to the diagram.
        centre.setStretchFactor(0, 1)
        centre.setStretchFactor(1, 0)
        centre.setChildrenCollapsible(False)
        # The token strip sits right under the toolbars' timeline, above the diagram.
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.setSpacing(0)
        middle_layout.addWidget(self.token_strip)
        middle_layout.addWidget(centre, 1)
        self.setCentralWidget(middle)
        self.docks = {
            "states": self._dock("States over time", self.state_plot),
            # Short titles: five tabs share the right column at 1280 pixels wide.
            "gates": self._dock("Gates", self.gate_heatmaps),
            "predictions": self._dock("Predictions", QWidget()),
            "inputs": self._dock("Inputs", self.inputs),
            "training": self._dock("Training", QWidget()),
            "guide": self._dock("Guide", self.guide_view),
            # Filled by install_demo_views; hidden until the Demos menu opens them.
            "code_reader": self._dock("Code reader", QWidget(), "code reader"),
            "ledger": self._dock("Memory ledger", QWidget(), "memory ledger"),
        }
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.docks["states"])
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.docks["gates"])
        for key in ("predictions", "inputs", "training", "guide"):
            self.tabifyDockWidget(self.docks["gates"], self.docks[key])
        for key in ("code_reader", "ledger"):
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.docks[key])
            self.docks[key].hide()
        if session.network.readout is not None:
            # Its dock is in front: the first frame shows it, and the right column is
            # divided by its size as it always was.
            self._build_predictions()
        self._raise_main_dock()

        self._build_actions()
        self._build_toolbars()
        self._build_menus()
        self._build_status_bar()
        plots = (self.state_plot, self.gate_heatmaps)
        self.nonfinite = NonFiniteMarker(session, self.statusBar(), plots)
        self.controller.playing_changed.connect(self._on_playing_changed)
        self._unsubscribe = subscribe(self, session)
        self._sync_with_session()
        self._fill_panels_menu()
        self.diagram.viewport().installEventFilter(self)

    @staticmethod
    def _scrolled(widget: QWidget) -> QScrollArea:
        """``widget`` in a scroll area, so its many controls never squeeze the other docks."""
        area = QScrollArea()
        area.setWidget(widget)
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        return area

    def _dock(self, title: str, widget: QWidget, name: str = "") -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name or title)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        return dock

    # -- actions ---------------------------------------------------------------------------
    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcuts: tuple[str, ...] = (),
        icon: QStyle.StandardPixmap | None = None,
        tip: str = "",
    ) -> QAction:
        """An action whose tooltip and the Help ▸ Keyboard shortcuts list name its keys."""
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        sequences = [QKeySequence(s) for s in shortcuts]
        action.setShortcuts(sequences)
        keys = " or ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences)
        plain = text.replace("&", "")
        action.setToolTip(f"{tip or plain} ({keys})" if keys else tip or plain)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work even when the toolbar is hidden
        if keys:
            self.shortcut_rows.append((plain.rstrip("…"), keys))
        return action

    def _build_actions(self) -> None:
        c, pix = self.controller, QStyle.StandardPixmap
        self.act_first = self._action("First step", c.first, ("Home",), pix.SP_MediaSkipBackward)
        self.act_prev_step = self._action(
            "Previous time step", c.prev_step, ("Up", "Shift+Left"), pix.SP_MediaSeekBackward
        )
        self.act_prev_phase = self._action(
            "Previous phase", c.prev_phase, ("Left",), pix.SP_ArrowLeft
        )
        self.act_play = self._action("Play", c.toggle, ("Space",), pix.SP_MediaPlay, "Play/pause")
        self.act_next_phase = self._action(
            "Next phase", c.next_phase, ("Right",), pix.SP_ArrowRight
        )
        self.act_next_step = self._action(
            "Next time step", c.next_step, ("Down", "Shift+Right"), pix.SP_MediaSeekForward
        )
        self.act_last = self._action("Last step", c.last, ("End",), pix.SP_MediaSkipForward)
        d = self.diagram
        self.act_zoom_in = self._action("Zoom in", d.zoom_in, ("Ctrl++", "Ctrl+="))
        self.act_zoom_out = self._action("Zoom out", d.zoom_out, ("Ctrl+-",))
        self.act_zoom_reset = self._action("Fit the cell", d.reset_zoom, ("Ctrl+0",))
        # Short toolbar labels keep both toolbars on one row at 1280 pixels wide.
        self.act_zoom_in.setIconText("+")
        self.act_zoom_out.setIconText("\u2212")
        self.act_zoom_reset.setIconText("Fit")
        self.act_open = self._action("&Open model…", self.open_dialog, ("Ctrl+O",))
        self.act_open_scenario = self._action(
            "Open &scenario…", self.open_scenario_dialog, ("Ctrl+Shift+O",)
        )
        self.act_export_trace = self._action(
            "Export &trace…",
            self.export_trace_dialog,
            ("Ctrl+Shift+E",),
            tip="Every gate at every step, as .npz arrays or a .csv table",
        )
        self.act_new = self._action("&New random model…", self.new_random_model, ("Ctrl+N",))
        self.act_export_svg = self._action("Export diagram as SVG…", self.export_svg)
        self.act_export_png = self._action("Export diagram as PNG…", self.export_png)
        self.act_quit = self._action("&Quit", self.close, ("Ctrl+Q",))
        self.act_undo = self._action("&Undo edit", self.session.undo, ("Ctrl+Z",))
        self.act_redo = self._action("&Redo edit", self.session.redo, ("Ctrl+Shift+Z",))
        self.act_dark = self._action("Dark theme", self._toggle_dark, ("Ctrl+D",))
        self.act_dark.setCheckable(True)
        self.act_dark.setIconText("Dark")
        self.act_reduced = self._action(
            "Reduced motion", self._toggle_reduced_motion, ("Ctrl+M",), tip="No flow animation"
        )
        self.act_reduced.setCheckable(True)
        self.act_shortcuts = self._action("&Keyboard shortcuts", self.show_shortcuts, ("F1",))
        self.act_guide = self._action("What to &watch", self.show_guide, ("F2",))
        self.act_about = self._action("&About lstm-sim", self.show_about)

    def _build_toolbars(self) -> None:
        steps = QToolBar("Stepping", self)
        steps.setObjectName("stepping")
        steps.setIconSize(QSize(TOOLBAR_ICON_PX, TOOLBAR_ICON_PX))
        for action in (
            self.act_first,
            self.act_prev_step,
            self.act_prev_phase,
            self.act_play,
            self.act_next_phase,
            self.act_next_step,
            self.act_last,
        ):
            steps.addAction(action)
        steps.addSeparator()
        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrows belong to stepping
        self.timeline.setMinimumWidth(160)
        self.timeline.setToolTip("Time step t: drag to seek")
        self.timeline.valueChanged.connect(self._on_timeline_moved)
        steps.addWidget(QLabel(" t "))
        steps.addWidget(self.timeline)
        self.step_label = QLabel()
        steps.addWidget(self.step_label)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, steps)

        view = QToolBar("View", self)
        view.setObjectName("view")
        self.speed = QComboBox()
        for speed in SPEEDS:
            self.speed.addItem(f"{speed:g}×", speed)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.setToolTip("Playback speed")
        self.speed.currentIndexChanged.connect(
            lambda _i: self.controller.set_speed(self.speed.currentData())
        )
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Layer shown (stacked models)")
        self.layer_box.currentIndexChanged.connect(self._on_layer_chosen)
        self.unit_box = QSpinBox()
        self.unit_box.setToolTip("Selected unit: its equation, curve and row are highlighted")
        self.unit_box.setSpecialValueText("none")
        self.unit_box.valueChanged.connect(self._on_unit_chosen)
        for label, widget in (
            ("Speed", self.speed),
            ("Layer", self.layer_box),
            ("Unit", self.unit_box),
        ):
            view.addWidget(QLabel(f" {label} "))
            view.addWidget(widget)
        view.addSeparator()
        for action in (self.act_zoom_out, self.act_zoom_reset, self.act_zoom_in, self.act_dark):
            view.addAction(action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, view)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addActions([self.act_open_scenario, self.act_open, self.act_new])
        self.recent_menu = file.addMenu("Recent &files")
        self._fill_recent_menu()
        file.addSeparator()
        file.addActions([self.act_export_trace, self.act_export_svg, self.act_export_png])
        file.addSeparator()
        file.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        step = bar.addMenu("&Step")
        step.addActions(
            [
                self.act_play,
                self.act_next_phase,
                self.act_prev_phase,
                self.act_next_step,
                self.act_prev_step,
                self.act_first,
                self.act_last,
            ]
        )
        view = bar.addMenu("&View")
        view.addActions([self.act_dark, self.act_reduced])
        view.addSeparator()
        view.addActions([self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset])
        view.addSeparator()
        self.panels_menu = view.addMenu("Panels")
        # Filled with the demo views, after the first frame; its place is kept from the start.
        self.demos_menu = bar.addMenu("De&mos")
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.act_shortcuts, self.act_guide, self.act_about])

    def _fill_panels_menu(self) -> None:
        """One show/hide entry per dock, the demo views' included."""
        self.panels_menu.clear()
        for dock in self.docks.values():
            self.panels_menu.addAction(dock.toggleViewAction())

    # -- views built after the first frame ----------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.diagram.viewport() and event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # On the next turn of the event loop: this frame is finished first.
            QTimer.singleShot(0, self, self.build_views)
        return False

    def build_views(self) -> None:
        """Build the predictions and training panels and the demo views into their docks,
        once; the first paint calls this, and so does :meth:`flush_views`."""
        if self.views_built or self._closed:
            return
        from lstm_sim.gui.demo_views import install_demo_views
        from lstm_sim.gui.panels.training_panel import TrainingPanel

        self.views_built = True
        if self.predictions is None:
            self._build_predictions()
        self.training = TrainingPanel(self.session)
        self.training.set_theme(self.theme)
        self.fill_dock("training", self._scrolled(self.training))
        install_demo_views(self)

    def _build_predictions(self) -> None:
        from lstm_sim.gui.panels.predictions_panel import PredictionsPanel

        self.predictions = PredictionsPanel(self.session)
        self.predictions.set_theme(self.theme)
        self.fill_dock("predictions", self.predictions)

    def fill_dock(self, key: str, widget: QWidget) -> None:
        """Put ``widget`` in the dock ``key`` in place of its empty placeholder."""
        placeholder = self.docks[key].widget()
        self.docks[key].setWidget(widget)
        placeholder.deleteLater()

    def _build_status_bar(self) -> None:
        # A long title or path is elided rather than widening the window or being cut.
        self.source_label = ElidedLabel()
        self.position_label = QLabel()
        self.phase_label = QLabel()
        status = self.statusBar()
        status.addWidget(self.source_label, 1)
        status.addPermanentWidget(self.position_label)
        status.addPermanentWidget(self.phase_label)

    # -- following the session -------------------------------------------------------------
    def _sync_with_session(self) -> None:
        session = self.session
        title = session.title or Path(session.network.source).name
        self.setWindowTitle(f"{title} — lstm-sim")
        net = session.network
        self.source_label.setText(
            f"{title}: {net.kind.upper()} · {net.num_layers} layer(s) · H = {net.hidden_size}"
            f" · D = {net.input_size} · {net.source}"
        )
        self.source_label.setToolTip(f"{title}\n{net.source}")
        self.timeline.blockSignals(True)
        self.timeline.setRange(0, session.num_steps - 1)
        self.timeline.blockSignals(False)
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.addItems([f"layer {k}" for k in range(net.num_layers)])
        self.layer_box.setCurrentIndex(session.layer)
        self.layer_box.setEnabled(net.num_layers > 1)
        self.layer_box.blockSignals(False)
        self.unit_box.blockSignals(True)
        self.unit_box.setRange(-1, net.hidden_size - 1)
        self.unit_box.setValue(session.unit)
        self.unit_box.blockSignals(False)
        self._on_history_changed()
        self._show_guide(*self.guide)
        self._show_cursor()

    def _show_guide(self, title: str, text: str) -> None:
        self.guide = (title, text)
        self.guide_view.setHtml(description_html(title, text))

    def _guide_for_network(self) -> tuple[str, str]:
        """(title, text) of what to watch: the demo's guide, a model's own description,
        or general advice."""
        session = self.session
        title = session.title or Path(session.network.source).name
        if session.title == DEMO_TITLE:
            return title, DEMO_GUIDE
        return title, session.network.metadata.get("description", GENERIC_GUIDE)

    def _raise_main_dock(self) -> None:
        """Predictions for a model with a readout, else the gates."""
        has_readout = self.session.network.readout is not None
        self.docks["predictions" if has_readout else "gates"].raise_()

    def _show_cursor(self) -> None:
        session = self.session
        self.timeline.blockSignals(True)
        self.timeline.setValue(session.t)
        self.timeline.blockSignals(False)
        self.step_label.setText(f" {session.t} / {session.num_steps - 1} ")
        self.position_label.setText(f"t = {session.t} / {session.num_steps - 1}")
        phase = session.phases[session.phase]
        self.phase_label.setText(f"phase {session.phase + 1}/{len(session.phases)}: {phase.title}")

    def _on_network_changed(self) -> None:
        self.controller.pause()
        # A scenario names its own guide just before it loads; anything else gets one
        # from its model.
        self.guide = self._next_guide or self._guide_for_network()
        self._next_guide = None
        self._sync_with_session()
        self._raise_main_dock()

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self._show_cursor()

    def _on_layer_changed(self, layer: int) -> None:
        self.layer_box.blockSignals(True)
        self.layer_box.setCurrentIndex(layer)
        self.layer_box.blockSignals(False)

    def _on_unit_changed(self, unit: int) -> None:
        self.unit_box.blockSignals(True)
        self.unit_box.setValue(unit)
        self.unit_box.blockSignals(False)

    def _on_history_changed(self) -> None:
        self.act_undo.setEnabled(self.session.can_undo)
        self.act_redo.setEnabled(self.session.can_redo)

    def _on_playing_changed(self, playing: bool) -> None:
        pix = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.act_play.setIcon(self.style().standardIcon(pix))
        self.act_play.setText("Pause" if playing else "Play")

    # -- controls that write to the session --------------------------------------------------
    def _on_timeline_moved(self, t: int) -> None:
        self.controller.seek(t)

    def _on_layer_chosen(self, index: int) -> None:
        if index >= 0:
            self.session.select_layer(index)

    def _on_unit_chosen(self, unit: int) -> None:
        self.session.select_unit(unit)

    def _toggle_dark(self) -> None:
        self.set_theme("dark" if self.act_dark.isChecked() else "light")

    def _toggle_reduced_motion(self) -> None:
        self.controller.set_reduced_motion(self.act_reduced.isChecked())

    def set_theme(self, name: str) -> None:
        """Light or dark, for every view; the window's own palette follows."""
        if name not in THEMES:
            raise ValueError(f"theme must be one of {tuple(THEMES)}, got {name!r}")
        self.theme = name
        self.act_dark.setChecked(name == "dark")
        theme = THEMES[name]
        palette = QApplication.style().standardPalette()
        if name == "dark":
            for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
                palette.setColor(role, theme.background)
            palette.setColor(QPalette.ColorRole.AlternateBase, theme.line_dim)
            palette.setColor(QPalette.ColorRole.Button, theme.background.lighter(140))
            for role in (
                QPalette.ColorRole.WindowText,
                QPalette.ColorRole.Text,
                QPalette.ColorRole.ButtonText,
                QPalette.ColorRole.ToolTipText,
            ):
                palette.setColor(role, theme.foreground)
            palette.setColor(QPalette.ColorRole.ToolTipBase, theme.background)
        palette.setColor(QPalette.ColorRole.Highlight, theme.highlight)
        self.setPalette(palette)
        self.diagram.set_theme(name)
        self.state_plot.set_theme(name)
        self.gate_heatmaps.set_theme(name)
        self.inputs.set_highlight_color(theme.highlight)
        self.token_strip.set_theme(name)
        if self.predictions is not None:
            self.predictions.set_theme(name)
        if self.views_built:
            self.training.set_theme(name)

    # -- files -------------------------------------------------------------------------------
    def open_model(self, path: str) -> bool:
        """Simulate the model in ``path`` on default inputs; a file the engine cannot read
        gets a dialog naming the problem and the current session stays as it was."""
        try:
            network, inputs, title = model_from_file(path)
            self.session.load(network, inputs, title=title)
        except (ValueError, OSError) as err:
            self.show_error("Cannot open this model", str(err))
            return False
        self._remember_file(path)
        self.diagram.reset_zoom()
        return True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", model_file_filter())
        if path:
            self.open_model(path)

    def open_scenario(self, name: str) -> bool:
        """Load the lecture scenario ``name`` (its model and default inputs) and show what
        to watch; the long-lag pair also opens the RNN-beside-LSTM comparison. An unknown
        name or a broken model gets a dialog and changes nothing."""
        from lstm_sim.gui.demo_views import open_code_reader, open_gradient_comparison
        from lstm_sim.gui.panels.scenario_loading import (
            CODE_READER,
            CODE_READER_SUMMARY,
            CODE_READER_TITLE,
            load_scenario,
        )

        if name == CODE_READER:
            open_code_reader(self)
            # The model's own description names its string, comment and docstring units.
            description = self.session.network.metadata.get("description", CODE_READER_SUMMARY)
            self._show_guide(CODE_READER_TITLE, description)
            return True
        try:
            loaded = load_scenario(name)
            self._next_guide = (loaded.title, loaded.description)
            self.session.load(loaded.networks[0], loaded.inputs, title=loaded.title)
            self.session.select_unit(loaded.unit)
        except (ValueError, OSError) as err:
            self._next_guide = None
            self.show_error("Cannot open this scenario", str(err))
            return False
        self.diagram.reset_zoom()
        if len(loaded.networks) == 2:
            lstm, rnn = loaded.networks
            open_gradient_comparison(self, lstm.copy(), rnn.copy(), loaded.inputs)
        return True

    def open_scenario_dialog(self) -> None:
        from lstm_sim.gui.panels.scenario_loading import listings
        from lstm_sim.gui.panels.scenario_picker import PickerEntry, ScenarioPicker

        entries = [PickerEntry(e.name, e.title, e.description) for e in listings()]
        picker = ScenarioPicker(entries, self)
        if picker.exec() == ScenarioPicker.DialogCode.Accepted:
            self.open_scenario(picker.chosen)

    def new_random_model(self) -> None:
        from lstm_sim.gui.panels.new_model_dialog import NewModelDialog

        dialog = NewModelDialog(self)
        if dialog.exec() != NewModelDialog.DialogCode.Accepted:
            return
        try:
            network, inputs = random_model(**dialog.arguments())
            self.session.load(network, inputs, title=network.source)
        except ValueError as err:
            self.show_error("Cannot build this model", str(err))
            return
        self.diagram.reset_zoom()

    def export_trace(self, path: str) -> bool:
        """Write every recorded quantity to ``path`` (.npz or .csv), as ``lstm-sim trace``
        does; a file that cannot be written gets a dialog."""
        from lstm_sim.engine.formats.trace_files import write_trace

        try:
            write_trace(self.session.network, self.session.trace, path)
        except (ValueError, OSError) as err:
            self.show_error("Cannot export the trace", f"{path}: {err}")
            return False
        self.statusBar().showMessage(f"Trace written to {path}", 5000)
        return True

    def export_trace_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export trace", "trace.npz", ";;".join(TRACE_FILE_FILTERS)
        )
        if not path:
            return
        if Path(path).suffix.lower() not in TRACE_FILE_FILTERS.values():
            path += TRACE_FILE_FILTERS.get(chosen, ".npz")
        self.export_trace(path)

    # -- recent files ------------------------------------------------------------------------
    def _stored_recent_files(self) -> list[str]:
        if self.settings is None:
            return []
        stored = self.settings.value(RECENT_FILES_KEY, [])
        # QSettings gives back a bare string when a single value was stored.
        return [stored] if isinstance(stored, str) else [str(p) for p in stored or []]

    def _remember_file(self, path: str) -> None:
        full = str(Path(path).resolve())
        self.recent_files = [full] + [p for p in self.recent_files if p != full]
        del self.recent_files[MAX_RECENT_FILES:]
        if self.settings is not None:
            self.settings.setValue(RECENT_FILES_KEY, self.recent_files)
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_model(p))
        self.recent_menu.setEnabled(bool(self.recent_files))

    def export_svg(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export diagram", "cell.svg", "SVG (*.svg)")
        if not path:
            return
        try:
            self.diagram.save_svg(path)
        except OSError as err:
            self.show_error("Cannot export the diagram", str(err))

    def export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export diagram", "cell.png", "PNG (*.png)")
        if not path:
            return
        from lstm_sim.gui.image_file import save_pixmap

        try:
            save_pixmap(self.diagram.grab(), path)
        except OSError as err:
            self.show_error("Cannot export the diagram", str(err))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls:
            event.acceptProposedAction()
            self.open_model(urls[0].toLocalFile())

    # -- dialogs -----------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        from lstm_sim.gui.error_dialog import elide

        # Elided: a message quoting a broken file can run to millions of characters.
        QMessageBox.critical(self, title, elide(message))

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>&nbsp;&nbsp;<b>{html.escape(keys)}</b></td></tr>"
            for name, keys in self.shortcut_rows
        )
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def show_guide(self) -> None:
        """The What to watch panel, brought to the front (shown again if it was closed)."""
        dock = self.docks["guide"]
        dock.show()
        dock.raise_()

    def show_about(self) -> None:
        from lstm_sim import __version__

        QMessageBox.about(
            self,
            "About lstm-sim",
            f"<b>lstm-sim {__version__}</b><p>Steps an LSTM one gate and one time step at a "
            "time, on hand-set demos, random networks or your own trained model.</p>",
        )

    # -- closing ---------------------------------------------------------------------------
    def flush_views(self) -> None:
        """Build the views still waiting for the first frame and draw every pending plot
        change now (screenshots, benchmarks, tests)."""
        self.build_views()
        self.state_plot.flush()
        self.gate_heatmaps.flush()
        if self.predictions is not None:
            self.predictions.flush()
        if self.views_built:
            self.training.flush()
            self.demo_views.flush()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._docks_sized:
            # The diagram keeps most of the width; the plots get a readable column.
            width = round(self.width() * DOCK_WIDTH_FRACTION)
            self.resizeDocks([self.docks["states"]], [width], Qt.Orientation.Horizontal)
            self._docks_sized = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Re-proportion once the layout has settled: sizes set before that are overridden.
        total = self.centre.height()
        equation = round(total * EQUATION_HEIGHT_FRACTION)
        self.centre.setSizes([total - equation, equation])
        self.diagram.reset_zoom()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        self.controller.pause()
        self.diagram.finish_animation()
        views = [self.equation, self.state_plot, self.gate_heatmaps, self.inputs, self.token_strip]
        views.append(self.nonfinite)
        if self.views_built:
            self.training.shutdown()
        if self.predictions is not None:
            views.append(self.predictions)
        self._unsubscribe()
        for view in views:
            view.detach()
        super().closeEvent(event)
