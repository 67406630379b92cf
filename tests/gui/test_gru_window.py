"""A GRU in the window: its own cell, phases, equations with the trace's numbers in both
reset conventions, plots of r, z, n and h, the unrolled chain, and readable labels that
do not run into each other."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRectF, Qt

from lstm_sim.engine import Network
from lstm_sim.engine.formats import load_model
from lstm_sim.gui.diagram.scene import DiagramScene
from lstm_sim.gui.panels.equation_text import RESET_CONVENTIONS, number
from lstm_sim.model import Session
from lstm_sim.model.gru_terms import gru_term

FIXTURES = Path(__file__).parents[1] / "fixtures" / "torch"
GRU_PHASES = ("arrive", "reset", "update", "candidate", "hidden")


def gru_session(reset_after: bool, steps: int = 6) -> Session:
    rng = np.random.default_rng(7 if reset_after else 8)
    network = Network.random("gru", 3, 5, rng, num_layers=2)
    network = dataclasses.replace(network, reset_after=reset_after)
    return Session(network, rng.uniform(-1, 1, size=(steps, 3)), title="gru")


def bold_numbers(html: str) -> list[str]:
    return re.findall(r"<b>([^<]*)</b>", html)


def test_a_pytorch_gru_file_opens_with_its_own_cell(make_window, settle):
    window = make_window()
    assert window.open_model(str(FIXTURES / "gru2.safetensors"))
    settle(window)
    session = window.session
    assert session.network.kind == "gru" and session.network.reset_after
    assert window.diagram.diagram_kind() == "gru"
    assert tuple(p.key for p in session.phases) == GRU_PHASES
    # No belt and no gate of an LSTM: the cell has r, z, n and h strips, no c.
    for field in ("h_prev", "x", "r", "z", "hn", "n", "h"):
        window.diagram.strip(field)
    with pytest.raises(ValueError, match="no strip 'c'"):
        window.diagram.strip("c")


@pytest.mark.parametrize("reset_after", [True, False])
def test_every_phase_shows_the_numbers_of_the_trace(make_window, settle, qtbot, reset_after):
    window = make_window(gru_session(reset_after))
    session = window.session
    session.select_layer(1)
    session.select_unit(3)
    u = 3
    for step in range(2 * len(GRU_PHASES)):
        if step:
            qtbot.keyClick(window, Qt.Key.Key_Right)
        settle(window)
        t, key = session.t, session.phases[session.phase].key
        assert (t, key) == (step // len(GRU_PHASES), GRU_PHASES[step % len(GRU_PHASES)])
        record = session.trace.step(1, t)
        html = window.equation.equation.text()
        bold = bold_numbers(html)
        title = window.equation.title.text()
        assert session.phases[session.phase].title in title
        assert session.phases[session.phase].title in window.diagram.header_text()
        if key == "arrive":
            assert f"[{u}] = {number(record.h_prev[u])}" in html
        elif key in ("reset", "update"):
            gate = "r" if key == "reset" else "z"
            assert bold[0] == number(getattr(record, gate)[u])
            assert f"σ({number(record.pre_gate(gate)[u])})" in html
        elif key == "candidate":
            assert bold[:2] == [number(record.hn[u]), number(record.n[u])]
            assert f"tanh({number(record.pre_gate('n')[u])})" in html
            assert RESET_CONVENTIONS[reset_after] in html
            product = "r</i><sub>t</sub> ⊙ <i>h</i><sub>t−1</sub>"
            assert (product in html) != reset_after  # where r acts is written out
        else:
            assert bold[0] == number(record.h[u])
            keep = gru_term(record, "keep", reset_after)[u]
            mix = gru_term(record, "mix", reset_after)[u]
            assert f"= {number(keep)}" in html and number(abs(mix)) in html
        # Every strip filled by now shows the trace's own values.
        for field in session.phases[session.phase].computes:
            strip = window.diagram.strip(field)
            assert np.array_equal(strip.values(), getattr(record, field))
            assert strip.values() is not None


def test_a_new_random_gru_comes_from_the_dialog_with_its_guide(make_window, settle, monkeypatch):
    from lstm_sim.gui.panels.new_model_dialog import NewModelDialog
    from lstm_sim.model.guide import GRU_GUIDE

    def fake_exec(dialog: NewModelDialog) -> int:
        dialog.kind.setCurrentIndex(dialog.kind.findData("gru"))
        return int(NewModelDialog.DialogCode.Accepted)

    monkeypatch.setattr(NewModelDialog, "exec", fake_exec)
    window = make_window()
    window.action("new").trigger()
    settle(window)
    assert window.session.network.kind == "gru"
    assert window.diagram.diagram_kind() == "gru"
    assert window.state.guide.text == GRU_GUIDE


def test_the_derived_products_add_up_to_h():
    session = gru_session(True)
    for reset_after in (True, False):
        record = session.trace.step(0, 2)
        keep = gru_term(record, "keep", reset_after)
        mix = gru_term(record, "mix", reset_after)
        np.testing.assert_allclose(keep + mix, record.h, rtol=0, atol=1e-12)
        np.testing.assert_allclose(gru_term(record, "one_minus_z", reset_after), 1 - record.z)
    assert np.array_equal(gru_term(record, "reset", True), record.r * record.hn)
    assert np.array_equal(gru_term(record, "reset", False), record.r * record.h_prev)
    with pytest.raises(ValueError, match="no GRU product"):
        gru_term(record, "c", True)


def test_the_plots_show_r_z_n_and_h_and_say_there_is_no_c(make_window, settle):
    session = gru_session(True, steps=9)
    window = make_window(session)
    for key in ("gates", "states"):
        window.docks[key].show()
        window.docks[key].raise_()
    settle(window)
    heatmaps, states = window.gate_heatmaps, window.state_plot
    heatmaps.flush()
    states.flush()
    assert list(heatmaps.images) == ["r", "z", "n", "h"]
    trace = session.trace
    for key in "rzn":
        np.testing.assert_array_equal(heatmaps.values(key), trace.gate(key)[0].T)
    np.testing.assert_array_equal(heatmaps.values("h"), trace.h[0].T)
    assert list(states.tiles) == ["h"]
    assert "has no cell state" in states.no_cell_state.text


def test_the_unrolled_chain_shows_the_gru_gates(make_window, settle):
    window = make_window(gru_session(False))
    window.show_centre_view("unrolled")
    settle(window)
    centre = window.unrolled.chain.cells[2]
    assert set(centre.strips) == {"r", "z", "n", "h"}
    assert window.unrolled.chain.layer_box is None


def test_the_unrolled_chain_follows_a_unit_on_the_last_partial_page(make_window, settle):
    rng = np.random.default_rng(4)
    network = Network.random("gru", 3, 24, rng)
    window = make_window(Session(network, rng.uniform(-1, 1, size=(6, 3)), title="wide"))
    window.show_centre_view("unrolled")
    window.session.seek(2, 4)
    window.session.select_unit(20)
    settle(window)
    # The cell and the chain both show units 8-23: full strips, unit 20 among them.
    assert window.diagram.unit_window() == range(8, 24)
    assert window.unrolled.window_start() == 8
    centre = window.unrolled.chain.cells[2]
    assert len(centre.strips["h"].cells) == 16


def test_clamps_say_they_do_not_act_on_a_gru(make_window, settle):
    window = make_window(gru_session(True))
    debugger = window.debugger
    strip = window.diagram.strip("z")
    point = strip.mapToScene(strip.boundingRect().center())
    menu = debugger.clamp_menu(point)
    assert menu is not None
    assert [a.text() for a in menu.actions()] == ["Clamps on a GRU are not supported yet"]
    assert not menu.actions()[0].isEnabled()
    menu.deleteLater()
    assert not debugger.interventions_panel.text.isEnabled()
    assert "z[3]" in debugger.watches_panel.text.placeholderText()
    assert "r z n" in debugger.watches_panel.text.placeholderText()
    assert "z[3]" in debugger.breakpoints_panel.text.placeholderText()


def _label_rects(scene: DiagramScene) -> list[tuple[str, QRectF]]:
    rects = []
    for field, pair in scene.strip_labels.items():
        rects.append((f"{field} label", pair.label.sceneBoundingRect()))
        if pair.value.text():
            rects.append((f"{field} value", pair.value.sceneBoundingRect()))
    for name, item in scene.exit_labels.items():
        rects.append((name, item.sceneBoundingRect()))
    return rects


def _obstacles(scene: DiagramScene) -> list[tuple[str, QRectF]]:
    shapes = [(f"node {n}", node.sceneBoundingRect()) for n, node in scene.nodes.items()]
    shapes += [(f"strip {f}", strip.sceneBoundingRect()) for f, strip in scene.strips.items()]
    return shapes


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_labels_are_readable_and_never_overlap(make_window, settle, reset_after, size):
    session = gru_session(reset_after)
    session.seek(0, len(GRU_PHASES) - 1)  # every number filled in
    window = make_window(session, size=size)
    settle(window)
    assert window.diagram.smallest_text_on_screen() >= 14 - 0.5
    assert_no_overlaps(window.diagram.diagram())
    # Layer 1 reads layer 0's h: a longer label on the input strip, still in the scene.
    session.select_layer(1)
    settle(window)
    assert "h_t of layer 0" in window.diagram.strip("x").title
    assert_no_overlaps(window.diagram.diagram())


def assert_no_overlaps(scene: DiagramScene) -> None:
    labels = _label_rects(scene)
    for (a, ra), (b, rb) in itertools.combinations(labels, 2):
        assert not ra.intersects(rb), f"{a} overlaps {b}"
    for name, rect in labels:
        for other, shape in _obstacles(scene):
            if not other.endswith(name.split()[0]):  # a strip's own label sits beside it
                assert not rect.intersects(shape), f"{name} overlaps {other}"
        assert scene.sceneRect().contains(rect), f"{name} leaves the scene"


@pytest.mark.parametrize("reset_after", [True, False])
def test_presentation_text_is_projector_sized(make_window, qtbot, reset_after):
    window = make_window(gru_session(reset_after), size=(1920, 1080))
    window.presentation.enter(full_screen=False)
    qtbot.waitUntil(lambda: window.diagram.smallest_text_on_screen() > 0)
    window.diagram.finish_animation()
    assert window.diagram.smallest_text_on_screen() >= 28 - 0.5
    window.session.seek(1, len(GRU_PHASES) - 1)
    assert_no_overlaps(window.diagram.diagram())
    window.presentation.leave()


def test_the_keras_convention_reads_before_the_product():
    network = load_model(FIXTURES / "gru2.safetensors")
    before = dataclasses.replace(network, reset_after=False)
    session = Session(before, np.zeros((3, 3)), title="before")
    assert session.network.reset_after is False
    scene = DiagramScene("gru", 5, 3, "x<sub>t</sub>", reset_after=False)
    assert "(r<sub>t</sub> ⊙ h<sub>t−1</sub>)" in scene.wiring.node_captions["hn_layer"]
    # Before the product, the reset × comes first on the branch, then W_hn·+b_hn.
    reset_x = scene.layout.nodes["reset_mul"].center.x()
    assert scene.layout.nodes["hn_layer"].center.x() > reset_x
    # After it, W_hn·+b_hn sits under the × on the branch that rises into it.
    after = DiagramScene("gru", 5, 3, "x<sub>t</sub>", reset_after=True)
    assert after.layout.nodes["hn_layer"].center.y() > after.layout.nodes["reset_mul"].center.y()


def test_the_code_reader_reads_and_ranks_a_gru_by_its_own_quantities(make_window, qtbot):
    from lstm_sim.engine.vocab import Vocabulary
    from lstm_sim.gui.demo_views import install_demo_views, open_code_reader
    from lstm_sim.model.code_reader import find_units
    from lstm_sim.model.scenarios.python_code import VOCABULARY

    rng = np.random.default_rng(2)
    size = len(VOCABULARY)
    network = Network.random("gru", size, 6, rng, vocab=Vocabulary(VOCABULARY), output_size=size)
    text = "def f(x):\n    # one\n    return 'a' + x\n"
    window = make_window(Session(network, list(text), title="chars"), size=(1600, 900))
    install_demo_views(window)
    reader = open_code_reader(window)
    qtbot.waitUntil(lambda: reader.text_view.isVisible(), timeout=2000)
    reader.flush()
    box = reader.quantity_box
    assert [box.itemData(k) for k in range(box.count())] == ["h", "z", "r", "n"]
    assert reader.reads_characters
    reader.set_quantity("z")
    window.session.select_unit(4)
    np.testing.assert_array_equal(reader.shown_values(), window.session.trace.gate("z")[0, :, 4])
    reader.finder.set_pattern("indent")
    reader.flush()
    expected = find_units(network, window.session.trace, "indent", "z", 0)
    assert reader.finder.shown_units() == [entry.unit for entry in expected]
    assert "a GRU has none" in reader.saturation_caption.text()
