"""What a step costs the plots of a bidirectional layer, which show both passes with a
cursor each, at a short and a long sequence: a step moves the cursors only, so the
figures should not grow with T. Prints figures; never fails.

Each step seeks the next t, then draws the States and Gates docks' pending frame and
repaints them (the CPU time of the process is reported beside the wall time: on a shared
machine it says what the step costs).

Usage: QT_QPA_PLATFORM=offscreen python bench/bidirectional_plots.py [H]
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
from PySide6.QtWidgets import QApplication

from lstm_sim.engine.network import Network
from lstm_sim.gui.app import create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session

LENGTHS = (100, 20_000)
STEPS = 40


def step_costs(hidden: int, length: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of one step, plots drawn and repainted."""
    rng = np.random.default_rng(1)
    network = Network.random("lstm", 3, hidden, rng, num_layers=1, bidirectional=True)
    session = Session(network, rng.normal(size=(length, 3)))
    window = MainWindow(session)
    window.resize(1280, 720)
    window.show()
    window.docks["gates"].raise_()
    QApplication.processEvents()
    window.flush_views()
    QApplication.processEvents()
    plots = (window.state_plot, window.gate_heatmaps)
    walls, cpus = [], []
    for k in range(STEPS):
        wall, cpu = time.perf_counter(), time.process_time()
        session.seek(k + 1, len(session.phases) - 1)
        for plot in plots:
            plot.flush()
            plot.repaint()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    window.close()
    QApplication.processEvents()
    return 1e3 * statistics.median(walls), 1e3 * statistics.median(cpus)


def main() -> None:
    hidden = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    create_application()
    print(f"bidirectional LSTM, H = {hidden}, 1280x720, both plot docks shown")
    for length in LENGTHS:
        wall, cpu = step_costs(hidden, length)
        print(f"T = {length:>6}: a step costs {wall:6.1f} ms wall, {cpu:6.1f} ms CPU (median)")


if __name__ == "__main__":
    main()
