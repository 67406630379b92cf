"""Cold start: lstm-sim's main window against a bare PySide6 + pyqtgraph window, each in a
fresh interpreter, interleaved runs, medians. Prints figures; never fails.

Two moments are timed from the launch of the interpreter:
- first paint: the window's first frame is on screen (for lstm-sim: the diagram and the
  equation drawn; the plot docks are built right after this frame);
- every view drawn: for lstm-sim, the h/c plot and the gate heatmaps have been built and
  painted too. The bare window is complete at its first paint.
The CPU time of each child (user + system) is reported too, to its first paint and to its
exit: on a shared machine it moves less with the load than the wall time does.

Both children run as an installed package does: lstm_sim is byte-compiled first and the
children may write bytecode (PYTHONDONTWRITEBYTECODE is dropped), so neither pays for
compiling source at every start; one untimed start of each warms the caches. lstm-sim
starts as the ``lstm-sim`` command starts it: OpenBLAS on one thread, and the garbage
collector paused until the views after the first frame are built
(lstm_sim.collector_pause). A bare window started with the same two settings is timed
too and printed beside the target's figures, so what the settings gain shows apart from
what lstm-sim's own code costs.

Usage: QT_QPA_PLATFORM=offscreen python bench/gui_startup.py [RUNS]
"""

from __future__ import annotations

import compileall
import os
import resource
import statistics
import subprocess
import sys
import time

WATCH = """
import time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication


class Painted(QObject):
    def __init__(self, widgets):
        super().__init__()
        self.widgets = list(widgets)
        self.seen = set()
        for widget in self.widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            self.seen.add(id(watched))
        return False


def run_until(condition):
    while not condition():
        QApplication.processEvents()
    return time.time()


def report(first, complete):
    print(first, complete, time.process_time(), flush=True)
"""

BARE = (
    WATCH
    + """
import os
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
from PySide6.QtWidgets import QMainWindow
import pyqtgraph as pg
app = QApplication([])
window = QMainWindow()
plot = pg.PlotWidget()
window.setCentralWidget(plot)
window.resize(1600, 900)
painted = Painted([plot.viewport()])
window.show()
first = run_until(lambda: painted.seen)
report(first, first)
os._exit(0)  # the first paint is done; skip teardown in both variants alike
"""
)

# lstm-sim's modules come first, as they do when `lstm-sim` starts: the watch imports Qt,
# and the order decides which modules PySide6's import hook reads. As the command does,
# OpenBLAS runs on one thread (lstm_sim/cli/__init__.py) and the garbage collector is
# paused first (lstm_sim.collector_pause).
LSTM_SIM = (
    """
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from lstm_sim.collector_pause import pause_collection, resume_collection
pause_collection()
from lstm_sim.gui.app import create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network
"""
    + WATCH
    + """
app = create_application()
window = MainWindow(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
window.deferred.finished.connect(lambda: resume_collection(freeze=True))
window.set_theme("light")
window.resize(1600, 900)
core = Painted([window.diagram.viewport(), window.equation])
window.show()
first = run_until(lambda: len(core.seen) == 2)
cpu_first = time.process_time()
plots = (window.state_plot, window.gate_heatmaps)
after_build = Painted([p.viewport() for p in plots])
run_until(lambda: all(p.built for p in plots))
after_build.seen.clear()
complete = run_until(lambda: len(after_build.seen) == len(plots))
print(first, complete, cpu_first, flush=True)
os._exit(0)
"""
)


BARE_TUNED = (
    'import gc, os\nos.environ.setdefault("OPENBLAS_NUM_THREADS", "1")\ngc.disable()\n' + BARE
)
"""The bare window started as the lstm-sim command starts (one OpenBLAS thread, collector
paused): not the target's baseline, printed beside it so that what the command's settings
gain is not taken for lstm-sim's own code being lighter."""


def child_env() -> dict[str, str]:
    """The environment of an installed program: bytecode may be written and read."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    return env


def compile_package() -> None:
    """Byte-compile the lstm_sim the children import, as pip does when it installs it."""
    found = subprocess.run(
        [sys.executable, "-c", "import lstm_sim, os; print(os.path.dirname(lstm_sim.__file__))"],
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    compileall.compile_dir(found.stdout.strip(), quiet=1)


def cold_start(code: str) -> tuple[float, float, float, float]:
    """Seconds from launch to the first paint and to every view drawn, and CPU seconds
    to the first paint and in all."""
    env = child_env()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the start-up script failed:\n{done.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    first, complete, cpu_first = (float(v) for v in done.stdout.split())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return first - start, complete - start, cpu_first, cpu


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    compile_package()
    cold_start(BARE)  # untimed: disk caches and any missing bytecode, for both alike
    cold_start(LSTM_SIM)
    bare, tuned, ours = [], [], []
    for _ in range(runs):  # interleaved, so disk caches and load favour none of them
        bare.append(cold_start(BARE))
        tuned.append(cold_start(BARE_TUNED))
        ours.append(cold_start(LSTM_SIM))
    b_first, _, b_cpu_first, b_cpu = (statistics.median(v) for v in zip(*bare, strict=True))
    t_first, _, t_cpu_first, _ = (statistics.median(v) for v in zip(*tuned, strict=True))
    o_first, o_complete, o_cpu_first, o_cpu = (
        statistics.median(v) for v in zip(*ours, strict=True)
    )
    print(
        f"bare PySide6 + pyqtgraph window: first paint {b_first * 1000:4.0f} ms,"
        f" cpu to it {b_cpu_first * 1000:4.0f} ms, in all {b_cpu * 1000:4.0f} ms"
    )
    print(
        f"lstm-sim main window:            first paint {o_first * 1000:4.0f} ms,"
        f" cpu to it {o_cpu_first * 1000:4.0f} ms, in all {o_cpu * 1000:4.0f} ms;"
        f" every view drawn {o_complete * 1000:4.0f} ms"
    )
    print(
        f"ratio, medians of {runs} runs: first paint {o_first / b_first:.2f}x (target <= 1.3x), "
        f"cpu to it {o_cpu_first / b_cpu_first:.2f}x, every view drawn "
        f"{o_complete / b_first:.2f}x, cpu in all {o_cpu / b_cpu:.2f}x"
    )
    print(
        f"bare window started as lstm-sim is (one OpenBLAS thread, collector paused):"
        f" first paint {t_first * 1000:4.0f} ms; lstm-sim against it {o_first / t_first:.2f}x,"
        f" cpu to it {o_cpu_first / t_cpu_first:.2f}x"
    )
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
