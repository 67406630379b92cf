"""Changing the sequence's length or replacing it whole: one undoable edit each, the
cursor at the first changed step, and the run equal to recording the new sequence."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import Network
from lstm_sim.engine.trace import record
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network


@pytest.fixture
def numeric() -> Session:
    rng = np.random.default_rng(3)
    network = Network.random("lstm", 2, 3, rng, num_layers=2)
    return Session(network, rng.uniform(-1, 1, size=(5, 2)))


def signals(session: Session) -> list[str]:
    seen: list[str] = []
    session.network_changed.connect(lambda: seen.append("network"))
    session.history_changed.connect(lambda: seen.append("history"))
    return seen


def test_insert_copies_the_cursor_step_and_reruns(numeric: Session) -> None:
    x = numeric.trace.x.copy()
    h0 = np.full((2, 3), 0.25)
    numeric.replace_sequence(x, h0)
    numeric.seek(2)
    seen = signals(numeric)
    numeric.insert_step(2)
    assert numeric.num_steps == 6 and numeric.t == 2
    expected_x = np.insert(x, 2, x[2], axis=0)
    assert np.array_equal(numeric.trace.x, expected_x)
    expected = record(numeric.network, expected_x, h0)
    assert np.array_equal(numeric.trace.h_all, expected.h_all)
    assert np.array_equal(numeric.trace.c_all, expected.c_all)  # h0 kept, c0 kept
    assert seen == ["network", "history"] and numeric.can_undo


def test_add_at_end_remove_and_undo_redo(numeric: Session) -> None:
    x = numeric.trace.x.copy()
    numeric.insert_step(numeric.num_steps)
    assert np.array_equal(numeric.trace.x[-1], x[-1]) and numeric.num_steps == 6
    numeric.remove_step(0)
    assert np.array_equal(numeric.trace.x, np.vstack([x[1:], x[-1:]])) and numeric.t == 0
    numeric.undo()
    numeric.undo()
    assert np.array_equal(numeric.trace.x, x)
    assert np.array_equal(numeric.trace.h_all, record(numeric.network, x).h_all)
    numeric.redo()
    assert numeric.num_steps == 6


def test_the_last_step_cannot_be_removed(numeric: Session) -> None:
    numeric.replace_sequence(numeric.trace.x[:1])
    with pytest.raises(ValueError, match="one step left"):
        numeric.remove_step(0)
    with pytest.raises(ValueError, match="outside"):
        numeric.insert_step(3)


def test_a_sequence_that_does_not_fit_changes_nothing(numeric: Session) -> None:
    before = numeric.trace
    with pytest.raises(ValueError, match="expected"):
        numeric.replace_sequence(np.zeros((4, 7)))
    assert numeric.trace is before and not numeric.can_undo


def test_tokens_are_inserted_as_tokens() -> None:
    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    tokens = list(session.tokens or ())
    session.insert_step(1)
    assert list(session.tokens or ()) == tokens[:1] + tokens[1:2] + tokens[1:]
    session.replace_sequence(tokens[:2])
    assert session.num_steps == 2
    session.undo()
    assert session.num_steps == len(tokens) + 1


def test_load_starts_from_a_given_initial_state(numeric: Session) -> None:
    h0, c0 = np.full((2, 3), 0.5), np.full((2, 3), -0.5)
    numeric.load(numeric.network, numeric.trace.x.copy(), "again", h0=h0, c0=c0)
    assert np.array_equal(numeric.initial_state()[0], h0)
    assert np.array_equal(numeric.initial_state()[1], c0)


def test_a_saved_session_keeps_length_edits_undoable(tmp_path) -> None:
    from lstm_sim.model.app_state import AppState
    from lstm_sim.model.session_file import read_session, restore_session, save_session

    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    tokens = session.tokens
    session.insert_step(2)
    session.remove_step(0)
    path = save_session(AppState(session), tmp_path / "s.lstmsim")
    restored = AppState(Session(demo_network(), demo_inputs()))
    restore_session(restored, read_session(path))
    assert restored.session.tokens == session.tokens
    restored.session.undo()
    restored.session.undo()
    assert restored.session.tokens == tokens


def test_clamps_keep_acting_on_a_longer_sequence(numeric: Session) -> None:
    from lstm_sim.engine.interventions import parse_clamp

    numeric.set_clamps([parse_clamp("f[0] = 1 @ all")])
    x = numeric.sequence()
    numeric.insert_step(numeric.num_steps)
    assert numeric.original is not None and numeric.original.whole().num_steps == 6
    assert np.all(numeric.trace.gate("f")[0, :, 0] == 1)  # layer 0, every step
    np.testing.assert_array_equal(numeric.sequence(), np.vstack([x, x[-1:]]))
    free = record(numeric.network, np.vstack([x, x[-1:]]))
    np.testing.assert_array_equal(numeric.original.whole().h_all, free.h_all)
