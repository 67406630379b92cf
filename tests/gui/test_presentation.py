"""Presentation mode: what it hides, how large the cell's text gets, the clicker keys,
blanking, no spoilers, and that leaving puts the window back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDockWidget

from lstm_sim.gui.presentation import PROJECTOR_TEXT_PX_AT_1080


def enter(window, qtbot) -> None:
    window.presentation.enter(full_screen=False)
    qtbot.waitUntil(lambda: window.diagram.smallest_text_on_screen() > 0)
    window.diagram.finish_animation()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_presenting_hides_the_chrome_and_sizes_text_for_a_projector(make_window, qtbot, size):
    window = make_window(size=size)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    window.presentation.leave()  # F5 goes full screen; measure at the asked size instead
    window.resize(*size)
    enter(window, qtbot)
    assert window.presentation.active
    assert not window.menuBar().isVisible()
    assert not any(bar.isVisible() for bar in window.toolbars())
    assert not any(dock.isVisible() for dock in window.findChildren(QDockWidget))
    assert window.state.view.no_spoilers
    assert window.diagram.palette_name().endswith("-contrast")
    wanted = PROJECTOR_TEXT_PX_AT_1080 * window.height() / 1080
    assert window.diagram.smallest_text_on_screen() >= wanted - 0.5
    if size == (1920, 1080):
        assert window.diagram.smallest_text_on_screen() >= 28 - 0.5
        assert window.caption.font().pointSize() <= window.caption._point_size == 26
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.presentation.active
    assert window.menuBar().isVisible()
    assert all(bar.isVisible() for bar in window.toolbars())
    assert window.docks["states"].isVisible()
    assert not window.state.view.no_spoilers
    assert window.diagram.palette_name() == window.state.view.theme


def test_outside_presentation_labels_stay_readable_at_720p(make_window):
    window = make_window(size=(1280, 720))
    assert window.diagram.smallest_text_on_screen() >= 14 - 0.5


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_clicker_keys_step_phases(make_window, qtbot, size):
    window = make_window(size=size)
    enter(window, qtbot)
    session = window.session
    assert (session.t, session.phase) == (0, 0)
    for key in (Qt.Key.Key_PageDown, Qt.Key.Key_Right, Qt.Key.Key_Space):
        before = (session.t, session.phase)
        qtbot.keyClick(window, key)
        window.diagram.finish_animation()
        assert session.phase == before[1] + 1, key
    assert not window.controller.playing  # Space steps here, it does not play
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    window.diagram.finish_animation()
    assert session.phase == 1
    qtbot.keyClick(window, Qt.Key.Key_End)
    window.diagram.finish_animation()
    assert session.t == session.num_steps - 1
    qtbot.keyClick(window, Qt.Key.Key_Home)
    window.diagram.finish_animation()
    assert (session.t, session.phase) == (0, 0)
    window.presentation.leave()
    qtbot.keyClick(window, Qt.Key.Key_Space)  # playback again once presentation ends
    assert window.controller.playing
    window.controller.pause()


def test_b_and_period_blank_the_screen(make_window, qtbot):
    window = make_window()
    enter(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_B)
    assert window.presentation.blanked
    image = window.grab().toImage()
    background = window.diagram.diagram().theme_colors.background
    centre = image.pixelColor(image.width() // 2, image.height() // 2)
    assert centre.rgb() == background.rgb()
    qtbot.keyClick(window, Qt.Key.Key_Period)
    assert not window.presentation.blanked
    qtbot.keyClick(window, Qt.Key.Key_Period)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # the clicker's first press unblanks
    assert not window.presentation.blanked
    assert window.session.phase == 0
    window.presentation.leave()


def test_the_pointer_shows_as_a_ring(make_window, qtbot):
    window = make_window()
    enter(window, qtbot)
    window.presentation.show_ring(QPoint(200, 200))
    assert window.presentation.overlay.isVisible()
    image = window.grab().toImage()
    ring = window.diagram.diagram().theme_colors.highlight
    edge = image.pixelColor(200 + 28, 200)
    assert abs(edge.red() - ring.red()) < 40 and abs(edge.green() - ring.green()) < 40
    window.presentation.show_ring(None)
    assert not window.presentation.overlay.isVisible()
    window.presentation.leave()


def test_a_chosen_strip_stays_beside_the_cell(make_window, qtbot):
    window = make_window()
    window.presentation.set_strip("states")
    enter(window, qtbot)
    assert window.docks["states"].isVisible()
    assert not window.docks["gates"].isVisible()
    window.presentation.leave()
    window.presentation.set_strip(None)


def test_no_spoilers_hides_the_plots_after_the_cursor(make_window, qtbot):
    window = make_window()
    window.action("no_spoilers").trigger()
    assert window.state.view.no_spoilers
    window.session.seek(2, 0)
    window.flush_views()
    plot = window.state_plot
    curtain = plot.curtains["h"]
    assert curtain.isVisible()
    assert curtain.getRegion() == pytest.approx((2.5, window.session.num_steps - 0.5))
    assert plot.revealed_steps() == 3
    window.action("no_spoilers").trigger()
    window.flush_views()
    assert not curtain.isVisible()
    assert plot.revealed_steps() == window.session.num_steps
