"""The lecture tour in the window: every stop in order with its caption, highlights and
view; the clicker moves through stops while touring; leave and resume."""

from __future__ import annotations

from PySide6.QtCore import Qt

from lstm_sim.model.tour import STOPS


def test_the_tour_visits_every_stop_in_order(make_window, qtbot):
    window = make_window()
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
        assert expected.title in window.caption.text()
        assert shown.caption in window.caption.text()
        assert window.diagram.highlights() == expected.highlight
        front = window.centre_views.currentWidget()
        assert front is (window.unrolled if expected.view == "unrolled" else window.diagram)
        seen.append(expected.key)
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert seen == [stop.key for stop in STOPS]
    # Past the last stop the clicker stays put.
    assert tour.shown.stop is STOPS[-1]
    # The vanishing-gradient stop opened its scenario's view, the RNN beside the LSTM.
    comparisons = list(window.demo_views.comparisons)
    assert len(comparisons) == 1
    for comparison in comparisons:
        comparison.close()


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
