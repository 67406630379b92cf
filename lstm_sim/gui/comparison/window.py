"""The vanishing gradient, shown: one input through a tanh RNN and an LSTM side by
side, stepping together, above the gradient each network carries back in time."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QStyle,
    QToolBar,
    QWidget,
)

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record
from lstm_sim.gui.actions import Actions, ActionSpec, MenuSpec
from lstm_sim.gui.comparison.panel import ComparisonPanel, Inputs, check_pair
from lstm_sim.model import Session
from lstm_sim.model.demo import model_from_file
from lstm_sim.model.numbering import index_range
from lstm_sim.model.view_settings import ViewSettings

MODEL_FILE_FILTER = "Model files (*.npz *.pt *.pth *.safetensors *.keras *.h5 *.onnx);;All (*)"

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


class ComparisonWindow(QMainWindow):
    """A :class:`ComparisonPanel` with its own stepping toolbar and File menu, to swap
    any of its models."""

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
        self.panel = ComparisonPanel(lstm, rnn, inputs, view_settings=view_settings, gru=gru)
        self.lstm_session, self.rnn_session = self.panel.lstm_session, self.panel.rnn_session
        self.gru_session = self.panel.gru_session
        self.lstm_view, self.rnn_view = self.panel.lstm_view, self.panel.rnn_view
        self.gru_view = self.panel.gru_view
        self.rnn_title, self.lstm_title = self.panel.rnn_title, self.panel.lstm_title
        self.gru_title = self.panel.gru_title
        self.gradient_plot = self.panel.gradient_plot
        compared = "RNN beside LSTM" if gru is None else "RNN, LSTM and GRU"
        self.setWindowTitle(f"Vanishing gradient: {compared} — lstm-sim")
        self.setCentralWidget(self.panel)
        self._build_toolbar()
        self.commands.build_menus(self.menuBar(), MENUS)
        self.panel.moved.connect(self._sync)
        self._sync()

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
        return self.panel.t

    @property
    def num_steps(self) -> int:
        return self.panel.num_steps

    def seek(self, t: int) -> None:
        """Every network to step ``t``, each showing its whole step."""
        self.panel.seek(t)

    def sessions(self) -> tuple[Session, ...]:
        return self.panel.sessions()

    def networks(self) -> tuple[Network, ...]:
        return self.panel.networks()

    def next_step(self) -> None:
        self.seek(self.t + 1)

    def prev_step(self) -> None:
        self.seek(self.t - 1)

    def first(self) -> None:
        self.seek(0)

    def last(self) -> None:
        self.seek(self.num_steps - 1)

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
            self.panel.load(models["lstm"], models["rnn"], inputs, models.get("gru"))
            self.panel.select_named_units()
        except (ValueError, OSError) as err:
            QMessageBox.critical(self, f"Cannot open {Path(path).name}", str(err))
            return False
        self._sync()
        return True

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

    # -- following the panel -----------------------------------------------------------------
    def _sync(self) -> None:
        self.timeline.blockSignals(True)
        self.timeline.setRange(0, self.num_steps - 1)
        self.timeline.setValue(self.t)
        self.timeline.blockSignals(False)
        self.step_label.setText(f" {self.t} {index_range(self.num_steps)} ")

    def flush(self) -> None:
        """Draw a pending gradient plot now (tests, screenshots)."""
        self.panel.flush()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.panel.detach()
        super().closeEvent(event)
