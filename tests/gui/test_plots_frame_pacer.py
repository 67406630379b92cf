"""The frame pacer: an idle view redraws on the next turn of the event loop and changes
that arrive together are drawn once."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from lstm_sim.gui.app import create_application
from lstm_sim.gui.plots.frame_pacer import FRAME_MS, FramePacer


def make_pacer() -> tuple[FramePacer, list[int]]:
    create_application()
    redraws: list[int] = []
    owner = QObject()
    pacer = FramePacer(lambda: redraws.append(len(redraws)), owner)
    pacer.owner = owner  # keeps the parent alive as long as the pacer
    return pacer, redraws


def test_an_idle_view_redraws_on_the_next_event_loop_turn_not_a_frame_later():
    pacer, redraws = make_pacer()
    pacer.mark_dirty()
    pacer.mark_dirty()  # the same signal cascade: one redraw
    assert redraws == [] and pacer.dirty
    QApplication.processEvents()
    assert redraws == [0]
    assert not pacer.dirty


def test_changes_right_after_a_redraw_are_drawn_once_within_a_frame(qtbot):
    pacer, redraws = make_pacer()
    pacer.flush()  # nothing pending: no redraw
    assert redraws == []
    pacer.mark_dirty()
    QApplication.processEvents()
    for _ in range(5):
        pacer.mark_dirty()
    qtbot.waitUntil(lambda: not pacer.dirty, timeout=20 * FRAME_MS)
    assert redraws == [0, 1]


def test_flush_draws_a_pending_change_now_and_stop_drops_it():
    pacer, redraws = make_pacer()
    pacer.mark_dirty()
    pacer.flush()
    assert redraws == [0]
    pacer.mark_dirty()
    pacer.stop()
    QApplication.processEvents()
    assert redraws == [0]
    assert not pacer.dirty
