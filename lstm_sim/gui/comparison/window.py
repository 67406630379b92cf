"""The vanishing gradient, shown: one input through a tanh RNN and an LSTM side by
side, stepping together, above the gradient each network carries back in time. A GRU
may join them (the ``gru-vs-lstm`` scenario): its cell steps in a third column, and its
gradient joins the plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QSplitter,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.engine.gradflow import gradient_flow
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record
from lstm_sim.gui.actions import Actions, ActionSpec, MenuSpec
from lstm_sim.gui.comparison.gradient_plot import GradientPlot
from lstm_sim.gui.diagram import DiagramView
from lstm_sim.gui.plots.frame_pacer import FramePacer
from lstm_sim.gui.session_link import follow_theme
from lstm_sim.model import Session
from lstm_sim.model.demo import model_from_file
from lstm_sim.model.numbering import index_range
from lstm_sim.model.scenario import described_unit
from lstm_sim.model.view_settings import ViewSettings

MAX_STEPS_BACK = 400
"""How far back the gradient is followed: each step back is one matrix product."""
MODEL_FILE_FILTER = "Model files (*.npz *.pt *.pth *.safetensors *.keras *.h5 *.onnx);;All (*)"
PLOT_HEIGHT_FRACTION = 0.42

Inputs = np.ndarray | Sequence[str]

_pix = QStyle.StandardPixmap
ACTIONS = (
    ActionSpec("first", "First step", lambda w: w.first, ("Home",), icon=_pix.SP_MediaSkipBackward),
    ActionSpec(
        "prev",
        "Previous step",
        lambda w: w.prev_step,
        ("Left", "Up"),
        icon=_pix.SP_MediaSeekBackward,
    ),
    ActionSpec(
        "next",
        "Next step",
        lambda w: w.next_step,
        ("Right", "Down"),
        icon=_pix.SP_MediaSeekForward,
    ),
    ActionSpec("last", "Last step", lambda w: w.last, ("End",), icon=_pix.SP_MediaSkipForward),
    ActionSpec("open_lstm", "Open LSTM…", lambda w: lambda: w.open_dialog("lstm")),
    ActionSpec("open_rnn", "Open RNN…", lambda w: lambda: w.open_dialog("rnn")),
    ActionSpec("open_gru", "Open GRU…", lambda w: lambda: w.open_dialog("gru")),
    ActionSpec("close", "Close", lambda w: w.close, ("Ctrl+W",)),
)
"""The comparison window's commands: stepping both networks, and swapping either model."""
MENUS = (MenuSpec("file", "&File", ("open_lstm", "open_rnn", "open_gru", "close")),)
SIDES = ("lstm", "rnn", "gru")


def check_pair(lstm: Network, rnn: Network, gru: Network | None = None) -> None:
    """Raise ValueError unless ``lstm`` is an LSTM, ``rnn`` a simple RNN, ``gru`` (when
    given) a GRU, and all read inputs of the same size (and tokens, if any, from the same
    vocabulary)."""
    if lstm.kind != "lstm":
        raise ValueError(f"the LSTM side needs an LSTM, got a {lstm.kind.upper()}")
    if rnn.kind != "rnn":
        raise ValueError(f"the RNN side needs a simple RNN, got an {rnn.kind.upper()}")
    if gru is not None and gru.kind != "gru":
        raise ValueError(f"the GRU side needs a GRU, got an {gru.kind.upper()}")
    others = (("RNN", rnn),) if gru is None else (("RNN", rnn), ("GRU", gru))
    for name, other in others:
        if lstm.input_size != other.input_size:
            raise ValueError(
                f"the models read inputs of different sizes: the LSTM D = {lstm.input_size}, "
                f"the {name} D = {other.input_size}; the same input must go through both"
            )
        lstm_tokens = None if lstm.vocab is None else lstm.vocab.tokens
        other_tokens = None if other.vocab is None else other.vocab.tokens
        if lstm_tokens != other_tokens:
            raise ValueError(
                f"the LSTM and the {name} have different vocabularies; they cannot share an input"
            )


class ComparisonWindow(QMainWindow):
    """Two sessions (three with a GRU), one cursor: every move seeks each to the same step
    t (each showing its whole step), and T of the gradient plot is that step."""

    def __init__(
        self,
        lstm: Network,
        rnn: Network,
        inputs: Inputs,
        parent: QWidget | None = None,
        view_settings: ViewSettings | None = None,
        gru: Network | None = None,
    ) -> None:
        """``view_settings``: the theme to follow (the main window's); ``gru``: a GRU to
        show beside the two."""
        super().__init__(parent)
        if parent is not None:
            self.setWindowFlag(Qt.WindowType.Window)
        check_pair(lstm, rnn, gru)
        self.lstm_session = Session(lstm, inputs, title="LSTM")
        self.rnn_session = Session(rnn, inputs, title="RNN")
        self.gru_session = None if gru is None else Session(gru, inputs, title="GRU")
        compared = "RNN beside LSTM" if gru is None else "RNN, LSTM and GRU"
        self.setWindowTitle(f"Vanishing gradient: {compared} — lstm-sim")
        settings = view_settings or ViewSettings()
        self.rnn_view = DiagramView(self.rnn_session, view_settings=settings)
        self.lstm_view = DiagramView(self.lstm_session, view_settings=settings)
        self.gru_view = (
            None
            if self.gru_session is None
            else DiagramView(self.gru_session, view_settings=settings)
        )
        for view in self._views():
            view.set_reduced_motion(True)  # the cells jump together, step by step
        self.rnn_title, self.lstm_title, self.gru_title = QLabel(), QLabel(), QLabel()
        self.gradient_plot = GradientPlot()
        self._unfollow_theme = follow_theme(settings, self.gradient_plot.set_theme)

        cells = QSplitter(Qt.Orientation.Horizontal)
        columns: list[tuple[QLabel, QWidget]] = [
            (self.rnn_title, self.rnn_view),
            (self.lstm_title, self.lstm_view),
        ]
        if self.gru_view is not None:
            columns.append((self.gru_title, self.gru_view))
        for title, body in columns:
            column = QWidget()
            layout = QVBoxLayout(column)
            layout.setContentsMargins(4, 4, 4, 4)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            title.setStyleSheet("font-size: 15pt; font-weight: bold")
            layout.addWidget(title)
            layout.addWidget(body, 1)
            cells.addWidget(column)
        self.centre = QSplitter(Qt.Orientation.Vertical)
        self.centre.addWidget(cells)
        self.centre.addWidget(self.gradient_plot)
        self.centre.setChildrenCollapsible(False)
        self.setCentralWidget(self.centre)
        self._build_toolbar()
        self.commands.build_menus(self.menuBar(), MENUS)
        self._pacer = FramePacer(self._draw_gradients, self)
        for session in self.sessions():
            session.cursor_changed.connect(self._on_cursor_changed)
            session.network_changed.connect(self._on_network_changed)
            session.trace_changed.connect(self._on_trace_changed)
        self._select_named_units()
        self._sync()
        self._draw_gradients()

    # -- controls --------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        self.commands = Actions(self, ACTIONS)
        bar = QToolBar("Stepping", self)
        bar.setObjectName("comparison stepping")
        self.commands.fill(bar, ("first", "prev", "next", "last"))
        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrows belong to stepping
        self.timeline.setMinimumWidth(200)
        self.timeline.valueChanged.connect(self.seek)
        bar.addWidget(QLabel(" T "))
        bar.addWidget(self.timeline)
        self.step_label = QLabel()
        bar.addWidget(self.step_label)
        bar.addSeparator()
        self.commands.fill(bar, ("open_lstm", "open_rnn"))
        if self.gru_session is not None:
            self.commands.fill(bar, ("open_gru",))
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    # -- the shared cursor -----------------------------------------------------------------
    @property
    def t(self) -> int:
        return self.lstm_session.t

    @property
    def num_steps(self) -> int:
        return self.lstm_session.num_steps

    def seek(self, t: int) -> None:
        """Every network to step ``t``, each showing its whole step."""
        for session in self.sessions():
            session.seek(t)

    def next_step(self) -> None:
        self.seek(self.t + 1)

    def prev_step(self) -> None:
        self.seek(self.t - 1)

    def first(self) -> None:
        self.seek(0)

    def last(self) -> None:
        self.seek(self.num_steps - 1)

    def sessions(self) -> tuple[Session, ...]:
        """The LSTM's, the RNN's and (when there is one) the GRU's session."""
        gru = () if self.gru_session is None else (self.gru_session,)
        return (self.lstm_session, self.rnn_session, *gru)

    def _views(self) -> tuple[DiagramView, ...]:
        gru = () if self.gru_view is None else (self.gru_view,)
        return (self.rnn_view, self.lstm_view, *gru)

    def networks(self) -> tuple[Network, ...]:
        """The networks compared: the LSTM, the RNN and the GRU when there is one."""
        return tuple(session.network for session in self.sessions())

    # -- loading another model ---------------------------------------------------------------
    def open_dialog(self, side: str) -> None:
        title = f"Open the {side.upper()}"
        path, _ = QFileDialog.getOpenFileName(self, title, "", MODEL_FILE_FILTER)
        if path:
            self.open_model(side, path)

    def open_model(self, side: str, path: str) -> bool:
        """Put the model in ``path`` on ``side`` ("lstm", "rnn", or "gru" when a GRU is
        compared). A file that cannot be read, or a model that cannot share an input with
        the others, gets a dialog naming the problem and changes nothing."""
        sides = SIDES[: len(self.sessions())]
        if side not in sides:
            raise ValueError(f"side must be one of {', '.join(sides)}, got {side!r}")
        try:
            network, default, _title = model_from_file(path)
            models = dict(zip(sides, self.networks(), strict=True))
            models[side] = network
            check_pair(models["lstm"], models["rnn"], models.get("gru"))
            inputs = self._shared_inputs(tuple(models.values()), default)
            # Every side records before any changes, so a failure leaves all as they were.
            for session, name in zip(self.sessions(), sides, strict=True):
                session.load(models[name], inputs, title=name.upper())
            self._select_named_units()
        except (ValueError, OSError) as err:
            QMessageBox.critical(self, f"Cannot open {Path(path).name}", str(err))
            return False
        self._sync()
        return True

    def _select_named_units(self) -> None:
        """Select in each cell the unit its model's description names (a scenario's
        memory unit: the GRU's is rarely the LSTM's), unit 0 for a model without one."""
        for session in self.sessions():
            try:
                session.select_unit(described_unit(session.network)[0])
            except ValueError:
                session.select_unit(0)

    def _shared_inputs(self, networks: tuple[Network, ...], default: Inputs) -> Inputs:
        """The current input if every model reads it, else the new model's default one."""
        trace = self.lstm_session.trace
        current: Inputs = trace.tokens if trace.tokens is not None else trace.x
        for inputs in (current, default):
            try:
                for network in networks:
                    record(network, inputs)
            except ValueError:
                continue
            return inputs
        raise ValueError("neither the current input nor the new model's default fits them all")

    def _sync(self) -> None:
        titles = (self.lstm_title, self.rnn_title, self.gru_title)
        for label, session in zip(titles, self.sessions(), strict=False):
            net = session.network
            kind = f"{net.nonlinearity} RNN" if net.kind == "rnn" else net.kind.upper()
            # A loader's source reads "path (format)": the file name says enough here.
            name = Path(net.source.split(" (")[0]).name
            label.setText(f"{kind} · H = {net.hidden_size} · {name}")
        self.timeline.blockSignals(True)
        self.timeline.setRange(0, self.num_steps - 1)
        self.timeline.setValue(self.t)
        self.timeline.blockSignals(False)
        self.step_label.setText(f" {self.t} {index_range(self.num_steps)} ")

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self._sync()
        self._pacer.mark_dirty()

    def _on_network_changed(self) -> None:
        self._pacer.mark_dirty()

    def _on_trace_changed(self, start: int) -> None:
        self._pacer.mark_dirty()

    def flush(self) -> None:
        """Draw a pending gradient plot now (tests, screenshots)."""
        self._pacer.flush()

    def _draw_gradients(self) -> None:
        end = self.t
        rnn = gradient_flow(
            self.rnn_session.network, self.rnn_session.trace, end, window=MAX_STEPS_BACK
        )
        lstm = gradient_flow(
            self.lstm_session.network, self.lstm_session.trace, end, window=MAX_STEPS_BACK
        )
        gru = None
        if self.gru_session is not None:
            session = self.gru_session
            gru = gradient_flow(session.network, session.trace, end, window=MAX_STEPS_BACK)
        self.gradient_plot.show_flows(rnn, lstm, gru)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        total = self.centre.height()
        plot = round(total * PLOT_HEIGHT_FRACTION)
        self.centre.setSizes([total - plot, plot])

    def closeEvent(self, event: QCloseEvent) -> None:
        self._pacer.stop()
        self._unfollow_theme()
        for session in self.sessions():
            session.cursor_changed.disconnect(self._on_cursor_changed)
            session.network_changed.disconnect(self._on_network_changed)
            session.trace_changed.disconnect(self._on_trace_changed)
        for view in self._views():
            view.finish_animation()
            view.detach_settings()
        super().closeEvent(event)
