"""A typed sentence: cut by the model's tokenizer, unknown tokens listed with the nearest
allowed ones by edit distance."""

from __future__ import annotations

import pytest

from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.sentence import edit_distance, nearest_tokens, read_sentence

WORDS = Vocabulary(("the", "cat", "sat", "on", "mat", "she", "he", "."), "word")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("", "", 0), ("cat", "cat", 0), ("cat", "cats", 1), ("kitten", "sitting", 3), ("", "ab", 2)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance == edit_distance(b, a)


def test_nearest_tokens_rank_by_distance_then_case_then_order() -> None:
    assert nearest_tokens(WORDS, "cats") == ("cat", "sat", "mat")  # 1, 2, 2: ties in order
    assert nearest_tokens(WORDS, "sh", count=1) == ("she",)
    assert nearest_tokens(WORDS, "The", count=1) == ("the",)  # case is ignored first
    assert nearest_tokens(WORDS, "dog") == ("on", "the", "cat")


def test_a_known_sentence_is_usable() -> None:
    reading = read_sentence(WORDS, "the cat sat on the mat .")
    assert reading.usable and reading.problem() == ""
    assert reading.tokens == ("the", "cat", "sat", "on", "the", "mat", ".")


def test_unknown_tokens_are_listed_with_their_steps_and_nearest() -> None:
    reading = read_sentence(WORDS, "the dog sat on the rug")
    assert not reading.usable
    assert [(u.token, u.position) for u in reading.unknown] == [("dog", 1), ("rug", 5)]
    assert reading.unknown[0].nearest == ("on", "the", "cat")
    message = reading.problem()
    assert message.startswith("2 tokens are not in the model's vocabulary: 'dog' (step 1)")
    assert "'rug' (step 5): nearest" in message


def test_an_empty_sentence_says_so() -> None:
    reading = read_sentence(WORDS, "   ")
    assert not reading.usable and "empty" in reading.problem()


def test_characters_are_cut_one_by_one() -> None:
    chars = Vocabulary(tuple("abc "), "char")
    reading = read_sentence(chars, "ab d")
    assert reading.tokens == ("a", "b", " ", "d")
    assert [u.token for u in reading.unknown] == ["d"] and reading.unknown[0].position == 3
