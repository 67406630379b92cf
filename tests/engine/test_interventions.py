"""What-if runs: clamps parse as written, act inside the cell (a clamped forget gate
makes the cell update exact), change nothing before their first step, follow into every
later step and layer, compose, and undo back to the original run bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import Network, record
from lstm_sim.engine.interventions import (
    Clamp,
    ClampError,
    check_clamps,
    copy_trace,
    first_affected_step,
    intervened,
    parse_clamp,
    rerun_with_clamps,
)
from lstm_sim.engine.trace import Trace, rerun_from

ARRAYS = ("h_all", "c_all", "pre", "act", "fc", "ig", "tanh_c", "logits", "probs")


@pytest.fixture(scope="module")
def network() -> Network:
    return Network.random("lstm", 3, 5, np.random.default_rng(8), num_layers=2, output_size=4)


@pytest.fixture(scope="module")
def trace(network: Network) -> Trace:
    return record(network, np.random.default_rng(9).standard_normal((30, 3)))


def same(a: Trace, b: Trace, before: int | None = None) -> bool:
    """Whether every recorded array agrees exactly (on steps before ``before`` only)."""
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        if x is None:
            continue
        if before is not None:
            steps = before + 1 if name.endswith("_all") else before  # _all starts at h0/c0
            per_layer = name not in ("logits", "probs")
            x, y = (x[:, :steps], y[:, :steps]) if per_layer else (x[:steps], y[:steps])
        if not np.array_equal(x, y):
            return False
    return True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("f[3] = 1 @ 5:10", Clamp("f[3] = 1 @ 5:10", 0, "f", slice(3, 4), "=", 1.0, 5, 10)),
        ("h[7] = 0 @ all", Clamp("h[7] = 0 @ all", 0, "h", slice(7, 8), "=", 0.0, 0, None)),
        ("i = 0 @ 12", Clamp("i = 0 @ 12", 0, "i", slice(None), "=", 0.0, 12, 13)),
        (
            "layer 1: c[2] += 0.5 @ 4",
            Clamp("layer 1: c[2] += 0.5 @ 4", 1, "c", slice(2, 3), "+=", 0.5, 4, 5),
        ),
        (
            "o[0:4] *= -1e-1 @ 0:3",
            Clamp("o[0:4] *= -1e-1 @ 0:3", 0, "o", slice(0, 4), "*=", -0.1, 0, 3),
        ),
    ],
)
def test_clamps_parse_as_written(text: str, expected: Clamp) -> None:
    assert parse_clamp(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("f[3] = 1", "is not a clamp"),
        ("f[3] == 1 @ 2", "is not a clamp"),
        ("q[1] = 1 @ 2", "cannot be clamped"),
        ("f[1] = 1 @ 5:5", "are empty"),
        ("f = nan @ 1", "is not a clamp"),
        ("__import__('os') = 1 @ 1", "is not a clamp"),
    ],
)
def test_bad_clamps_are_refused(text: str, message: str) -> None:
    with pytest.raises(ClampError, match=message):
        parse_clamp(text)


def test_clamps_must_fit_the_model(network: Network) -> None:
    for text, message in [
        ("layer 2: f = 1 @ 0", "layer 2 does not exist"),
        ("f[9] = 1 @ 0", "pick none"),
        ("a = 0 @ 0", "no clamp on 'a'"),
    ]:
        with pytest.raises(ClampError, match=message):
            check_clamps(network, [parse_clamp(text)])


def test_a_clamped_forget_gate_keeps_the_cell_update_exact(network: Network, trace: Trace) -> None:
    clamp = parse_clamp("f[2] = 1 @ 5:10")
    what_if = intervened(network, trace, [clamp])
    assert same(trace, what_if, before=5)
    f, i, g = (what_if.gate(name)[0] for name in "fig")
    c = what_if.c_all[0]  # type: ignore[index]
    for t in range(5, 10):
        assert f[t, 2] == 1.0
        assert c[t + 1, 2] == c[t, 2] + i[t, 2] * g[t, 2]
    # Downstream: c, h of layer 0 from step 5 on, and layer 1 reading them, all change.
    assert not np.array_equal(what_if.h[0, 5], trace.h[0, 5])
    assert not np.array_equal(what_if.h[1, 5:], trace.h[1, 5:])
    assert not np.array_equal(what_if.logits[5:], trace.logits[5:])  # type: ignore[index]
    # The gates after the clamp are recomputed from the changed state, not copied.
    assert not np.array_equal(what_if.gate("f")[0, 10:], trace.gate("f")[0, 10:])


def test_clamps_on_every_quantity_act_where_it_is_computed(network: Network, trace: Trace) -> None:
    for text in ("i[0] = 0 @ 3", "g = 0.5 @ 3", "o[4] *= 0 @ 3", "c[1] += 2 @ 3", "h[3] = 0 @ 3"):
        clamp = parse_clamp(text)
        run = intervened(network, trace, [clamp])
        assert same(trace, run, before=3), text
        i, f, g, o = (run.gate(name)[0, 3] for name in "ifgo")
        c_prev, c = run.c_all[0, 3], run.c_all[0, 4]  # type: ignore[index]
        h = run.h_all[0, 4]
        if clamp.quantity in "ifg":
            np.testing.assert_array_equal(c, f * c_prev + i * g)
        if clamp.quantity != "h":
            np.testing.assert_array_equal(h, o * np.tanh(c))
        picked = {"i": i, "g": g, "o": o, "h": h}.get(clamp.quantity)
        if picked is not None and clamp.op == "=":
            assert (picked[clamp.units] == clamp.value).all()
        if clamp.quantity == "o":
            assert o[4] == 0 and h[4] == 0
        if clamp.quantity == "c":
            original = trace.c_all[0, 4, 1]  # type: ignore[index]
            assert c[1] == original + 2


def test_clamps_compose_and_undo_to_the_original(network: Network, trace: Trace) -> None:
    clamps = [parse_clamp("f[2] = 1 @ 5:10"), parse_clamp("layer 1: h[0] = 0 @ 8:20")]
    both = intervened(network, trace, clamps)
    assert (both.h[1, 8:20, 0] == 0).all()
    np.testing.assert_array_equal(both.gate("f")[0, 5:10, 2], np.ones(5))  # the first still acts
    # Undo the second: rerun from its first step with the first alone.
    rerun_with_clamps(network, both, clamps[:1], clamps[1].start)
    assert same(both, intervened(network, trace, clamps[:1]))
    # Undo the first too: the original run, bit for bit.
    rerun_with_clamps(network, both, [], clamps[0].start)
    assert same(both, trace)


def test_a_clamp_changes_nothing_it_does_not_reach(network: Network, trace: Trace) -> None:
    assert first_affected_step([parse_clamp("f = 1 @ 40:50")], trace.num_steps) is None
    assert same(intervened(network, trace, [parse_clamp("f = 1 @ 40:50")]), trace)
    upper = intervened(network, trace, [parse_clamp("layer 1: h = 0 @ 3")])
    np.testing.assert_array_equal(upper.h_all[0], trace.h_all[0])  # the layer below
    # The layer below is not even rerun: what it holds stays, wrong or not.
    stale = copy_trace(trace)
    stale.h_all[0, 10:] = 7.0
    rerun_with_clamps(network, stale, [parse_clamp("layer 1: h = 0 @ 3")], 3, first_layer=1)
    assert (stale.h_all[0, 10:] == 7.0).all()
    assert (stale.h[1, 3] == 0).all()
    assert (upper.h[1, 3] == 0).all()


def test_a_simple_rnn_clamps_its_pre_activation_and_h() -> None:
    rnn = Network.random("rnn", 2, 4, np.random.default_rng(1))
    base = record(rnn, np.random.default_rng(2).standard_normal((12, 2)))
    run = intervened(rnn, base, [parse_clamp("a[1] = 0 @ 4")])
    assert run.pre[0, 4, 1] == 0 and run.h[0, 4, 1] == 0
    assert same(base, run, before=4) and not np.array_equal(run.h[0, 5:], base.h[0, 5:])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_rerun_from_any_step_gives_a_whole_runs_bits(dtype: type[np.floating]) -> None:
    """At a size where BLAS takes a product's rows in groups, a row's rounding depends on
    the rows around it: reruns multiply in blocks counted from step 0, so a rerun without
    clamps is the recorded run bit for bit, and a clamp on layer 1 leaves layer 0 alone."""
    rng = np.random.default_rng(0)
    network = Network.random("lstm", 48, 32, rng, num_layers=2, output_size=10, dtype=dtype)
    trace = record(network, rng.standard_normal((300, 48)).astype(dtype))
    for start in (1, 37, 101, 299):
        rerun = copy_trace(trace)
        rerun_with_clamps(network, rerun, [], start)
        assert same(rerun, trace), start
        rerun_from(network, rerun, start)
        assert same(rerun, trace), start
    upper = intervened(network, trace, [parse_clamp("layer 1: h[0] = 0 @ 101")])
    np.testing.assert_array_equal(upper.h_all[0], trace.h_all[0])
    assert same(upper, trace, before=101)
