"""How long a phase step takes until every view has repainted, and how many frames per
second playback animates. Prints figures; never fails.

Usage: QT_QPA_PLATFORM=offscreen python bench/gui_latency.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEvent, QObject
from PySide6.QtWidgets import QApplication

from lstm_sim.gui.app import create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session
from lstm_sim.model.demo import random_model


def make_window(hidden: int) -> MainWindow:
    network, inputs = random_model("lstm", 16, hidden, 1, seed=0, steps=24)
    window = MainWindow(Session(network, inputs, title=f"H={hidden}"))
    window.resize(1600, 900)
    window.show()
    QApplication.processEvents()
    return window


class PaintCounter(QObject):
    """Counts the paint events of the widget it filters."""

    def __init__(self) -> None:
        super().__init__()
        self.painted = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted += 1
        return False


def step_latency_ms(window: MainWindow, steps: int = 60) -> list[float]:
    """A phase advance (animation finished at once, as at full speed) until the window
    and the plots have repainted."""
    window.controller.set_reduced_motion(True)
    times = []
    for _ in range(steps):
        if window.session.at_end:
            window.controller.first()
            window.flush_views()
            QApplication.processEvents()
        start = time.perf_counter()
        window.controller.next_phase()
        window.flush_views()  # the plots' next frame, drawn now instead of in 16 ms
        window.repaint()
        QApplication.processEvents()
        times.append((time.perf_counter() - start) * 1000)
    window.controller.set_reduced_motion(False)
    return times


def playback_fps(window: MainWindow, seconds: float = 3.0) -> float:
    """Frames the diagram paints per second while playback animates at 1× speed."""
    counter = PaintCounter()
    window.diagram.viewport().installEventFilter(counter)
    window.controller.first()
    window.controller.play()
    clock = QElapsedTimer()
    clock.start()
    while clock.elapsed() < seconds * 1000:
        QApplication.processEvents()
    window.controller.pause()
    window.diagram.finish_animation()
    window.diagram.viewport().removeEventFilter(counter)
    return counter.painted / seconds


def main() -> None:
    create_application()
    for hidden in (64, 512):
        window = make_window(hidden)
        times = step_latency_ms(window)
        print(
            f"step latency H={hidden}: median {statistics.median(times):.1f} ms, "
            f"p90 {np.percentile(times, 90):.1f} ms over {len(times)} phase steps"
        )
        if hidden == 64:
            print(f"playback H=64: {playback_fps(window):.0f} frames painted per second")
        window.close()
        window.deleteLater()
        QApplication.processEvents()


if __name__ == "__main__":
    main()
