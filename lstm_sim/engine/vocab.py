"""A vocabulary: how text becomes the one-hot inputs of a model, and back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import DTypeLike

Tokenizer = Literal["char", "word"]


@dataclass(frozen=True)
class Vocabulary:
    """The tokens a model knows, in the order of its one-hot input columns.

    ``tokenizer`` says how text is cut: ``"char"`` makes every character a token,
    ``"word"`` splits on white space.
    """

    tokens: tuple[str, ...]
    tokenizer: Tokenizer = "char"
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tokenizer not in ("char", "word"):
            raise ValueError(f"tokenizer must be 'char' or 'word', got {self.tokenizer!r}")
        # A list given by a caller becomes a tuple, so the vocabulary stays immutable.
        object.__setattr__(self, "tokens", tuple(self.tokens))
        if not self.tokens:
            raise ValueError("a vocabulary needs at least one token, got an empty list")
        odd = next((t for t in self.tokens if not isinstance(t, str) or not t), None)
        if odd is not None:
            raise ValueError(f"vocabulary tokens must be non-empty strings, got {odd!r}")
        index = {token: k for k, token in enumerate(self.tokens)}
        if len(index) != len(self.tokens):
            repeated = next(t for t, n in Counter(self.tokens).items() if n > 1)
            raise ValueError(f"vocabulary lists the token {repeated!r} more than once")
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.tokens)

    def tokenize(self, text: str) -> list[str]:
        """Cut ``text`` into tokens the way this vocabulary was built."""
        return list(text) if self.tokenizer == "char" else text.split()

    def indices(self, tokens: list[str] | tuple[str, ...]) -> np.ndarray:
        """Column index of each token, shape (T,); unknown tokens raise ValueError."""
        try:
            return np.array([self._index[t] for t in tokens], dtype=np.intp)
        except KeyError as err:
            token = err.args[0]
            raise ValueError(
                f"token {token!r} is not in the model's vocabulary of {len(self)} tokens"
            ) from None

    def one_hot(
        self, tokens: list[str] | tuple[str, ...], dtype: DTypeLike = np.float64
    ) -> np.ndarray:
        """The inputs for ``tokens``, shape (T, V)."""
        idx = self.indices(tokens)
        x: np.ndarray = np.zeros((len(idx), len(self)), dtype=dtype)
        x[np.arange(len(idx)), idx] = 1.0
        return x

    def join(self, tokens: list[str] | tuple[str, ...]) -> str:
        """Text made of ``tokens``, the inverse of :meth:`tokenize`."""
        return "".join(tokens) if self.tokenizer == "char" else " ".join(tokens)
