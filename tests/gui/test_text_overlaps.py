"""No text of a cell runs into another or off the scene, however small the view: the
header and the "numbers: unit · units 0–15 of N" line included, and the two cells the
vanishing-gradient tab shows side by side at 1280x720 and 1920x1080, light, dark and
presenting."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QRectF

from lstm_sim.engine import Network
from lstm_sim.gui.diagram import DiagramView
from lstm_sim.gui.diagram.scene import DiagramScene
from lstm_sim.model import Session


def text_rects(scene: DiagramScene) -> list[tuple[str, QRectF]]:
    """Every label, number and caption on show, by name, in scene coordinates."""
    rects = [
        ("header", scene.header.sceneBoundingRect()),
        ("numbers line", scene.window_caption.sceneBoundingRect()),
    ]
    for field, pair in scene.strip_labels.items():
        rects.append((f"{field} label", pair.label.sceneBoundingRect()))
        if pair.value.text():
            rects.append((f"{field} value", pair.value.sceneBoundingRect()))
    rects += [(name, item.sceneBoundingRect()) for name, item in scene.exit_labels.items()]
    return rects


def overlaps(scene: DiagramScene) -> list[str]:
    """What runs into what: text into text, text into a node or another strip, text off
    the scene (a strip's own label sits beside it)."""
    found = []
    texts = text_rects(scene)
    for (a, ra), (b, rb) in itertools.combinations(texts, 2):
        if ra.intersects(rb):
            found.append(f"{a} overlaps {b}")
    shapes = [(f"node {n}", node.sceneBoundingRect()) for n, node in scene.nodes.items()]
    shapes += [(f"strip {f}", strip.sceneBoundingRect()) for f, strip in scene.strips.items()]
    for name, rect in texts:
        found += [
            f"{name} overlaps {other}"
            for other, shape in shapes
            if not other.endswith(f" {name.split()[0]}") and rect.intersects(shape)
        ]
        if not scene.sceneRect().contains(rect):
            found.append(f"{name} leaves the scene")
    return found


def wide_session(kind: str) -> Session:
    """Two layers of 32 units at the last phase of a long sequence: the longest header and
    numbers line, every strip's number filled in."""
    rng = np.random.default_rng(3)
    network = Network.random(kind, 3, 32, rng, num_layers=2)
    session = Session(network, rng.uniform(-1, 1, size=(120, 3)), title=kind)
    session.seek(119, len(session.phases) - 1)
    session.select_layer(1)
    return session


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("size", [(560, 315), (620, 350), (813, 424), (1223, 784)])
def test_the_header_and_numbers_line_stay_clear_at_any_width(qtbot, kind, size):
    view = DiagramView(wide_session(kind))
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    scene = view.diagram()
    assert "units 0–15 of 32" in scene.window_caption.toPlainText()
    clashes = [c for c in overlaps(scene) if "header" in c or "numbers line" in c]
    assert clashes == []


@pytest.mark.parametrize("three_cells", [False, True])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_gradient_tabs_cells_never_pile_their_text(
    make_window, settle, qtbot, size, three_cells
):
    window = make_window(size=size)
    if three_cells:
        window.open_scenario("gru-vs-lstm")
    else:
        assert window.tour.start("vanishing")
    settle(window)
    panel = window.gradient_tab.panel
    assert panel is not None
    views = panel.views()
    assert len(views) == (3 if three_cells else 2)
    # The cells fit the room the window gives them rather than widening it.
    assert panel.minimumSizeHint().width() <= panel.width()

    def assert_clear() -> None:
        # Where the cells take turns, each is looked at on its own page.
        for view in views:
            panel.show_page(view.diagram().kind)
            assert view.isVisible()
            assert overlaps(view.diagram()) == [], view.diagram().kind

    # The cells open on their named units, every number showing.
    assert all(view.diagram().strip_labels["h"].value.text() for view in views)
    for theme in ("light", "dark"):
        window.set_theme(theme)
        assert_clear()
    for view in views:
        view.session.select_unit(-1)  # the labels alone
    assert_clear()
    for view in views:
        view.session.select_unit(5)
    assert_clear()
    window.presentation.enter(full_screen=False)
    qtbot.waitUntil(lambda: panel.lstm_view.palette_name().endswith("-contrast"))
    assert_clear()
    window.presentation.leave()
