"""What a lecture scenario is: a trained model that ships with lstm-sim, the input the
window opens on, a check that the model really does what its description says, how the
model was trained, and any view it needs besides the cell. Each scenario is declared in
its module of :mod:`lstm_sim.model.scenarios`, next to the generator of its data;
:mod:`lstm_sim.model.scenario_registry` lists them.

A scenario's :class:`Training` is how its shipped models were trained: the data, the
optimiser's settings and the network's size. ``scripts/train_scenarios.py`` trains with it
and the window's training panel too, so both train on the same corpus. A trained model's
description (which unit to watch, at which step) is written when the model is trained,
from an analysis of that model, and stored in its metadata together with the unit it
names and the scenario's name; :meth:`Scenario.check` re-measures the claim on held-out
data the training never saw. Nothing here imports Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from lstm_sim.engine.batch import ForwardCache, forward
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.gates import gate_slice
from lstm_sim.engine.network import Kind, Network
from lstm_sim.model.training import Data, TrainConfig, new_network
from lstm_sim.resources import resource_path

Tokens = tuple[str, ...]
Inputs = Tokens | np.ndarray
"""A scenario's input: tokens of the model's vocabulary, or (T, D) values."""
ViewHint = Literal["code_reader", "gradient_comparison"]
"""A view a scenario opens besides the cell: the code reader, or the RNN-beside-LSTM
comparison of a scenario whose models are an LSTM and an RNN."""

MODEL_FOLDER = "models/scenarios"
CHECK_SEED = 20_250_905
"""Seeds every check's held-out data; training uses other seeds, so no check sees a
training sequence (and the gender check's names are ones training never used)."""
TRAINING_SEED = 1
"""Seeds the training data of every shipped model (and, in the training script, the
initial weights and the minibatch order)."""
TRAINING_UPDATES = 1500

# Sizes of the held-out sets: a few hundred sequences keep every check under a second.
CHECK_SEQUENCES = 300
CHECK_PEOPLE = 80


@dataclass(frozen=True)
class ScenarioListing:
    """One entry of the picker."""

    name: str
    title: str
    description: str


@dataclass(frozen=True)
class CheckResult:
    """What a check measured: ``numbers`` by name in a fixed order, and whether
    ``claim`` holds for them."""

    scenario: str
    claim: str
    numbers: dict[str, float]
    passed: bool


Measure = Callable[[Sequence[Network]], tuple[bool, dict[str, float]]]


@dataclass(frozen=True)
class Training:
    """How a scenario's shipped models were trained.

    corpus: what the data is, in a few words for the training panel; make_data: builds
    the training data from a generator (the shipped models' came from
    ``default_rng(TRAINING_SEED)``); config: the optimiser's settings; hidden_size: H of
    the shipped models; forget_bias: the initial bias of an LSTM's forget gate, or None
    for the usual ±1/√H.
    """

    corpus: str
    make_data: Callable[[np.random.Generator], Data]
    config: TrainConfig
    hidden_size: int
    forget_bias: float | None = None


@dataclass(frozen=True)
class Scenario:
    """One lecture demo.

    name: a slug for the command line; summary: one hand-written line for lists; claim:
    what the shipped model must do, the acceptance test in words; models: resource names
    of the model files, the first the one the window opens (the long-lag demo has an
    LSTM and an RNN); make_input: builds the seeded input the window opens on; measure:
    measures the claim for networks shaped like ``models``; training: how the models
    were trained (None: by a script of their own); view: a view to open besides the
    cell; picker_text: what the picker shows instead of the model's description (when
    that is long to read); names_unit: the model's metadata names the unit to select
    on opening; describe_input: the opening input in a line, when a list of its tokens
    would not say what it is.

    A model file listed by several scenarios is trained, described and checked by the
    first of them in the registry (:func:`~lstm_sim.model.scenario_registry.trained_by`).
    """

    name: str
    title: str
    summary: str
    claim: str
    models: tuple[str, ...]
    make_input: Callable[[], Inputs]
    measure: Measure
    training: Training | None
    view: ViewHint | None = None
    picker_text: str | None = None
    names_unit: bool = True
    describe_input: Callable[[], str] | None = None

    @property
    def recipe(self) -> Training:
        """How the shipped models were trained; ValueError for a model trained elsewhere."""
        if self.training is None:
            raise ValueError(f"scenario {self.name!r} is trained by its own script, not here")
        return self.training

    @property
    def train_config(self) -> TrainConfig:
        """The optimiser's settings the shipped models were trained with."""
        return self.recipe.config

    def training_data(self, rng: np.random.Generator) -> Data:
        """Training data drawn as the shipped models' was: the same generator and sizes,
        the same data for ``default_rng(TRAINING_SEED)``."""
        return self.recipe.make_data(rng)

    def new_network(
        self,
        data: Data,
        kind: Kind,
        rng: np.random.Generator,
        hidden_size: int | None = None,
    ) -> Network:
        """A fresh network for ``data``, initialised as the shipped models were (H of the
        shipped models unless ``hidden_size`` is given)."""
        recipe = self.recipe
        hidden = recipe.hidden_size if hidden_size is None else hidden_size
        network = new_network(data, kind, hidden, 1, rng)
        if kind == "lstm" and recipe.forget_bias is not None:
            forget = gate_slice("f", hidden)
            network.layers[0].bias_ih[forget] = recipe.forget_bias
            network.layers[0].bias_hh[forget] = 0.0
        return network

    def model_paths(self) -> tuple[Path, ...]:
        """Where the shipped model files are, in a checkout or an installed wheel."""
        return tuple(resource_path(name) for name in self.models)

    def load_networks(self) -> tuple[Network, ...]:
        """Fresh copies of the shipped models, one per entry of ``models``."""
        return tuple(load_model(path) for path in self.model_paths())

    def description(self) -> str:
        """What to watch and where, as the analysis at training time wrote it."""
        path = self.model_paths()[0]
        text = load_model(path).metadata.get("description", "")
        if not text:
            raise ValueError(f"{path}: the model's metadata has no 'description'")
        return text

    def default_input(self) -> Inputs:
        """The input the window opens on, the same on every call."""
        return self.make_input()

    def opening_unit(self, network: Network) -> int:
        """The unit selected on opening: the one the description names, else unit 0."""
        return described_unit(network)[0] if self.names_unit else 0

    def check(self, networks: Sequence[Network] | None = None) -> CheckResult:
        """Measure the claim on held-out data, for the shipped models or for ``networks``
        (one per entry of ``models``, e.g. a retrained model)."""
        networks = self.load_networks() if networks is None else tuple(networks)
        if len(networks) != len(self.models):
            raise ValueError(
                f"scenario {self.name!r} checks {len(self.models)} network(s), got {len(networks)}"
            )
        passed, numbers = self.measure(networks)
        return CheckResult(self.name, self.claim, numbers, passed)


# -- shared measurements ---------------------------------------------------------------
def described_unit(network: Network) -> tuple[int, int]:
    """The unit the description names and its sign (+1: high in the labelled state), as
    the training script stored them in the metadata."""
    try:
        unit, sign = int(network.metadata["unit"]), int(network.metadata["unit_sign"])
    except (KeyError, ValueError):
        found = {k: network.metadata.get(k) for k in ("unit", "unit_sign")}
        raise ValueError(
            f"the model's metadata needs an integer 'unit' and 'unit_sign' (the unit its "
            f"description names), found {found}"
        ) from None
    if not 0 <= unit < network.hidden_size or sign not in (-1, 1):
        raise ValueError(
            f"metadata unit {unit} with sign {sign} does not fit hidden size "
            f"{network.hidden_size} (expected 0..{network.hidden_size - 1} and ±1)"
        )
    return unit, sign


def run_batch(network: Network, inputs: np.ndarray) -> ForwardCache:
    """Every intermediate of N sequences at once, time first: inputs (N, T) token ids of
    the network's vocabulary or (N, T, D) values; the cache holds (L, T, N, ...)."""
    if inputs.ndim not in (2, 3) or min(inputs.shape[:2]) < 1:
        raise ValueError(f"inputs have shape {inputs.shape}, expected (N, T) ids or (N, T, D)")
    steps, count = inputs.shape[1], inputs.shape[0]
    cache = ForwardCache.allocate(network, steps, count, token_ids=inputs.ndim == 2)
    cache.inputs[...] = np.swapaxes(inputs, 0, 1)
    forward(network, cache)
    return cache


def token_ids(network: Network, vocabulary: Tokens, ids: np.ndarray) -> np.ndarray:
    """``ids`` (indices into ``vocabulary``, any shape) as the network's own input columns."""
    if network.vocab is None:
        raise ValueError("this scenario's input is tokens, but the network has no vocabulary")
    columns: np.ndarray = network.vocab.indices(list(vocabulary))[ids]
    return columns


def model_resource(name: str) -> str:
    """The resource name of the shipped model file ``name``."""
    return f"{MODEL_FOLDER}/{name}.npz"


def adam(seq_len: int, lr: float) -> TrainConfig:
    """The optimiser's settings of every shipped model but its sequence length and rate."""
    return TrainConfig(steps=TRAINING_UPDATES, seq_len=seq_len, batch_size=32, lr=lr)
