"""The lecture tour in the window: every stop in order with its caption, highlights and
view; the clicker moves through stops while touring; leave and resume."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette

from lstm_sim.gui.colors import THEMES
from lstm_sim.model.tour import STOPS


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_tour_visits_every_stop_in_order(make_window, qtbot, size):
    window = make_window(size=size)
    window.action("tour").trigger()
    tour = window.state.tour
    seen = []
    for expected in STOPS:
        shown = tour.shown
        assert shown is not None and shown.stop is expected
        session = window.session
        assert window.state.opener.current.source == expected.opens
        assert (session.t, session.phase) == (shown.t, shown.phase)
        t, unit = expected.locate(session.network, session.trace)
        assert (session.t, shown.unit) == (t, unit)
        assert window.caption.isVisible()
        caption_bottom = window.caption.mapTo(window, window.caption.rect().bottomLeft()).y()
        assert caption_bottom < window.height()  # on screen, under the stop's view
        assert expected.title in window.caption.text()
        assert shown.caption in window.caption.text()
        assert window.diagram.highlights() == expected.highlight
        front = window.centre_views.currentWidget()
        views = {
            "unrolled": window.unrolled,
            "gradient": window.gradient_tab.panel,
            "code-reader": window.tour.reader_in_centre,
        }
        assert front is views.get(expected.view, window.diagram)
        assert front is not None
        seen.append(expected.key)
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert seen == [stop.key for stop in STOPS]
    # Past the last stop the clicker stays put.
    assert tour.shown.stop is STOPS[-1]
    # The vanishing-gradient stop showed the RNN beside the LSTM in the window itself, and
    # the next stop's opening closed that tab again; no window of its own was opened.
    assert window.demo_views.comparisons == []
    assert window.gradient_tab.panel is None
    # The last stop's is the code reader's tab, beside the cell and the unrolled chain.
    assert window.centre_views.count() == 3


def test_the_vanishing_gradient_stop_answers_the_clicker(make_window, qtbot):
    window = make_window()
    assert window.tour.start("vanishing")
    panel = window.gradient_tab.panel
    assert panel is not None and window.centre_views.currentWidget() is panel
    assert window.caption.isVisible() and not window.equation_area.isVisible()
    caption_top = window.caption.mapTo(window, window.caption.rect().topLeft()).y()
    panel_bottom = panel.mapTo(window, panel.rect().bottomLeft()).y()
    assert panel_bottom < caption_top  # the caption band is under the picture, not over it
    session = window.session
    assert panel.t == session.t == session.num_steps - 1
    panel.flush()
    assert panel.gradient_plot.end_line.value() == session.t
    # Exploring the stop: the window's keys move the comparison's step T.
    qtbot.keyClick(window, Qt.Key.Key_Home)
    window.diagram.finish_animation()
    assert panel.t == 0
    qtbot.keyClick(window, Qt.Key.Key_Down)  # next time step
    window.diagram.finish_animation()
    panel.flush()
    assert panel.t == session.t == 1
    assert panel.gradient_plot.end_line.value() == 1
    # In presentation mode the clicker moves through the stops from here too.
    window.presentation.enter(full_screen=False)
    assert panel.lstm_view.palette_name().endswith("-contrast")
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert window.state.tour.shown.stop.key == "rnn-unrolled"
    assert window.gradient_tab.panel is None
    assert window.centre_views.currentWidget() is window.unrolled
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert window.state.tour.shown.stop.key == "vanishing"
    assert window.centre_views.currentWidget() is window.gradient_tab.panel
    assert window.gradient_tab.panel.lstm_view.palette_name().endswith("-contrast")
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.gradient_tab.panel.lstm_view.palette_name().endswith("-contrast")


def test_the_gradient_tab_runs_the_windows_own_input(make_window):
    window = make_window()
    window.open_scenario("long-lag")
    panel = window.gradient_tab.panel
    assert panel is not None
    session = window.session
    assert panel.lstm_session.tokens == session.tokens
    edited = list(session.tokens)
    edited[0] = "B" if edited[0] != "B" else "A"
    session.set_inputs(edited)
    assert window.gradient_tab.panel is panel
    assert panel.lstm_session.tokens == panel.rnn_session.tokens == session.tokens
    np.testing.assert_array_equal(panel.lstm_session.trace.c, session.trace.c)
    # The titles stay readable on the dark theme's background.
    window.set_theme("dark")
    dark = THEMES["dark"]
    assert panel.palette().color(QPalette.ColorRole.Window) == dark.background
    assert dark.foreground.name() in panel.rnn_title.styleSheet()
    window.set_theme("light")
    window.open_scenario("counting")
    assert window.gradient_tab.panel is None
    assert window.centre_views.currentWidget() is window.diagram
    assert window.equation_area.isVisible()


def test_leave_to_explore_and_resume(make_window, qtbot):
    window = make_window()
    assert window.tour.start("forget")
    where = (window.session.t, window.session.phase)
    qtbot.keyClick(window, Qt.Key.Key_F6)  # leave
    assert not window.state.tour.active
    assert not window.caption.isVisible()
    assert window.diagram.highlights() == ()
    qtbot.keyClick(window, Qt.Key.Key_Right)  # exploring: the arrows step phases
    window.diagram.finish_animation()
    qtbot.keyClick(window, Qt.Key.Key_F6)  # resume
    assert window.state.tour.shown.stop.key == "forget"
    assert (window.session.t, window.session.phase) == where
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert window.state.tour.shown.stop.key == "belt"


def test_a_stop_the_model_cannot_show_says_so(make_window):
    window = make_window()
    window.tour.start("indentation")
    shown = window.state.tour.shown
    if shown.unit is None:
        assert "names no 'indent' unit" in window.caption.text()
    else:
        assert shown.stop.narration in window.caption.text()


def test_the_code_reader_stops_show_the_reader_above_the_caption(make_window, qtbot):
    window = make_window()
    assert window.tour.start("quotes")
    reader = window.demo_views.code_reader
    dock = window.docks["code_reader"]
    assert window.tour.reader_in_centre is reader
    assert window.centre_views.currentWidget() is reader and reader.isVisible()
    assert not dock.isVisible()  # no floating window over the caption band
    caption_top = window.caption.mapTo(window, window.caption.rect().topLeft()).y()
    reader_bottom = reader.mapTo(window, reader.rect().bottomLeft()).y()
    assert reader_bottom < caption_top
    assert window.caption.isVisible() and not window.equation_area.isVisible()
    unit = window.state.tour.shown.unit
    assert reader.finder.pattern == "in_string"  # the ranking the caption talks about
    if unit is not None:
        assert window.session.unit == unit
    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # comments: the same reader, still in front
    assert window.state.tour.shown.stop.key == "comments"
    assert window.centre_views.currentWidget() is reader
    assert reader.finder.pattern == "in_comment"
    qtbot.keyClick(window, Qt.Key.Key_F6)  # leave to explore: the reader floats as usual
    assert window.tour.reader_in_centre is None
    assert dock.widget() is reader and dock.isVisible() and dock.isFloating()
    assert window.centre_views.count() == 2
    assert window.centre_views.currentWidget() is window.diagram
    qtbot.keyClick(window, Qt.Key.Key_F6)  # resume: back in the centre
    assert window.centre_views.currentWidget() is reader and not dock.isVisible()
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_PageUp)  # quotes, gender: another scenario
    assert window.state.tour.shown.stop.key == "gender"
    assert dock.widget() is reader and not dock.isVisible()
    assert window.centre_views.currentWidget() is window.diagram


def test_at_720p_the_caption_band_stands_in_for_the_equations_prose(make_window, qtbot):
    window = make_window(size=(1280, 720))
    assert window.equation.caption.isVisibleTo(window)
    assert window.tour.start("output")
    # The narration replaces the phase's explanation, and the equation gives the cell the
    # height the band takes: the cell's labels keep their 720p size.
    assert not window.equation.caption.isVisibleTo(window)
    assert window.diagram.height() > window.equation_area.height() * 2
    assert window.diagram.smallest_text_on_screen() >= 14 - 0.5
    qtbot.keyClick(window, Qt.Key.Key_F6)
    assert window.equation.caption.isVisibleTo(window)
