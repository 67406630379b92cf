"""What the main window undoes when it closes: playback and animation stop, the training
thread ends, and every view, command and state object stops following the session.

psygnal holds its handlers weakly, but a view whose window has closed can outlive its
C++ object (see :mod:`lstm_sim.gui.session_link`); each disconnects explicitly instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow
    from lstm_sim.gui.session_link import SessionView


def detach_window(window: MainWindow) -> None:
    """Stop ``window``'s views and commands following the state; the state itself stops
    following the session when the window made it."""
    window.controller.pause()
    window.diagram.finish_animation()
    views: list[SessionView] = [
        window.equation,
        window.state_plot,
        window.gate_heatmaps,
        window.inputs,
        window.token_strip,
        window.nonfinite,
        window.sequence_editor,
        window.nonlinearity_switch,
    ]
    if window.views_built:
        window.training.shutdown()
    if window.predictions is not None:
        views.append(window.predictions)
    for unfollow in window.following:
        unfollow()
    window.following.clear()
    for view in views:
        view.detach()
    window.controls.detach()
    window.view_commands.detach()
    window.debugger.detach()
    window.opening.detach()
    window.tour.detach()
    window.caption.detach()
    window.unrolled.detach()
    window.status_line.detach()
    if window.owns_state:
        window.state.detach()
