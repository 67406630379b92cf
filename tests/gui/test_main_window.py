"""The main window driven like a user drives it: real keys, real toolbar buttons,
edits in the input table. Each test checks the session first, then the views."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from lstm_sim.engine.explain import preactivation_terms
from lstm_sim.engine.formats import save_native
from lstm_sim.gui.colors import THEMES
from lstm_sim.gui.panels.equation_text import number
from lstm_sim.model.demo import random_model

Key = Qt.Key


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window, key, modifier)


def test_arrow_keys_and_home_end_move_the_cursor(qtbot, make_window, settle) -> None:
    window = make_window()
    session = window.session
    press(qtbot, window, Key.Key_Right)
    assert (session.t, session.phase) == (0, 1)
    press(qtbot, window, Key.Key_Right)
    press(qtbot, window, Key.Key_Left)
    assert (session.t, session.phase) == (0, 1)
    press(qtbot, window, Key.Key_Down)
    assert (session.t, session.phase) == (1, 1)
    press(qtbot, window, Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert session.t == 2
    press(qtbot, window, Key.Key_Up)
    press(qtbot, window, Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert (session.t, session.phase) == (0, 1)
    press(qtbot, window, Key.Key_End)
    assert session.at_end
    assert window.timeline.value() == session.num_steps - 1
    assert window.equation.title.text().startswith(f"t = {session.num_steps - 1} ·")
    press(qtbot, window, Key.Key_Home)
    assert session.at_start
    assert window.position_label.text() == f"t = 0 / {session.num_steps - 1}"
    settle(window)


def test_toolbar_buttons_step_like_the_keys(qtbot, make_window, settle) -> None:
    window = make_window()
    toolbar = window.findChild(type(window.addToolBar("probe")), "stepping")
    for action, expected in (
        (window.action("next_phase"), (0, 1)),
        (window.action("next_step"), (1, 1)),
        (window.action("prev_phase"), (1, 0)),
        (window.action("last"), (window.session.num_steps - 1, len(window.session.phases) - 1)),
        (window.action("first"), (0, 0)),
    ):
        qtbot.mouseClick(toolbar.widgetForAction(action), Qt.MouseButton.LeftButton)
        assert (window.session.t, window.session.phase) == expected
    settle(window)


def test_equation_shows_the_recorded_numbers_of_the_selected_unit(
    qtbot, make_window, settle
) -> None:
    window = make_window()
    session = window.session
    session.seek(7, 1)  # "Bob", forget gate
    session.select_unit(0)
    record = session.current
    terms = preactivation_terms(session.network, session.trace, 0, 7, "f")
    text = window.equation.equation.text()
    assert record.f[0] < 0.05  # the demo forgets the old subject here
    for value in (terms.x_part[0], record.pre_gate("f")[0], record.f[0]):
        assert number(value) in text
    assert f"σ({number(record.pre_gate('f')[0])}) = <b>{number(record.f[0])}</b>" in text
    window.unit_box.setValue(3)
    assert session.unit == 3
    assert "<i>f</i><sub>t</sub>[3]" in window.equation.equation.text()
    assert "Forget gate" in window.equation.title.text()
    settle(window)


def test_plots_show_the_trace_and_follow_the_cursor(qtbot, make_window, settle) -> None:
    window = make_window()
    session = window.session
    session.select_unit(1)
    session.seek(6, 0)
    settle(window)
    plot = window.state_plot
    np.testing.assert_array_equal(plot.selected["h"].yData, session.trace.h[0, :, 1])
    np.testing.assert_array_equal(plot.selected["c"].yData, session.trace.c[0, :, 1])
    assert plot.curve_points("c") == session.trace.c[0].size
    assert plot.cursors["h"].value() == 6
    for gate in "fig":
        image = window.gate_heatmaps.images[gate].image
        np.testing.assert_array_equal(image, session.trace.gate(gate)[0].T)
    assert window.gate_heatmaps.cursors["o"].value() == 6
    assert window.gate_heatmaps.images["f"].levels.tolist() == [0.0, 1.0]


def test_clicking_a_heatmap_cell_seeks_and_selects_that_unit(qtbot, make_window, settle) -> None:
    window = make_window(size=(1600, 900))
    heatmaps = window.gate_heatmaps
    view = heatmaps.plots["f"].getViewBox()
    scene_point = view.mapViewToScene(QPointF(5, 2))
    widget_point = heatmaps.mapFromScene(scene_point)
    qtbot.mouseClick(heatmaps.viewport(), Qt.MouseButton.LeftButton, pos=widget_point)
    assert (window.session.t, window.session.unit) == (5, 2)
    settle(window)
    assert heatmaps.cursors["f"].value() == 5


def test_editing_a_token_recomputes_and_undo_restores(qtbot, make_window, settle) -> None:
    window = make_window()
    session = window.session
    assert session.trace.c[0, 3, 0] > 0.9  # "Alice": she
    window.inputs.edit_cell(window.inputs.sequence, 0, 0, "Dan")
    assert session.tokens[0] == "Dan"
    assert session.trace.c[0, 3, 0] < -0.9  # the memory flipped to "he"
    assert window.action("undo").isEnabled()
    press(qtbot, window, Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert session.tokens[0] == "Alice" and session.trace.c[0, 3, 0] > 0.9
    assert window.inputs.cell_text(window.inputs.sequence, 0, 0) == "Alice"
    settle(window)
    np.testing.assert_array_equal(window.state_plot.selected["c"].yData, session.trace.c[0, :, 0])


def test_an_unknown_token_is_refused_with_a_dialog(qtbot, make_window, settle, monkeypatch) -> None:
    window = make_window()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    before = window.session.trace.x.copy()
    window.inputs.edit_cell(window.inputs.sequence, 0, 2, "unicorn")
    assert len(shown) == 1 and "unicorn" in shown[0]
    np.testing.assert_array_equal(window.session.trace.x, before)
    assert window.inputs.cell_text(window.inputs.sequence, 0, 2) == "down"
    settle(window)


def test_editing_a_number_reruns_from_that_step(
    qtbot, make_window, settle, numeric_session
) -> None:
    window = make_window(numeric_session)
    session = window.session
    h_before = session.trace.h.copy()
    window.inputs.edit_cell(window.inputs.sequence, 2, 1, "0.75")
    assert session.trace.x[2, 1] == 0.75
    np.testing.assert_array_equal(session.trace.h[:, :2], h_before[:, :2])
    assert not np.allclose(session.trace.h[:, 2:], h_before[:, 2:])
    window.inputs.edit_cell(window.inputs.initial, 1, 0, "0.5")  # c0 of unit 0, layer 0
    assert session.trace.c_all[0, 0, 0] == 0.5
    window.action("undo").trigger()
    window.action("undo").trigger()
    np.testing.assert_array_equal(session.trace.h, h_before)
    settle(window)


def test_layer_selector_switches_every_view(qtbot, make_window, settle, numeric_session) -> None:
    window = make_window(numeric_session)
    assert window.layer_box.isEnabled()
    window.layer_box.setCurrentIndex(1)
    assert window.session.layer == 1
    settle(window)
    image = window.gate_heatmaps.images["o"].image
    np.testing.assert_array_equal(image, window.session.trace.gate("o")[1].T)
    assert "layer 1" in window.equation.title.text()


def test_a_bad_model_file_leaves_the_session_as_it_was(
    qtbot, make_window, settle, monkeypatch, tmp_path
) -> None:
    window = make_window()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"this is not a zip file")
    network, trace, title = window.session.network, window.session.trace, window.windowTitle()
    window.session.seek(4, 2)
    assert not window.open_model(str(bad))
    assert len(shown) == 1 and "broken.pt" in shown[0]
    assert window.session.network is network and window.session.trace is trace
    assert (window.session.t, window.session.phase) == (4, 2)
    assert window.windowTitle() == title
    settle(window)


def test_opening_a_model_file_loads_it_with_default_inputs(
    qtbot, make_window, settle, tmp_path
) -> None:
    window = make_window()
    network, _ = random_model("rnn", 3, 6, 1, seed=2, steps=4)
    path = tmp_path / "tiny.npz"
    save_native(network, path)
    assert window.open_model(str(path))
    session = window.session
    assert (session.network.kind, session.network.hidden_size, session.num_steps) == ("rnn", 6, 12)
    assert "tiny.npz" in window.windowTitle()
    settle(window)
    assert set(window.gate_heatmaps.images) == {"h"}
    assert set(window.state_plot.selected) == {"h"}


def test_playback_runs_and_stops_at_the_end(qtbot, make_window, settle) -> None:
    window = make_window()
    session = window.session
    window.speed.setCurrentIndex(window.speed.count() - 1)  # fastest
    press(qtbot, window, Key.Key_Space)
    assert window.controller.playing
    qtbot.waitUntil(lambda: session.phase >= 2, timeout=3000)
    press(qtbot, window, Key.Key_Space)
    assert not window.controller.playing
    session.seek(session.num_steps - 1, len(session.phases) - 2)
    window.action("reduced").trigger()  # reduced motion: the timer alone paces playback
    window.action("play").trigger()
    qtbot.waitUntil(lambda: not window.controller.playing, timeout=3000)
    assert session.at_end
    settle(window)


def test_dark_theme_reaches_the_plots(qtbot, make_window, settle) -> None:
    window = make_window()
    press(qtbot, window, Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.theme == "dark" and window.action("dark").isChecked()
    assert window.state_plot.backgroundBrush().color() == THEMES["dark"].background
    settle(window)


def test_shortcut_help_lists_the_keys(qtbot, make_window, settle, monkeypatch) -> None:
    window = make_window()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    press(qtbot, window, Key.Key_F1)
    assert len(shown) == 1
    for keys in ("<b>Space", "<b>Right", "or Shift+Right", "<b>Home", "<b>Ctrl+Z"):
        assert keys in shown[0]
    assert "(Right)" in window.action("next_phase").toolTip()


@pytest.mark.parametrize("accepted", [True, False])
def test_new_random_model_dialog(qtbot, make_window, settle, monkeypatch, accepted) -> None:
    from lstm_sim.gui.panels.new_model_dialog import NewModelDialog

    def fake_exec(dialog: NewModelDialog) -> int:
        dialog.kind.setCurrentIndex(1)
        dialog.hidden_size.setValue(7)
        dialog.num_layers.setValue(2)
        dialog.steps.setValue(9)
        return int(NewModelDialog.DialogCode.Accepted if accepted else 0)

    monkeypatch.setattr(NewModelDialog, "exec", fake_exec)
    window = make_window()
    window.action("new").trigger()
    network = window.session.network
    if accepted:
        assert (network.kind, network.hidden_size, network.num_layers) == ("rnn", 7, 2)
        assert window.session.num_steps == 9
    else:
        assert network.kind == "lstm" and network.hidden_size == 4
    settle(window)
