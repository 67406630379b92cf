"""Training the simulated model while the window stays live: continue from the current
weights or start from scratch, watch the loss fall, and apply the result when it is good.

The trainer runs in a :class:`TrainingWorker` thread on its own copy of the parameters;
the session changes only when the user clicks Apply, and Revert puts the previous model
back.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QFormLayout,
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

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace
from lstm_sim.gui.colors import THEMES
from lstm_sim.gui.panels.training_worker import TrainingWorker
from lstm_sim.gui.plots.frame_pacer import FramePacer
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session
from lstm_sim.model.training import (
    Data,
    Progress,
    SequenceData,
    TextData,
    TrainConfig,
    Trainer,
    new_network,
)

REPORT_EVERY_S = 0.1
"""Progress reports per second from the worker: a smooth curve, and pause within 0.1 s."""
STOP_WAIT_MS = 10_000
SEQ_LEN = 64
"""Steps of backpropagation through time per update."""


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


def fits(network: Network, data: Data) -> str | None:
    """Why ``network`` cannot continue training on ``data``, or None when it can."""
    if network.readout is None:
        return "the current model has no readout to train; train one from scratch"
    tokens = isinstance(data, TextData) or data.inputs.ndim == 2
    if tokens != (network.readout.kind == "softmax"):
        return "the current model's readout does not match the data; train from scratch"
    outputs = len(data.vocab) if isinstance(data, TextData) else data.output_size
    if network.output_size != outputs:
        return (
            f"the current model has {network.output_size} outputs and the data {outputs}; "
            "train from scratch"
        )
    return None


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
        self._build()
        self._pacer = FramePacer(self._redraw_curve, self)
        self._unsubscribe = subscribe(self, session)
        self.set_theme("light")
        self._show_source()
        self._update_controls()

    # -- building --------------------------------------------------------------------------
    def _build(self) -> None:
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.continue_button = QRadioButton("Continue training the current model")
        self.scratch_button = QRadioButton("Train a new model from scratch")
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.continue_button)
        self.mode.addButton(self.scratch_button)
        self.continue_button.toggled.connect(lambda _on: self._update_controls())
        self.hidden_box = QSpinBox()
        self.hidden_box.setRange(1, 512)
        self.hidden_box.setValue(16)
        self.steps_box = QSpinBox()
        self.steps_box.setRange(1, 1_000_000)
        self.steps_box.setSingleStep(100)
        self.steps_box.setValue(300)
        self.lr_box = QDoubleSpinBox()
        self.lr_box.setDecimals(4)
        self.lr_box.setRange(0.0001, 1.0)
        self.lr_box.setSingleStep(0.001)
        self.lr_box.setValue(0.01)
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        form = QFormLayout()
        form.addRow("Training data", self.source_label)
        form.addRow(self.continue_button)
        form.addRow(self.scratch_button)
        form.addRow("Hidden size (new model)", self.hidden_box)
        form.addRow("Updates", self.steps_box)
        form.addRow("Learning rate", self.lr_box)
        form.addRow("Seed", self.seed_box)

        self.train_button = QPushButton("Train")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.apply_button = QPushButton("Apply to the simulator")
        self.revert_button = QPushButton("Revert")
        self.train_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.apply_button.clicked.connect(self.apply)
        self.revert_button.clicked.connect(self.revert)
        self.apply_button.setToolTip("Simulate the trained weights (Revert puts the old ones back)")
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.apply_button, self.revert_button):
            buttons.addWidget(button)

        self.progress = QProgressBar()
        self.status = QLabel("Not trained yet.")
        self.status.setWordWrap(True)
        self.loss_plot = pg.PlotWidget()
        self.loss_plot.setMouseEnabled(x=False, y=False)
        self.loss_plot.hideButtons()
        self.loss_plot.setMenuEnabled(False)
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.setLabel("bottom", "update")
        self.loss_curve = self.loss_plot.plot()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.loss_plot, 1)
        self.continue_button.setChecked(True)

    # -- data ------------------------------------------------------------------------------
    def _show_source(self) -> None:
        session = self.session
        what = "next token" if session.tokens is not None else "next value"
        self.source_label.setText(
            f"the {what} of this input sequence ({session.num_steps} steps, one stream)"
        )

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
        network = self.session.network
        try:
            data = session_data(network, self.session.trace)
            if self.scratch_button.isChecked():
                network = new_network(data, network.kind, self.hidden_box.value(), 1, rng)
            else:
                reason = fits(network, data)
                if reason is not None:
                    raise ValueError(reason)
            config = TrainConfig(
                steps=self.steps_box.value(),
                seq_len=SEQ_LEN,
                batch_size=1,
                lr=self.lr_box.value(),
                report_every=REPORT_EVERY_S,
            )
            trainer = Trainer(network, data, config, rng)
        except ValueError as err:
            QMessageBox.warning(self, "Cannot train", str(err))
            return
        self.trained = None
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
            f"{state}: update {progress.step} / {progress.steps} · loss {progress.loss:.4f} · "
            f"{progress.tokens_per_second:,.0f} tokens/s · {progress.elapsed:.1f} s"
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
        self._show_source()
        self._update_controls()
