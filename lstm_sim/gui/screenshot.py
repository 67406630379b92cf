"""Rendering the main window to a PNG without a screen (README images, launch tests)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from lstm_sim.gui.image_file import save_pixmap
from lstm_sim.gui.main_window import MainWindow


def save_screenshot(window: MainWindow, path: str, steps: int = 0) -> bool:
    """Show ``window``, advance ``steps`` phases with every animation finished, and save
    what it paints to ``path``; False when the file could not be written."""
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    window.show()
    QApplication.processEvents()
    window.diagram.reset_zoom()
    for _ in range(steps):
        window.controller.next_phase()
    window.diagram.finish_animation()
    window.flush_views()
    QApplication.processEvents()
    # A first paint sizes what paints size (a plot's axis widens for its tick labels and
    # leaves out the labels that did not fit): the second shows them.
    window.grab()
    QApplication.processEvents()
    try:
        save_pixmap(window.grab(), path)
    except OSError:
        return False
    return True
