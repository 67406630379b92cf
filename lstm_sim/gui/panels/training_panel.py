"""The training dock: continue from the current weights or start from scratch, watch the
loss fall, and apply the result when it is good.

What is trained on, the run's state, the losses, the result and the Apply/Revert history
are the session's :class:`TrainingJob` (Qt-free); this panel shows them and runs the
trainer in a :class:`TrainingWorker` thread, whose reports it hands to the job.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from psygnal import SignalInstance
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

from lstm_sim.engine.network import Network
from lstm_sim.gui.colors import THEMES
from lstm_sim.gui.panels.elided_label import ElidedLabel
from lstm_sim.gui.panels.training_worker import TrainingWorker
from lstm_sim.gui.plots.frame_pacer import FramePacer
from lstm_sim.gui.plots.readable_axis import ReadableAxis
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model.scenario import TRAINING_SEED, Scenario
from lstm_sim.model.training import Progress
from lstm_sim.model.training_job import (
    OWN_SEQUENCE_HIDDEN,
    OWN_SEQUENCE_LR,
    OWN_SEQUENCE_UPDATES,
    RunSettings,
    TrainingJob,
    data_size,
)

STOP_WAIT_MS = 10_000
LOSS_PLOT_MIN_HEIGHT = 110
MAX_SEED = 99_999


class LossPlot(pg.PlotWidget):
    """A plot that asks for little room: the dock's scroll area sizes the panel by its
    preferred height (the word-wrapped text makes it height-for-width), and pyqtgraph's
    preferred 480 pixels would push the curve below the fold."""

    def sizeHint(self) -> QSize:
        return QSize(LOSS_PLOT_MIN_HEIGHT, LOSS_PLOT_MIN_HEIGHT)


class TrainingPanel(QWidget):
    """Controls, a progress bar, a live loss curve; Apply hands the result to the session."""

    def __init__(self, job: TrainingJob, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.session = job.session
        self.worker: TrainingWorker | None = None
        self._closed = False
        self._build()
        self._pacer = FramePacer(self._redraw_curve, self)
        self._links: list[tuple[SignalInstance, Callable[..., object]]] = [
            (job.state_changed, self._on_state_changed),
            (job.progressed, self._on_progress),
            (job.result_changed, self._update_controls),
            (job.history_changed, self._update_controls),
            (job.source_changed, self._set_defaults),
        ]
        for signal, handler in self._links:
            signal.connect(handler)
        self._unsubscribe = subscribe(self, self.session)
        self.set_theme("light")
        self._set_defaults()
        self._update_controls()

    @property
    def scenario(self) -> Scenario | None:
        """The scenario whose corpus a run trains on, None for the session's own input."""
        return self.job.scenario

    @property
    def losses(self) -> list[tuple[int, float]]:
        return self.job.losses

    @property
    def trained(self) -> Network | None:
        """The last run's result, until it is applied."""
        return self.job.result

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

        self.loss_plot = LossPlot(axisItems={"left": ReadableAxis("left")})
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

    # -- what a run trains on ---------------------------------------------------------
    def _set_defaults(self) -> None:
        """A new source of data brings its own defaults."""
        steps, lr, hidden = self.job.defaults()
        self.steps_box.setValue(steps)
        self.lr_box.setValue(lr)
        self.hidden_box.setValue(hidden)
        self._show_source()

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
        size = (
            data_size(self.job.training_data())
            if self.job.data_is_drawn() or self.isVisible()
            else "drawn when this panel is shown"
        )
        config = scenario.train_config
        self.source_label.setText(
            f"<b>Corpus</b>: {html.escape(scenario.recipe.corpus, quote=False)}, {size}."
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
        self.apply_button.setEnabled(not training and self.job.can_apply)
        self.revert_button.setEnabled(self.job.can_revert)

    # -- training ----------------------------------------------------------------------------
    def start(self) -> None:
        """Build the data and a trainer on the GUI thread, then train in the worker."""
        if self.training:
            return
        settings = RunSettings(
            from_scratch=self.scratch_button.isChecked(),
            steps=self.steps_box.value(),
            lr=self.lr_box.value(),
            hidden_size=self.hidden_box.value(),
            seed=self.seed_box.value(),
        )
        try:
            trainer = self.job.start(settings)
        except ValueError as err:
            QMessageBox.warning(self, "Cannot train", str(err))
            return
        self._show_source()
        self.progress.setRange(0, trainer.config.steps)
        self.progress.setValue(0)
        self.status.setText("Training…")
        self.worker = TrainingWorker(trainer, self, self.job.running)
        # A method of this panel: Qt delivers the thread's reports on the GUI thread.
        self.worker.progressed.connect(self._on_worker_progress)
        self.worker.failed.connect(self._on_failed)
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.start()
        self._pacer.mark_dirty()
        self._update_controls()

    def toggle_pause(self) -> None:
        if self.training:
            self.job.toggle_pause()

    def stop(self) -> None:
        """Ask the run to end after its current update; the weights so far can be applied."""
        self.job.stop()

    def shutdown(self) -> None:
        """Stop training and wait for the thread: the window is closing."""
        self._closed = True
        for signal, handler in self._links:
            signal.disconnect(handler)
        self._unsubscribe()
        self._pacer.stop()
        if self.worker is not None:
            self.job.stop()
            self.worker.wait(STOP_WAIT_MS)

    def _on_state_changed(self, state: str) -> None:
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self._update_controls()

    def _on_progress(self, progress: Progress) -> None:
        self.progress.setValue(progress.step)
        state = "stopped" if progress.stopped else "done" if progress.done else "training"
        self.status.setText(
            f"{state} · loss {progress.loss:.4f} · {progress.tokens_per_second:,.0f} tokens/s"
            f" · {progress.elapsed:.1f} s"
        )
        self._pacer.mark_dirty()

    def _on_worker_progress(self, progress: Progress) -> None:
        if not self._closed:  # a report queued before the window closed is dropped
            self.job.report(progress)

    def _on_failed(self, message: str) -> None:
        QMessageBox.warning(self, "Training failed", message)

    def _on_worker_finished(self) -> None:
        if self._closed:
            return  # reported after the window closed
        # The thread has returned, so the trainer's copy of the weights is no longer touched.
        self.job.finish()

    # -- applying the result -----------------------------------------------------------------
    def apply(self) -> None:
        """Simulate the trained weights on the same inputs; Revert undoes it."""
        try:
            self.job.apply()
        except ValueError as err:
            QMessageBox.warning(self, "Cannot apply the trained model", str(err))

    def revert(self) -> None:
        """Put back the model that Apply replaced."""
        self.job.revert()

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
