"""Does the window stay responsive while the training panel trains? Prints the phase-step
latency (a step until every view has repainted) idle and during training, and the
trainer's throughput. Prints figures; never fails.

Usage: QT_QPA_PLATFORM=offscreen python bench/gui_training.py
"""

from __future__ import annotations

import statistics
import time

from PySide6.QtWidgets import QApplication

from lstm_sim.gui.app import create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network

STEPS = 120


def step_latency_ms(window: MainWindow, steps: int = STEPS) -> list[float]:
    """A phase advance with the animation finished at once, until the window repainted."""
    times = []
    for _ in range(steps):
        if window.session.at_end:
            window.controller.first()
            window.flush_views()
            QApplication.processEvents()
        start = time.perf_counter()
        window.controller.next_phase()
        window.flush_views()
        window.repaint()
        QApplication.processEvents()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(times):6.2f} ms   p90 {p90:6.2f} ms"


def main() -> None:
    create_application()
    window = MainWindow(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
    window.resize(1600, 900)
    window.show()
    window.controller.set_reduced_motion(True)
    QApplication.processEvents()
    step_latency_ms(window, 20)  # warm-up: first paints, caches
    idle = step_latency_ms(window)
    panel = window.training
    for hidden in (16, 128):
        panel.scratch_button.setChecked(True)
        panel.hidden_box.setValue(hidden)
        panel.steps_box.setValue(1_000_000)
        panel.start()
        while not panel.losses:
            QApplication.processEvents()
        busy = step_latency_ms(window)
        rate = panel.status.text().split("·")[2].strip()
        panel.stop()
        panel.worker.wait()
        QApplication.processEvents()
        print(f"training H={hidden:<4} {summary(busy)}   trainer {rate}")
    print(f"idle           {summary(idle)}")
    window.close()


if __name__ == "__main__":
    main()
