"""Saved sessions round-trip bit for bit, and a damaged, foreign or oversized file is
refused with one line before anything changes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine import Network
from lstm_sim.engine.formats.errors import ModelFileError
from lstm_sim.model import Session
from lstm_sim.model.app_state import AppState
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network
from lstm_sim.model.session_file import read_session, restore_session, save_session


def edited_state() -> AppState:
    """The demo with every kind of edit, a clamp, an undone edit, breakpoints and watches."""
    state = AppState(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
    session = state.session
    session.set_token(4, "she")
    session.set_parameter("weight_hh_l0", (1, 2), 0.75)
    session.set_initial("c0", 0, 1, -0.5)
    state.interventions.add("f[0] = 1 @ 3:9")
    session.set_token(6, "read")
    session.undo()  # stays on the redo stack
    state.breakpoints.add("f[0] > 0.9", layer=0)
    state.breakpoints.set_enabled(0, False)
    state.watches.add("norm(c)")
    session.select_unit(2)
    session.seek(7, 3)
    state.view.theme = "dark"
    state.view.speed = 2.0
    return state


def fresh_state() -> AppState:
    rng = np.random.default_rng(0)
    return AppState(Session(Network.random("rnn", 2, 3, rng), rng.normal(size=(4, 2))))


def test_a_session_round_trips_bit_for_bit(tmp_path: Path) -> None:
    state = edited_state()
    path = save_session(state, tmp_path / "lecture.lstmsim")
    other = fresh_state()
    restore_session(other, read_session(path))
    a, b = state.session, other.session
    assert a.original is not None and b.original is not None
    a_ghost, b_ghost = a.original.whole(), b.original.whole()
    for name in ("x", "h_all", "c_all", "pre", "act", "fc", "ig", "tanh_c", "logits", "probs"):
        np.testing.assert_array_equal(getattr(b.trace, name), getattr(a.trace, name))
        np.testing.assert_array_equal(getattr(b_ghost, name), getattr(a_ghost, name))
    assert b.trace.tokens == a.trace.tokens
    for name, array in a.network.state_dict().items():
        np.testing.assert_array_equal(b.network.state_dict()[name], array)
    assert b.clamps == a.clamps and b.history == a.history
    assert (b.t, b.phase, b.layer, b.unit, b.title) == (a.t, a.phase, a.layer, a.unit, a.title)
    assert other.breakpoints.items == state.breakpoints.items
    assert other.watches.texts == state.watches.texts
    assert (other.view.theme, other.view.speed) == ("dark", 2.0)
    # The history works on the reopened session as it did on the saved one.
    for session in (a, b):
        session.redo()
        while session.can_undo:
            session.undo()
    np.testing.assert_array_equal(b.trace.h_all, a.trace.h_all)
    assert b.trace.tokens == tuple(demo_inputs()) and b.original is None


def rewrite(path: Path, change) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    change(members)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[:300]), "not a readable session"),
        (lambda p: rewrite(p, lambda m: m.update({"evil.pkl": b"x"})), "unexpected member"),
        (lambda p: rewrite(p, lambda m: m.pop("model.npz")), "model.npz is missing"),
        (lambda p: rewrite(p, lambda m: m.update({"x.npy": b"junk"})), "x.npy is not"),
        (
            lambda p: rewrite(p, lambda m: m.update({"session.json": b'{"format": "other"}'})),
            "does not say format",
        ),
        (
            lambda p: rewrite(
                p,
                lambda m: m.update(
                    {
                        "session.json": json.dumps(
                            {**json.loads(m["session.json"]), "cursor": [99, 0]}
                        ).encode()
                    }
                ),
            ),
            "does not fit together",
        ),
        (lambda p: rewrite(p, lambda m: m.update({"model.npz": b"PK\x03\x04junk"})), "its model"),
    ],
)
def test_a_damaged_session_is_refused_and_nothing_changes(tmp_path, damage, message) -> None:
    path = save_session(edited_state(), tmp_path / "s.lstmsim")
    damage(path)
    other = fresh_state()
    before = other.session.trace
    with pytest.raises(ModelFileError, match=message) as caught:
        restore_session(other, read_session(path))
    assert len(str(caught.value)) <= 300 and "\n" not in str(caught.value)
    assert other.session.trace is before


def test_an_oversized_member_is_refused_before_it_is_read(tmp_path, monkeypatch) -> None:
    import lstm_sim.model.session_file as session_file

    path = save_session(edited_state(), tmp_path / "s.lstmsim")
    monkeypatch.setitem(session_file.MEMBER_LIMITS, "x.npy", 10)
    with pytest.raises(ModelFileError, match=r"x\.npy declares .* too many"):
        read_session(path)


def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch) -> None:
    path = save_session(edited_state(), tmp_path / "s.lstmsim")
    saved = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail)
    with pytest.raises(OSError, match="disk full"):
        save_session(fresh_state(), path)
    assert path.read_bytes() == saved
    assert [p.name for p in tmp_path.iterdir()] == ["s.lstmsim"]
