"""Vocabularies: tokens to one-hot columns and back, and the errors that name a token."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.vocab import Vocabulary


def test_characters_round_trip_through_indices_and_one_hot() -> None:
    vocab = Vocabulary(tuple("abc "))
    tokens = vocab.tokenize("cab a")
    assert tokens == ["c", "a", "b", " ", "a"]
    np.testing.assert_array_equal(vocab.indices(tokens), [2, 0, 1, 3, 0])
    one_hot = vocab.one_hot(tokens, dtype=np.float32)
    assert one_hot.dtype == np.float32 and one_hot.shape == (5, 4)
    np.testing.assert_array_equal(one_hot.argmax(axis=1), [2, 0, 1, 3, 0])
    np.testing.assert_array_equal(one_hot.sum(axis=1), 1.0)
    assert vocab.join(tokens) == "cab a"


def test_words_split_on_white_space() -> None:
    vocab = Vocabulary(("she", "he", "said"), tokenizer="word")
    assert vocab.tokenize("she  said\the") == ["she", "said", "he"]
    assert vocab.join(["he", "said"]) == "he said"
    assert len(vocab) == 3


def test_an_unknown_token_is_named() -> None:
    vocab = Vocabulary(tuple("ab"))
    with pytest.raises(ValueError, match="token 'q' is not in the model's vocabulary of 2 tokens"):
        vocab.indices(["a", "q"])


def test_bad_vocabularies_are_refused() -> None:
    with pytest.raises(ValueError, match="needs at least one token"):
        Vocabulary(())
    with pytest.raises(ValueError, match="lists the token 'b' more than once"):
        Vocabulary(("a", "b", "c", "b"))
    with pytest.raises(ValueError, match="tokenizer must be 'char' or 'word', got 'bpe'"):
        Vocabulary(("a",), tokenizer="bpe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tokens must be non-empty strings, got 3"):
        Vocabulary(("a", 3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tokens must be non-empty strings, got ''"):
        Vocabulary(("a", ""))


def test_a_list_of_tokens_becomes_an_immutable_tuple() -> None:
    vocab = Vocabulary(["x", "y"])  # type: ignore[arg-type]
    assert vocab.tokens == ("x", "y")
    assert vocab == Vocabulary(("x", "y"))
