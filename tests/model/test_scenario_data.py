"""The scenario data generators: labels agree with the text, seeds reproduce, splits are
disjoint."""

from dataclasses import replace

import numpy as np
import pytest

from lstm_sim.engine.network import Layer, Network
from lstm_sim.engine.trace import record
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.scenarios import counting, gender_stories, long_lag, python_code, sine
from lstm_sim.model.scenarios.gender_stories import FEMALE, MALE, UNKNOWN


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# -- subject gender ----------------------------------------------------------------------
NAME_GENDER = {
    name: gender
    for table in (gender_stories.TRAIN_NAMES, gender_stories.HELD_OUT_NAMES)
    for gender, names in table.items()
    for name in names
}
PRONOUN_GENDER = {"he": MALE, "him": MALE, "his": MALE, "she": FEMALE, "her": FEMALE}
CUE_GENDER = {"man": MALE, "boy": MALE, "woman": FEMALE, "girl": FEMALE}


@pytest.fixture(scope="module")
def story() -> gender_stories.Story:
    return gender_stories.gender_story(rng(1), 300)


def test_pronouns_agree_with_the_last_name(story: gender_stories.Story) -> None:
    last_named = last_told = UNKNOWN
    checked = 0
    for t, word in enumerate(story.tokens):
        if word in NAME_GENDER:
            last_named = last_told = NAME_GENDER[word]
        elif word in CUE_GENDER:
            last_told = CUE_GENDER[word]
        elif word in PRONOUN_GENDER:
            assert PRONOUN_GENDER[word] == last_named, (t, story.tokens[t - 5 : t + 1])
            assert story.pronoun_next[t - 1]
            checked += 1
        assert story.gender[t] == last_told
    assert checked == story.pronoun_next.sum() > 300


def test_gender_label_switches_exactly_at_introductions(story: gender_stories.Story) -> None:
    pronouns = story.pronoun_positions  # every pronoun comes after someone was introduced
    assert story.introduced.sum() == 300 == len(story.names)
    first = np.flatnonzero(story.introduced)
    np.testing.assert_array_equal(story.gender[: first[0]], UNKNOWN)
    for k, t in enumerate(first):
        word = story.tokens[t]
        expected = NAME_GENDER.get(word)
        if expected is None:  # a gendered noun introduces the person
            expected = CUE_GENDER[word]
            assert NAME_GENDER[story.names[k]] == expected
        else:
            assert word == story.names[k]
        stop = first[k + 1] if k + 1 < len(first) else len(story.tokens)
        np.testing.assert_array_equal(story.gender[t:stop], expected)
    assert np.all(story.gender[pronouns] != UNKNOWN)


def test_wrong_pronoun_is_the_other_gender(story: gender_stories.Story) -> None:
    for t in story.pronoun_positions:
        right, wrong = story.tokens[t + 1], story.wrong_pronoun[t]
        assert PRONOUN_GENDER[wrong] == -PRONOUN_GENDER[right]
        assert PRONOUN_GENDER[right] == story.gender[t]
    assert all(w == "" for t, w in enumerate(story.wrong_pronoun) if not story.pronoun_next[t])


def test_pronoun_distances_vary_and_match_the_text(story: gender_stories.Story) -> None:
    revealing = set(NAME_GENDER) | set(PRONOUN_GENDER) | set(CUE_GENDER)
    distances = story.distance[story.pronoun_positions]
    assert distances.min() == 2 and distances.max() >= 10
    assert len(set(distances.tolist())) >= 9
    for t in story.pronoun_positions:
        d = story.distance[t]
        assert story.tokens[t + 1 - d] in revealing
        assert not revealing & set(story.tokens[t + 2 - d : t + 1])


def test_held_out_names_are_disjoint_and_always_cued() -> None:
    train = set().union(*gender_stories.TRAIN_NAMES.values())
    held_out = set().union(*gender_stories.HELD_OUT_NAMES.values())
    assert not train & held_out
    story = gender_stories.gender_story(rng(2), 50, split="held_out")
    assert set(story.names) <= held_out
    assert not train & set(story.tokens)
    cues = [story.tokens[t] for t in np.flatnonzero(story.introduced)]
    assert set(cues) <= set(CUE_GENDER)
    vocabulary = set(gender_stories.vocabulary())
    assert set(story.tokens) <= vocabulary
    assert set(gender_stories.gender_story(rng(3), 200).tokens) <= vocabulary


def test_gender_stories_are_deterministic_per_seed() -> None:
    a = gender_stories.gender_story(rng(5), 20)
    b = gender_stories.gender_story(rng(5), 20)
    c = gender_stories.gender_story(rng(6), 20)
    assert a.tokens == b.tokens and a.tokens != c.tokens
    np.testing.assert_array_equal(a.gender, b.gender)


def test_pronoun_accuracy_scores_the_agreeing_pronoun(story: gender_stories.Story) -> None:
    vocab = gender_stories.vocabulary()
    index = {w: k for k, w in enumerate(vocab)}
    oracle = np.full((len(story.tokens), len(vocab)), 1e-3)
    for t in story.pronoun_positions:
        oracle[t, index[story.tokens[t + 1]]] = 0.5
    assert gender_stories.pronoun_accuracy(oracle, story, vocab) == 1.0
    # A model that always says "he"/"his"/"him" is right exactly on the male positions.
    male_only = np.full_like(oracle, 1e-3)
    male_only[:, [index["he"], index["his"], index["him"]]] = 0.5
    expected = np.mean(story.gender[story.pronoun_positions] == MALE)
    assert gender_stories.pronoun_accuracy(male_only, story, vocab) == pytest.approx(expected)
    with pytest.raises(ValueError, match="probs has shape"):
        gender_stories.pronoun_accuracy(oracle[:-1], story, vocab)


# -- long lag ------------------------------------------------------------------------------
def test_long_lag_sequences_have_the_exact_lag_and_target() -> None:
    data = long_lag.long_lag_sequences(rng(), 64, lag=50, num_classes=3, num_distractors=5)
    assert data.tokens.shape == (64, 52)
    vocab = data.vocabulary
    assert vocab == ("A", "B", "C", "0", "1", "2", "3", "4", "?")
    assert np.all(data.tokens[:, 0] < 3)
    assert np.all((data.tokens[:, 1:51] >= 3) & (data.tokens[:, 1:51] < 8))
    assert np.all(data.tokens[:, 51] == vocab.index("?"))
    np.testing.assert_array_equal(np.flatnonzero(data.mask.any(axis=0)), [51])
    np.testing.assert_array_equal(data.targets[:, 51], data.tokens[:, 0])
    assert np.all(data.targets[~data.mask] == -1)
    assert set(np.unique(data.tokens[:, 0]).tolist()) == {0, 1, 2}
    x = data.one_hot()
    assert x.shape == (64, 52, 9)
    np.testing.assert_array_equal(x.argmax(axis=2), data.tokens)
    assert data.text(0)[-1] == "?" and len(data.text(0)) == 52


def test_long_lag_is_deterministic_and_validates() -> None:
    a = long_lag.long_lag_sequences(rng(4), 8, lag=5)
    b = long_lag.long_lag_sequences(rng(4), 8, lag=5)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    with pytest.raises(ValueError, match="num_classes"):
        long_lag.long_lag_sequences(rng(), 8, lag=5, num_classes=1)


# -- counting ------------------------------------------------------------------------------
def test_counting_stream_is_a_n_b_n_with_the_right_count() -> None:
    data = counting.counting_stream(rng(), 40, n_min=2, n_max=7)
    text = "".join(data.text()) + counting.VOCABULARY[data.targets[-1]]
    strings = text.split(".")[1:-1]
    assert [len(s) // 2 for s in strings] == data.lengths.tolist()
    assert all(s == "a" * n + "b" * n for s, n in zip(strings, data.lengths, strict=True))
    np.testing.assert_array_equal(data.targets[:-1], data.tokens[1:])
    # The count is a's minus b's of the current string, recomputed here by walking it.
    count = 0
    for t, symbol in enumerate(data.text()):
        count = 0 if symbol == "." else count + (1 if symbol == "a" else -1)
        assert data.count[t] == count
    assert data.count.min() == 0 and data.count.max() <= 7


def test_counting_predictable_steps_follow_from_the_count() -> None:
    data = counting.counting_stream(rng(1), 60, n_max=5)
    a, b, end = (counting.VOCABULARY.index(s) for s in "ab.")
    for t in np.flatnonzero(data.predictable):
        if data.tokens[t] == end:
            expected = a
        elif data.tokens[t] == a:  # n_max a's read: only b can follow
            assert data.count[t] == 5
            expected = b
        else:
            expected = b if data.count[t] > 0 else end
        assert data.targets[t] == expected
    # After an a with fewer than n_max, both a and b occur: truly unpredictable.
    free = ~data.predictable
    assert set(data.targets[free].tolist()) == {a, b}


# -- sine ----------------------------------------------------------------------------------
def test_sine_targets_are_the_clean_next_value() -> None:
    data = sine.sine_sequences(rng(), 10, 50, frequencies=(0.05, 0.1), noise_std=0.2)
    assert data.x.shape == data.y.shape == (10, 50, 1)
    assert set(data.frequency.tolist()) <= {0.05, 0.1}
    t = np.arange(1, 51)
    clean = np.sin(2 * np.pi * data.frequency[:, None] * t + data.phase[:, None])
    np.testing.assert_allclose(data.y[..., 0], clean, atol=1e-12)
    noise = data.x[:, 1:, 0] - data.y[:, :-1, 0]
    assert 0.15 < noise.std() < 0.25
    quiet = sine.sine_sequences(rng(), 3, 20, noise_std=0.0)
    np.testing.assert_allclose(quiet.x[:, 1:], quiet.y[:, :-1], atol=1e-12)
    with pytest.raises(ValueError, match="Nyquist"):
        sine.sine_sequences(rng(), 3, 20, frequencies=(0.6,))


# -- python code ---------------------------------------------------------------------------
def labelled(text: str) -> python_code.CodeLabels:
    return python_code.label_source(text)


def test_labels_of_a_hand_written_snippet() -> None:
    src = 'def f(a=[1]):\n    """Doc."""\n    s = "x # y"  # c (d)\n    return {a: 1}\n'
    lab = labelled(src)

    def marked(name: str) -> str:
        return "".join(ch for ch, on in zip(src, lab[name], strict=True) if on)

    assert marked("in_string") == '"x # y'
    assert marked("in_comment") == "# c (d)"
    assert marked("in_docstring") == '"""Doc.'
    line2 = src.index("    s")
    np.testing.assert_array_equal(lab.indent[line2 : line2 + 5], [0.25, 0.5, 0.75, 1.0, 1.0])
    assert lab.indent[src.index("def")] == 0.0
    assert lab.bracket_depth[src.index("[")] == 2 and lab.bracket_depth[src.index(":")] == 0
    assert lab.bracket_depth[src.index("(d)")] == 0  # brackets in a comment do not count
    assert lab.line_position[src.index("\n")] == 0 and lab.line_position[2] == 3


def test_broken_code_still_gets_labels() -> None:
    src = 'def f(:\n    x = "abc\n  y = 1  # ok\nz = (1,\n'
    lab = labelled(src)
    assert "".join(c for c, m in zip(src, lab.in_comment, strict=True) if m) == "# ok"
    assert labelled("").in_string.shape == (0,)


@pytest.fixture(scope="module")
def held_out() -> python_code.Corpus:
    return python_code.load_corpus("held_out", max_chars=400_000)


def test_corpus_splits_are_listed_sorted_and_disjoint(held_out: python_code.Corpus) -> None:
    assert not set(python_code.TRAIN_FILES) & set(python_code.HELD_OUT_FILES)
    assert list(python_code.TRAIN_FILES) == sorted(python_code.TRAIN_FILES)
    assert list(python_code.HELD_OUT_FILES) == sorted(python_code.HELD_OUT_FILES)
    assert set(held_out.files) <= set(python_code.HELD_OUT_FILES) and len(held_out.files) >= 8
    assert set(held_out.text) <= set(python_code.VOCABULARY)
    assert held_out.offsets[-1] == len(held_out.text) == held_out.labels.indent.size
    small = python_code.load_corpus("train", max_chars=200_000)
    assert len(small.text) <= 200_000 and small.files[0] == python_code.TRAIN_FILES[0]


def test_the_training_split_is_8_to_10_mb_of_modules_never_held_out() -> None:
    assert list(python_code.TRAIN_PACKAGES) == sorted(python_code.TRAIN_PACKAGES)
    train = python_code.split_files("train")
    assert train[: len(python_code.TRAIN_FILES)] == python_code.TRAIN_FILES
    assert len(set(train)) == len(train)
    assert python_code.split_files("held_out") == python_code.HELD_OUT_FILES
    # Disjoint by module, and no training module is a test of a held-out one.
    held_out_stems = {name.removesuffix(".py") for name in python_code.HELD_OUT_FILES}
    for name in train:
        parts = name.split("/")
        assert parts[-1].removesuffix(".py").removeprefix("test_") not in held_out_stems
        assert not python_code.TEST_FOLDERS & set(parts), name
    package_modules = train[len(python_code.TRAIN_FILES) :]
    assert {name.split("/")[0] for name in package_modules} == set(python_code.TRAIN_PACKAGES)
    stdlib = python_code.stdlib_dir()
    size = sum((stdlib / name).stat().st_size for name in train if (stdlib / name).is_file())
    assert 8_000_000 <= size <= 10_000_000


def test_code_from_outside_the_standard_library_is_pyqtgraph_never_trained_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = python_code.OUTSIDE_STDLIB_FILES
    assert list(files) == sorted(files) and len(set(files)) == len(files) == 10
    assert all(name.startswith("pyqtgraph/") and "/tests/" not in name for name in files)
    outside = python_code.load_corpus("outside_stdlib", max_chars=10**8)
    assert outside.files == files  # pyqtgraph is a dependency: every module is there
    assert 150_000 <= len(outside.text) <= 300_000
    assert set(outside.text) <= set(python_code.VOCABULARY)
    assert outside.labels.in_comment.any() and outside.labels.indent.max() >= 4
    # Read from pyqtgraph's install, not from the standard library training reads.
    assert python_code.outside_stdlib_dir() != python_code.stdlib_dir()
    assert not (python_code.stdlib_dir() / python_code.OUTSIDE_STDLIB_PACKAGE).exists()
    monkeypatch.setattr(python_code, "OUTSIDE_STDLIB_PACKAGE", "no_such_package_here")
    with pytest.raises(ValueError, match="no_such_package_here is not installed"):
        python_code.load_corpus("outside_stdlib")
    with pytest.raises(ValueError, match="'train', 'held_out' or 'outside_stdlib'"):
        python_code.load_corpus("elsewhere")  # type: ignore[arg-type]


def test_corpus_labels_agree_with_the_text(held_out: python_code.Corpus) -> None:
    text, lab = held_out.text, held_out.labels
    lines = text.split("\n")
    starts = np.cumsum([0, *(len(line) + 1 for line in lines[:-1])])
    for start, line in zip(starts, lines, strict=True):
        comment = lab.in_comment[start : start + len(line)]
        if comment.any():
            first = int(np.argmax(comment))
            assert line[first] == "#" and comment[first:].all()  # to the end of the line
        if line.lstrip().startswith("#") and not lab.in_docstring[start]:
            assert comment[len(line) - len(line.lstrip())]  # the tokenizer did not give up
        stripped = len(line) - len(line.lstrip(" "))
        expected = [min(k + 1, stripped) / 4 for k in range(len(line))]
        np.testing.assert_array_equal(lab.indent[start : start + len(line)], expected)
    # Every one-line string opens on a quote (after any prefix) and stays on its line.
    chars = np.array(list(text))
    opens = np.flatnonzero(lab.in_string & ~np.r_[False, lab.in_string[:-1]])
    assert opens.size > 300 and set(chars[opens]) <= {"'", '"'}
    assert not (lab.in_string & (chars == "\n")).any()
    assert not (lab.in_string & lab.in_comment).any()
    assert not (lab.in_docstring & lab.in_comment).any()
    # Brackets outside strings and comments balance by the end of each file.
    assert np.all(lab.bracket_depth[held_out.offsets[1:] - 1] == 0)
    assert lab.bracket_depth.max() >= 3


def test_clean_source_maps_onto_the_vocabulary() -> None:
    cleaned = python_code.clean_source("x\t= 'é'\r\n")
    assert cleaned == "x       = '?'\n"
    assert set(cleaned) <= set(python_code.VOCABULARY)


def hand_built_gender_lstm(seed: int) -> Network:
    """Unit 0 closes its forget gate and writes ±tanh(3) at every word that tells a new
    person's gender (a name or a gendered noun), and keeps its cell otherwise; units 1
    and 2 are small random noise."""
    vocab = gender_stories.vocabulary()
    weight_ih = np.random.default_rng(seed).uniform(-0.3, 0.3, size=(12, len(vocab)))
    weight_ih[[0, 3, 6, 9]] = 0.0
    weight_ih[0] = -10.0  # i closed
    weight_ih[3] = 10.0  # f open
    for k, word in enumerate(vocab):
        gender = NAME_GENDER.get(word, CUE_GENDER.get(word))
        if gender is not None:
            weight_ih[0, k], weight_ih[3, k], weight_ih[6, k] = 10.0, -10.0, 3.0 * gender
    layer = Layer(weight_ih, np.zeros((12, 3)), np.zeros(12), np.zeros(12))
    return Network("lstm", [layer], vocab=Vocabulary(vocab, "word"))


def test_find_gender_unit_in_a_hand_built_lstm(story: gender_stories.Story) -> None:
    trace = record(hand_built_gender_lstm(0), list(story.tokens))
    found = gender_stories.find_gender_unit(trace, story)
    assert found.unit == 0 and found.sign == 1 and found.score == 1.0
    np.testing.assert_array_equal(found.reset_steps, np.flatnonzero(story.introduced))
    assert found.forget_at_reset.max() < 1e-4
    text = gender_stories.describe_gender_unit(found, story)
    assert text.startswith("Unit 0 of layer 0") and "forget gate closes" in text
    assert "higher after a he" in text


def test_describe_gender_unit_says_when_the_gate_stays_open(
    story: gender_stories.Story,
) -> None:
    trace = record(hand_built_gender_lstm(1), list(story.tokens))
    found = gender_stories.find_gender_unit(trace, story)
    kept_open = replace(found, forget_at_reset=np.full(found.reset_steps.shape, 0.9))
    assert "stays open" in gender_stories.describe_gender_unit(kept_open, story)
    with pytest.raises(ValueError, match="steps but the story"):
        gender_stories.find_gender_unit(record(hand_built_gender_lstm(0), ["he", "."]), story)
