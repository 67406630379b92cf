"""A typed sentence read by a model's tokenizer, and for every token the vocabulary does
not hold, the nearest ones it does (by edit distance), so the user can fix the sentence
instead of guessing what the model accepts."""

from __future__ import annotations

from dataclasses import dataclass

from lstm_sim.engine.vocab import Vocabulary

SUGGESTIONS = 3
"""How many allowed tokens are offered for each unknown one."""


def edit_distance(a: str, b: str) -> int:
    """The Levenshtein distance: insertions, deletions and substitutions from a to b."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def nearest_tokens(vocab: Vocabulary, token: str, count: int = SUGGESTIONS) -> tuple[str, ...]:
    """The ``count`` tokens of ``vocab`` closest to ``token``: by edit distance ignoring
    case first (so 'The' finds 'the'), then by exact edit distance, then in the
    vocabulary's order."""
    folded = token.casefold()
    ranked = sorted(
        range(len(vocab.tokens)),
        key=lambda k: (
            edit_distance(folded, vocab.tokens[k].casefold()),
            edit_distance(token, vocab.tokens[k]),
            k,
        ),
    )
    return tuple(vocab.tokens[k] for k in ranked[:count])


@dataclass(frozen=True)
class UnknownToken:
    """A token of the sentence the vocabulary does not hold, at ``position`` (its step)."""

    token: str
    position: int
    nearest: tuple[str, ...]

    def describe(self) -> str:
        offered = ", ".join(repr(t) for t in self.nearest)
        return f"{self.token!r} (step {self.position}): nearest {offered}"


@dataclass(frozen=True)
class SentenceReading:
    """``text`` cut by the vocabulary's tokenizer: its tokens and those it does not know."""

    tokens: tuple[str, ...]
    unknown: tuple[UnknownToken, ...]

    @property
    def usable(self) -> bool:
        """Every token is known and there is at least one."""
        return bool(self.tokens) and not self.unknown

    def problem(self) -> str:
        """One line saying why the sentence cannot be fed (empty when it can)."""
        if not self.tokens:
            return "the sentence is empty: type at least one token"
        if not self.unknown:
            return ""
        listed = "; ".join(u.describe() for u in self.unknown)
        plural = "s are" if len(self.unknown) > 1 else " is"
        return f"{len(self.unknown)} token{plural} not in the model's vocabulary: {listed}"


def read_sentence(vocab: Vocabulary, text: str) -> SentenceReading:
    """``text`` tokenized as the model's vocabulary cuts text, with its unknown tokens."""
    return read_tokens(vocab, vocab.tokenize(text))


def read_tokens(vocab: Vocabulary, tokens: list[str] | tuple[str, ...]) -> SentenceReading:
    """``tokens`` (already cut) with those ``vocab`` does not hold."""
    tokens = tuple(tokens)
    known = set(vocab.tokens)
    unknown = tuple(
        UnknownToken(token, t, nearest_tokens(vocab, token))
        for t, token in enumerate(tokens)
        if token not in known
    )
    return SentenceReading(tokens, unknown)
