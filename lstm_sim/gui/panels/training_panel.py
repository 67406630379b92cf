"""Training the simulated model while the window stays live: continue from the current
weights or start from scratch, watch the loss fall, and apply the result when it is good.

A scenario's model (its metadata names the scenario) trains on that scenario's corpus,
drawn as for the shipped model, with the shipped model's settings as defaults; any other
model trains on the session's own input sequence, which only shows the mechanics. The
trainer runs in a :class:`TrainingWorker` thread on its own copy of the parameters; the
session changes only when the user clicks Apply, and Revert puts the previous model back.
"""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.engine.network import Kind, Network
from lstm_sim.engine.trace import Trace
from lstm_sim.gui.colors import THEMES
from lstm_sim.gui.panels.elided_label import ElidedLabel
from lstm_sim.gui.panels.training_worker import TrainingWorker
from lstm_sim.gui.plots.frame_pacer import FramePacer
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session
from lstm_sim.model.scenario_registry import TRAINING_SEED, Scenario, scenario_of
from lstm_sim.model.training import (
    Data,
    Progress,
    SequenceData,
    TextData,
    TrainConfig,
    Trainer,
    new_network,
    retrained_metadata,
)

REPORT_EVERY_S = 0.1
"""Progress reports per second from the worker: a smooth curve, and pause within 0.1 s."""
STOP_WAIT_MS = 10_000
SEQ_LEN = 64
"""Steps of backpropagation through time per update, on the session's own sequence."""
LOSS_PLOT_MIN_HEIGHT = 110
MAX_SEED = 99_999
OWN_SEQUENCE_UPDATES = 300
OWN_SEQUENCE_LR = 0.01
OWN_SEQUENCE_HIDDEN = 16


def session_data(network: Network, trace: Trace) -> Data:
    """The session's own input sequence as training data: next-token prediction over its
    tokens (in the model's vocabulary), or next-value prediction over its (T, D) values."""
    if trace.num_steps < 2:
        raise ValueError(f"the input sequence has {trace.num_steps} step; training needs 2")
    if trace.tokens is not None and network.vocab is not None:
        return TextData(network.vocab, network.vocab.indices(trace.tokens))
    x = trace.x.astype(np.float32)
    # Step t is scored on the input of step t+1: (1, T-1, D) inputs and targets.
    return SequenceData(inputs=x[None, :-1], targets=x[None, 1:])


def data_size(data: Data) -> str:
    """How much data there is, in the data's own units."""
    if isinstance(data, TextData):
        unit = "words" if data.vocab.tokenizer == "word" else "characters"
        return f"{data.ids.size:,} {unit} in one stream"
    count, steps = data.inputs.shape[:2]
    return f"{count:,} sequences of {steps} steps"


def fits(network: Network, data: Data) -> str | None:
    """Why ``network`` cannot continue training on ``data``, or None when it can."""
    if network.readout is None:
        return "the current model has no readout to train; train one from scratch"
    if network.embedding is not None:
        return "training a model with an input embedding is not supported yet; train from scratch"
    tokens = isinstance(data, TextData) or data.inputs.ndim == 2
    if tokens != (network.readout.kind == "softmax"):
        return "the current model's readout does not match the data; train from scratch"
    vocab = data.vocab
    if tokens and vocab is not None and network.vocab != vocab:
        return (
            f"the current model's vocabulary differs from the data's {len(vocab)} tokens; "
            "train from scratch"
        )
    if not tokens and network.input_size != data.input_size:
        return (
            f"the current model reads {network.input_size} values per step and the data "
            f"{data.input_size}; train from scratch"
        )
    outputs = len(data.vocab) if isinstance(data, TextData) else data.output_size
    if network.output_size != outputs:
        return (
            f"the current model has {network.output_size} outputs and the data {outputs}; "
            "train from scratch"
        )
    return None


class LossPlot(pg.PlotWidget):
    """A plot that asks for little room: the dock's scroll area sizes the panel by its
    preferred height (the word-wrapped text makes it height-for-width), and pyqtgraph's
    preferred 480 pixels would push the curve below the fold."""

    def sizeHint(self) -> QSize:
        return QSize(LOSS_PLOT_MIN_HEIGHT, LOSS_PLOT_MIN_HEIGHT)


class TrainingPanel(QWidget):
    """Controls, a progress bar, a live loss curve; Apply hands the result to the session."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.worker: TrainingWorker | None = None
        self.trained: Network | None = None
        self.losses: list[tuple[int, float]] = []
        self._before_apply: tuple[Network, np.ndarray | tuple[str, ...], str] | None = None
        self._applied: Network | None = None
        self._closed = False
        self.scenario: Scenario | None = None
        self._scenario_data: tuple[str, Data] | None = None
        self._defaults_for: str | None = None
        self._trained_on: Scenario | None = None
        self._trained_from: tuple[str, bool] = ("", False)  # the title, and from scratch?
        self._build()
        self._pacer = FramePacer(self._redraw_curve, self)
        self._unsubscribe = subscribe(self, session)
        self.set_theme("light")
        self._follow_network()
        self._update_controls()

    # -- building --------------------------------------------------------------------------
    def _build(self) -> None:
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.source_label.setTextFormat(Qt.TextFormat.RichText)
        self.continue_button = QRadioButton("Continue")
        self.continue_button.setToolTip("Train the current model further")
        self.scratch_button = QRadioButton("New model, H")
        self.scratch_button.setToolTip("Train a new model of hidden size H from scratch")
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.continue_button)
        self.mode.addButton(self.scratch_button)
        self.continue_button.toggled.connect(lambda _on: self._update_controls())
        self.hidden_box = QSpinBox()
        self.hidden_box.setToolTip("Hidden size H of a model trained from scratch")
        self.hidden_box.setRange(1, 512)
        self.hidden_box.setValue(OWN_SEQUENCE_HIDDEN)
        self.steps_box = QSpinBox()
        self.steps_box.setRange(1, 1_000_000)
        self.steps_box.setSingleStep(100)
        self.steps_box.setValue(OWN_SEQUENCE_UPDATES)
        self.lr_box = QDoubleSpinBox()
        self.lr_box.setDecimals(4)
        self.lr_box.setRange(0.0001, 1.0)
        self.lr_box.setSingleStep(0.001)
        self.lr_box.setValue(OWN_SEQUENCE_LR)
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, MAX_SEED)
        self.seed_box.setToolTip("Seeds the initial weights and the order of the minibatches")
        # Compact rows: in a 1280-pixel window the loss curve below needs the height.
        modes = QHBoxLayout()
        modes.addWidget(self.continue_button)
        modes.addStretch(1)
        modes.addWidget(self.scratch_button)
        modes.addWidget(self.hidden_box)
        settings = QHBoxLayout()
        for label, box in (
            ("Updates", self.steps_box),
            ("lr", self.lr_box),
            ("Seed", self.seed_box),
        ):
            settings.addWidget(QLabel(label))
            settings.addWidget(box, 1)

        self.train_button = QPushButton("Train")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.apply_button = QPushButton("Apply")
        self.revert_button = QPushButton("Revert")
        self.train_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.apply_button.clicked.connect(self.apply)
        self.revert_button.clicked.connect(self.revert)
        self.apply_button.setToolTip("Simulate the trained weights (Revert puts the old ones back)")
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")  # updates done, of all
        run_row = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            run_row.addWidget(button)
        run_row.addWidget(self.progress, 1)
        self.status = ElidedLabel("Not trained yet.")
        result_row = QHBoxLayout()
        result_row.addWidget(self.status, 1)
        for button in (self.apply_button, self.revert_button):
            result_row.addWidget(button)

        self.loss_plot = LossPlot()
        self.loss_plot.setMouseEnabled(x=False, y=False)
        self.loss_plot.hideButtons()
        self.loss_plot.setMenuEnabled(False)
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.setLabel("bottom", "update")
        self.loss_curve = self.loss_plot.plot()
        # A loss falls by orders of magnitude: on a log axis its late progress stays visible.
        self.loss_plot.setLogMode(y=True)
        self.loss_plot.getAxis("left").enableAutoSIPrefix(False)
        self.loss_plot.setMinimumHeight(LOSS_PLOT_MIN_HEIGHT)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.source_label)
        layout.addLayout(modes)
        layout.addLayout(settings)
        layout.addLayout(run_row)
        layout.addLayout(result_row)
        layout.addWidget(self.loss_plot, 1)
        self.continue_button.setChecked(True)

    # -- data ------------------------------------------------------------------------------
    def training_data(self) -> Data:
        """The scenario's corpus, or the session's own sequence for any other model."""
        if self.scenario is None:
            return session_data(self.session.network, self.session.trace)
        name = self.scenario.name
        if self._scenario_data is None or self._scenario_data[0] != name:
            rng = np.random.default_rng(TRAINING_SEED)
            self._scenario_data = (name, self.scenario.training_data(rng))
        return self._scenario_data[1]

    def train_config(self) -> TrainConfig:
        """The settings in the boxes; the rest as the scenario's models were trained."""
        steps, lr = self.steps_box.value(), self.lr_box.value()
        if self.scenario is None:
            base = TrainConfig(steps=steps, seq_len=SEQ_LEN, batch_size=1, lr=lr)
        else:
            base = replace(self.scenario.train_config, steps=steps, lr=lr)
        return replace(base, report_every=REPORT_EVERY_S)

    def new_model(self, data: Data, kind: Kind, rng: np.random.Generator) -> Network:
        """A fresh network for ``data`` of the hidden size in the box, initialised as
        the scenario's models were."""
        hidden = self.hidden_box.value()
        if self.scenario is None:
            return new_network(data, kind, hidden, 1, rng)
        return self.scenario.new_network(data, kind, rng, hidden)

    def _follow_network(self) -> None:
        """Pick the data for the session's model; a new source brings its own defaults."""
        self.scenario = scenario_of(self.session.network)
        name = self.scenario.name if self.scenario is not None else None
        if name != self._defaults_for:
            self._defaults_for = name
            self._set_defaults()
        self._show_source()

    def _set_defaults(self) -> None:
        if self.scenario is None:
            steps, lr, hidden = OWN_SEQUENCE_UPDATES, OWN_SEQUENCE_LR, OWN_SEQUENCE_HIDDEN
        else:
            config = self.scenario.train_config
            steps, lr, hidden = config.steps, config.lr, self.scenario.training.hidden_size
        self.steps_box.setValue(steps)
        self.lr_box.setValue(lr)
        self.hidden_box.setValue(hidden)

    def _show_source(self) -> None:
        scenario = self.scenario
        if scenario is None:
            session = self.session
            kind = "tokens" if session.tokens is not None else "values"
            text = f"Training on the {session.num_steps:,} {kind} shown: "
            command = session.network.metadata.get("training_command", "")
            # The code reader's model: hours of training are out of the panel's reach.
            text += (
                "this model's own training, on a large corpus, is too long for this panel."
                if command
                else "open a scenario for a real corpus."
            )
            self.source_label.setText(html.escape(text, quote=False))
            self.source_label.setToolTip(command and f"Trained by: {command}")
            return
        # Drawing a corpus can take a third of a second: not before the panel is seen.
        built = self._scenario_data is not None and self._scenario_data[0] == scenario.name
        size = (
            data_size(self.training_data())
            if built or self.isVisible()
            else "drawn when this panel is shown"
        )
        config = scenario.train_config
        self.source_label.setText(
            f"<b>Corpus</b>: {html.escape(scenario.training.corpus, quote=False)}, {size}."
        )
        self.source_label.setToolTip(
            f"The training data of '{scenario.title}', drawn as for the shipped model (seed "
            f"{TRAINING_SEED}, scripts/train_scenarios.py); each update reads "
            f"{config.batch_size} sequences of {config.seq_len} steps"
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._show_source()

    @property
    def training(self) -> bool:
        return self.worker is not None and self.worker.isRunning()

    def _update_controls(self) -> None:
        training = self.training
        for widget in (
            self.continue_button,
            self.scratch_button,
            self.steps_box,
            self.lr_box,
            self.seed_box,
        ):
            widget.setEnabled(not training)
        self.hidden_box.setEnabled(not training and self.scratch_button.isChecked())
        self.train_button.setEnabled(not training)
        self.pause_button.setEnabled(training)
        self.stop_button.setEnabled(training)
        self.apply_button.setEnabled(not training and self.trained is not None)
        self.revert_button.setEnabled(
            self._before_apply is not None and self._applied is self.session.network
        )

    # -- training ----------------------------------------------------------------------------
    def start(self) -> None:
        """Build the data and a trainer on the GUI thread, then train in the worker."""
        if self.training:
            return
        rng = np.random.default_rng(self.seed_box.value())
        session = self.session
        network = session.network
        try:
            data = self.training_data()
            scratch = self.scratch_button.isChecked()
            if scratch:
                network = self.new_model(data, network.kind, rng)
            else:
                reason = fits(network, data)
                if reason is not None:
                    raise ValueError(reason)
            config = self.train_config()
            trainer = Trainer(network, data, config, rng)
        except ValueError as err:
            QMessageBox.warning(self, "Cannot train", str(err))
            return
        self.trained = None
        self._trained_on = self.scenario
        self._trained_from = (session.title or Path(session.network.source).name, scratch)
        self._show_source()
        self.losses.clear()
        self.progress.setRange(0, config.steps)
        self.progress.setValue(0)
        self.status.setText("Training…")
        self.worker = TrainingWorker(trainer, self)
        self.worker.progressed.connect(self._on_progress)
        self.worker.failed.connect(self._on_failed)
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.start()
        self._pacer.mark_dirty()
        self._update_controls()

    def toggle_pause(self) -> None:
        if self.worker is None or not self.training:
            return
        if self.worker.paused:
            self.worker.resume()
            self.pause_button.setText("Pause")
        else:
            self.worker.pause()
            self.pause_button.setText("Resume")

    def stop(self) -> None:
        """Ask the run to end after its current update; the weights so far can be applied."""
        if self.worker is not None:
            self.worker.stop()

    def shutdown(self) -> None:
        """Stop training and wait for the thread: the window is closing."""
        self._closed = True
        self._unsubscribe()
        self._pacer.stop()
        if self.worker is not None:
            self.worker.stop()
            self.worker.wait(STOP_WAIT_MS)

    def _on_progress(self, progress: Progress) -> None:
        if self._closed:
            return  # a report queued before the window closed
        if np.isfinite(progress.loss):
            self.losses.append((progress.step, progress.loss))
        self.progress.setValue(progress.step)
        state = "stopped" if progress.stopped else "done" if progress.done else "training"
        self.status.setText(
            f"{state} · loss {progress.loss:.4f} · {progress.tokens_per_second:,.0f} tokens/s"
            f" · {progress.elapsed:.1f} s"
        )
        self._pacer.mark_dirty()

    def _on_failed(self, message: str) -> None:
        QMessageBox.warning(self, "Training failed", message)

    def _on_worker_finished(self) -> None:
        worker = self.worker
        if worker is None or self._closed:
            return
        # The thread has returned, so the trainer's copy of the weights is no longer touched.
        self.trained = worker.trainer.result() if worker.trainer.step > 0 else None
        if self.trained is not None:
            title, scratch = self._trained_from
            loss = self.losses[-1][1] if self.losses else None
            self.trained.metadata = retrained_metadata(
                self.trained.metadata, title, worker.trainer.step, loss, scratch
            )
            if self._trained_on is not None:
                # A new model trained on the scenario's corpus trains on it again next time.
                self.trained.metadata["scenario"] = self._trained_on.name
        self.pause_button.setText("Pause")
        self._update_controls()

    # -- applying the result -----------------------------------------------------------------
    def apply(self) -> None:
        """Simulate the trained weights on the same inputs; Revert undoes it."""
        if self.trained is None:
            return
        session = self.session
        inputs = session.tokens if session.tokens is not None else session.trace.x.copy()
        previous = (session.network, inputs, session.title)
        title = session.title.removesuffix(" (trained)") + " (trained)"
        try:
            session.load(self.trained, inputs, title=title)
        except ValueError as err:
            QMessageBox.warning(self, "Cannot apply the trained model", str(err))
            return
        self._before_apply, self._applied = previous, self.trained
        self.trained = None
        self._update_controls()

    def revert(self) -> None:
        """Put back the model that Apply replaced."""
        if self._before_apply is None or self._applied is not self.session.network:
            return
        network, inputs, title = self._before_apply
        self._before_apply = self._applied = None
        self.session.load(network, inputs, title=title)

    # -- drawing -------------------------------------------------------------------------
    def flush(self) -> None:
        self._pacer.flush()

    def _redraw_curve(self) -> None:
        if self.losses:
            steps, losses = zip(*self.losses, strict=True)
            self.loss_curve.setData(np.asarray(steps, float), np.asarray(losses, float))
        else:
            self.loss_curve.setData([], [])

    def set_theme(self, name: str) -> None:
        palette = THEMES[name]
        self.loss_plot.setBackground(palette.background)
        self.loss_curve.setPen(pg.mkPen(palette.highlight, width=3))
        for side in ("left", "bottom"):
            axis = self.loss_plot.getAxis(side)
            axis.setPen(palette.foreground)
            axis.setTextPen(palette.foreground)

    # -- session signals ---------------------------------------------------------------------
    def _on_network_changed(self) -> None:
        self._follow_network()
        self._update_controls()
