"""Breakpoints and watches on reverse and bidirectional layers: a condition looks at the
pass it names, or at both; each pass is searched in the order it ran (its prev is the
step it read before), and a hit says which pass and its t. Checked against loops over
the recorded arrays."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lstm_sim.engine.expressions import ExpressionError, parse_expression
from lstm_sim.engine.network import Network
from lstm_sim.model.breakpoints import Breakpoints
from lstm_sim.model.session import Session
from lstm_sim.model.watches import Watches

STEPS = 9


def bidirectional_session(kind: str = "lstm") -> Session:
    rng = np.random.default_rng(4)
    network = Network.random(kind, 3, 4, rng, num_layers=2, bidirectional=True)
    return Session(network, rng.normal(size=(STEPS, 3)))


def expected_order(holds: dict[str, np.ndarray]) -> list[tuple[str, int, int]]:
    """(pass, t, layer) of every (step number, pass) where a condition holds on some layer,
    in the order F8 visits them: by steps into the pass, forward first, lowest layer."""
    keys = []
    for rank, name in enumerate(("forward", "reverse")):
        layers, times = np.nonzero(holds[name])
        for layer, t in sorted(zip(layers, times, strict=True), key=lambda lt: (lt[1], lt[0])):
            s = t if name == "forward" else STEPS - 1 - t
            keys.append((s, rank, name, int(t), int(layer)))
    first = {}
    for s, rank, name, t, layer in sorted(keys):
        first.setdefault((s, rank), (name, t, layer))
    return [first[key] for key in sorted(first)]


def test_f8_visits_both_passes_by_steps_into_each() -> None:
    session = bidirectional_session()
    trace = session.trace
    assert trace.act_reverse is not None and trace.act is not None
    breakpoints = Breakpoints(session)
    breakpoints.add("f[1] > 0.55")
    holds = {"forward": trace.act[:, :, 5] > 0.55, "reverse": trace.act_reverse[:, :, 5] > 0.55}
    every = expected_order(holds)
    assert len(every) > 4 and {name for name, _, _ in every} == {"forward", "reverse"}
    session.seek(0, 0)
    # From (forward pass, t = 0): every later hit, the cursor's own excluded.
    expected = every[1:] if every[0][:2] == ("forward", 0) else every
    visited = []
    while (hit := breakpoints.run_to()) is not None:
        assert hit.pass_ is not None
        visited.append((hit.pass_, hit.t, hit.layer))
        assert (session.followed, session.t, session.layer) == visited[-1]
        assert hit.describe().startswith(f"t={hit.t} layer {hit.layer} {hit.pass_} pass: ")
    assert visited == expected
    back = []
    while (hit := breakpoints.run_to(backward=True)) is not None:
        back.append((hit.pass_, hit.t, hit.layer))
    assert back == every[-2::-1]
    assert breakpoints.hit_steps().tolist() == sorted({t for _, t, _ in every})


def test_a_condition_looks_at_the_pass_it_names_and_reads_that_pass_s_prev() -> None:
    session = bidirectional_session()
    trace = session.trace
    assert trace.c_all_reverse is not None
    breakpoints = Breakpoints(session)
    breakpoints.add("reverse: layer == 0 and prev.c[0] > 0.05 and prev.t == t + 1")
    # The reverse pass read c after step t+1 (its zeros before the last step).
    holds = trace.c_all_reverse[0, 1:, 0] > 0.05
    expected = [t for t in range(STEPS) if holds[t]]
    assert expected and breakpoints.hit_steps().tolist() == expected
    hit = breakpoints.find_at(expected[0])
    assert hit is not None and (hit.pass_, hit.layer, hit.t) == ("reverse", 0, expected[0])
    assert breakpoints.find_at(next(t for t in range(STEPS) if not holds[t])) is None
    session.follow("reverse")
    session.seek(STEPS - 1, 0)
    hit = breakpoints.run_to()  # the reverse pass's next step is t = STEPS - 2
    assert hit is not None and hit.t == max(t for t in expected if t < STEPS - 1)


def test_a_pass_the_model_does_not_run_is_an_error_with_its_name() -> None:
    plain = Session(Network.random("lstm", 3, 4, np.random.default_rng(0)), np.zeros((4, 3)))
    breakpoints = Breakpoints(plain)
    breakpoints.add("reverse: t == 1")
    breakpoints.add("forward: t == 2")
    hit = breakpoints.run_to()
    assert hit is not None and hit.t == 2 and hit.pass_ is None
    assert "this model has no reverse pass (column 1)" in breakpoints.errors[1]
    rng = np.random.default_rng(1)
    network = Network.random("gru", 3, 4, rng, num_layers=2)
    network = replace(
        network, layers=[replace(network.layers[0], direction="reverse"), network.layers[1]]
    )
    session = Session(network, rng.normal(size=(5, 3)))
    breakpoints = Breakpoints(session)
    breakpoints.add("layer 1 reverse: t == 1")
    breakpoints.add("layer 0: t == 1")  # layer 0 runs its reverse pass only
    hit = breakpoints.run_to()
    assert "layer 1 has no reverse pass" in breakpoints.errors[1]
    assert hit is not None and (hit.pass_, hit.layer, hit.t) == ("reverse", 0, 1)
    assert session.shown_pass == "reverse"


def test_the_prefix_names_a_layer_and_a_pass() -> None:
    expression = parse_expression("layer 1 reverse: f[0] > 0.5")
    assert (expression.layer, expression.direction) == (1, "reverse")
    assert parse_expression("forward: t > 2").direction == "forward"
    assert parse_expression("layer 0: t > 2").direction is None
    with pytest.raises(ExpressionError, match="column 10"):
        parse_expression("reverse: f >> 2")


def test_watches_read_a_reverse_pass_in_the_order_it_ran() -> None:
    session = bidirectional_session("gru")
    trace = session.trace
    assert trace.h_all_reverse is not None
    watches = Watches(session)
    watches.add("prev.h[0]")
    watches.add("forward: t")
    session.follow("reverse")
    # Its previous state at step t is the one after step t+1, in time order.
    np.testing.assert_array_equal(watches.values()[0][:, 0], trace.h_all_reverse[0, 1:, 0])
    np.testing.assert_array_equal(watches.values()[1][:, 0], np.arange(STEPS))
    session.follow("forward")
    np.testing.assert_array_equal(watches.values()[0][:, 0], trace.h_all[0, :-1, 0])
