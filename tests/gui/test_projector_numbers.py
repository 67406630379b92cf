"""A unit's numbers keep clear of every other label as the text grows for a projector:
presentation mode with six units (each gate's number used to touch the next gate's
label), and every cell at the text sizes small views and the vanishing-gradient tab ask."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF

from lstm_sim.engine import Network
from lstm_sim.gui.diagram import DiagramView
from lstm_sim.model import Session
from tests.gui.test_text_overlaps import overlaps

CLEAR_UP_TO = 1.8
"""Text scale up to which no cell's text meets another's with a unit pinned: as far as the
main window asks at 720p and 1080p, presenting or not, the tour's caption band included."""


def pinned_session(kind: str, hidden: int) -> Session:
    """At the last phase of its last step, every strip's number showing for unit 0."""
    rng = np.random.default_rng(3)
    network = Network.random(kind, 3, hidden, rng)
    session = Session(network, rng.uniform(-1, 1, size=(5, 3)), title=f"{kind} H={hidden}")
    session.seek(4, len(session.phases) - 1)
    session.select_unit(0)
    return session


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_presenting_six_units_the_gate_numbers_clear_the_next_gates_label(make_window, qtbot, size):
    window = make_window(pinned_session("lstm", 6), size=size)
    window.presentation.enter(full_screen=False)
    qtbot.waitUntil(
        lambda: window.diagram.smallest_text_on_screen() >= window.presentation.text_px() - 0.5
    )
    scene = window.diagram.diagram()
    assert scene.text_scale > 1.2  # grown for the room, where the numbers used to collide
    labels = scene.strip_labels
    for gate, after in (("f", "i"), ("i", "g"), ("g", "o")):
        assert labels[gate].value.text()
        value = labels[gate].value.sceneBoundingRect()
        assert not value.intersects(labels[after].label.sceneBoundingRect()), (gate, after)
    assert overlaps(scene) == []
    window.presentation.leave()


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("hidden", [1, 6, 32])
def test_every_cells_text_stays_clear_as_it_grows(qtbot, kind, hidden):
    view = DiagramView(pinned_session(kind, hidden))
    qtbot.addWidget(view)
    view.resize(1000, 560)
    view.show()
    qtbot.waitExposed(view)
    scene = view.diagram()
    for scale in np.arange(1.0, CLEAR_UP_TO + 0.01, 0.05):
        scene.set_text_scale(round(float(scale), 2))
        assert overlaps(scene) == [], scale


def test_presenting_the_tour_keeps_the_cell_alone_and_its_text_clear(make_window, qtbot):
    window = make_window(size=(1280, 720))
    window.presentation.enter(full_screen=False)
    wanted = window.presentation.text_px()
    for key in ("lstm", "output", "gender"):  # the stops that leave the cell least room
        assert window.tour.start(key)
        # A stop opens its scenario; its Guide stays behind the presentation.
        assert not any(dock.isVisible() for dock in window.docks.values())
        assert window.diagram.width() == window.width()
        window.diagram.finish_animation()
        qtbot.waitUntil(lambda: window.diagram.smallest_text_on_screen() >= wanted - 0.5)
        assert overlaps(window.diagram.diagram()) == [], key
    window.presentation.leave()


def wire_segments(scene) -> list[tuple[str, QRectF]]:
    """Each straight piece of every wire, as a line-thin rectangle."""
    found = []
    for name, wire in scene.wires.items():
        path = wire.path()
        points = [path.elementAt(k) for k in range(path.elementCount())]
        for a, b in itertools.pairwise(points):
            if b.isLineTo():
                found.append((name, QRectF(QPointF(a.x, a.y), QPointF(b.x, b.y)).normalized()))
    return found


def test_at_a_projectors_text_size_no_lstm_number_is_crossed_by_a_wire(qtbot):
    view = DiagramView(pinned_session("lstm", 6))
    qtbot.addWidget(view)
    view.resize(1280, 560)
    view.show()
    qtbot.waitExposed(view)
    scene = view.diagram()
    scene.set_text_scale(1.3)  # what presenting at 720p and 1080p asks
    segments = wire_segments(scene)
    crossed = [
        (field, wire)
        for field, pair in scene.strip_labels.items()
        if pair.value.text()
        for wire, segment in segments
        if pair.value.sceneBoundingRect().intersects(segment.adjusted(-1, -1, 1, 1))
    ]
    assert crossed == []
