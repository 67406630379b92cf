"""The debugger in the window: F8 through several breakpoints, a watch, a clamp from the
diagram's context menu with its ghost curve, Compare, and a session saved and reopened."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from lstm_sim.engine import Network
from lstm_sim.engine.expressions import parse_expression, truth
from lstm_sim.engine.formats.trace_files import write_trace
from lstm_sim.model import Session


@pytest.fixture
def long_session() -> Session:
    rng = np.random.default_rng(11)
    network = Network.random("lstm", 3, 6, rng, num_layers=2)
    return Session(network, rng.normal(size=(40, 3)), title="debug")


def holding(session: Session, text: str) -> list[int]:
    expression = parse_expression(text)
    return [
        t
        for t in range(session.num_steps)
        if any(truth(expression, session.trace, k, t, t + 1).any() for k in (0, 1))
    ]


def test_f8_runs_through_every_breakpoint_hit(qtbot, make_window, settle, long_session) -> None:
    window = make_window(long_session)
    panel = window.debugger.breakpoints_panel
    panel.text.setText("f[2] > 0.58")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert [b.text for b in window.state.breakpoints.items][-1] == "f[2] > 0.58"
    expected = holding(long_session, "f[2] > 0.58")
    assert len(expected) >= 3
    settle(window)
    # Every holding step is marked on the plots, once, by one item per plot.
    marks = window.state_plot.hit_marks["h"]
    x, _ = marks.getData()
    assert sorted(set(x[np.isfinite(x)].astype(int).tolist())) == expected
    window.session.first()
    visited = []
    for _ in expected[1:] if expected[0] == 0 else expected:
        qtbot.keyClick(window, Qt.Key.Key_F8)
        visited.append(window.session.t)
        assert window.session.phase == 0
        hit = window.debugger.last_hit
        assert hit is not None and (not hit.units or window.session.unit == hit.units[0])
        assert "f[2] > 0.58" in panel.hit.text()
    assert visited == [t for t in expected if t > 0]
    qtbot.keyClick(window, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert window.session.t == visited[-2]
    # The action table puts both in Debug and in Help ▸ Keyboard shortcuts.
    debug = [a.text() for a in window.menus["debug"].actions()]
    assert debug[:2] == ["Run to &next breakpoint", "Run to &previous breakpoint"]
    assert ("Run to next breakpoint", "F8") in window.commands.shortcut_rows


def test_errors_are_shown_inline_with_the_column(qtbot, make_window, long_session) -> None:
    window = make_window(long_session)
    panel = window.debugger.breakpoints_panel
    panel.text.setText("f[2] >> 1")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert "column" in panel.error.text()
    assert len(window.state.breakpoints.items) == 1
    panel.layer.setCurrentIndex(2)  # layer 1
    panel.text.setText("t == 3")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert window.state.breakpoints.items[-1].layer == 1 and panel.error.text() == ""
    panel.list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert not window.state.breakpoints.items[1].enabled
    panel.list.setCurrentRow(1)
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert len(window.state.breakpoints.items) == 1


def test_play_stops_at_a_breakpoint(qtbot, make_window, long_session) -> None:
    window = make_window(long_session)
    window.state.view.reduced_motion = True
    window.state.view.speed = 4.0
    window.state.breakpoints.add("t == 2")
    window.controller.play()
    qtbot.waitUntil(lambda: not window.controller.playing, timeout=10000)
    assert (window.session.t, window.session.phase) == (2, 0)
    assert "Stopped at a breakpoint" in window.debugger.breakpoints_panel.hit.text()


def test_a_watch_shows_its_value_and_curve(qtbot, make_window, long_session) -> None:
    window = make_window(long_session)
    panel = window.debugger.watches_panel
    panel.text.setText("f[1]")
    panel.add()
    window.session.seek(7)
    f = long_session.trace.gate("f")[0, :, 1]
    assert panel.table.item(0, 1).text() == f"{f[7]:.4g}"
    _x, y = panel.curves[0].getData()
    np.testing.assert_array_equal(y[np.isfinite(y)], f)
    assert panel.step_line.value() == 7
    panel.text.setText("nope")
    panel.add()
    assert "unknown name" in panel.table.item(1, 1).text()
    panel.text.setText("f[")
    panel.add()
    assert "column" in panel.error.text() and len(window.state.watches.texts) == 2


def test_clamp_from_the_context_menu_draws_a_ghost(qtbot, make_window, settle, long_session):
    window = make_window(long_session)
    session = window.session
    session.seek(10, 0)
    strip = window.diagram.strip("f")
    cell = strip.sceneBoundingRect()
    # The first cell of the f strip: unit 0 of the visible window.
    point = QPointF(cell.left() + 10, cell.center().y())
    unit = strip.unit_at(point)
    assert unit is not None
    menu = window.debugger.clamp_menu(point)
    assert menu is not None
    labels = [a.text() for a in menu.actions()]
    assert f"Clamp f[{unit}] to 0 from here" in labels
    next(a for a in menu.actions() if a.text() == f"Clamp f[{unit}] to 0 from here").trigger()
    assert [c.text for c in session.clamps] == [f"f[{unit}] = 0 @ 10:40"]
    assert np.all(session.trace.gate("f")[0, 10:, unit] == 0.0)
    assert window.debugger.interventions_panel.list.count() == 1
    session.select_unit(unit)
    settle(window)
    _ghost_x, ghost_y = window.state_plot.ghosts["c"].getData()
    np.testing.assert_array_equal(ghost_y, session.original.whole().c[0, :, unit])
    assert not np.array_equal(ghost_y, session.trace.c[0, :, unit])
    assert "was" in window.equation.was.text() and window.equation.was.isVisible()
    window.action("undo").trigger()
    assert session.clamps == () and session.original is None
    settle(window)
    assert window.state_plot.ghosts["c"].getData()[0] is None or (
        len(window.state_plot.ghosts["c"].getData()[0]) == 0
    )


def test_compare_finds_a_planted_difference_and_jumps(
    qtbot, make_window, settle, long_session, tmp_path: Path
) -> None:
    window = make_window(long_session)
    reference = long_session.trace
    path = tmp_path / "ref.npz"
    write_trace(long_session.network, reference, path)
    panel = window.debugger.compare_panel
    assert panel.compare_with(path)
    assert panel.result.text().startswith("No difference")
    window.session.set_input(17, 1, 2.5)
    assert panel.result.text().startswith("first difference: t=17 layer=0")
    qtbot.mouseClick(panel.jump_button, Qt.MouseButton.LeftButton)
    assert (window.session.t, window.session.phase) == (17, 0)
    image = panel.image.image
    assert image.shape == (6, 40) and np.all(image[:, :17] == 0) and image[:, 17:].max() > 0
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    assert not panel.compare_with(bad)
    assert "bad.npz" in panel.result.text()


def test_save_and_reopen_a_session(qtbot, make_window, settle, long_session, tmp_path) -> None:
    window = make_window(long_session)
    session = window.session
    session.set_input(3, 0, 0.25)
    window.state.interventions.add("layer 1: h[2] = 0 @ 5:9")
    window.state.breakpoints.add("norm(c) > 1", layer=1)
    window.state.watches.add("f[0]")
    session.select_layer(1)
    session.select_unit(4)
    session.seek(12, 2)
    window.state.view.theme = "dark"
    trace = session.trace
    path = tmp_path / "demo.lstmsim"
    assert window.session_files.save(path)
    other = make_window()
    assert other.session_files.open(path)
    again = other.session
    assert [c.text for c in again.clamps] == ["layer 1: h[2] = 0 @ 5:9"]
    for name in ("h_all", "c_all", "act", "pre", "x"):
        np.testing.assert_array_equal(getattr(again.trace, name), getattr(trace, name))
    np.testing.assert_array_equal(again.original.whole().h_all, session.original.whole().h_all)
    assert (again.t, again.phase, again.layer, again.unit) == (12, 2, 1, 4)
    assert other.state.breakpoints.items == window.state.breakpoints.items
    assert other.state.watches.texts == ["f[0]"]
    assert other.state.view.theme == "dark"
    other.action("undo").trigger()  # the clamp
    other.action("undo").trigger()  # the input edit
    assert again.clamps == ()
    np.testing.assert_array_equal(again.trace.x, long_session.inputs() * 0 + again.trace.x)
    assert again.trace.x[3, 0] != 0.25


def test_a_damaged_session_is_refused_and_the_session_kept(
    qtbot, make_window, long_session, tmp_path, monkeypatch
) -> None:
    window = make_window(long_session)
    path = tmp_path / "demo.lstmsim"
    assert window.session_files.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    errors = []
    monkeypatch.setattr(window, "show_error", lambda title, text: errors.append(text))
    before = window.session.trace
    other = make_window()
    monkeypatch.setattr(other, "show_error", lambda title, text: errors.append(text))
    kept = other.session.trace
    assert not other.session_files.open(path)
    assert other.session.trace is kept and before is window.session.trace
    assert "demo.lstmsim" in errors[0] and len(errors[0].splitlines()) == 1


def test_predictions_show_both_top_k_lists_under_a_clamp(qtbot, make_window, settle) -> None:
    rng = np.random.default_rng(2)
    network = Network.random("lstm", 3, 6, rng, output_size=7)
    network.readout.weight *= 8.0  # spread the probabilities so their order is clear
    window = make_window(Session(network, rng.normal(size=(12, 3))))
    window.session.seek(5)
    window.state.interventions.add("h = 0 @ 3:10")
    settle(window)
    panel = window.predictions
    assert panel is not None and not panel.original_label.isHidden()
    original = panel.top_k(original=True)
    assert panel.original_label.text().startswith("<i>Without the clamps:</i>")
    assert panel.top_k() != original  # h = 0 leaves only the readout's bias
    window.session.undo()
    settle(window)
    assert panel.original_label.isHidden()


def test_play_stops_where_the_other_pass_holds_and_follows_it(qtbot, make_window) -> None:
    rng = np.random.default_rng(4)
    network = Network.random("lstm", 3, 4, rng, bidirectional=True)
    session = Session(network, rng.normal(size=(9, 3)))
    window = make_window(session)
    window.state.view.reduced_motion = True
    window.state.view.speed = 4.0
    window.state.breakpoints.replace_all([])
    window.state.breakpoints.add("reverse: t == 7")
    window.controller.play()
    qtbot.waitUntil(lambda: not window.controller.playing, timeout=10000)
    # The forward pass reached t = 1 as the reverse pass reached t = 7 (not at t = 7, where
    # the reverse pass is at 1): the window shows the reverse pass there.
    assert (session.followed, session.t, session.phase) == ("reverse", 7, 0)
    hit = window.debugger.last_hit
    assert hit is not None and (hit.pass_, hit.t) == ("reverse", 7)
    assert "reverse pass" in window.debugger.breakpoints_panel.hit.text()
