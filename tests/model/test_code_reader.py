"""The code reader: the shipped model's claims recomputed on held-out code, unit ranking
against a comment detector built by hand, and gate saturation against a direct count."""

import json
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.network import Network
from lstm_sim.engine.probes import rank_units, roc_auc
from lstm_sim.engine.trace import record
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.code_reader import (
    CLAIM_TARGETS,
    DEFAULT_TEXT,
    MODEL_RESOURCE,
    OUTSIDE_STDLIB_TARGETS,
    PATTERNS,
    FoundUnit,
    check_claims,
    find_units,
    load_code_reader,
    read_code,
    read_units,
    reading_of_trace,
    shipped_units,
    unit_saturation,
    unit_score,
    unit_values,
)
from lstm_sim.model.scenarios.python_code import VOCABULARY, CodeLabels, load_corpus
from lstm_sim.resources import resource_path

CODE = '''\
import os

# Where the settings live.
PATH = "~/.config"  # the default


def load(name):
    """Read one setting."""
    # Look it up in the table.
    table = {"a": 1, "b": [2, 3]}
    if name in table:
        return table[name]
    return os.environ.get(name, 'none')
'''

COMMENT_UNIT = 2


def comment_detector(hidden: int = 5, seed: int = 0) -> Network:
    """A character LSTM whose unit COMMENT_UNIT is a comment detector set by hand: its input
    gate opens on '#' to write g = +1, its forget gate closes on a newline, and it keeps c
    everywhere else. The other units have small random weights and ignore it."""
    vocab = Vocabulary(VOCABULARY)
    rng = np.random.default_rng(seed)
    net = Network.random(
        "lstm", len(vocab), hidden, rng, output_size=len(vocab), vocab=vocab, dtype=np.float64
    )
    layer = net.layers[0]
    u, big = COMMENT_UNIT, 20.0
    rows = {gate: k * hidden + u for k, gate in enumerate("ifgo")}
    for row in rows.values():
        layer.weight_ih[row] = 0.0
        layer.weight_hh[row] = 0.0
        layer.bias_hh[row] = 0.0
    layer.weight_hh[:, u] = 0.0  # no other unit reads this one
    hash_, newline = vocab.indices(["#", "\n"])
    layer.bias_ih[rows["i"]] = -big  # i ≈ 0: write nothing...
    layer.weight_ih[rows["i"], hash_] = 2 * big  # ...except at '#'
    layer.bias_ih[rows["f"]] = big  # f ≈ 1: keep c...
    layer.weight_ih[rows["f"], newline] = -2 * big  # ...except at a newline
    layer.bias_ih[rows["g"]] = big  # g ≈ +1
    layer.bias_ih[rows["o"]] = big  # o ≈ 1
    return net


# -- ranking ---------------------------------------------------------------------------
@pytest.mark.parametrize("quantity", ["c", "h"])
def test_find_units_ranks_the_hand_built_comment_detector_first(quantity: str) -> None:
    net = comment_detector()
    ranked = find_units(net, CODE, "in_comment", quantity, 0)
    assert ranked[0].unit == COMMENT_UNIT
    assert sorted(s.unit for s in ranked) == list(range(net.hidden_size))
    assert ranked[0].score > 0.99 and ranked[0].raw > 0.99 and ranked[0].sign == 1
    assert all(s.score < 0.95 for s in ranked[1:])
    scores = [s.score for s in ranked]
    assert scores == sorted(scores, reverse=True)


def test_a_unit_low_inside_the_pattern_ranks_by_its_complement() -> None:
    net = comment_detector()
    trace = record(net, list(CODE))
    # Mirror the detector into another unit upside down: its AUC is 1 - the detector's.
    c = unit_values(trace, "c", 0)
    c[:, 0] = -c[:, COMMENT_UNIT]
    ranked = find_units(net, trace, "in_comment", "c")
    top_two = {s.unit: s for s in ranked[:2]}
    assert set(top_two) == {0, COMMENT_UNIT}
    assert top_two[0].sign == -1 and top_two[0].raw < 0.01
    assert top_two[0].score == pytest.approx(top_two[COMMENT_UNIT].score, abs=1e-12)


def test_numeric_patterns_rank_by_correlation() -> None:
    net = comment_detector()
    reading = read_code(net, CODE)
    # Plant the bracket depth, with noise, in unit 4's output gate.
    depth = reading.labels.bracket_depth.astype(float)
    noise = np.random.default_rng(1).normal(0.0, 0.1, depth.size)
    reading.trace.gate("o")[0][:, 4] = depth + noise
    ranked = find_units(net, reading, "bracket_depth", "o", 0)
    assert ranked[0].unit == 4 and ranked[0].raw > 0.9
    expected = np.corrcoef(depth + noise, depth)[0, 1]
    assert ranked[0].raw == pytest.approx(expected, abs=1e-9)


def test_unit_score_finds_one_unit_in_the_ranking() -> None:
    net = comment_detector()
    reading = read_code(net, CODE)
    ranked = find_units(net, reading, "in_string", "h", 0)
    last = ranked[-1]
    found = FoundUnit("in_string", "h", 0, last.unit, 0.0, 0.0)
    assert unit_score(net, reading, found) == last


def test_a_session_trace_is_read_as_its_characters() -> None:
    net = comment_detector()
    trace = record(net, list(CODE))
    reading = reading_of_trace(trace)
    assert reading.text == CODE
    from_trace = find_units(net, trace, "indent", "c")
    from_text = find_units(net, CODE, "indent", "c")
    assert from_trace == from_text


def test_text_is_put_on_the_corpus_alphabet() -> None:
    net = comment_detector()
    reading = read_code(net, "x = 'é'\t# tab\r\n")
    assert reading.text == "x = '?' # tab\n"  # the tab reaches column 8
    assert reading.trace.num_steps == len(reading.text)


@pytest.mark.parametrize(
    ("source", "pattern", "quantity", "message"),
    [
        ("x = 1\ny = 2\n", "in_comment", "c", "no character"),
        ("x = 1\ny = 2\n", "no_such", "c", "no pattern"),
        ("x = (1)\n", "indent", "c", "never changes"),
        ("# a\n", "in_comment", "q", "quantity"),
        ("x", "in_comment", "c", "at least 2"),
    ],
)
def test_find_units_explains_what_it_cannot_rank(
    source: str, pattern: str, quantity: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        find_units(comment_detector(), source, pattern, quantity)


def test_word_models_are_refused() -> None:
    vocab = Vocabulary(("ab", "cd"), "word")
    net = Network.random("lstm", 2, 3, np.random.default_rng(0), vocab=vocab)
    with pytest.raises(ValueError, match="character-level"):
        read_code(net, "ab cd")
    with pytest.raises(ValueError, match="not recorded on characters"):
        find_units(net, record(net, ["ab", "cd"]), "in_comment")


# -- saturation ------------------------------------------------------------------------
def test_saturation_agrees_with_a_direct_count() -> None:
    net = comment_detector()
    reading = read_code(net, CODE)
    sat = unit_saturation(reading, 0)
    steps = len(CODE)
    assert sat.gates == ("i", "f", "o")
    assert sat.left.shape == sat.right.shape == (3, net.hidden_size)
    assert np.all((sat.left >= 0) & (sat.left <= 1) & (sat.right >= 0) & (sat.right <= 1))
    for k, gate in enumerate(sat.gates):
        values = reading.trace.gate(gate)[0]
        for unit in range(net.hidden_size):
            below = sum(1 for t in range(steps) if values[t, unit] < 0.1)
            above = sum(1 for t in range(steps) if values[t, unit] > 0.9)
            assert sat.left[k, unit] == below / steps
            assert sat.right[k, unit] == above / steps
    # The hand-built unit: f is open except at newlines, i closed except at '#'.
    newlines, hashes = CODE.count("\n"), CODE.count("#")
    assert sat.of("f").right[COMMENT_UNIT] == (steps - newlines) / steps
    assert sat.of("f").left[COMMENT_UNIT] == newlines / steps
    assert sat.of("i").right[COMMENT_UNIT] == hashes / steps
    with pytest.raises(ValueError, match="gate must be one of"):
        sat.of("g")


# -- the default text ------------------------------------------------------------------
def test_default_text_shows_strings_comments_and_indentation() -> None:
    reading = read_code(comment_detector(), DEFAULT_TEXT)
    labels = reading.labels
    assert reading.text == DEFAULT_TEXT
    assert labels.in_string.sum() > 100
    assert labels.in_comment.sum() > 100
    assert labels.indent.max() >= 4
    assert labels.bracket_depth.max() >= 1


# -- the shipped model -----------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped() -> Network:
    return load_code_reader()


@pytest.fixture(scope="module")
def held_out_reading(shipped: Network):
    """All held-out modules (about 180 000 characters) as the shipped model reads them."""
    return read_code(shipped, load_corpus("held_out", max_chars=10**8).text)


def held_out_auc(reading, found: FoundUnit) -> float:
    """ROC AUC of one unit for its pattern, computed on that unit alone."""
    values = unit_values(reading.trace, found.quantity, found.layer)[:, [found.unit]]
    return float(roc_auc(values, reading.labels[found.pattern])[0])


@pytest.mark.slow
@pytest.mark.parametrize("pattern", ["in_string", "in_comment", "in_docstring"])
def test_shipped_units_score_what_the_metadata_claims(
    shipped: Network, held_out_reading, pattern: str
) -> None:
    named = shipped_units(shipped)[pattern]
    auc = held_out_auc(held_out_reading, named)
    assert auc == pytest.approx(named.raw, abs=1e-3)
    assert max(auc, 1 - auc) == pytest.approx(named.score, abs=1e-3)
    assert f"unit {named.unit} " in shipped.metadata["description"]
    assert f"ROC AUC {named.score:.2f}" in shipped.metadata["description"]


@pytest.mark.slow
def test_the_shipped_string_unit_reaches_the_issue_target(
    shipped: Network, held_out_reading
) -> None:
    auc = held_out_auc(held_out_reading, shipped_units(shipped)["in_string"])
    assert max(auc, 1 - auc) >= 0.95


@pytest.mark.slow
def test_the_shipped_comment_unit_reaches_the_issue_target(
    shipped: Network, held_out_reading
) -> None:
    auc = held_out_auc(held_out_reading, shipped_units(shipped)["in_comment"])
    assert max(auc, 1 - auc) >= 0.95


@pytest.mark.slow
def test_the_shipped_indentation_unit_reaches_the_issue_target(
    shipped: Network, held_out_reading
) -> None:
    named = shipped_units(shipped)["indent"]
    values = unit_values(held_out_reading.trace, named.quantity, named.layer)[:, named.unit]
    r = float(np.corrcoef(values, held_out_reading.labels.indent)[0, 1])
    assert r == pytest.approx(named.raw, abs=1e-3)
    assert abs(r) >= 0.85
    assert f"Pearson r {named.raw:.2f} on held-out code" in shipped.metadata["description"]


@pytest.fixture(scope="module")
def outside_columns(shipped: Network) -> tuple[CodeLabels, np.ndarray, list[FoundUnit]]:
    """pyqtgraph's modules: their labels and the values of the named units over them."""
    try:
        text = load_corpus("outside_stdlib", max_chars=10**8).text
    except ValueError as err:
        pytest.skip(f"no code from outside the standard library to read: {err}")
    units = list(shipped_units(shipped).values())
    labels, columns = read_units(shipped, text, units)
    return labels, columns, units


@pytest.mark.slow
def test_the_shipped_units_score_what_the_metadata_says_outside_the_standard_library(
    shipped: Network, outside_columns
) -> None:
    labels, columns, units = outside_columns
    claimed = {
        entry["pattern"]: entry for entry in json.loads(shipped.metadata["outside_stdlib_units"])
    }
    for k, named in enumerate(units):
        pattern = next(p for p in PATTERNS if p.name == named.pattern)
        ranking = rank_units(columns[:, [k]], labels[named.pattern], pattern.kind)
        entry = claimed[named.pattern]
        assert (entry["unit"], entry["quantity"]) == (named.unit, named.quantity)
        assert float(ranking.raw[0]) == pytest.approx(entry["raw"], abs=1e-3), named.pattern
    description = shipped.metadata["description"]
    assert f"ROC AUC {claimed['in_string']['score']:.2f} for strings" in description
    assert f"{claimed['in_comment']['score']:.2f} for comments" in description
    assert f"r {claimed['indent']['raw']:.2f} for indentation" in description


@pytest.mark.slow
@pytest.mark.parametrize("pattern", ["in_string", "in_comment", "indent"])
def test_the_shipped_units_reach_the_issue_targets_outside_the_standard_library(
    outside_columns, pattern: str
) -> None:
    """pyqtgraph's modules, which training never read: strings and comments ROC AUC >= 0.95,
    the indentation depth |r| >= 0.85, as on the held-out stdlib modules."""
    labels, columns, units = outside_columns
    k = [u.pattern for u in units].index(pattern)
    if pattern == "indent":
        score = abs(float(np.corrcoef(columns[:, k], labels.indent)[0, 1]))
    else:
        auc = float(roc_auc(columns[:, [k]], labels[pattern])[0])
        score = max(auc, 1 - auc)
    assert OUTSIDE_STDLIB_TARGETS[pattern] == CLAIM_TARGETS[pattern]
    assert score >= (0.85 if pattern == "indent" else 0.95)


SHAPED_TITLES = {"indent": "indentation", "in_string": "strings", "in_comment": "comments"}
SHAPED_STOPS = {"indent": "indentation", "in_string": "quotes", "in_comment": "comments"}


def test_the_shipped_model_says_which_units_were_shaped(shipped: Network) -> None:
    """The units trained towards a label say so where the user reads about them: the
    metadata, the Guide's text (the description) and the tour's stops."""
    from lstm_sim.model.tour import stop

    named = shipped_units(shipped)
    meta = shipped.metadata
    shaped = json.loads(meta["shaped_units"])
    assert set(shaped) == set(SHAPED_TITLES)
    assert "auxiliary losses pulled" in meta["unit_shaping"]
    assert "the docstring unit was left to the next-character loss" in meta["unit_shaping"]
    assert "scripts/train_code_reader.py --shape" in meta["shaping_command"]
    description = meta["description"]
    assert "auxiliary training signals shaped" in description
    assert "the docstring unit emerged with no labels" in description
    for pattern, unit in shaped.items():
        assert named[pattern].unit == unit
        assert f"unit {unit}'s h to" in meta["unit_shaping"]
        assert f"unit {unit} ({SHAPED_TITLES[pattern]})" in description
        narration = stop(SHAPED_STOPS[pattern]).narration
        assert f"Unit {unit} " in narration and "auxiliary training signal" in narration


@pytest.mark.slow
def test_the_comment_unit_tells_comments_from_docstrings_and_from_code(
    shipped: Network, held_out_reading
) -> None:
    """Not a unit that marks all prose: among the characters of comments and docstrings it
    still separates the two, and leaving docstrings aside it separates comments from code
    as the metadata says."""
    named = shipped_units(shipped)["in_comment"]
    labels = held_out_reading.labels
    values = unit_values(held_out_reading.trace, named.quantity, named.layer)[:, [named.unit]]
    prose = labels.in_comment | labels.in_docstring
    against_docstrings = float(roc_auc(values[prose], labels.in_comment[prose])[0])
    assert max(against_docstrings, 1 - against_docstrings) >= 0.9
    outside = ~labels.in_docstring
    auc = float(roc_auc(values[outside], labels.in_comment[outside])[0])
    score = max(auc, 1 - auc)
    claimed = float(shipped.metadata["comment_auc_outside_docstrings"])
    assert score == pytest.approx(claimed, abs=1e-3)
    assert score >= 0.95
    assert "leaving docstrings aside" not in shipped.metadata["description"]


def test_shipped_model_says_how_it_was_made(shipped: Network) -> None:
    meta = shipped.metadata
    assert "scripts/train_code_reader.py" in meta["training_command"]
    assert int(meta["seed"]) >= 0 and int(meta["steps"]) > 0
    assert 0.0 < float(meta["final_loss"]) < 2.0
    assert set(shipped_units(shipped)) == {p.name for p in PATTERNS}
    assert "queue.py" in meta["held_out_files"] and "queue.py" not in meta["train_files"]
    assert Path(resource_path(MODEL_RESOURCE)).stat().st_size < 4_000_000
    assert shipped.vocab is not None and set(DEFAULT_TEXT) <= set(shipped.vocab.tokens)


@pytest.mark.slow
def test_the_claims_check_passes_for_the_shipped_model_with_the_numbers_above(
    shipped: Network, held_out_reading
) -> None:
    result = check_claims(shipped, held_out_reading)
    assert result.passed
    named = shipped_units(shipped)
    for pattern in CLAIM_TARGETS:
        found = named[pattern]
        key = f"(unit {found.unit}, {found.quantity})"
        if pattern == "indent":
            measured = held_out_reading.trace
            values = unit_values(measured, found.quantity, found.layer)[:, found.unit]
            r = np.corrcoef(values, held_out_reading.labels.indent)[0, 1]
            assert result.numbers[f"indent_r {key}"] == pytest.approx(abs(r), abs=1e-6)
        else:
            auc = held_out_auc(held_out_reading, found)
            score = max(auc, 1 - auc)
            assert result.numbers[f"{pattern}_auc {key}"] == pytest.approx(score, abs=1e-12)
        # Measured on pyqtgraph's modules too, whether claimed there or not.
        assert f"pyqtgraph {pattern}_" in " ".join(result.numbers)


def test_the_claims_check_fails_a_model_without_a_string_unit() -> None:
    net = comment_detector()
    units = [
        FoundUnit("in_comment", "c", 0, COMMENT_UNIT, 1.0, 1.0).as_dict(),
        FoundUnit("in_string", "c", 0, 0, 1.0, 1.0).as_dict(),  # a random unit
        FoundUnit("indent", "h", 0, 1, 1.0, 1.0).as_dict(),  # another
    ]
    net.metadata["units"] = json.dumps(units)
    reading = read_code(net, CODE)
    result = check_claims(net, reading, reading)
    assert not result.passed
    assert result.numbers[f"in_comment_auc (unit {COMMENT_UNIT}, c)"] == 1.0
    assert result.numbers[f"pyqtgraph in_comment_auc (unit {COMMENT_UNIT}, c)"] == 1.0
    assert result.numbers["in_string_auc (unit 0, c)"] < 0.95
    assert result.numbers["indent_r (unit 1, h)"] < 0.85
    del net.metadata["units"]
    with pytest.raises(ValueError, match="names no unit for in_string, in_comment, indent"):
        check_claims(net, reading, reading)


def test_reading_only_some_units_in_chunks_equals_the_whole_reading(monkeypatch) -> None:
    from lstm_sim.engine import chunked

    monkeypatch.setattr(chunked, "CHUNK_STEPS", 16)  # several chunks over CODE
    net = comment_detector()
    reading = read_code(net, CODE)
    units = [FoundUnit("in_comment", "c", 0, COMMENT_UNIT, 1.0, 1.0)]
    units.append(FoundUnit("in_string", "f", 0, 0, 0.5, 0.5))
    labels, columns = read_units(net, CODE, units)
    np.testing.assert_array_equal(columns[:, 0], reading.trace.c[0, :, COMMENT_UNIT])
    np.testing.assert_array_equal(columns[:, 1], reading.trace.gate("f")[0, :, 0])
    np.testing.assert_array_equal(labels.in_comment, reading.labels.in_comment)
    # Find units over a text records only the quantity it ranks, and ranks the same.
    assert find_units(net, CODE, "in_comment", "c") == find_units(net, reading, "in_comment", "c")
