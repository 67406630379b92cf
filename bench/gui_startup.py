"""Cold start to the first painted window: lstm-sim against a bare PySide6 + pyqtgraph
window, each in a fresh interpreter, several runs, medians. Prints figures; never fails.

Usage: QT_QPA_PLATFORM=offscreen python bench/gui_startup.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

BARE = """
import os
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg
app = QApplication([])
window = QMainWindow()
window.setCentralWidget(pg.PlotWidget())
window.resize(1600, 900)
window.show()
window.repaint()
app.processEvents()
os._exit(0)  # the first paint is done; skip teardown in both variants alike
"""

LSTM_SIM = """
import os
from lstm_sim.gui.app import create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network
app = create_application()
window = MainWindow(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
window.resize(1600, 900)
window.show()
window.flush_views()
window.repaint()
app.processEvents()
os._exit(0)  # the first paint is done; skip teardown in both variants alike
"""


def cold_start_seconds(code: str) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    bare, ours = [], []
    for _ in range(runs):  # interleaved, so disk caches and load favour neither
        bare.append(cold_start_seconds(BARE))
        ours.append(cold_start_seconds(LSTM_SIM))
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"bare PySide6 + pyqtgraph window: median {b * 1000:.0f} ms over {runs} runs")
    print(f"lstm-sim main window:            median {o * 1000:.0f} ms over {runs} runs")
    print(f"ratio: {o / b:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
