"""The Session: cursor moves, edits that rerun from the right step, undo, and signals."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import Network, Vocabulary, record
from lstm_sim.model import LSTM_PHASES, RNN_PHASES, Session
from lstm_sim.model.phases import computed_fields


def make_session(kind: str = "lstm", steps: int = 6, layers: int = 2) -> Session:
    rng = np.random.default_rng(3)
    network = Network.random(kind, 3, 4, rng, num_layers=layers)
    return Session(network, rng.normal(size=(steps, 3)), title="test")


class Recorder:
    """Counts emissions of every session signal, with their arguments."""

    def __init__(self, session: Session) -> None:
        self.calls: dict[str, list[tuple]] = {}
        for name in (
            "network_changed",
            "trace_changed",
            "cursor_changed",
            "layer_changed",
            "unit_changed",
            "history_changed",
        ):
            getattr(session, name).connect(
                lambda *args, n=name: self.calls.setdefault(n, []).append(args)
            )

    def __getitem__(self, name: str) -> list[tuple]:
        return self.calls.get(name, [])


def test_phases_walk_through_every_step_forward_and_back() -> None:
    session = make_session(steps=3)
    seen = [(session.t, session.phase)]
    while session.next_phase():
        seen.append((session.t, session.phase))
    assert seen == [(t, p) for t in range(3) for p in range(len(LSTM_PHASES))]
    assert session.at_end and not session.next_phase()
    back = [(session.t, session.phase)]
    while session.prev_phase():
        back.append((session.t, session.phase))
    assert back == seen[::-1]


def test_rnn_has_its_own_two_phases() -> None:
    session = make_session("rnn")
    assert session.phases == RNN_PHASES
    session.next_phase()
    session.next_phase()
    assert (session.t, session.phase) == (1, 0)


def test_step_moves_keep_the_phase_and_stop_at_the_ends() -> None:
    session = make_session(steps=4)
    session.seek(0, 2)
    assert session.next_step() and (session.t, session.phase) == (1, 2)
    session.last()
    assert (session.t, session.phase) == (3, len(LSTM_PHASES) - 1)
    assert not session.next_step()
    session.first()
    assert (session.t, session.phase) == (0, 0) and not session.prev_step()


def test_cursor_signal_fires_once_per_move_and_not_for_a_no_op() -> None:
    session = make_session()
    calls = Recorder(session)
    session.next_phase()
    session.seek(0, 1)  # already there
    session.seek(99)  # clipped to the last step
    assert calls["cursor_changed"] == [(0, 1), (5, len(LSTM_PHASES) - 1)]
    assert calls["trace_changed"] == []


def test_current_record_is_the_trace_at_the_cursor() -> None:
    session = make_session()
    session.seek(4)
    session.select_layer(1)
    rec = session.current
    np.testing.assert_array_equal(rec.h, session.trace.h[1, 4])
    np.testing.assert_array_equal(rec.x, session.trace.h[0, 4])  # layer 1 reads layer 0's h


def test_input_edit_reruns_from_its_step_only() -> None:
    session = make_session()
    before = session.trace.h.copy()
    calls = Recorder(session)
    session.set_input(3, 1, 2.5)
    after = session.trace.h
    np.testing.assert_array_equal(after[:, :3], before[:, :3])
    assert not np.allclose(after[:, 3:], before[:, 3:])
    full = record(session.network, session.trace.x)
    np.testing.assert_allclose(after, full.h, rtol=0, atol=1e-15)
    assert calls["trace_changed"] == [(3,)]


def test_initial_state_and_weight_edits_rerun_everything() -> None:
    session = make_session()
    calls = Recorder(session)
    session.set_initial("c0", 0, 2, 0.7)
    session.set_parameter("weight_hh_l1", (5, 3), -1.5)
    assert session.trace.c_all[0, 0, 2] == 0.7
    assert session.network.layers[1].weight_hh[5, 3] == -1.5
    h0 = session.trace.h_all[:, 0]
    c0 = session.trace.c_all[:, 0]
    full = record(session.network, session.trace.x, h0, c0)
    np.testing.assert_allclose(session.trace.c, full.c, rtol=0, atol=1e-15)
    assert calls["trace_changed"] == [(0,), (0,)]


def test_undo_and_redo_restore_exact_values() -> None:
    session = make_session()
    original = session.trace.h.copy()
    session.set_input(2, 0, 9.0)
    session.set_parameter("bias_ih_l0", (1,), 3.0)
    edited = session.trace.h.copy()
    session.undo()
    session.undo()
    assert not session.can_undo and session.can_redo
    np.testing.assert_array_equal(session.trace.h, original)
    session.redo()
    session.redo()
    np.testing.assert_array_equal(session.trace.h, edited)


def test_a_new_edit_clears_redo() -> None:
    session = make_session()
    session.set_input(0, 0, 1.0)
    session.undo()
    session.set_input(1, 0, 1.0)
    assert not session.can_redo


def test_token_edits_check_the_vocabulary() -> None:
    vocab = Vocabulary(tuple("abc"), "char")
    network = Network.random("lstm", 3, 4, np.random.default_rng(0), vocab=vocab)
    session = Session(network, list("abca"))
    session.set_token(1, "c")
    assert session.tokens == tuple("acca")
    np.testing.assert_array_equal(session.trace.x[1], [0, 0, 1])
    with pytest.raises(ValueError, match="'z'"):
        session.set_token(2, "z")
    assert session.tokens == tuple("acca")


def test_bad_edits_raise_and_leave_the_trace_alone() -> None:
    session = make_session()
    before = session.trace.h.copy()
    with pytest.raises(ValueError, match="NaN"):
        session.set_input(0, 0, float("nan"))
    with pytest.raises(ValueError, match="no parameter"):
        session.set_parameter("weight_xx", (0, 0), 1.0)
    with pytest.raises(ValueError, match="out of range"):
        session.set_parameter("weight_hh_l0", (99, 0), 1.0)
    np.testing.assert_array_equal(session.trace.h, before)
    assert not session.can_undo


def test_load_replaces_everything_or_nothing() -> None:
    session = make_session()
    calls = Recorder(session)
    other = Network.random("rnn", 2, 3, np.random.default_rng(1))
    with pytest.raises(ValueError):
        session.load(other, np.zeros((4, 5)))  # D=5 does not fit the RNN
    assert session.network.kind == "lstm" and calls["network_changed"] == []
    session.load(other, np.zeros((4, 2)), title="rnn")
    assert session.network is other and session.num_steps == 4
    assert calls["network_changed"] == [()]


def test_selection_signals() -> None:
    session = make_session()
    calls = Recorder(session)
    session.select_unit(3)
    session.select_unit(3)
    session.select_layer(1)
    assert calls["unit_changed"] == [(3,)] and calls["layer_changed"] == [(1,)]
    with pytest.raises(ValueError):
        session.select_unit(4)


def test_computed_fields_grow_with_the_phase() -> None:
    assert "f" not in computed_fields("lstm", 0)
    assert {"f", "pre"} <= computed_fields("lstm", 1)
    assert "c" in computed_fields("lstm", 3) and "h" not in computed_fields("lstm", 4)
    assert "h" in computed_fields("lstm", 5)
    assert "h" in computed_fields("rnn", 1)


def test_a_token_edit_in_an_embedding_model_reads_the_tokens_row() -> None:
    rng = np.random.default_rng(8)
    base = Network.random("lstm", 3, 4, rng)
    vocab = Vocabulary(("a", "b", "c", "d"), "char")
    network = Network("lstm", base.layers, vocab=vocab, embedding=rng.normal(size=(4, 3)))
    session = Session(network, list("abca"), title="embedded")
    session.set_token(2, "d")
    assert session.trace.token_ids is not None and list(session.trace.token_ids) == [0, 1, 3, 0]
    np.testing.assert_array_equal(session.trace.x[2], network.embedding[3])
    fresh = Session(network, list("abda"), title="fresh")
    np.testing.assert_array_equal(session.trace.h, fresh.trace.h)
