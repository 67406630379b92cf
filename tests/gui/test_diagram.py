"""The Olah-style diagram: its strips show the trace's numbers at the cursor, parts not yet
computed are empty, flows move along the wires, clicks select units, themes and export."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

import numpy as np
import PySide6
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from lstm_sim.engine import Network, Vocabulary
from lstm_sim.gui.colors import THEMES, value_color
from lstm_sim.gui.diagram import DiagramView
from lstm_sim.model import Session
from lstm_sim.model.phases import computed_fields

LSTM_FIELDS = ("x", "h_prev", "c_prev", "f", "i", "g", "fc", "ig", "c", "o", "tanh_c", "h")


@pytest.fixture
def make_view(qtbot):
    """Build a shown DiagramView on a session; fails if a flow is left running."""
    views: list[DiagramView] = []

    def make(session: Session, size: tuple[int, int] = (1280, 720)) -> DiagramView:
        view = DiagramView(session)
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        views.append(view)
        return view

    yield make
    for view in views:
        assert not view.is_animating(), "a flow was still running at teardown"


def lstm_session(hidden: int = 5, steps: int = 4, layers: int = 1) -> Session:
    rng = np.random.default_rng(0)
    network = Network.random("lstm", 3, hidden, rng, num_layers=layers)
    return Session(network, rng.normal(size=(steps, 3)))


def test_strips_show_the_trace_at_the_cursor_and_are_empty_before_their_phase(make_view):
    session = lstm_session()
    view = make_view(session)
    view.set_reduced_motion(True)
    for t in range(2):
        for phase in range(len(session.phases)):
            session.seek(t, phase)
            done = computed_fields("lstm", phase)
            record = session.current
            for field in LSTM_FIELDS:
                strip = view.strip(field)
                if field in done:
                    np.testing.assert_array_equal(strip.values(), getattr(record, field))
                else:
                    assert strip.values() is None, (t, phase, field)
    gates = [value_color(float(v), "gate").name() for v in session.current.f]
    assert [c.name() for c in view.strip("f").colors()] == gates


def test_strips_follow_the_selected_layer(make_view):
    session = lstm_session(layers=2)
    view = make_view(session)
    session.select_layer(1)
    session.seek(2)
    trace = session.trace
    np.testing.assert_array_equal(view.strip("x").values(), trace.h[0, 2])
    np.testing.assert_array_equal(view.strip("h").values(), trace.h[1, 2])
    np.testing.assert_array_equal(view.strip("c").values(), trace.c[1, 2])
    assert "layer 1 of 0–1" in view.header_text()


def test_an_edit_redraws_the_strips(make_view):
    session = lstm_session()
    view = make_view(session)
    session.seek(1)
    before = view.strip("h").values()
    session.set_input(1, 0, 3.0)
    after = view.strip("h").values()
    assert not np.allclose(before, after)
    np.testing.assert_array_equal(after, session.trace.h[0, 1])


def test_header_names_the_step_and_phase(make_view):
    session = lstm_session()
    view = make_view(session)
    view.set_reduced_motion(True)
    session.seek(3, 1)
    assert "t = 3" in view.header_text()
    assert "Forget gate" in view.header_text()


def test_the_active_phase_is_highlighted_and_later_parts_are_dim(make_view):
    session = lstm_session()
    view = make_view(session)
    view.set_reduced_motion(True)
    session.seek(1, 1)  # forget gate
    assert view.node("forget_layer").state() == "active"
    assert view.wire("f").state() == "active"
    assert view.node("output_layer").state() == "pending"
    assert view.wire("h").state() == "pending"
    assert view.wire("c_prev").state() == "done"


def test_one_phase_forward_flows_along_the_wires(make_view, qtbot):
    session = lstm_session()
    view = make_view(session)
    view.set_animation_duration(10_000)
    session.seek(1, 0)
    session.next_phase()  # into the forget gate: [h_{t-1}, x_t] flows up, then f_t
    assert view.is_animating()
    path = view.wire("bus_f").path()

    view.set_progress(0.0)
    assert view.dots("bus_f").positions() == []
    assert view.strip("f").values() is None

    samples = [path.pointAtPercent(k / 400) for k in range(401)]
    heads = []
    for p in (0.1, 0.2, 0.3):
        view.set_progress(p)
        points = view.dots("bus_f").positions()
        assert points, p
        for point in points:  # every dot lies on the wire, within a hair
            assert min(np.hypot(s.x() - point.x(), s.y() - point.y()) for s in samples) < 1.0
        heads.append(points[0])
    # The head moves along the wire as progress grows (this part of the bus runs right).
    assert heads[0].x() < heads[1].x() < heads[2].x()
    assert view.strip("f").values() is None  # f_t is still on its way

    view.set_progress(0.75)  # second stage: f_t leaves its layer
    assert view.dots("bus_f").positions() == []
    assert view.dots("f").positions()
    with qtbot.waitSignal(view.animation_finished, timeout=1000):
        view.finish_animation()
    assert view.progress() == 1.0
    assert not view.is_animating()
    np.testing.assert_array_equal(view.strip("f").values(), session.current.f)
    assert view.dots("f").positions() == []


def test_dots_carry_the_values_colours(make_view):
    session = lstm_session()
    view = make_view(session)
    view.set_animation_duration(10_000)
    session.seek(1, 0)
    session.next_phase()
    view.set_progress(0.99)  # the f_t train's last dot is still on its wire
    dots = view.dots("f")
    colors = dots.colors()
    f = session.current.f
    expected = [value_color(float(v), "gate").name() for v in f]
    assert [c.name() for c in colors] == expected[-len(colors) :]
    view.finish_animation()


def test_any_other_move_shows_the_end_state_at_once(make_view):
    session = lstm_session()
    view = make_view(session)
    view.set_animation_duration(10_000)
    session.seek(2, 3)
    assert not view.is_animating()
    assert view.progress() == 1.0
    session.prev_phase()
    assert not view.is_animating()
    session.next_step()
    assert not view.is_animating()


def test_a_new_step_finishes_the_running_flow_first(make_view, qtbot):
    session = lstm_session()
    view = make_view(session)
    view.set_animation_duration(10_000)
    finished = []
    view.animation_finished.connect(lambda: finished.append(session.phase))
    session.seek(1, 0)
    session.next_phase()
    session.next_phase()  # the forget flow is cut short, the input flow starts
    assert finished == [2]
    assert view.is_animating()
    view.finish_animation()
    assert finished == [2, 2]


def test_reduced_motion_jumps_to_the_result(make_view):
    session = lstm_session()
    view = make_view(session)
    view.set_reduced_motion(True)
    session.next_phase()
    assert not view.is_animating()
    assert view.progress() == 1.0
    np.testing.assert_array_equal(view.strip("f").values(), session.current.f)


def test_the_flow_runs_on_its_own_and_ends(make_view, qtbot):
    session = lstm_session()
    view = make_view(session)
    view.set_animation_duration(30)
    with qtbot.waitSignal(view.animation_finished, timeout=2000):
        session.next_phase()
    assert view.progress() == 1.0
    assert not view.is_animating()


def test_clicking_a_cell_selects_that_unit(make_view, qtbot):
    session = lstm_session()
    view = make_view(session)
    session.seek(1)
    strip = view.strip("f")
    center = view.mapFromScene(strip.cell_rect(2).center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert session.unit == 2
    assert all(view.strip(f).selected_unit() == 2 for f in ("i", "c", "h"))
    session.select_unit(4)
    assert view.strip("g").selected_unit() == 4


def test_a_gate_cell_is_painted_in_its_value_colour(make_view, qtbot):
    session = lstm_session()
    view = make_view(session, (1600, 900))
    session.seek(2)
    session.select_unit(-1)  # no highlight frame over the cells
    image = view.grab().toImage()
    ratio = image.devicePixelRatio()
    strip = view.strip("f")
    for unit in strip.units():
        point = view.mapFromScene(strip.cell_rect(unit).center())
        pixel = image.pixelColor(int(point.x() * ratio), int(point.y() * ratio))
        expected = value_color(float(session.current.f[unit]), "gate")
        assert pixel.name() == expected.name(), unit


def test_theme_switch_changes_the_background(make_view):
    session = lstm_session()
    view = make_view(session)
    corner = (5, 5)
    light = view.grab().toImage().pixelColor(*corner)
    view.set_theme("dark")
    dark = view.grab().toImage().pixelColor(*corner)
    assert light.name() == THEMES["light"].background.name()
    assert dark.name() == THEMES["dark"].background.name()
    with pytest.raises(ValueError, match="theme"):
        view.set_theme("sepia")


def test_save_svg_writes_a_valid_svg(make_view, tmp_path):
    session = lstm_session()
    view = make_view(session)
    session.seek(1)
    path = tmp_path / "cell.svg"
    view.save_svg(str(path))
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = path.read_text()
    assert "<path" in text or "<polyline" in text
    assert "tanh" in text


def test_an_rnn_gets_its_own_diagram(make_view):
    rng = np.random.default_rng(0)
    session = Session(Network.random("rnn", 3, 5, rng), rng.normal(size=(4, 3)))
    view = make_view(session)
    view.set_reduced_motion(True)
    assert view.diagram_kind() == "rnn"
    with pytest.raises(ValueError, match="no strip 'f'"):
        view.strip("f")
    session.seek(1, 0)
    assert view.strip("h").values() is None
    session.seek(1, 1)
    np.testing.assert_array_equal(view.strip("h").values(), session.current.h)
    np.testing.assert_array_equal(view.strip("pre").values(), session.current.pre)
    assert view.node("rnn_layer").geometry.symbol == "tanh"
    relu = Network.random("rnn", 3, 5, rng)
    relu.nonlinearity = "relu"
    session.load(relu, rng.normal(size=(3, 3)))
    assert view.node("rnn_layer").geometry.symbol == "ReLU"
    assert "ReLU(" in view.diagram().exit_labels["rnn_layer"].toPlainText()
    session.load(Network.random("lstm", 3, 4, rng), rng.normal(size=(3, 3)))
    assert view.diagram_kind() == "lstm"
    assert len(view.strip("f").units()) == 4


def test_a_large_hidden_size_shows_a_window_that_follows_the_unit(make_view):
    session = lstm_session(hidden=40)
    view = make_view(session)
    session.seek(1)
    assert view.unit_window() == range(0, 16)
    assert "units 0–15 of 40" in view.diagram().window_caption.toPlainText()
    session.select_unit(37)
    assert 37 in view.unit_window()
    assert view.unit_window() == range(24, 40)
    np.testing.assert_array_equal(view.strip("c").values(), session.current.c[24:40])
    view.scroll_units(-1)
    assert view.unit_window() == range(8, 24)
    # x has D=3 != H features: its strip keeps its own three cells.
    assert view.strip("x").units() == range(3)


def test_a_view_opened_on_a_unit_past_the_first_window_shows_it(make_view):
    """A scenario opens on its named unit before any view exists: no unit change
    announces it, and the strips must still show that unit, on opening and on reload."""
    session = lstm_session(hidden=40)
    session.select_unit(33)
    view = make_view(session)
    assert view.unit_window() == range(24, 40)
    session.seek(1)
    np.testing.assert_array_equal(view.strip("c").values(), session.current.c[24:40])
    session.load(Network.random("lstm", 3, 40, np.random.default_rng(1)), np.zeros((4, 3)))
    assert session.unit in view.unit_window()


def test_one_hot_tokens_show_the_token_instead_of_a_long_strip(make_view):
    vocab = Vocabulary(tuple("abcdefghijklmnopqrstuvwxyz "))
    rng = np.random.default_rng(0)
    network = Network.random("lstm", len(vocab), 8, rng, vocab=vocab)
    session = Session(network, list("hi there"))
    view = make_view(session)
    session.seek(2)
    assert not view.strip("x").isVisible()
    assert "␣" in view.diagram().token.toPlainText()
    session.seek(3)
    assert "t" in view.diagram().token.toPlainText()


def test_zoom_scales_the_view_and_reset_fits_the_cell(make_view):
    session = lstm_session()
    view = make_view(session)
    fitted = view.transform().m11()
    view.zoom_in()
    assert view.transform().m11() == pytest.approx(fitted * 1.25)
    view.zoom_out()
    view.zoom_out()
    assert view.transform().m11() < fitted
    view.reset_zoom()
    assert view.transform().m11() == pytest.approx(fitted)
    assert view.zoom() == 1.0
    scene_in_view = view.mapToScene(view.viewport().rect()).boundingRect()
    assert scene_in_view.contains(view.diagram().sceneRect().center())
    assert scene_in_view.width() >= view.diagram().sceneRect().width() - 1


def test_hovering_a_cell_shows_its_exact_value(make_view, qtbot):
    session = lstm_session()
    view = make_view(session)
    session.seek(1)
    strip = view.strip("c")
    where = QPointF(view.mapFromScene(strip.cell_rect(1).center()))
    # A plain move with no button, as the mouse makes it; the scene turns it into hover.
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        where,
        QPointF(view.viewport().mapToGlobal(where.toPoint())),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(view.viewport(), move)
    assert strip.toolTip() == f"C_t, unit 1: {session.current.c[1]:.4f}"


def test_the_unit_window_arrows_page_through_the_units(make_view, qtbot):
    session = lstm_session(hidden=40)
    view = make_view(session)
    caption = view.diagram().window_caption.sceneBoundingRect()
    right_end = view.mapFromScene(caption.right() - 4, caption.center().y())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=right_end)
    assert view.unit_window() == range(16, 32)
    left_end = view.mapFromScene(caption.left() + 4, caption.center().y())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=left_end)
    assert view.unit_window() == range(0, 16)
    assert session.unit == 0  # paging the window does not select anything


def test_painting_frames_cannot_exhaust_the_references_to_none(make_view):
    # PySide6-Essentials 6.12.0 drops a reference to None on every call of a method that
    # returns nothing (QPainter.setPen, QGraphicsItem.setPos, ...). On Python 3.11, where
    # None is not immortal, an animated diagram would abort the interpreter after a few
    # seconds ("none_dealloc"); pyproject excludes that release on 3.11.
    session = lstm_session(hidden=16)
    view = make_view(session)
    view.set_animation_duration(10_000)
    session.next_phase()
    frames = 50
    before = sys.getrefcount(None)
    for p in np.linspace(0.0, 1.0, frames):
        view.set_progress(float(p))
        view.viewport().repaint()
    view.finish_animation()
    lost_per_frame = max(before - sys.getrefcount(None), 0) / frames
    a_day_of_frames = 60 * 60 * 60 * 24
    # Less than one per frame is the garbage collector at work, not a leak per call.
    assert lost_per_frame < 1 or sys.getrefcount(None) > lost_per_frame * a_day_of_frames, (
        f"PySide6 {PySide6.__version__} loses {lost_per_frame:.0f} references to None per "
        f"frame and only {sys.getrefcount(None)} are left"
    )
