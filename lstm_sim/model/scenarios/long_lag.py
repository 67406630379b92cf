"""Hochreiter & Schmidhuber's long-time-lag task (1997, experiment 2): the first symbol
is one of a few classes, ``lag`` random distractors follow, then a query symbol at which
the model must name the first symbol. Nothing in between hints at it, so only a memory
that survives ``lag`` steps can answer better than chance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.batch import ForwardCache
from lstm_sim.engine.network import Network
from lstm_sim.engine.probes import roc_auc
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.scenario import (
    CHECK_SEED,
    CHECK_SEQUENCES,
    Scenario,
    Tokens,
    Training,
    adam,
    described_unit,
    model_resource,
    run_batch,
    token_ids,
)
from lstm_sim.model.training import SequenceData

QUERY = "?"
CLASS_SYMBOLS = ("A", "B", "C", "D", "E", "F", "G", "H")
DISTRACTOR_SYMBOLS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")


def vocabulary(num_classes: int, num_distractors: int) -> tuple[str, ...]:
    """The tokens, in one-hot column order: classes, then distractors, then the query."""
    return (*CLASS_SYMBOLS[:num_classes], *DISTRACTOR_SYMBOLS[:num_distractors], QUERY)


@dataclass(frozen=True)
class LongLagData:
    """N sequences of T = lag + 2 steps.

    tokens: (N, T) indices into ``vocabulary``; targets: (N, T) the index of the first
    symbol at the query step and -1 elsewhere; mask: (N, T) True only at the query step,
    where the loss counts.
    """

    tokens: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    vocabulary: tuple[str, ...]
    lag: int
    num_classes: int

    def one_hot(self, dtype: type = np.float32) -> np.ndarray:
        """The inputs as one-hot vectors, (N, T, V)."""
        return np.asarray(np.eye(len(self.vocabulary), dtype=dtype)[self.tokens])

    def text(self, n: int) -> tuple[str, ...]:
        """Sequence ``n`` as tokens, for a model with this vocabulary."""
        return tuple(self.vocabulary[k] for k in self.tokens[n])


def long_lag_sequences(
    rng: np.random.Generator,
    num_sequences: int,
    lag: int,
    num_classes: int = 2,
    num_distractors: int = 4,
) -> LongLagData:
    """Sequences (class, ``lag`` distractors, query), classes and distractors drawn
    uniformly; chance accuracy at the query is 1 / ``num_classes``."""
    if num_sequences < 1 or lag < 0:
        raise ValueError(f"need num_sequences >= 1 and lag >= 0, got {num_sequences}, {lag}")
    if not 2 <= num_classes <= len(CLASS_SYMBOLS):
        raise ValueError(f"num_classes must be 2..{len(CLASS_SYMBOLS)}, got {num_classes}")
    if not 1 <= num_distractors <= len(DISTRACTOR_SYMBOLS):
        raise ValueError(
            f"num_distractors must be 1..{len(DISTRACTOR_SYMBOLS)}, got {num_distractors}"
        )
    steps = lag + 2
    tokens = np.empty((num_sequences, steps), dtype=np.intp)
    tokens[:, 0] = rng.integers(0, num_classes, size=num_sequences)
    tokens[:, 1:-1] = num_classes + rng.integers(0, num_distractors, size=(num_sequences, lag))
    tokens[:, -1] = num_classes + num_distractors  # the query symbol
    mask = np.zeros((num_sequences, steps), dtype=bool)
    mask[:, -1] = True
    targets = np.full((num_sequences, steps), -1, dtype=np.intp)
    targets[:, -1] = tokens[:, 0]
    return LongLagData(
        tokens, targets, mask, vocabulary(num_classes, num_distractors), lag, num_classes
    )


# -- the scenario: an LSTM and an RNN at a lag of 50 ------------------------------------
LONG_LAG = 50
LONG_LAG_SEQUENCES = 4096


def recall_accuracy(network: Network, data: LongLagData) -> tuple[float, ForwardCache]:
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
    data = long_lag_sequences(np.random.default_rng(CHECK_SEED), CHECK_SEQUENCES, LONG_LAG)
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


def opening_recall_sequence() -> Tokens:
    """One long-lag sequence: a class symbol, 50 distractors, the query."""
    data = long_lag_sequences(np.random.default_rng(1), 1, LONG_LAG)
    return data.text(0)


def long_lag_data(rng: np.random.Generator) -> SequenceData:
    """Sequences (N, lag + 2) whose only target is the first symbol, at the query."""
    source = long_lag_sequences(rng, LONG_LAG_SEQUENCES, LONG_LAG)
    return SequenceData(source.tokens, source.targets, Vocabulary(source.vocabulary))


# The forget gate starts at f ≈ 0.95 (bias 3: Tallec & Ollivier's chrono initialisation for
# time scales of ~20 steps) instead of f ≈ 0.5, which would shrink the cell's gradient by
# 0.5⁵⁰ across the lag. A GRU and an RNN start as PyTorch initialises them.
TRAINING = Training(
    corpus=f"a symbol, {LONG_LAG} distractors, then the query",
    make_data=long_lag_data,
    config=adam(LONG_LAG + 2, 2e-3),
    hidden_size=32,
    forget_bias=3.0,
)

SCENARIO = Scenario(
    name="long-lag",
    title="Long-lag memory: LSTM against RNN",
    summary="recall the first symbol after 50 distractors: the LSTM can, the RNN cannot",
    claim=f"at a lag of {LONG_LAG}: LSTM recall >= 95%, the RNN's within 10 points of "
    "chance; the named LSTM unit still holds the symbol at the query (AUC >= 0.9)",
    models=(model_resource("long_lag_lstm"), model_resource("long_lag_rnn")),
    make_input=opening_recall_sequence,
    measure=measure_long_lag,
    training=TRAINING,
    view="gradient_comparison",
)


# -- the GRU beside them ----------------------------------------------------------------
def measure_gru_vs_lstm(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    """Recall at lag 50 for the GRU, the LSTM and the RNN on the same held-out sequences,
    and how well the GRU's named unit tells the first symbol apart in h after the last
    distractor (a GRU has no cell: h is its memory)."""
    gru, lstm, rnn = networks
    kinds = (gru.kind, lstm.kind, rnn.kind)
    if kinds != ("gru", "lstm", "rnn") or len({n.hidden_size for n in networks}) != 1:
        sizes = ", ".join(f"a {n.kind} with H={n.hidden_size}" for n in networks)
        raise ValueError(
            f"the GRU comparison needs a GRU, an LSTM and an RNN of one size, got {sizes}"
        )
    data = long_lag_sequences(np.random.default_rng(CHECK_SEED), CHECK_SEQUENCES, LONG_LAG)
    lstm_accuracy, _ = recall_accuracy(lstm, data)
    rnn_accuracy, _ = recall_accuracy(rnn, data)
    gru_accuracy, cache = recall_accuracy(gru, data)
    unit, sign = described_unit(gru)
    # h after the last distractor, the step before the query (h_all[t + 1] is h_t).
    auc = roc_auc(cache.h_all[0, -2, :, unit : unit + 1], data.tokens[:, 0] == 0)[0]
    chance = 1.0 / data.num_classes
    numbers = {
        "gru_accuracy": gru_accuracy,
        "lstm_accuracy": lstm_accuracy,
        "rnn_accuracy": rnn_accuracy,
        "chance": chance,
        "lag": float(LONG_LAG),
        "gru_unit_auc": float(auc if sign > 0 else 1.0 - auc),
    }
    passed = min(gru_accuracy, lstm_accuracy) >= 0.95 and abs(rnn_accuracy - chance) <= 0.1
    return passed and numbers["gru_unit_auc"] >= 0.9, numbers


GRU_VS_LSTM = Scenario(
    name="gru-vs-lstm",
    title="Long-lag memory: GRU beside LSTM and RNN",
    summary="the same recall after 50 distractors: the GRU keeps the symbol in h itself",
    claim=f"at a lag of {LONG_LAG}: GRU and LSTM recall >= 95%, the RNN's within 10 points "
    "of chance; the named GRU unit's h still holds the symbol after the last distractor "
    "(AUC >= 0.9)",
    # The window opens the GRU; the LSTM and the RNN beside it are the long-lag scenario's.
    models=(model_resource("long_lag_gru"), *SCENARIO.models),
    make_input=opening_recall_sequence,
    measure=measure_gru_vs_lstm,
    training=TRAINING,
    view="gradient_comparison",
)
