"""The vanishing-gradient tab at projector sizes: every cell's smallest label reaches the
window's size (14 px) or, presenting, a projector's, its whole cell on screen and its text
clear; where the room is too small for that beside one another, the cells take turns on
pages, and the pages follow the room."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF

from lstm_sim.gui.comparison import ComparisonPanel
from lstm_sim.gui.comparison.paging import PLOT, Room, pages_for
from lstm_sim.gui.comparison.panel import PRESENTING_TEXT_SCALE, TITLE_PT
from lstm_sim.gui.diagram import MIN_TEXT_PX
from lstm_sim.model.scenario_registry import get
from tests.gui.test_text_overlaps import overlaps


def assert_whole_and_legible(view, wanted_px: float) -> None:
    assert view.isVisible()
    assert view.smallest_text_on_screen() >= wanted_px - 0.5, view.diagram().kind
    # The whole cell is in the view: nothing of it cut off at an edge.
    drawn = QRectF(view.mapFromScene(view.diagram().sceneRect()).boundingRect())
    assert QRectF(view.viewport().rect()).adjusted(-1, -1, 1, 1).contains(drawn)
    assert overlaps(view.diagram()) == [], view.diagram().kind


@pytest.mark.parametrize("present", [False, True])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_every_cell_of_the_gradient_tab_is_legible(make_window, qtbot, size, present):
    window = make_window(size=size)
    assert window.tour.start("vanishing")
    wanted = MIN_TEXT_PX
    if present:
        window.presentation.enter(full_screen=False)
        wanted = window.presentation.text_px()
    panel = window.gradient_tab.panel
    assert panel is not None and window.centre_views.currentWidget() is panel
    pages = panel.pages()
    # Below 1080p, or presenting, the room is too small for two legible cells side by
    # side: they take turns, the plot with them or on a page of its own, the stop opening
    # on the plot (its narration is about it).
    paged = present or size == (1280, 720)
    assert (len(pages) > 1) == paged == panel.pager.isVisible()
    assert PLOT in panel.page()
    for part in ("rnn", "lstm", PLOT):
        assert sum(part in page for page in pages) >= 1
    for view in panel.views():
        panel.show_page(view.diagram().kind)
        assert view.diagram().kind in panel.page()
        qtbot.waitUntil(lambda view=view: view.smallest_text_on_screen() >= wanted - 0.5)
        assert_whole_and_legible(view, wanted)
    panel.show_page(PLOT)
    assert panel.gradient_plot.isVisible()
    assert panel.gradient_plot.height() >= 200
    # The cells' titles and the pages' names grow for a projector too.
    points = round(TITLE_PT * (PRESENTING_TEXT_SCALE if present else 1.0))
    assert f"font-size: {points}pt" in panel.rnn_title.styleSheet()
    assert panel.pager.font().pointSize() == points
    if present:
        window.presentation.leave()


def test_a_large_room_shows_everything_at_once_and_pages_follow_the_size(qtbot):
    scenario = get("long-lag")
    lstm, rnn = scenario.load_networks()
    panel = ComparisonPanel(lstm, rnn, scenario.default_input())
    qtbot.addWidget(panel)
    panel.resize(2400, 1300)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.pages() == [("rnn", "lstm", PLOT)]
    assert not panel.pager.isVisible()
    for view in panel.views():
        assert_whole_and_legible(view, MIN_TEXT_PX)
    # Smaller, the cells take turns, the LSTM's page (with the plot) in front; a page
    # picked stays in front as the size changes.
    panel.resize(1000, 700)
    qtbot.waitUntil(lambda: len(panel.pages()) > 1)
    assert panel.pager.isVisible()
    assert panel.page() == ("lstm", PLOT)
    panel.pager.setCurrentIndex(next(k for k, p in enumerate(panel.pages()) if "rnn" in p))
    assert panel.page() == ("rnn", PLOT) and panel.rnn_view.isVisible()
    assert not panel.lstm_view.isVisible()
    qtbot.waitUntil(lambda: panel.rnn_view.smallest_text_on_screen() >= MIN_TEXT_PX - 0.5)
    assert_whole_and_legible(panel.rnn_view, MIN_TEXT_PX)
    panel.resize(700, 450)
    qtbot.waitUntil(lambda: panel.pages()[-1] == (PLOT,))
    assert panel.page() == ("rnn",)
    panel.detach()


def room(width: int, height: int, min_text_px: float = 14.0) -> Room:
    return Room(
        width=width,
        height=height,
        cells=("rnn", "lstm"),
        min_text_px=min_text_px,
        cell_text_px=51.0,
        title_height=40,
        pager_height=30,
        plot_min_height=220,
    )


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (2400, 1300, [("rnn", "lstm", PLOT)]),
        (1000, 700, [("rnn", PLOT), ("lstm", PLOT)]),
        (720, 430, [("rnn",), ("lstm",), (PLOT,)]),
        (300, 200, [("rnn",), ("lstm",), (PLOT,)]),  # nothing fits: one part at a time
    ],
)
def test_pages_for_the_room(width, height, expected):
    assert pages_for(room(width, height)) == expected


def test_a_projectors_text_needs_more_room():
    assert pages_for(room(1000, 700)) != pages_for(room(1000, 700, min_text_px=28.0))


def test_the_window_opens_the_tab_on_its_own_model_beside_the_plot(make_window, qtbot):
    window = make_window(size=(1920, 1080))
    assert window.open_scenario("gru-vs-lstm")
    window.presentation.enter(full_screen=False)
    panel = window.gradient_tab.panel
    qtbot.waitUntil(lambda: len(panel.pages()) == 3)
    # One cell per page, each above the plot: the window's GRU is the one in front.
    assert panel.page() == ("gru", PLOT)
    window.presentation.leave()
