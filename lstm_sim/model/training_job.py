"""Training the simulated model, as state: what the job trains on, its run (idle,
training, paused), the losses reported, the result, and the Apply/Revert history. Qt-free;
the GUI runs the trainer in a thread, reports to this job on the GUI thread, and its
panel only shows what the job holds.

A scenario's model (its metadata names the scenario) trains on that scenario's corpus,
drawn as for the shipped model, with the shipped model's settings as defaults; any other
model trains on the session's own input sequence, which only shows the mechanics. The
trainer works on its own copy of the parameters; the session changes only on Apply, and
Revert puts the previous model back while the session still shows what Apply loaded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
from psygnal import Signal

from lstm_sim.engine.network import Kind, Network
from lstm_sim.engine.trace import Trace
from lstm_sim.model.scenario import TRAINING_SEED, Scenario
from lstm_sim.model.scenario_registry import scenario_of
from lstm_sim.model.session import Session
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
"""Progress reports per second from the trainer: a smooth curve, and pause within 0.1 s."""
SEQ_LEN = 64
"""Steps of backpropagation through time per update, on the session's own sequence."""
OWN_SEQUENCE_UPDATES = 300
OWN_SEQUENCE_LR = 0.01
OWN_SEQUENCE_HIDDEN = 16

JobState = Literal["idle", "training", "paused"]


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
    if not network.is_plain:  # the window opens these; the minibatch trainer refuses them
        return (
            f"training a model with {network.variants()[0]} is not supported yet; "
            "train from scratch"
        )
    tokens = isinstance(data, TextData) or data.inputs.ndim == 2
    if tokens != (network.readout.kind == "softmax"):
        return "the current model's readout does not match the data; train from scratch"
    vocab = data.vocab
    if tokens and vocab is not None and network.vocab != vocab:
        return (
            f"the current model's vocabulary differs from the data's {len(vocab)} tokens; "
            "train from scratch"
        )
    if isinstance(data, SequenceData) and not tokens and network.input_size != data.input_size:
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


@dataclass(frozen=True)
class RunSettings:
    """What the user chose for a run: continue the current model or start a new one of
    ``hidden_size`` units, for ``steps`` updates at learning rate ``lr``, seeded ``seed``."""

    from_scratch: bool
    steps: int
    lr: float
    hidden_size: int
    seed: int


@dataclass(frozen=True)
class Applied:
    """One Apply: the session's generation it produced, and what it replaced."""

    generation: int
    network: Network
    inputs: np.ndarray | list[str]
    title: str


class TrainingJob:
    """One session's training: a run at a time, its result, and the Apply history."""

    state_changed = Signal(str)  # a JobState
    progressed = Signal(object)  # the trainer's Progress
    result_changed = Signal()  # a result arrived, or was applied
    history_changed = Signal()  # what Revert can do changed
    source_changed = Signal()  # the session's model trains on other data, with other defaults

    def __init__(self, session: Session) -> None:
        self.session = session
        self.state: JobState = "idle"
        self.trainer: Trainer | None = None
        self.losses: list[tuple[int, float]] = []
        self.result: Network | None = None
        self.history: list[Applied] = []
        self.running = threading.Event()
        """Set while the run may proceed: the thread running the trainer waits on it."""
        self.running.set()
        self.scenario: Scenario | None = scenario_of(session.network)
        self._scenario_data: tuple[str, Data] | None = None
        self._trained_on: Scenario | None = None
        self._trained_from = ("", False)  # the title, and from scratch?
        session.network_changed.connect(self._on_network_changed)

    # -- what a run trains on ------------------------------------------------------------
    def training_data(self) -> Data:
        """The scenario's corpus (drawn once per scenario), or the session's own sequence
        for any other model."""
        if self.scenario is None:
            return session_data(self.session.network, self.session.trace)
        name = self.scenario.name
        if self._scenario_data is None or self._scenario_data[0] != name:
            rng = np.random.default_rng(TRAINING_SEED)
            self._scenario_data = (name, self.scenario.training_data(rng))
        return self._scenario_data[1]

    def data_is_drawn(self) -> bool:
        """Whether :meth:`training_data` is at hand without drawing a corpus."""
        drawn = self._scenario_data
        return self.scenario is None or (drawn is not None and drawn[0] == self.scenario.name)

    def defaults(self) -> tuple[int, float, int]:
        """(updates, learning rate, hidden size) to offer: the scenario's recipe, or
        settings that show the mechanics on the session's own sequence."""
        if self.scenario is None:
            return OWN_SEQUENCE_UPDATES, OWN_SEQUENCE_LR, OWN_SEQUENCE_HIDDEN
        config = self.scenario.train_config
        return config.steps, config.lr, self.scenario.recipe.hidden_size

    def train_config(self, steps: int, lr: float) -> TrainConfig:
        """``steps`` updates at ``lr``; the rest as the scenario's models were trained."""
        if self.scenario is None:
            base = TrainConfig(steps=steps, seq_len=SEQ_LEN, batch_size=1, lr=lr)
        else:
            base = replace(self.scenario.train_config, steps=steps, lr=lr)
        return replace(base, report_every=REPORT_EVERY_S)

    def new_model(self, data: Data, kind: Kind, rng: np.random.Generator, hidden: int) -> Network:
        """A fresh network for ``data`` of ``hidden`` units, initialised as the scenario's
        models were."""
        if self.scenario is None:
            return new_network(data, kind, hidden, 1, rng)
        return self.scenario.new_network(data, kind, rng, hidden)

    # -- a run ---------------------------------------------------------------------------
    def start(self, settings: RunSettings) -> Trainer:
        """A trainer for a new run (the caller runs it); ValueError says why the current
        model cannot train on the data, and nothing changes then."""
        if self.state != "idle":
            raise ValueError("a training run is in progress")
        rng = np.random.default_rng(settings.seed)
        session = self.session
        network = session.network
        data = self.training_data()
        if settings.from_scratch:
            network = self.new_model(data, network.kind, rng, settings.hidden_size)
        else:
            reason = fits(network, data)
            if reason is not None:
                raise ValueError(reason)
        trainer = Trainer(network, data, self.train_config(settings.steps, settings.lr), rng)
        self.trainer = trainer
        self.result = None
        self.losses.clear()
        self._trained_on = self.scenario
        self._trained_from = (
            session.title or Path(session.network.source).name,
            settings.from_scratch,
        )
        self.running.set()
        self._set_state("training")
        self.result_changed.emit()
        return trainer

    def report(self, progress: Progress) -> None:
        """A progress report of the running trainer."""
        if np.isfinite(progress.loss):
            self.losses.append((progress.step, progress.loss))
        self.progressed.emit(progress)

    def toggle_pause(self) -> None:
        """Hold the run at its next report, or let it go on."""
        if self.state == "training":
            self.running.clear()
            self._set_state("paused")
        elif self.state == "paused":
            self.running.set()
            self._set_state("training")

    def stop(self) -> None:
        """Ask the run to end after its current update (a paused run is woken to end)."""
        if self.trainer is not None:
            self.trainer.stop()
        self.running.set()

    def finish(self) -> None:
        """The run has returned: its weights so far become the result (none before the
        first update), named as trained here."""
        trainer = self.trainer
        if trainer is None or self.state == "idle":
            return
        self.result = trainer.result() if trainer.step > 0 else None
        if self.result is not None:
            title, scratch = self._trained_from
            loss = self.losses[-1][1] if self.losses else None
            metadata = retrained_metadata(self.result.metadata, title, trainer.step, loss, scratch)
            if self._trained_on is not None:
                # A new model trained on the scenario's corpus trains on it again next time.
                metadata["scenario"] = self._trained_on.name
            self.result.metadata = metadata
        self.running.set()
        self._set_state("idle")
        self.result_changed.emit()

    def _set_state(self, state: JobState) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    # -- applying the result -------------------------------------------------------------
    @property
    def can_apply(self) -> bool:
        return self.state == "idle" and self.result is not None

    @property
    def can_revert(self) -> bool:
        """Whether the session still shows what the last Apply loaded."""
        return bool(self.history) and self.history[-1].generation == self.session.generation

    def apply(self) -> None:
        """Simulate the result on the same inputs; Revert undoes it. ValueError if the
        session cannot take it (the session stays as it was)."""
        if not self.can_apply:
            return
        assert self.result is not None
        session = self.session
        previous = (session.network, session.inputs(), session.title)
        title = session.title.removesuffix(" (trained)") + " (trained)"
        if not self.can_revert:
            self.history.clear()  # another load came between: the old chain is gone
        session.load(self.result, previous[1], title=title)
        self.history.append(Applied(session.generation, *previous))
        self.result = None
        self.result_changed.emit()
        self.history_changed.emit()

    def revert(self) -> None:
        """Put back the model the last Apply replaced; the Apply before it can then be
        reverted in turn."""
        if not self.can_revert:
            return
        applied = self.history.pop()
        self.session.load(applied.network, applied.inputs, title=applied.title)
        if self.history:
            # The session shows again what the earlier Apply loaded.
            self.history[-1] = replace(self.history[-1], generation=self.session.generation)
        self.history_changed.emit()

    # -- following the session -----------------------------------------------------------
    def _on_network_changed(self) -> None:
        scenario = scenario_of(self.session.network)
        new_source = (scenario and scenario.name) != (self.scenario and self.scenario.name)
        self.scenario = scenario
        if new_source:
            self.source_changed.emit()
        self.history_changed.emit()

    def detach(self) -> None:
        self.session.network_changed.disconnect(self._on_network_changed)
