"""Options on a reverse pass in the window: ONNX peepholes on a bidirectional LSTM, a
projection with peepholes followed in reverse, and a GRU's clip and activations. The
cell draws the followed pass's peephole wires and projection (the state it reads named
t+1), and every phase's equation has the shown pass's own numbers."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from lstm_sim.gui.panels.equation_text import number
from lstm_sim.model import Session
from tests.gui.test_gru_window import assert_no_overlaps
from tests.model.test_reverse_options import options_network

ONNX = Path(__file__).parents[1] / "fixtures" / "keras_onnx"
LSTM_PHASES = ("arrive", "forget", "input", "cell", "output", "hidden")
GRU_PHASES = ("arrive", "reset", "update", "candidate", "hidden")
REVERSE = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,)


def bold_numbers(html: str) -> list[str]:
    return re.findall(r"<b>([^<]*)</b>", html)


def follow_reverse(window, qtbot, settle) -> None:
    qtbot.keyClick(window, Qt.Key.Key_R, *REVERSE)
    qtbot.keyClick(window, Qt.Key.Key_Home)
    settle(window)
    assert window.session.followed == "reverse"


def test_onnx_peepholes_of_the_reverse_pass_are_drawn_and_written(make_window, settle, qtbot):
    window = make_window()
    assert window.open_model(str(ONNX / "onnx_lstm_bidirectional_peepholes.onnx"))
    session = window.session
    session.set_inputs(np.load(ONNX / "onnx_lstm_bidirectional_peepholes.npz")["x"][:6])
    session.select_layer(1)
    session.select_unit(2)
    follow_reverse(window, qtbot, settle)
    scene = window.diagram.diagram()
    names = {wire.name for wire in scene.wiring.wires}
    assert {"peep_f", "peep_i", "peep_o"} <= names
    assert "C<sub>t+1</sub>" in scene.wiring.node_captions["peep_prev"]
    reverse = session.network.layers[1].reverse
    assert reverse is not None and reverse.peephole is not None
    p_i, p_f, p_o = np.split(reverse.peephole, 3)
    trace, u, last = session.trace, 2, session.num_steps - 1
    assert trace.act_reverse is not None and trace.c_all_reverse is not None
    for step in range(2 * len(LSTM_PHASES)):
        if step:
            qtbot.keyClick(window, Qt.Key.Key_Right)
        settle(window)
        t, key = session.t, session.phases[session.phase].key
        assert (t, key) == (last - step // 6, LSTM_PHASES[step % 6])
        html = window.equation.equation.text()
        gates = dict(zip("ifgo", np.split(trace.act_reverse[1, t], 4), strict=True))
        # The reverse pass read c after step t+1 (zeros before its first step).
        c_prev = trace.c_all_reverse[1, t + 1, u]
        c_now = trace.c_all_reverse[1, t, u]
        if key in ("forget", "input", "output"):
            gate = key[0]
            assert bold_numbers(html)[0] == number(gates[gate][u])
            cell, weight = (c_now, p_o) if gate == "o" else (c_prev, {"i": p_i, "f": p_f}[gate])
            assert f"<sub>{gate}</sub>[{u}]·<i>c</i><sub>{'t' if gate == 'o' else 't+1'}" in html
            assert number(abs(weight[u] * cell)) in html
            assert "peephole" in window.equation.caption.text()
            assert "t−1" not in html + window.equation.caption.text()
        if key == "cell":
            assert bold_numbers(html)[0] == number(c_now)
        if key == "hidden":
            assert bold_numbers(html)[0] == number(trace.h_all_reverse[1, t, u])
        for field in session.phases[session.phase].computes:
            np.testing.assert_array_equal(
                window.diagram.strip(field).values(), getattr(session.current, field)
            )


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_a_projected_peephole_reverse_pass_steps_with_its_own_w_hr(
    make_window, settle, qtbot, size
):
    session = Session(options_network(), np.random.default_rng(5).uniform(-2, 2, (4, 3)))
    window = make_window(session, size=size)
    session.select_unit(1)
    follow_reverse(window, qtbot, settle)
    session.select_layer(1)
    session.seek(2, len(LSTM_PHASES) - 1)
    settle(window)
    record = session.current
    reverse = session.network.layers[1].reverse
    assert reverse is not None and reverse.weight_hr is not None and record.m is not None
    html = window.equation.equation.text()
    assert bold_numbers(html) == [number(record.m[1]), number(record.h[1])]
    assert f"softsign({number(record.c[1])})" in html and "P = 4 units" in html
    np.testing.assert_allclose(reverse.weight_hr @ record.m, record.h, atol=1e-14)
    scene = window.diagram.diagram()
    assert scene.nodes["proj_layer"].geometry.symbol == "proj"
    assert scene.nodes["forget_layer"].geometry.symbol == "1 − i"
    np.testing.assert_array_equal(window.diagram.strip("m").values(), record.m)
    np.testing.assert_array_equal(window.diagram.strip("h").values(), record.h)
    assert window.diagram.smallest_text_on_screen() >= 14 - 0.5
    assert_no_overlaps(scene)
    session.seek(2, LSTM_PHASES.index("forget"))
    settle(window)
    html = window.equation.equation.text()
    assert "1 − <i>i</i><sub>t</sub>" in html  # coupled: f = 1 - i, in the reverse pass too
    assert bold_numbers(html)[0] == number(record.f[1])


def test_a_gru_s_clip_and_activations_on_the_reverse_pass(make_window, settle, qtbot):
    # At 1280x720 a GRU of H = 4 opened from a file has its h number touch the h_t exit
    # label, with or without options (on main too): checked where the plain cell is clear.
    window = make_window(size=(1920, 1080))
    assert window.open_model(str(ONNX / "onnx_gru_bidirectional_clip_activations.onnx"))
    session = window.session
    session.set_inputs(np.load(ONNX / "onnx_gru_bidirectional_clip_activations.npz")["x"][:5])
    session.select_unit(1)
    follow_reverse(window, qtbot, settle)
    scene = window.diagram.diagram()
    for box, symbol in (("reset_layer", "hard σ"), ("update_layer", "hard σ")):
        assert scene.nodes[box].geometry.symbol == symbol
    assert scene.nodes["candidate_layer"].geometry.symbol == "elu"
    session.seek(session.num_steps - 1)  # every number filled in
    settle(window)
    assert_no_overlaps(window.diagram.diagram())
    qtbot.keyClick(window, Qt.Key.Key_Home)
    settle(window)
    trace, u = session.trace, 1
    assert trace.act_reverse is not None and trace.pre_reverse is not None
    for step in range(len(GRU_PHASES)):
        if step:
            qtbot.keyClick(window, Qt.Key.Key_Right)
        settle(window)
        t, key = session.t, session.phases[session.phase].key
        assert (t, key) == (session.num_steps - 1, GRU_PHASES[step])
        html = window.equation.equation.text()
        caption = window.equation.caption.text()
        r, z, n = np.split(trace.act_reverse[0, t], 3)
        a_r, a_z, a_n = np.split(trace.pre_reverse[0, t], 3)
        held = {
            name: number(float(np.clip(a[u], -1.1, 1.1)))
            for name, a in zip("rzn", (a_r, a_z, a_n), strict=True)
        }
        if key in ("reset", "update"):
            name = key[0] if key == "reset" else "z"
            value, pre = (r, a_r) if name == "r" else (z, a_z)
            assert f"hard σ(clip({number(pre[u])}, ±1.1)) = hard σ({held[name]})" in html
            assert bold_numbers(html)[0] == number(value[u])
            assert "hard σ(a) = clip(0.25·a + 0.45, 0, 1)" in html
            assert "hard σ instead of the sigmoid" in caption and "clipped to ±1.1" in caption
        if key == "candidate":
            assert f"elu(clip({number(a_n[u])}, ±1.1)) = elu({held['n']})" in html
            assert bold_numbers(html)[-1] == number(n[u])
            assert "elu instead of tanh" in caption
        if key == "hidden":
            assert bold_numbers(html)[0] == number(trace.h_all_reverse[0, t, u])


def test_f8_stops_in_the_reverse_pass_and_says_so(make_window, settle, qtbot):
    window = make_window()
    assert window.open_model(str(ONNX / "onnx_lstm_bidirectional_peepholes.onnx"))
    session = window.session
    session.set_inputs(np.load(ONNX / "onnx_lstm_bidirectional_peepholes.npz")["x"][:6])
    settle(window)
    panel = window.debugger.breakpoints_panel
    assert "'reverse:'" in panel.text.placeholderText()
    panel.text.setText("layer 1 reverse: t == 2")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.error.text() == "" and len(window.debugger.breakpoints.items) == 2
    qtbot.keyClick(window, Qt.Key.Key_F8)
    settle(window)
    assert (session.followed, session.layer, session.t, session.phase) == ("reverse", 1, 2, 0)
    assert "t=2 layer 1 reverse pass: layer 1 reverse: t == 2" in panel.hit.text()
    assert "reverse pass" in window.position_label.text()
