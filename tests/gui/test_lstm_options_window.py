"""An LSTM layer's options in the window: peephole wires into the gates, coupled gates
drawn as 1 − f (or 1 − i), the clip and the layer's own activations written into the
equations with the trace's numbers, and labels that do not run into each other (the
same on a reverse pass: tests/gui/test_reverse_options_window.py)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainterPathStroker

from lstm_sim.engine import Network
from lstm_sim.engine.activations import Activation, keras_activation
from lstm_sim.engine.formats import load_model
from lstm_sim.gui.panels.equation_text import number
from lstm_sim.model import Session
from tests.gui.test_gru_window import _label_rects, assert_no_overlaps

LSTM_PHASES = ("arrive", "forget", "input", "cell", "output", "hidden")
PEEPHOLE_WIRES = ("peep_f", "peep_i", "peep_o")


def options_network(
    coupling: str = "none", peephole: bool = True, clip: float | None = 0.8, seed: int = 3
) -> Network:
    """Two LSTM layers with random weights and peepholes, a clip and Keras's hard
    sigmoid: every option the window draws at once."""
    rng = np.random.default_rng(seed)
    network = Network.random("lstm", 3, 6, rng, num_layers=2)
    for layer in network.layers:
        layer.peephole = rng.uniform(-1.5, 1.5, 18) if peephole else None
        layer.coupling = coupling  # type: ignore[assignment]
        layer.clip = clip
        layer.gate_activation = keras_activation("hard_sigmoid")
        layer.cell_activation = Activation("Softsign")
    network.validate()
    return network


def options_session(coupling: str = "none", peephole: bool = True, steps: int = 4) -> Session:
    network = options_network(coupling, peephole)
    inputs = np.random.default_rng(5).uniform(-2, 2, size=(steps, 3))
    return Session(network, inputs, title="options")


def bold_numbers(html: str) -> list[str]:
    return re.findall(r"<b>([^<]*)</b>", html)


def derived_phase(derived: str | None) -> str | None:
    return {None: None, "i": "input", "f": "forget"}[derived]


def held(pre: float, clip: float) -> str:
    return number(float(np.clip(pre, -clip, clip)))


@pytest.mark.parametrize("coupling", ["none", "input_from_forget", "forget_from_input"])
def test_every_phase_shows_the_numbers_of_the_trace(make_window, settle, qtbot, coupling):
    window = make_window(options_session(coupling))
    session = window.session
    session.select_layer(1)
    session.select_unit(4)
    u, network = 4, session.network
    layer = network.layers[1]
    assert layer.peephole is not None
    p_i, p_f, p_o = np.split(layer.peephole, 3)
    derived = {"none": None, "input_from_forget": "i", "forget_from_input": "f"}[coupling]
    for step in range(2 * len(LSTM_PHASES)):
        if step:
            qtbot.keyClick(window, Qt.Key.Key_Right)
        settle(window)
        t, key = session.t, session.phases[session.phase].key
        assert (t, key) == (step // len(LSTM_PHASES), LSTM_PHASES[step % len(LSTM_PHASES)])
        record = session.trace.step(1, t)
        html = window.equation.equation.text()
        bold = bold_numbers(html)
        caption = window.equation.caption.text()
        gates = {"forget": "f", "input": "i", "output": "o"}
        if key in gates:
            assert "clipped to ±0.8" in caption
            own_weights = gates[key] != derived
            assert ("hard σ instead of the sigmoid" in caption) == own_weights
        if key == "output":
            assert "peephole the gate also looks at the new cell state" in caption
        if key == derived_phase(derived):
            assert "Coupled gates" in caption and "is not computed" in caption
        if key == "hidden":
            assert "squashes the cell state with softsign" in caption
        if key in gates:
            gate = gates[key]
            value = getattr(record, gate)[u]
            assert bold[0] == number(value)
            if gate == derived:
                other = "f" if gate == "i" else "i"
                assert f"= 1 − {number(getattr(record, other)[u])}" in html
                np.testing.assert_allclose(value, 1 - getattr(record, other)[u], atol=1e-15)
            else:
                # The peephole term with the engine's own numbers, then the clip.
                cell = record.c if gate == "o" else record.c_prev
                peek = {"i": p_i, "f": p_f, "o": p_o}[gate][u] * cell[u]
                assert f"<sub>{gate}</sub>[{u}]·<i>c</i>" in html
                assert number(abs(peek)) in html
                pre = record.pre_gate(gate)[u]
                assert f"hard σ(clip({number(pre)}, ±0.8)) = hard σ({held(pre, 0.8)})" in html
                assert "hard σ(a) = clip(0.1667·a + 0.5, 0, 1)" in html
        elif key == "hidden":
            assert bold[0] == number(record.h[u])
            assert f"softsign({number(record.c[u])})" in html
            assert number(record.c[u] / (1 + abs(record.c[u]))) in html
        if key == "input":
            assert bold[-1] == number(record.g[u])
        for field in session.phases[session.phase].computes:
            strip = window.diagram.strip(field)
            assert np.array_equal(strip.values(), getattr(record, field))


def test_the_peephole_terms_add_up_to_the_recorded_pre_activation():
    from lstm_sim.engine.explain import preactivation_terms

    session = options_session()
    network, trace = session.network, session.trace
    hidden = network.hidden_size
    for layer in range(2):
        record = trace.step(layer, 2)
        p = network.layers[layer].peephole
        assert p is not None
        for k, gate in enumerate("ifo"):
            terms = preactivation_terms(network, trace, layer, 2, gate)
            cell = record.c if gate == "o" else record.c_prev
            np.testing.assert_allclose(terms.peephole, p[k * hidden : (k + 1) * hidden] * cell)
            np.testing.assert_allclose(terms.total, record.pre_gate(gate), atol=1e-12)
        assert preactivation_terms(network, trace, layer, 2, "g").peephole is None


@pytest.mark.parametrize("peephole", [True, False])
def test_peephole_wires_are_drawn_only_with_peepholes(make_window, settle, peephole):
    window = make_window(options_session(peephole=peephole))
    scene = window.diagram.diagram()
    names = {wire.name for wire in scene.wiring.wires}
    assert all((name in names) == peephole for name in PEEPHOLE_WIRES)
    assert ("peep_prev" in scene.exit_labels) == peephole
    assert scene.nodes["forget_layer"].geometry.symbol == "hard σ"
    assert scene.nodes["cell_tanh"].geometry.symbol == "softsign"
    if peephole:
        # C_{t-1} feeds the forget gate; C_t (after the +) feeds the output gate.
        tap = scene.layout.wires["peep_o"].pointAtPercent(0)
        assert scene.layout.nodes["cell_add"].center.x() < tap.x()
        forget = scene.layout.nodes["forget_layer"].rect()
        end = scene.layout.wires["peep_f"].pointAtPercent(1)
        assert abs(end.x() - forget.left()) < 2 and forget.top() < end.y() < forget.bottom()


def test_a_plain_lstm_draws_no_option(make_window):
    window = make_window()
    scene = window.diagram.diagram()
    names = {wire.name for wire in scene.wiring.wires}
    assert not names & {*PEEPHOLE_WIRES, "couple_i", "couple_f"}
    assert scene.nodes["input_layer"].geometry.symbol == "σ"


@pytest.mark.parametrize("coupling", ["input_from_forget", "forget_from_input"])
def test_a_coupled_gate_is_drawn_as_one_minus_the_other(make_window, coupling):
    window = make_window(options_session(coupling))
    scene = window.diagram.diagram()
    derived, source = ("i", "f") if coupling == "input_from_forget" else ("f", "i")
    box = "input_layer" if derived == "i" else "forget_layer"
    assert scene.nodes[box].geometry.symbol == f"1 − {source}"
    names = {wire.name for wire in scene.wiring.wires}
    assert f"couple_{derived}" in names and f"bus_{derived}" not in names
    assert f"peep_{derived}" not in names  # its own pre-activation reaches nothing
    assert "= 1 − " + source in scene.exit_labels[box].toPlainText()


def _wire_crosses_label(scene, wire_name: str) -> list[str]:
    # A path intersects a rectangle by the area it encloses; the wire is its stroke.
    stroker = QPainterPathStroker()
    stroker.setWidth(4.0)
    path = stroker.createStroke(scene.layout.wires[wire_name])
    hits = []
    for field, pair in scene.strip_labels.items():
        for what, item in (("label", pair.label), ("value", pair.value)):
            shown = item.isVisible() and (what == "label" or item.text())
            if shown and path.intersects(item.sceneBoundingRect()):
                hits.append(f"{field} {what}")
    for name, item in scene.exit_labels.items():
        if path.intersects(item.sceneBoundingRect()):
            hits.append(name)
    for field, strip in scene.strips.items():
        if path.intersects(strip.sceneBoundingRect()):
            hits.append(f"strip {field}")
    return hits


@pytest.mark.parametrize("coupling", ["none", "input_from_forget", "forget_from_input"])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_labels_and_peephole_wires_never_overlap(make_window, settle, coupling, size):
    session = options_session(coupling)
    session.select_unit(2)
    session.seek(1, len(LSTM_PHASES) - 1)  # every number filled in
    window = make_window(session, size=size)
    settle(window)
    assert window.diagram.smallest_text_on_screen() >= 14 - 0.5
    for layer in (0, 1):
        session.select_layer(layer)
        settle(window)
        scene = window.diagram.diagram()
        assert_no_overlaps(scene)
        for wire in scene.wiring.wires:
            if wire.name.startswith(("peep", "couple")):
                assert _wire_crosses_label(scene, wire.name) == [], wire.name


ONNX_FIXTURES = Path(__file__).parents[1] / "fixtures" / "keras_onnx"


def test_an_onnx_lstm_with_clip_coupling_and_activations_steps_in_the_window(
    make_window, settle, qtbot
):
    """ONNX Runtime's own outputs (committed) are what the window steps through, and
    each layer's options are drawn and written as the file states them."""
    path = ONNX_FIXTURES / "onnx_lstm_clip_input_forget_activations.onnx"
    expected = np.load(ONNX_FIXTURES / "onnx_lstm_clip_input_forget_activations.npz")
    network = load_model(path)
    session = Session(network, expected["x"].astype(network.dtype), title="onnx")
    for layer in range(2):
        np.testing.assert_allclose(
            session.trace.h[layer], expected[f"h32.{layer}"][:, 0], rtol=0, atol=1e-5
        )
    window = make_window(session)
    scene = window.diagram.diagram()
    assert scene.nodes["forget_layer"].geometry.symbol == "1 − i"  # ONNX input_forget=1
    session.select_layer(1)
    session.select_unit(1)
    settle(window)
    scene = window.diagram.diagram()
    assert scene.nodes["output_layer"].geometry.symbol == "hard σ"
    assert scene.nodes["candidate_layer"].geometry.symbol == "softsign"
    assert scene.nodes["cell_tanh"].geometry.symbol == "relu"
    for step in range(len(LSTM_PHASES)):
        if step:
            qtbot.keyClick(window, Qt.Key.Key_Right)
        settle(window)
        record = session.trace.step(1, session.t)
        html = window.equation.equation.text()
        key = session.phases[session.phase].key
        if key == "output":
            assert bold_numbers(html)[0] == number(record.o[1])
            assert "hard σ(a) = clip(0.3·a + 0.4, 0, 1)" in html
        if key == "hidden":
            assert f"relu({number(record.c[1])})" in html
            assert bold_numbers(html)[0] == number(record.h[1])


FAMILY = Path(__file__).parents[1] / "fixtures" / "family"


def test_a_projected_lstm_steps_with_m_and_a_narrower_h(make_window, settle, qtbot):
    """PyTorch's proj_size: h_t = W_hr (o_t ⊙ tanh c_t) is P = 2 wide while the cell has
    H = 4 units; the trace matches torch's (committed), the cell draws the projection
    after the output gate and the equations show m_t and h_t with the trace's numbers."""
    network = load_model(FAMILY / "network_lstm_proj.pt")
    expected = np.load(FAMILY / "network_lstm_proj.npz")
    session = Session(network, expected["x"], title="proj")
    np.testing.assert_allclose(session.trace.h, expected["h"], rtol=0, atol=1e-12)
    window = make_window(session)
    window.show_centre_view("unrolled")
    session.select_layer(1)
    for unit in (1, 3):  # a unit h has, and a cell unit past h's P = 2
        session.seek(0, 0)
        session.select_unit(unit)
        for step in range(len(LSTM_PHASES)):
            if step:
                qtbot.keyClick(window, Qt.Key.Key_Right)
            settle(window)
            record = session.trace.step(1, session.t)
            assert record.m is not None
            html = window.equation.equation.text()
            if session.phases[session.phase].key == "hidden":
                weight_hr = network.layers[1].weight_hr
                np.testing.assert_allclose(weight_hr @ record.m, record.h, atol=1e-15)
                bold = bold_numbers(html)
                assert bold[0] == number(record.m[unit])
                assert f"tanh({number(record.c[unit])})" in html
                assert "P = 2 units" in html
                assert bold[1:] == ([number(record.h[unit])] if unit < 2 else [])
                assert "projection layer maps it to the 2 numbers" in (
                    window.equation.caption.text()
                )
    window.show_centre_view("cell")
    settle(window)
    scene = window.diagram.diagram()
    assert scene.nodes["proj_layer"].geometry.symbol == "proj"
    for field in ("h", "h_prev", "x"):  # layer 1 reads layer 0's P-wide h
        assert len(window.diagram.strip(field).units()) == 2
    assert len(window.diagram.strip("m").units()) == 4
    np.testing.assert_array_equal(window.diagram.strip("m").values(), record.m)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_projection_and_peepholes_together_never_overlap(make_window, settle, size):
    rng = np.random.default_rng(9)
    network = Network.random("lstm", 3, 6, rng, num_layers=2, proj_size=4)
    for layer in network.layers:
        layer.peephole = rng.uniform(-1, 1, 18)
    session = Session(network, rng.uniform(-1, 1, (4, 3)), title="both")
    session.select_unit(2)
    session.seek(1, len(LSTM_PHASES) - 1)
    window = make_window(session, size=size)
    settle(window)
    assert window.diagram.smallest_text_on_screen() >= 14 - 0.5
    for layer in (0, 1):
        session.select_layer(layer)
        settle(window)
        scene = window.diagram.diagram()
        assert_no_overlaps(scene)
        for wire in scene.wiring.wires:
            if wire.name.startswith(("peep", "couple")) or wire.name in ("m", "h"):
                assert _wire_crosses_label(scene, wire.name) in ([], ["strip m"], ["strip h"])


def test_training_refuses_a_variant_by_name_before_it_starts():
    from lstm_sim.model.training_job import fits, session_data

    rng = np.random.default_rng(0)
    network = Network.random("lstm", 3, 6, rng, output_size=3, readout_kind="linear")
    data = session_data(network, Session(network, rng.uniform(size=(5, 3))).trace)
    assert fits(network, data) is None
    network.layers[0].peephole = np.zeros(18)
    assert "layer 0: peepholes is not supported yet" in (fits(network, data) or "")


def _overlapping_labels(scene) -> set[tuple[str, str]]:
    labels = _label_rects(scene)
    return {(a, b) for (a, ra), (b, rb) in itertools.combinations(labels, 2) if ra.intersects(rb)}


def _presented_overlaps(make_window, qtbot, network: Network) -> set[tuple[str, str]]:
    session = Session(network, np.random.default_rng(0).uniform(-1, 1, (4, 3)), title="p")
    window = make_window(session, size=(1920, 1080))
    window.presentation.enter(full_screen=False)
    qtbot.waitUntil(lambda: window.diagram.smallest_text_on_screen() > 0)
    window.diagram.finish_animation()
    assert window.diagram.smallest_text_on_screen() >= 28 - 0.5
    session.select_unit(1)
    session.seek(1, len(LSTM_PHASES) - 1)
    window.diagram.finish_animation()
    overlaps = _overlapping_labels(window.diagram.diagram())
    window.presentation.leave()
    return overlaps


@pytest.mark.parametrize("coupling", ["input_from_forget", "forget_from_input"])
def test_presentation_text_is_projector_sized_with_every_option(make_window, qtbot, coupling):
    """At projector size the options add no overlap to those the plain cell of the same
    size has (its f number and i label touch there already)."""
    rng = np.random.default_rng(11)
    plain = Network.random("lstm", 3, 6, rng, num_layers=2, proj_size=4)
    options = Network.random("lstm", 3, 6, rng, num_layers=2, proj_size=4)
    for layer in options.layers:
        layer.peephole = rng.uniform(-1, 1, 18)
        layer.coupling = coupling  # type: ignore[assignment]
        layer.gate_activation = keras_activation("hard_sigmoid")
    before = _presented_overlaps(make_window, qtbot, plain)
    assert _presented_overlaps(make_window, qtbot, options) <= before


def test_clamps_say_they_do_not_act_on_a_variant_lstm(make_window, settle):
    window = make_window(options_session())
    debugger = window.debugger
    strip = window.diagram.strip("f")
    menu = debugger.clamp_menu(strip.mapToScene(strip.boundingRect().center()))
    assert menu is not None
    assert [a.text() for a in menu.actions()] == [
        "Clamps are not supported yet (layer 0: peepholes)"
    ]
    assert not menu.actions()[0].isEnabled()
    menu.deleteLater()
    panel = debugger.interventions_panel
    assert not panel.text.isEnabled() and "layer 0: peepholes" in panel.text.placeholderText()
