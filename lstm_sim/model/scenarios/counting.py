"""a^n b^n strings for next-symbol prediction (Gers & Schmidhuber 2001's counting task).

A stream ". a a a b b b . a b . ..." with n varying from string to string: after the
first b, when the next b ends the string depends only on how many a's came, so a model
predicts it only by counting up on a and down on b.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.engine.probes import pearson
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
from lstm_sim.model.training import TextData

VOCABULARY = (".", "a", "b")
SEPARATOR, A, B = range(3)


@dataclass(frozen=True)
class CountingData:
    """One stream of T steps.

    tokens: (T,) indices into VOCABULARY; targets: (T,) the next token's index; count:
    (T,) a's minus b's of the current string after reading step t; predictable: (T,)
    True where the rules of the task fix the next token (all but the a-or-b choice);
    lengths: (S,) the n of each string.
    """

    tokens: np.ndarray
    targets: np.ndarray
    count: np.ndarray
    predictable: np.ndarray
    lengths: np.ndarray
    n_max: int

    def text(self) -> tuple[str, ...]:
        return tuple(VOCABULARY[k] for k in self.tokens)

    def one_hot(self, dtype: type = np.float32) -> np.ndarray:
        """The inputs as one-hot vectors, (T, 3)."""
        return np.asarray(np.eye(len(VOCABULARY), dtype=dtype)[self.tokens])


def counting_stream(
    rng: np.random.Generator, num_strings: int, n_min: int = 1, n_max: int = 10
) -> CountingData:
    """``num_strings`` strings a^n b^n, n uniform in n_min..n_max, each after a '.'."""
    if num_strings < 1 or not 1 <= n_min <= n_max:
        raise ValueError(
            f"need num_strings >= 1 and 1 <= n_min <= n_max, got {num_strings}, {n_min}, {n_max}"
        )
    lengths = rng.integers(n_min, n_max + 1, size=num_strings)
    pieces = [np.array([SEPARATOR])]
    for n in lengths:
        pieces.append(np.repeat([A, B, SEPARATOR], [n, n, 1]))
    stream = np.concatenate(pieces)
    tokens, targets = stream[:-1], stream[1:]
    # count after step t: +1 per a, -1 per b, back to 0 at every separator.
    count = np.cumsum(np.select([tokens == A, tokens == B], [1, -1], 0))
    # After an 'a' the next symbol is a free choice, unless n_max a's leave only 'b'.
    predictable = (tokens != A) | (count == n_max)
    return CountingData(tokens, targets, count, predictable, lengths, n_max)


# -- the scenario ----------------------------------------------------------------------
COUNTING_STRINGS = 5000


def measure_counting(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    """Next-symbol accuracy where the rules fix the next symbol, and at the ends of the
    strings alone (only counting finds those), against the best guess from the current
    symbol alone (a bigram table of the same data); the described unit's correlation
    with a's minus b's."""
    network = networks[0]
    stream = counting_stream(np.random.default_rng(CHECK_SEED), CHECK_SEQUENCES)
    ids = token_ids(network, VOCABULARY, stream.tokens)
    cache = run_batch(network, ids[None, :])
    if cache.probs is None or cache.c_all is None:
        raise ValueError("the counting demo needs an LSTM with a softmax readout")
    predicted = cache.probs[:, 0].argmax(axis=1)
    right = predicted == token_ids(network, VOCABULARY, stream.targets)
    # The bigram guess: the most frequent next symbol after each symbol.
    table = np.zeros((len(VOCABULARY),) * 2, dtype=np.int64)
    np.add.at(table, (stream.tokens, stream.targets), 1)
    bigram_right = table.argmax(axis=1)[stream.tokens] == stream.targets
    ends = stream.targets == SEPARATOR
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


def opening_counting_data() -> CountingData:
    """Three a^n b^n strings, n = 8, 7 and 6: 45 symbols, each string shorter than the
    last, so only a count tells where each one ends."""
    return counting_stream(np.random.default_rng(0), 3, n_min=3, n_max=9)


def opening_counting_stream() -> Tokens:
    return opening_counting_data().text()


def counting_data(rng: np.random.Generator) -> TextData:
    """The a^n b^n strings as one stream of characters, next-symbol prediction."""
    stream = counting_stream(rng, COUNTING_STRINGS)
    vocab = Vocabulary(VOCABULARY, "char")
    return TextData(vocab, np.concatenate([stream.tokens, stream.targets[-1:]]))


SCENARIO = Scenario(
    name="counting",
    title="Counting: a^n b^n",
    summary="an LSTM predicts where a^n b^n ends with a unit that counts up and down",
    claim=">= 95% right where the next symbol is determined and at the strings' ends; "
    "the named unit's cell follows a's minus b's (r >= 0.9)",
    models=(model_resource("counting"),),
    make_input=opening_counting_stream,
    measure=measure_counting,
    training=Training(
        corpus="a^n b^n strings, n from 1 to 10",
        make_data=counting_data,
        config=adam(64, 3e-3),
        hidden_size=16,
    ),
)
