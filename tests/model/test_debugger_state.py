"""Breakpoints, watches and interventions as session state: the search lands where a loop
over steps says, clamps are undoable edits that keep the original run beside them."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import Network
from lstm_sim.engine.expressions import ExpressionError, parse_expression, truth
from lstm_sim.engine.interventions import ClampError, intervened, parse_clamp
from lstm_sim.engine.trace import record
from lstm_sim.model import Session
from lstm_sim.model.breakpoints import NON_FINITE_TEXTS, Breakpoints
from lstm_sim.model.interventions import Interventions, clamp_from_here
from lstm_sim.model.watches import Watches


def make_session(kind: str = "lstm", steps: int = 30, layers: int = 2) -> Session:
    rng = np.random.default_rng(7)
    network = Network.random(kind, 3, 5, rng, num_layers=layers)
    return Session(network, rng.normal(size=(steps, 3)), title="test")


def holding_steps_by_loop(session: Session, text: str) -> list[int]:
    """Where ``text`` holds on any layer, one step at a time."""
    expression = parse_expression(text)
    steps = []
    for t in range(session.num_steps):
        layers = range(session.network.num_layers)
        if expression.layer is not None:
            layers = range(expression.layer, expression.layer + 1)
        if any(truth(expression, session.trace, k, t, t + 1).any() for k in layers):
            steps.append(t)
    return steps


def test_the_non_finite_breakpoint_is_on_from_the_start_and_follows_the_kind() -> None:
    session = make_session()
    breakpoints = Breakpoints(session)
    assert [(b.text, b.enabled) for b in breakpoints.items] == [(NON_FINITE_TEXTS[0], True)]
    rng = np.random.default_rng(0)
    session.load(Network.random("rnn", 3, 5, rng), rng.normal(size=(4, 3)))
    assert breakpoints.items[0].text == NON_FINITE_TEXTS[1]
    assert breakpoints.find() is None  # a finite run never breaks on it


def test_f8_search_equals_a_loop_over_steps_forward_and_back() -> None:
    session = make_session()
    breakpoints = Breakpoints(session)
    breakpoints.add("f[2] > 0.6")
    breakpoints.add("norm(h) > 0.9", layer=1)
    expected = sorted(
        set(holding_steps_by_loop(session, "f[2] > 0.6"))
        | set(holding_steps_by_loop(session, "layer 1: norm(h) > 0.9"))
    )
    assert len(expected) >= 3, "the fixture must hold at several steps"
    assert breakpoints.hit_steps().tolist() == expected
    session.seek(0, 0)
    visited = []
    while (hit := breakpoints.run_to()) is not None:
        visited.append(hit.t)
        assert (session.t, session.phase, session.layer) == (hit.t, 0, hit.layer)
        if hit.units:
            assert session.unit == hit.units[0]
    assert visited == [t for t in expected if t > 0]
    back = []
    while (hit := breakpoints.run_to(backward=True)) is not None:
        back.append(hit.t)
    assert back == sorted((t for t in expected if t < visited[-1]), reverse=True)


def test_a_hit_names_the_condition_and_the_units_that_hold() -> None:
    session = make_session()
    breakpoints = Breakpoints(session)
    breakpoints.add("f > 0.5", layer=0)
    hit = breakpoints.find()
    assert hit is not None and hit.layer == 0 and hit.text == "f > 0.5"
    f = session.trace.gate("f")[0, hit.t]
    assert hit.units == tuple(int(u) for u in np.flatnonzero(f > 0.5))
    assert "f > 0.5" in hit.describe()


def test_disabled_and_broken_breakpoints_are_skipped_with_their_error() -> None:
    session = make_session(layers=1)
    breakpoints = Breakpoints(session)
    breakpoints.add("t == 3")
    breakpoints.add("layer 4: t == 1")
    breakpoints.set_enabled(0, False)
    assert breakpoints.run_to() is not None and session.t == 3
    assert "layer 4 does not exist" in breakpoints.errors[2]
    with pytest.raises(ExpressionError, match="column"):
        breakpoints.add("f[2] >> 1")
    with pytest.raises(ExpressionError, match=r"layer 1 .* layer 0"):
        breakpoints.edit(1, "layer 1: t == 2", layer=0)
    breakpoints.remove(2)
    assert [b.text for b in breakpoints.items][1:] == ["t == 3"]


def test_the_first_non_finite_step_is_found() -> None:
    session = make_session()
    breakpoints = Breakpoints(session)
    # As an overflow would leave it (the readers refuse non-finite inputs and weights).
    session.trace.c_all[1, 13, 2] = np.nan  # c_12 of layer 1
    session.trace_changed.emit(12)
    hit = breakpoints.run_to()
    assert hit is not None and (hit.t, hit.layer) == (12, 1)
    assert breakpoints.hit_steps().tolist() == [12]


def test_watches_give_values_per_step_on_the_selected_layer() -> None:
    session = make_session()
    watches = Watches(session)
    watches.add("f[1]")
    watches.add("norm(c)")
    watches.add("nope + 1")
    f, norm, error = watches.values()
    assert isinstance(f, np.ndarray) and isinstance(norm, np.ndarray)
    np.testing.assert_array_equal(f[:, 0], session.trace.gate("f")[0, :, 1])
    np.testing.assert_allclose(norm[:, 0], np.linalg.norm(session.trace.c[0], axis=1))
    assert isinstance(error, str) and "column" in error
    session.seek(4)
    assert watches.value_text(0) == f"{float(session.trace.gate('f')[0, 4, 1]):.4g}"
    session.select_layer(1)
    np.testing.assert_array_equal(watches.values()[0][:, 0], session.trace.gate("f")[1, :, 1])


def test_a_clamp_is_an_undoable_edit_that_keeps_the_original_beside_it() -> None:
    session = make_session()
    before = record(session.network, session.trace.x)
    interventions = Interventions(session)
    interventions.add("f[3] = 1 @ 10:20")
    trace, ghost = session.trace, session.original
    assert ghost is not None
    np.testing.assert_array_equal(ghost.whole().h_all, before.h_all)
    expected = intervened(session.network, before, [parse_clamp("f[3] = 1 @ 10:20")])
    np.testing.assert_array_equal(trace.h_all, expected.h_all)
    np.testing.assert_array_equal(trace.h_all[:, :11], before.h_all[:, :11])
    f, i, g = (trace.gate(n)[0, :, 3] for n in "fig")
    c = trace.c_all[0, :, 3]
    for t in range(10, 20):
        assert f[t] == 1.0
        assert c[t + 1] == c[t] + i[t] * g[t]
    session.undo()
    assert session.clamps == () and session.original is None
    np.testing.assert_array_equal(session.trace.h_all, before.h_all)
    session.redo()
    np.testing.assert_array_equal(session.trace.h_all, expected.h_all)


def test_clamps_compose_and_removing_one_reruns_with_the_rest() -> None:
    session = make_session()
    base = record(session.network, session.trace.x)
    interventions = Interventions(session)
    interventions.add("h[0] = 0 @ 5:8")
    interventions.add("layer 1: i = 0 @ 12")
    both = intervened(session.network, base, session.clamps)
    np.testing.assert_array_equal(session.trace.c_all, both.c_all)
    interventions.remove(0)
    only_second = intervened(session.network, base, [parse_clamp("layer 1: i = 0 @ 12")])
    np.testing.assert_array_equal(session.trace.c_all, only_second.c_all)
    np.testing.assert_array_equal(session.original.whole().c_all, base.c_all)
    session.undo()
    np.testing.assert_array_equal(session.trace.c_all, both.c_all)
    with pytest.raises(ClampError):
        interventions.add("layer 5: f = 1 @ 2")
    assert len(session.clamps) == 2


def test_an_input_edit_under_a_clamp_reruns_both_runs() -> None:
    session = make_session()
    Interventions(session).add("c[1] += 0.5 @ 4")
    session.set_input(2, 1, 3.0)
    fresh = record(session.network, session.trace.x)
    np.testing.assert_array_equal(session.original.whole().h_all, fresh.h_all)
    np.testing.assert_array_equal(
        session.trace.h_all, intervened(session.network, fresh, session.clamps).h_all
    )


def test_clamp_from_here_runs_to_the_last_step() -> None:
    text = clamp_from_here("f", 3, 0.0, 7, 30, layer=1)
    clamp = parse_clamp(text)
    assert (clamp.layer, clamp.quantity, clamp.start, clamp.stop) == (1, "f", 7, 30)


def test_marks_and_f8_follow_a_clamp_from_the_step_it_changes() -> None:
    session = make_session()
    breakpoints = Breakpoints(session)
    breakpoints.add("c[1] > 0.2")
    before = breakpoints.hit_steps().tolist()
    assert before == holding_steps_by_loop(session, "c[1] > 0.2") and before
    Interventions(session).add("c[1] += 1 @ 12")  # holds from step 12 on for a while
    after = breakpoints.hit_steps().tolist()
    assert after == holding_steps_by_loop(session, "c[1] > 0.2") and after != before
    session.seek(11, 0)
    hit = breakpoints.run_to()
    assert hit is not None and hit.t == min(t for t in after if t > 11)
    session.undo()
    assert breakpoints.hit_steps().tolist() == before


def test_a_missing_layer_gets_one_message_from_a_watch_and_a_breakpoint() -> None:
    session = make_session(layers=1)
    watches, breakpoints = Watches(session), Breakpoints(session)
    watches.add("layer 4: f[0]")
    breakpoints.add("layer 4: f[0] > 0")
    assert breakpoints.run_to() is None
    assert watches.values()[0] == breakpoints.errors[1]
    assert breakpoints.errors[1].startswith("layer 4 does not exist: the model has 1")
