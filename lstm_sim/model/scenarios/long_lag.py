"""Hochreiter & Schmidhuber's long-time-lag task (1997, experiment 2): the first symbol
is one of a few classes, ``lag`` random distractors follow, then a query symbol at which
the model must name the first symbol. Nothing in between hints at it, so only a memory
that survives ``lag`` steps can answer better than chance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
