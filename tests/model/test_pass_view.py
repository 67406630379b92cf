"""The session follows one pass of a bidirectional model: the reverse stepper walks time
from the last step back, and its records are the trace's reverse arrays."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.explain import candidate_terms, preactivation_terms
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.network import Network
from lstm_sim.model.drawable import check_drawable
from lstm_sim.model.session import Session

FIXTURES = Path(__file__).parents[1] / "fixtures" / "family"


def bidirectional(kind: str) -> Network:
    return Network.random(kind, 3, 4, np.random.default_rng(1), num_layers=2, bidirectional=True)


def inputs(steps: int = 6) -> np.ndarray:
    return np.random.default_rng(2).normal(size=(steps, 3))


def test_the_pytorch_fixture_opens_and_matches_torch_in_both_passes() -> None:
    network = load_model(FIXTURES / "network_lstm_bidirectional.pt")
    fixture = np.load(FIXTURES / "network_lstm_bidirectional.npz")
    check_drawable(network)
    session = Session(network, fixture["x"])
    for layer in range(2):
        session.select_layer(layer)
        for followed, key in (("forward", ""), ("reverse", "_reverse")):
            session.follow(followed)
            np.testing.assert_allclose(
                session.shown.h[layer], fixture["h" + key][layer], atol=1e-12
            )
            session.seek(17)
            np.testing.assert_allclose(session.current.c, fixture["c" + key][layer, 17], atol=1e-12)


def test_the_reverse_stepper_walks_time_from_the_end() -> None:
    session = Session(bidirectional("lstm"), inputs())
    session.follow("reverse")
    session.first()
    assert (session.t, session.phase) == (5, 0) and session.at_start
    seen = [session.t]
    while session.next_step():
        seen.append(session.t)
    assert seen == [5, 4, 3, 2, 1, 0]
    assert not session.at_end
    session.last()
    assert session.at_end and not session.next_phase()
    session.seek(3, 0)
    session.prev_phase()
    assert (session.t, session.phase) == (4, len(session.phases) - 1)
    session.seek(3, len(session.phases) - 1)
    session.next_phase()
    assert (session.t, session.phase) == (2, 0)
    session.follow("forward")
    session.seek(3, 0)
    assert session.next_step() and session.t == 4


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_reverse_records_are_the_trace_reverse_arrays(kind: str) -> None:
    network = bidirectional(kind)
    session = Session(network, inputs())
    session.follow("reverse")
    trace, steps = session.trace, session.num_steps
    assert trace.h_all_reverse is not None and trace.pre_reverse is not None
    for layer in range(2):
        for t in range(steps):
            record = session.shown.step(layer, t)
            np.testing.assert_array_equal(record.h, trace.h_all_reverse[layer, t])
            np.testing.assert_array_equal(record.h_prev, trace.h_all_reverse[layer, t + 1])
            np.testing.assert_array_equal(record.pre, trace.pre_reverse[layer, t])
            np.testing.assert_array_equal(record.x, trace.layer_input(layer)[t])
            if kind == "lstm":
                assert trace.c_all_reverse is not None and record.c_prev is not None
                np.testing.assert_array_equal(record.c, trace.c_all_reverse[layer, t])
                np.testing.assert_array_equal(record.c_prev, trace.c_all_reverse[layer, t + 1])
            # The equations split the shown pre-activation with the reverse pass's weights.
            gates = {"lstm": "ifgo", "gru": "rz", "rnn": [None]}[kind]
            for gate in gates:
                terms = preactivation_terms(session.shown_network, session.shown, layer, t, gate)
                total = terms.x_part + terms.h_part + terms.bias
                expected = record.pre if gate is None else record.pre_gate(gate)
                np.testing.assert_allclose(total, expected, atol=1e-12)
            if kind == "gru":
                candidate = candidate_terms(session.shown_network, session.shown, layer, t)
                np.testing.assert_allclose(candidate.total, record.pre_gate("n"), atol=1e-12)
    # The next layer reads the concatenation [forward, reverse] of the layer below.
    np.testing.assert_array_equal(
        session.shown.step(1, 2).x,
        np.concatenate([trace.h_all[0, 3], trace.h_all_reverse[0, 2]]),
    )


def test_an_edit_reruns_the_reverse_pass_and_the_shown_copy_follows() -> None:
    session = Session(bidirectional("lstm"), inputs())
    session.follow("reverse")
    before = session.shown.h[0, 0].copy()
    fired: list[int] = []
    session.trace_changed.connect(lambda start: fired.append(start))
    session.set_input(4, 0, 3.0)
    # The views redraw from step 0: the reverse pass's steps before 4 changed too.
    assert fired == [0]
    # x_4 is read before x_0 in reverse: the reverse state at step 0 changes.
    assert not np.array_equal(session.shown.h[0, 0], before)
    np.testing.assert_array_equal(session.shown.h[0, 0], session.trace.h_all_reverse[0, 0])
    session.undo()
    np.testing.assert_array_equal(session.shown.h[0, 0], before)


def test_a_reverse_only_layer_starts_at_the_last_step() -> None:
    forward = Network.random("gru", 3, 4, np.random.default_rng(0))
    network = replace(forward, layers=[replace(forward.layers[0], direction="reverse")])
    check_drawable(network)
    session = Session(network, inputs())
    assert session.shown_pass == "reverse" and session.t == 5
    session.follow("forward")  # a reverse-only layer has no forward pass to show
    assert session.shown_pass == "reverse"
    np.testing.assert_array_equal(session.current.h, session.trace.h_all_reverse[0, 5])


def test_an_unknown_pass_is_refused() -> None:
    session = Session(bidirectional("rnn"), inputs())
    with pytest.raises(ValueError, match="'sideways'"):
        session.follow("sideways")  # type: ignore[arg-type]


def test_watches_follow_the_shown_pass_and_breakpoints_search_both() -> None:
    from lstm_sim.model.breakpoints import Breakpoints
    from lstm_sim.model.watches import Watches

    session = Session(bidirectional("lstm"), inputs())
    watches = Watches(session)
    watches.add("h[0]")
    np.testing.assert_array_equal(watches.values()[0][:, 0], session.trace.h_all[0, 1:, 0])
    session.follow("reverse")
    np.testing.assert_array_equal(watches.values()[0][:, 0], session.trace.h_all_reverse[0, :-1, 0])
    breakpoints = Breakpoints(session)
    assert breakpoints.find() is None and breakpoints.errors == {}


def test_sequence_edits_and_a_saved_session_keep_the_passes_from_zeros(tmp_path: Path) -> None:
    from lstm_sim.model.app_state import AppState
    from lstm_sim.model.session_file import read_session, restore_session, save_session

    session = Session(bidirectional("gru"), inputs())
    session.follow("reverse")
    session.insert_step(2)
    assert session.num_steps == 7
    session.remove_step(0)
    session.undo()
    session.undo()
    np.testing.assert_array_equal(session.sequence(), inputs())
    with pytest.raises(ValueError, match="every pass starts from zeros"):
        session.set_initial("h0", 0, 0, 1.0)
    session.set_input(3, 1, -2.0)
    path = save_session(AppState(session), tmp_path / "bidi.lstmsim")
    other = AppState(Session(bidirectional("rnn"), inputs(3)))
    restore_session(other, read_session(path))
    np.testing.assert_array_equal(other.session.trace.h_all_reverse, session.trace.h_all_reverse)
