"""a^n b^n strings for next-symbol prediction (Gers & Schmidhuber 2001's counting task).

A stream ". a a a b b b . a b . ..." with n varying from string to string: after the
first b, when the next b ends the string depends only on how many a's came, so a model
predicts it only by counting up on a and down on b.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
