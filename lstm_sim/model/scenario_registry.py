"""The lecture's demos: for each, a trained model that ships with lstm-sim, the input the
window opens on, and a check that the model really does what its description says.

A scenario's :class:`Training` is how its shipped models were trained: the data (from the
generators of :mod:`lstm_sim.model.scenarios`), the optimiser's settings and the network's
size. ``scripts/train_scenarios.py`` trains with it and the window's training panel too, so
both train on the same corpus. A trained model's description (which unit to watch, at which
step) is written when the model is trained, from an analysis of that model, and stored in
its metadata together with the unit it names and the scenario's name;
:meth:`Scenario.check` re-measures the claim on held-out data the training never saw.
Nothing here imports Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_sim.engine.batch import ForwardCache, forward
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.gates import gate_slice
from lstm_sim.engine.network import Kind, Network
from lstm_sim.engine.probes import pearson, roc_auc
from lstm_sim.engine.trace import record
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.scenarios import counting, gender_stories, long_lag, sine
from lstm_sim.model.training import Data, SequenceData, TextData, TrainConfig, new_network
from lstm_sim.resources import resource_path

Tokens = tuple[str, ...]
Inputs = Tokens | np.ndarray
"""A scenario's input: tokens of the model's vocabulary, or (T, D) values."""

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

SINE_WARMUP = 8
"""Steps at the start of a wave that a check leaves out: no model can know the phase
before it has seen some of the wave."""
LONG_LAG = 50
SINE_NOISE_STD = 0.1
SIMPLE_RNN_STEPS = 30
SINE_STEPS = 60


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
    were trained.
    """

    name: str
    title: str
    summary: str
    claim: str
    models: tuple[str, ...]
    make_input: Callable[[], Inputs]
    measure: Measure
    training: Training

    @property
    def train_config(self) -> TrainConfig:
        """The optimiser's settings the shipped models were trained with."""
        return self.training.config

    def training_data(self, rng: np.random.Generator) -> Data:
        """Training data drawn as the shipped models' was: the same generator and sizes,
        the same data for ``default_rng(TRAINING_SEED)``."""
        return self.training.make_data(rng)

    def new_network(
        self,
        data: Data,
        kind: Kind,
        rng: np.random.Generator,
        hidden_size: int | None = None,
    ) -> Network:
        """A fresh network for ``data``, initialised as the shipped models were (H of the
        shipped models unless ``hidden_size`` is given)."""
        hidden = self.training.hidden_size if hidden_size is None else hidden_size
        network = new_network(data, kind, hidden, 1, rng)
        if kind == "lstm" and self.training.forget_bias is not None:
            forget = gate_slice("f", hidden)
            network.layers[0].bias_ih[forget] = self.training.forget_bias
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
        """The input the window opens on: 20 to 60 steps, the same on every call."""
        return self.make_input()

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
    return network.vocab.indices(list(vocabulary))[ids]


# -- the sine waves (simple RNN and LSTM) ----------------------------------------------
def sine_numbers(network: Network, length: int) -> dict[str, float]:
    """Mean squared error of the next-value prediction against the clean wave, on held-out
    waves after the warm-up, beside repeating the input and the noise's own variance, and
    the described unit's correlation (with its sign) with the coming value."""
    if network.readout is None or network.readout.kind != "linear" or network.input_size != 1:
        raise ValueError("the sine demos need a network reading 1 value with a linear readout")
    waves = sine.sine_sequences(
        np.random.default_rng(CHECK_SEED), CHECK_SEQUENCES, length, noise_std=SINE_NOISE_STD
    )
    cache = run_batch(network, waves.x.astype(network.dtype))
    assert cache.logits is not None
    kept = slice(SINE_WARMUP, None)
    predicted = np.swapaxes(cache.logits, 0, 1)[:, kept, 0]  # (N, T - warm-up)
    target, noisy = waves.y[:, kept, 0], waves.x[:, kept, 0]
    unit, sign = described_unit(network)
    h = cache.h_all[-1, 1:][kept, :, unit].T  # (N, T - warm-up)
    r = pearson(h.reshape(-1, 1), target.reshape(-1))[0]
    return {
        "mse": float(np.mean((predicted - target) ** 2)),
        "repeat_input_mse": float(np.mean((noisy - target) ** 2)),
        "noise_variance": SINE_NOISE_STD**2,
        "unit_correlation": float(sign * r),
    }


def measure_simple_rnn(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    numbers = sine_numbers(networks[0], SIMPLE_RNN_STEPS)
    passed = (
        numbers["mse"] <= 0.5 * numbers["repeat_input_mse"] and numbers["unit_correlation"] >= 0.6
    )
    return passed, numbers


def measure_sine(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    numbers = sine_numbers(networks[0], SINE_STEPS)
    passed = numbers["mse"] < numbers["noise_variance"] and numbers["unit_correlation"] >= 0.6
    return passed, numbers


# -- subject gender --------------------------------------------------------------------
def measure_gender(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    """Pronoun agreement on held-out stories (names never seen in training, introduced
    with a gendered noun), and on fresh stories with the training names; the majority
    gender is the chance level; the described unit's AUC for the subject's gender."""
    network = networks[0]
    if network.vocab is None or network.readout is None or network.kind != "lstm":
        raise ValueError("the gender demo needs a word-level LSTM with a softmax readout")
    rng = np.random.default_rng(CHECK_SEED)
    held_out = gender_stories.gender_story(rng, CHECK_PEOPLE, split="held_out")
    known_names = gender_stories.gender_story(rng, CHECK_PEOPLE, split="train")
    trace = record(network, held_out.tokens)
    assert trace.probs is not None and trace.c is not None
    unit, sign = described_unit(network)
    known = held_out.gender != gender_stories.UNKNOWN
    is_male = held_out.gender[known] == gender_stories.MALE
    auc = roc_auc(trace.c[0][known, unit : unit + 1], is_male)[0]
    male = held_out.gender[held_out.pronoun_positions] == gender_stories.MALE
    known_trace = record(network, known_names.tokens)
    assert known_trace.probs is not None
    numbers = {
        "accuracy": gender_stories.pronoun_accuracy(trace.probs, held_out, network.vocab.tokens),
        "chance": float(max(male.mean(), 1.0 - male.mean())),
        "pronoun_positions": float(held_out.pronoun_positions.size),
        "accuracy_known_names": gender_stories.pronoun_accuracy(
            known_trace.probs, known_names, network.vocab.tokens
        ),
        "unit_auc": float(auc if sign > 0 else 1.0 - auc),
    }
    return numbers["accuracy"] >= 0.95 and numbers["unit_auc"] >= 0.9, numbers


# -- long-lag memory -------------------------------------------------------------------
def recall_accuracy(network: Network, data: long_lag.LongLagData) -> tuple[float, ForwardCache]:
    """Fraction of sequences whose first symbol is the most probable output at the query."""
    cache = run_batch(network, token_ids(network, data.vocabulary, data.tokens))
    if cache.probs is None:
        raise ValueError("the long-lag demo needs networks with a softmax readout")
    answer = cache.probs[-1].argmax(axis=1)  # (N,) columns of the readout
    first = token_ids(network, data.vocabulary, data.tokens[:, 0])
    return float(np.mean(answer == first)), cache


def measure_long_lag(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    """Recall at lag 50 for the LSTM and the RNN, on the same held-out sequences."""
    lstm, rnn = networks
    if (lstm.kind, rnn.kind) != ("lstm", "rnn") or lstm.hidden_size != rnn.hidden_size:
        raise ValueError(
            f"the long-lag demo needs an LSTM and an RNN of one size, got a {lstm.kind} with "
            f"H={lstm.hidden_size} and a {rnn.kind} with H={rnn.hidden_size}"
        )
    data = long_lag.long_lag_sequences(np.random.default_rng(CHECK_SEED), CHECK_SEQUENCES, LONG_LAG)
    lstm_accuracy, cache = recall_accuracy(lstm, data)
    rnn_accuracy, _ = recall_accuracy(rnn, data)
    assert cache.c_all is not None
    unit, sign = described_unit(lstm)
    # The cell at the query step, before the answer: does it still hold the first symbol?
    auc = roc_auc(cache.c_all[0, -1, :, unit : unit + 1], data.tokens[:, 0] == 0)[0]
    chance = 1.0 / data.num_classes
    numbers = {
        "lstm_accuracy": lstm_accuracy,
        "rnn_accuracy": rnn_accuracy,
        "chance": chance,
        "lag": float(LONG_LAG),
        "lstm_unit_auc": float(auc if sign > 0 else 1.0 - auc),
    }
    passed = lstm_accuracy >= 0.95 and abs(rnn_accuracy - chance) <= 0.1
    return passed and numbers["lstm_unit_auc"] >= 0.9, numbers


# -- counting --------------------------------------------------------------------------
def measure_counting(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    """Next-symbol accuracy where the rules fix the next symbol, and at the ends of the
    strings alone (only counting finds those), against the best guess from the current
    symbol alone (a bigram table of the same data); the described unit's correlation
    with a's minus b's."""
    network = networks[0]
    stream = counting.counting_stream(np.random.default_rng(CHECK_SEED), CHECK_SEQUENCES)
    ids = token_ids(network, counting.VOCABULARY, stream.tokens)
    cache = run_batch(network, ids[None, :])
    if cache.probs is None or cache.c_all is None:
        raise ValueError("the counting demo needs an LSTM with a softmax readout")
    predicted = cache.probs[:, 0].argmax(axis=1)
    right = predicted == token_ids(network, counting.VOCABULARY, stream.targets)
    # The bigram guess: the most frequent next symbol after each symbol.
    table = np.zeros((len(counting.VOCABULARY),) * 2, dtype=np.int64)
    np.add.at(table, (stream.tokens, stream.targets), 1)
    bigram_right = table.argmax(axis=1)[stream.tokens] == stream.targets
    ends = stream.targets == counting.SEPARATOR
    unit, sign = described_unit(network)
    r = pearson(cache.c_all[0, 1:, 0, unit : unit + 1], stream.count)[0]
    numbers = {
        "accuracy": float(right[stream.predictable].mean()),
        "bigram_accuracy": float(bigram_right[stream.predictable].mean()),
        "end_accuracy": float(right[ends].mean()),
        "bigram_end_accuracy": float(bigram_right[ends].mean()),
        "unit_correlation": float(sign * r),
    }
    passed = numbers["accuracy"] >= 0.95 and numbers["end_accuracy"] >= 0.95
    return passed and numbers["unit_correlation"] >= 0.9, numbers


# -- the inputs the window opens on ----------------------------------------------------
def noisy_wave(length: int, seed: int) -> np.ndarray:
    """One noisy sine wave, (T, 1)."""
    return sine.sine_sequences(np.random.default_rng(seed), 1, length, noise_std=SINE_NOISE_STD).x[
        0
    ]


def opening_story_data() -> gender_stories.Story:
    """Three people with training names in 47 words, he, she, then he again (Harry,
    Olivia, Michael), so the gender unit flips twice."""
    return gender_stories.gender_story(np.random.default_rng(24), 3)


def opening_story() -> Tokens:
    return opening_story_data().tokens


def opening_recall_sequence() -> Tokens:
    """One long-lag sequence: a class symbol, 50 distractors, the query."""
    data = long_lag.long_lag_sequences(np.random.default_rng(1), 1, LONG_LAG)
    return data.text(0)


def opening_counting_data() -> counting.CountingData:
    """Three a^n b^n strings, n = 8, 7 and 6: 45 symbols, each string shorter than the
    last, so only a count tells where each one ends."""
    return counting.counting_stream(np.random.default_rng(0), 3, n_min=3, n_max=9)


def opening_counting_stream() -> Tokens:
    return opening_counting_data().text()


# -- the training data ------------------------------------------------------------------
WAVES = 2048
STORIES = 4000
STORY_CUE_PROBABILITY = 0.5
"""Half the people arrive with a gendered noun ("a woman called ..."), so the model learns
to take the gender from the noun too, which is all it has for a name it never saw (the
held-out check's names)."""
LONG_LAG_SEQUENCES = 4096
COUNTING_STRINGS = 5000


def wave_data(rng: np.random.Generator, length: int) -> SequenceData:
    """Noisy waves (N, T, 1) and the clean value one step later, in float32."""
    waves = sine.sine_sequences(rng, WAVES, length, noise_std=SINE_NOISE_STD)
    return SequenceData(waves.x.astype(np.float32), waves.y.astype(np.float32))


def story_data(rng: np.random.Generator) -> TextData:
    """The stories as one stream of words, next-word prediction."""
    vocab = Vocabulary(gender_stories.vocabulary(), "word")
    stories = gender_stories.gender_story(rng, STORIES, cue_probability=STORY_CUE_PROBABILITY)
    return TextData(vocab, vocab.indices(stories.tokens))


def long_lag_data(rng: np.random.Generator) -> SequenceData:
    """Sequences (N, lag + 2) whose only target is the first symbol, at the query."""
    source = long_lag.long_lag_sequences(rng, LONG_LAG_SEQUENCES, LONG_LAG)
    return SequenceData(source.tokens, source.targets, Vocabulary(source.vocabulary))


def counting_data(rng: np.random.Generator) -> TextData:
    """The a^n b^n strings as one stream of characters, next-symbol prediction."""
    stream = counting.counting_stream(rng, COUNTING_STRINGS)
    vocab = Vocabulary(counting.VOCABULARY, "char")
    return TextData(vocab, np.concatenate([stream.tokens, stream.targets[-1:]]))


def _adam(seq_len: int, lr: float) -> TrainConfig:
    return TrainConfig(steps=TRAINING_UPDATES, seq_len=seq_len, batch_size=32, lr=lr)


def _model(name: str) -> str:
    return f"{MODEL_FOLDER}/{name}.npz"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="simple-rnn",
        title="A simple RNN",
        summary="a small tanh RNN predicts the next value of a noisy sine from h_t alone",
        claim="mean squared error at most half that of repeating the input; the named unit "
        "follows the coming value (r >= 0.6)",
        models=(_model("simple_rnn"),),
        make_input=lambda: noisy_wave(SIMPLE_RNN_STEPS, seed=1),
        measure=measure_simple_rnn,
        training=Training(
            corpus="noisy sine waves",
            make_data=lambda rng: wave_data(rng, SIMPLE_RNN_STEPS),
            config=_adam(SIMPLE_RNN_STEPS, 3e-3),
            hidden_size=8,
        ),
    ),
    Scenario(
        name="subject-gender",
        title="Subject gender: the forget gate",
        summary="a word-level LSTM keeps the gender of the last person named, for the pronoun",
        claim="held-out stories: >= 95% of pronoun positions give the agreeing pronoun the "
        "higher probability; the named unit's cell holds the gender (AUC >= 0.9)",
        models=(_model("subject_gender"),),
        make_input=opening_story,
        measure=measure_gender,
        training=Training(
            corpus="generated short stories",
            make_data=story_data,
            config=_adam(32, 3e-3),
            hidden_size=64,
        ),
    ),
    Scenario(
        name="long-lag",
        title="Long-lag memory: LSTM against RNN",
        summary="recall the first symbol after 50 distractors: the LSTM can, the RNN cannot",
        claim=f"at a lag of {LONG_LAG}: LSTM recall >= 95%, the RNN's within 10 points of "
        "chance; the named LSTM unit still holds the symbol at the query (AUC >= 0.9)",
        models=(_model("long_lag_lstm"), _model("long_lag_rnn")),
        make_input=opening_recall_sequence,
        measure=measure_long_lag,
        # The forget gate starts at f ≈ 0.95 (bias 3: Tallec & Ollivier's chrono
        # initialisation for time scales of ~20 steps) instead of f ≈ 0.5, which would
        # shrink the cell's gradient by 0.5⁵⁰ across the lag.
        training=Training(
            corpus=f"a symbol, {LONG_LAG} distractors, then the query",
            make_data=long_lag_data,
            config=_adam(LONG_LAG + 2, 2e-3),
            hidden_size=32,
            forget_bias=3.0,
        ),
    ),
    Scenario(
        name="counting",
        title="Counting: a^n b^n",
        summary="an LSTM predicts where a^n b^n ends with a unit that counts up and down",
        claim=">= 95% right where the next symbol is determined and at the strings' ends; "
        "the named unit's cell follows a's minus b's (r >= 0.9)",
        models=(_model("counting"),),
        make_input=opening_counting_stream,
        measure=measure_counting,
        training=Training(
            corpus="a^n b^n strings, n from 1 to 10",
            make_data=counting_data,
            config=_adam(64, 3e-3),
            hidden_size=16,
        ),
    ),
    Scenario(
        name="sine",
        title="Sine wave: regression",
        summary="an LSTM with a linear readout predicts the next value of a noisy sine",
        claim="mean squared error against the clean wave below the noise variance; the "
        "named unit follows the coming value (r >= 0.6)",
        models=(_model("sine"),),
        make_input=lambda: noisy_wave(SINE_STEPS, seed=2),
        measure=measure_sine,
        training=Training(
            corpus="noisy sine waves",
            make_data=lambda rng: wave_data(rng, SINE_STEPS),
            config=_adam(SINE_STEPS, 3e-3),
            hidden_size=32,
        ),
    ),
)
"""Every scenario, in the lecture's order."""


def get(name: str) -> Scenario:
    """The scenario called ``name``; ValueError listing the names otherwise."""
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    names = ", ".join(s.name for s in SCENARIOS)
    raise ValueError(f"no scenario {name!r}; the scenarios are {names}")


def scenario_of(network: Network) -> Scenario | None:
    """The scenario whose data ``network`` was trained on, as its metadata names it (the
    shipped models, and models trained on a scenario's data in the window), or None."""
    name = network.metadata.get("scenario")
    return next((s for s in SCENARIOS if s.name == name), None)
