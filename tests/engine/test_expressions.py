"""The condition and watch language: every operator and name against the trace's own
numbers, agreement with a Python loop over steps, and refusals that point at the column."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from lstm_sim.engine import expressions
from lstm_sim.engine.expressions import (
    ExpressionError,
    Hit,
    evaluate,
    hit_steps,
    hits,
    index_hits,
    next_hit,
    next_indexed_hit,
    non_finite_condition,
    parse_expression,
    truth,
    unit_extreme,
)
from lstm_sim.engine.finite_rows import rows_all_finite
from lstm_sim.engine.interventions import parse_clamp, rerun_with_clamps
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace, record
from lstm_sim.engine.vocab import Vocabulary


@pytest.fixture(scope="module")
def lstm_trace() -> Trace:
    rng = np.random.default_rng(3)
    network = Network.random("lstm", 3, 6, rng, num_layers=2)
    return record(network, rng.standard_normal((40, 3)) * 2)


@pytest.fixture(scope="module")
def token_trace() -> Trace:
    vocab = Vocabulary(("a", "b", "he", "she"))
    network = Network.random("rnn", 4, 5, np.random.default_rng(1), vocab=vocab)
    return record(network, ["a", "he", "b", "she", "he"])


def values(text: str, trace: Trace, layer: int = 0) -> np.ndarray:
    return evaluate(parse_expression(text), trace, layer)


def test_names_are_the_trace_quantities(lstm_trace: Trace) -> None:
    for layer in range(2):
        step = [lstm_trace.step(layer, t) for t in range(lstm_trace.num_steps)]
        for name in ("h", "c", "i", "f", "g", "o", "fc", "ig", "tanh_c", "x"):
            expected = np.stack([getattr(record, name) for record in step])
            np.testing.assert_array_equal(values(name, lstm_trace, layer), expected)
        np.testing.assert_array_equal(values("t", lstm_trace)[:, 0], np.arange(40))
        np.testing.assert_array_equal(values("layer", lstm_trace, layer)[:, 0], layer)


def test_prev_is_one_step_earlier_and_the_initial_state_at_zero(lstm_trace: Trace) -> None:
    c = values("c", lstm_trace)
    prev = values("prev.c", lstm_trace)
    np.testing.assert_array_equal(prev[1:], c[:-1])
    np.testing.assert_array_equal(prev[0], lstm_trace.c_all[0, 0])  # type: ignore[index]
    f = values("prev.f", lstm_trace)
    assert np.isnan(f[0]).all()
    np.testing.assert_array_equal(f[1:], values("f", lstm_trace)[:-1])


def test_operators_follow_numpy(lstm_trace: Trace) -> None:
    c, f, i, h = (values(n, lstm_trace) for n in "cfih")
    cases = {
        "c + f * 2 - i / 4": c + f * 2 - i / 4,
        "-c ** 2": -(c**2),
        "abs(c)": np.abs(c),
        "f[3]": f[:, 3:4],
        "c[0:4]": c[:, 0:4],
        "c[-1]": c[:, -1:],
        "max(c)": c.max(axis=1, keepdims=True),
        "min(c)": c.min(axis=1, keepdims=True),
        "mean(h)": h.mean(axis=1, keepdims=True),
        "sum(h)": h.sum(axis=1, keepdims=True),
        "norm(c)": np.linalg.norm(c, axis=1, keepdims=True),
        "argmax(h)": h.argmax(axis=1, keepdims=True),
        "max(f, i)": np.maximum(f, i),
        "min(f, 0.5)": np.minimum(f, 0.5),
        "abs(c - prev.c)[0:2]": np.abs(c - values("prev.c", lstm_trace))[:, 0:2],
    }
    for text, expected in cases.items():
        np.testing.assert_allclose(values(text, lstm_trace), expected, rtol=0, atol=0)
    comparisons = {
        "f > 0.5": f > 0.5,
        "f >= 0.5": f >= 0.5,
        "f < 0.5": f < 0.5,
        "f <= 0.5": f <= 0.5,
        "f[0] == f[0]": np.ones((40, 1), bool),
        "f[0] != f[0]": np.zeros((40, 1), bool),
        "0.2 < f < 0.8": (f > 0.2) & (f < 0.8),
        "f > 0.5 and t > 10": (f > 0.5) & (np.arange(40)[:, None] > 10),
        "f > 0.9 or i > 0.9": (f > 0.9) | (i > 0.9),
        "not f[1] > 0.5": ~(f[:, 1:2] > 0.5),
        "any(f > 0.9)": (f > 0.9).any(axis=1, keepdims=True),
        "all(isfinite(c))": np.ones((40, 1), bool),
    }
    for text, expected in comparisons.items():
        np.testing.assert_array_equal(truth(parse_expression(text), lstm_trace, 0), expected)


def test_tokens_compare_as_strings(token_trace: Trace) -> None:
    holding = [hit.t for hit in hits(parse_expression('token == "he"'), token_trace)]
    assert holding == [1, 4]
    after = [hit.t for hit in hits(parse_expression("prev.token == 'he'"), token_trace)]
    assert after == [2]
    with pytest.raises(ExpressionError, match="compared with == or !="):
        parse_and_truth('token > "a"', token_trace)


def parse_and_truth(text: str, trace: Trace) -> np.ndarray:
    return truth(parse_expression(text), trace, 0)


def test_hits_equal_a_python_loop_over_steps(lstm_trace: Trace) -> None:
    condition = "layer 1: f[2] > 0.55 and c[2] > prev.c[2]"
    found = [(hit.t, hit.layer) for hit in hits(parse_expression(condition), lstm_trace)]
    loop = []
    for t in range(lstm_trace.num_steps):
        record_ = lstm_trace.step(1, t)
        assert record_.f is not None and record_.c is not None and record_.c_prev is not None
        if record_.f[2] > 0.55 and record_.c[2] > record_.c_prev[2]:
            loop.append((t, 1))
    assert found == loop and loop


def test_hits_name_the_units_and_search_every_layer(lstm_trace: Trace) -> None:
    found = list(hits(parse_expression("f > 0.8"), lstm_trace))
    f = lstm_trace.gate("f")
    expected = [
        Hit(t, layer, tuple(int(u) for u in np.flatnonzero(f[layer, t] > 0.8)))
        for t in range(40)
        for layer in range(2)
        if (f[layer, t] > 0.8).any()
    ]
    assert found == expected


def test_next_hit_forward_and_backward(lstm_trace: Trace) -> None:
    conditions = [parse_expression("t == 7"), parse_expression("layer 1: t == 30")]
    forward = next_hit(conditions, lstm_trace, after=7, chunk=4)
    assert forward is not None and forward[0] == Hit(30, 1, ())
    assert forward[1] is conditions[1]
    back = next_hit(conditions, lstm_trace, after=30, backward=True, chunk=4)
    assert back is not None and back[0] == Hit(7, 0, ())
    assert next_hit(conditions, lstm_trace, after=30, chunk=4) is None


def test_non_finite_is_found_at_its_first_step() -> None:
    rng = np.random.default_rng(0)
    network = Network.random("rnn", 2, 3, rng)
    network.nonlinearity = "relu"
    network.layers[0].weight_hh[:] = 1e100
    network.layers[0].weight_ih[:] = 1.0
    trace = _record_quietly(network, np.ones((20, 2)))
    first = next_hit([non_finite_condition(trace)], trace, after=-1)
    h = trace.h[0]
    expected = int(np.flatnonzero(~np.isfinite(h).all(axis=1))[0])
    assert first is not None and first[0].t == expected


def _record_quietly(network: Network, x: np.ndarray) -> Trace:
    with np.errstate(all="ignore"):
        return record(network, x)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("h.__class__", "only prev.<name> may use a dot"),
        ("lambda: 1", "a lambda is not allowed"),
        ("[x for x in h]", "a comprehension is not allowed"),
        ("c ** 99999", "an exponent must be a number between"),
        ("c ** h", "an exponent must be a number between"),
        ("foo > 1", "unknown name 'foo'"),
        ("f[3", "syntax error"),
        ("f[1.5]", "whole number"),
        ("f[99]", "out of range"),
        ("f > 0.5 and", "syntax error"),
        ("c[0:2] + c[0:3]", "cannot combine vectors of"),
        ("mean(h)", "gives numbers, not a truth value"),
        ("layer 5: f > 0", "layer 5 does not exist"),
        ("dh > 0", "needs gradients"),
        ("(" * 300 + "1" + ")" * 300, "expression"),
        ("x" * 600, "at most"),
    ],
)
def test_refusals_are_one_line_and_point_at_the_column(
    lstm_trace: Trace, text: str, message: str
) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(")) as caught:
        expression = parse_expression(text)
        list(hits(expression, lstm_trace))
    assert "\n" not in str(caught.value)


def test_columns_count_from_the_start_of_the_text(lstm_trace: Trace) -> None:
    with pytest.raises(ExpressionError, match=r"unknown name 'bogus'.*\(column 14\)"):
        list(hits(parse_expression("layer 1: f > bogus"), lstm_trace))


def test_gradients_are_names_when_given(lstm_trace: Trace) -> None:
    dh = np.arange(2 * 40 * 6, dtype=float).reshape(2, 40, 6)
    got = evaluate(parse_expression("dh[1]"), lstm_trace, 1, gradients={"dh": dh})
    np.testing.assert_array_equal(got[:, 0], dh[1, :, 1])


def test_a_huge_exponent_never_hangs(lstm_trace: Trace) -> None:
    began = time.perf_counter()
    value = values("c ** 64 > 1e300", lstm_trace)
    assert value.dtype == np.bool_ and time.perf_counter() - began < 5
    assert not math.isnan(float(values("max(c ** -64)", lstm_trace)[0, 0]))


def test_next_hit_and_hit_steps_agree_with_every_hit(lstm_trace: Trace) -> None:
    conditions = [parse_expression(t) for t in ("layer 1: i[0] > 0.6", "o[2] < 0.4", "t == 33")]
    every = sorted(
        (hit.t, hit.layer, k) for k, c in enumerate(conditions) for hit in hits(c, lstm_trace)
    )
    steps = sorted({t for t, _, _ in every})
    assert (
        steps == sorted({int(t) for c in conditions for t in hit_steps(c, lstm_trace)})
        and len(steps) > 3
    )
    for after in range(-1, 40):
        found = next_hit(conditions, lstm_trace, after, chunk=7)
        later = [e for e in every if e[0] > after]
        assert (found is None) == (not later)
        if found is not None:
            assert (found[0].t, found[0].layer) == later[0][:2]
            assert found[1] is conditions[later[0][2]]
        back = next_hit(conditions, lstm_trace, after, backward=True, chunk=5)
        earlier = [e for e in every if e[0] < after]
        assert (back is None) == (not earlier)
        if back is not None:
            assert back[0].t == earlier[-1][0]


def _awkward_rows(dtype: type[np.floating], rng: np.random.Generator) -> np.ndarray:
    """Rows of every sign mix, with NaNs of both signs, infinities, signed zeros, the
    smallest subnormal and sums that overflow, in a view with a row stride (as a gate's
    block of the trace is)."""
    width = 6
    bits = np.dtype(dtype).itemsize * 8
    unsigned = {32: np.uint32, 64: np.uint64}[bits]
    negative_nan = (np.array(np.nan, dtype).view(unsigned) | unsigned(1 << (bits - 1))).view(dtype)
    specials = np.array(
        [np.nan, negative_nan, np.inf, -np.inf, 0.0, -0.0, np.finfo(dtype).smallest_subnormal],
        dtype,
    )
    rows = []
    for trial in range(400):
        row = rng.standard_normal(width).astype(dtype)
        if trial % 3 == 0:
            row = -np.abs(row)
        if trial % 5 == 0:
            row = np.sign(row) * (np.finfo(dtype).max / 3)  # finite; the sum overflows
        picked = rng.random(width) < 0.25
        row[picked] = rng.choice(specials, int(picked.sum()))
        rows.append(row)
    wide = np.zeros((len(rows), 3 * width), dtype)
    wide[:, width : 2 * width] = rows
    return wide[:, width : 2 * width]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_and_min_over_units_are_numpys_with_ieee_zeros(dtype: type[np.floating]) -> None:
    values = _awkward_rows(dtype, np.random.default_rng(5))
    with np.errstate(all="ignore"):
        for largest, reference in ((True, np.max), (False, np.min)):
            found = unit_extreme(values, largest)[:, 0]
            expected = reference(values, axis=1)
            np.testing.assert_array_equal(found, expected)  # NaN where NumPy has NaN
            # Of +0 and -0, max is +0 and min is -0.
            zero = expected == 0
            any_negative_zero = [np.signbit(row[row == 0]).any() for row in values]
            all_negative_zero = [np.signbit(row[row == 0]).all() for row in values]
            wanted = np.array(all_negative_zero if largest else any_negative_zero)
            np.testing.assert_array_equal(np.signbit(found[zero]), wanted[zero])
    assert np.isnan(unit_extreme(values, True)).sum() > 10  # the fixture has NaN rows
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(rows_all_finite(values), np.isfinite(values).all(axis=1))


def test_max_and_isfinite_conditions_equal_a_loop_over_steps() -> None:
    rng = np.random.default_rng(4)
    network = Network.random("lstm", 3, 6, rng, num_layers=2)
    trace = record(network, rng.standard_normal((40, 3)) * 2)
    trace.h_all[1, 9, 2] = np.nan
    trace.h_all[0, 20, 4] = -np.inf
    trace.c_all[1, 31, 0] = 1e308  # type: ignore[index]
    trace.c_all[1, 31, 1] = 1e308  # type: ignore[index]
    for text, per_step in [
        ("max(i) > 0.8", lambda r: np.max(r.i) > 0.8),
        ("min(h) < -0.3", lambda r: np.min(r.h) < -0.3),
        ("max(h) >= 0.5", lambda r: np.max(r.h) >= 0.5),
        ("not all(isfinite(h))", lambda r: not np.isfinite(r.h).all()),
        ("all(isfinite(c))", lambda r: np.isfinite(r.c).all()),
    ]:
        with np.errstate(all="ignore"):
            found = [(hit.t, hit.layer) for hit in hits(parse_expression(text), trace)]
            loop = [
                (t, layer)
                for t in range(40)
                for layer in range(2)
                if per_step(trace.step(layer, t))
            ]
        assert found == loop and loop, text


def test_a_search_in_chunks_equals_one_over_every_step(
    lstm_trace: Trace, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ("abs(c - prev.c)[1] > 0.1", "layer 1: max(f) > 0.65", "t == 0", "min(o) < 0.2")
    conditions = [parse_expression(text) for text in texts]
    whole = [list(hits(c, lstm_trace)) for c in conditions]
    steps = [hit_steps(c, lstm_trace).tolist() for c in conditions]
    monkeypatch.setattr(expressions, "chunk_steps", lambda trace: 7)
    assert [list(hits(c, lstm_trace)) for c in conditions] == whole
    assert [hit_steps(c, lstm_trace).tolist() for c in conditions] == steps
    assert all(steps), "every condition must hold somewhere"


def test_an_index_finds_what_the_search_finds_and_follows_a_rerun() -> None:
    rng = np.random.default_rng(3)
    network = Network.random("lstm", 3, 6, rng, num_layers=2)
    trace = record(network, rng.standard_normal((40, 3)) * 2)
    texts = ("layer 1: i[0] > 0.6", "o[2] < 0.4", "t == 33", "max(g) > 0.9")
    conditions = [parse_expression(text) for text in texts]
    index = index_hits(conditions, trace)
    for after in range(-1, 41):
        for backward in (False, True):
            expected = next_hit(conditions, trace, after, backward=backward, chunk=6)
            assert next_indexed_hit(index, trace, after, backward=backward) == expected
    # A clamp from step 17 on: the refreshed index equals one made from scratch.
    rerun_with_clamps(network, trace, [parse_clamp("f = 1 @ 17:40")], 17)
    refreshed, fresh = index.refreshed(trace, 17), index_hits(conditions, trace)
    assert [s.tolist() for s in refreshed.steps] == [s.tolist() for s in fresh.steps]
    assert refreshed.every.tolist() == fresh.every.tolist()
    assert refreshed.every.tolist() != index.every.tolist()
