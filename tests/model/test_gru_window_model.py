"""The Qt-free parts of the GRU in the window: its phases, the candidate's terms, the
debugger's suggestions, a saved GRU session, and that the window no longer refuses it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lstm_sim.engine import Network, record
from lstm_sim.engine.explain import candidate_terms, gate_block, preactivation_terms
from lstm_sim.engine.expressions import evaluate, parse_expression
from lstm_sim.model import Session
from lstm_sim.model.app_state import AppState
from lstm_sim.model.drawable import check_drawable
from lstm_sim.model.expression_examples import EXAMPLES, watch_placeholder
from lstm_sim.model.phases import computed_fields, phases_for
from lstm_sim.model.session_file import read_session, restore_session, save_session


def gru(reset_after: bool, seed: int = 3) -> Network:
    network = Network.random("gru", 3, 4, np.random.default_rng(seed), num_layers=2)
    return dataclasses.replace(network, reset_after=reset_after)


def test_a_gru_step_has_five_phases_that_compute_every_recorded_field():
    phases = phases_for("gru")
    assert [p.key for p in phases] == ["arrive", "reset", "update", "candidate", "hidden"]
    assert computed_fields("gru", 0) == {"x", "h_prev"}
    assert computed_fields("gru", 2) == {"x", "h_prev", "r", "z"}
    # a_n reads r: the pre-activations are all known only with the candidate.
    assert "pre" not in computed_fields("gru", 2)
    assert computed_fields("gru", 4) == {"x", "h_prev", "r", "z", "hn", "n", "pre", "h"}
    assert all(p.caption.endswith(".") for p in phases)


@pytest.mark.parametrize("reset_after", [True, False])
def test_the_candidate_terms_add_up_to_the_recorded_preactivation(reset_after):
    network = gru(reset_after)
    rng = np.random.default_rng(4)
    trace = record(network, rng.normal(size=(6, 3)), h0=rng.normal(size=(2, 4)))
    for layer in range(2):
        for t in (0, 5):
            step = trace.step(layer, t)
            terms = candidate_terms(network, trace, layer, t)
            np.testing.assert_allclose(terms.total, step.pre_gate("n"), rtol=0, atol=1e-12)
            np.testing.assert_allclose(
                terms.hn_product + terms.hn_bias, step.hn, rtol=0, atol=1e-12
            )
            expected = step.r * step.hn if reset_after else step.hn
            np.testing.assert_array_equal(terms.reset_part, expected)
            for gate in "rz":
                split = preactivation_terms(network, trace, layer, t, gate)
                recorded = trace.pre[layer, t][gate_block(network, gate)]
                np.testing.assert_allclose(split.total, recorded, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="candidate_terms"):
        preactivation_terms(network, trace, 0, 0, "n")
    with pytest.raises(ValueError, match="r, z, n"):
        gate_block(network, "f")


def test_the_debugger_suggests_expressions_that_parse_and_evaluate_on_a_gru():
    network = gru(True)
    trace = record(network, np.random.default_rng(5).normal(size=(6, 3)))
    examples = EXAMPLES["gru"]
    for text in (*examples.watch.replace(" or ", ", ").split(", "), examples.condition):
        values = evaluate(parse_expression(text), trace, 0)
        assert np.all(np.isfinite(np.asarray(values, dtype=float)))
    assert examples.clamp is None
    assert "h r z n hn x" in watch_placeholder("gru")


def test_a_gru_loads_into_a_session_and_a_saved_session_comes_back(tmp_path):
    network = gru(False)
    check_drawable(network)
    state = AppState(Session(network, np.random.default_rng(6).normal(size=(5, 3)), title="g"))
    state.session.set_input(2, 1, 0.5)
    state.watches.add("norm(z)")
    state.session.seek(3, 3)
    path = save_session(state, tmp_path / "g.lstmsim")
    other = AppState(Session(gru(True, seed=9), np.zeros((2, 3)), title="other"))
    restore_session(other, read_session(path))
    restored = other.session
    assert restored.network.kind == "gru" and restored.network.reset_after is False
    assert np.array_equal(restored.trace.h_all, state.session.trace.h_all)
    assert (restored.t, restored.phase) == (3, 3)
    assert other.watches.texts == ["norm(z)"]


def test_edits_rerun_a_gru_exactly_and_undo_back_to_the_start():
    rng = np.random.default_rng(0)
    network = gru(True)
    x = rng.normal(size=(6, 3))
    session = Session(network.copy(), x)
    before = session.trace.h_all.copy()
    session.set_parameter("weight_hh_l1", (2, 1), 0.9)
    session.set_input(3, 0, 0.25)
    session.set_initial("h0", 1, 2, 0.3)
    edited_x = x.copy()
    edited_x[3, 0] = 0.25
    h0 = np.zeros((2, 4))
    h0[1, 2] = 0.3
    expected = record(session.network, edited_x, h0=h0)
    assert session.network.layers[1].weight_hh[2, 1] == 0.9
    np.testing.assert_array_equal(session.trace.h_all, expected.h_all)
    np.testing.assert_array_equal(session.trace.act, expected.act)
    for _ in range(3):
        session.undo()
    np.testing.assert_array_equal(session.trace.h_all, before)
