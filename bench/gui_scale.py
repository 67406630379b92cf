"""How the window's cost grows with the length T of the sequence. Prints figures; never
fails.

For T = 100, 1k, 10k, 100k (each in a fresh interpreter, offscreen) on a 2-layer H=256
character LSTM reading T random characters:
- record: the engine's own recording of the sequence (Session), before any window;
- first paint: from building the window to its first frame;
- every view drawn: to the h/c plot and the gate heatmaps built and painted, and the
  token strip, diagram and equation painted (wall and CPU time);
- inputs tab: raising the Inputs dock until it has painted;
- step: the ↓ key (next time step, reduced motion) until the diagram, the equation, both
  plots and the token strip have painted; median of several presses, wall and CPU time
  (on a shared machine the CPU time says what the step costs, the wall time what it
  felt like);
- edit: a token changed at t = T-10 (through the session, as the Inputs dock does) until
  both plots and the token strip have painted again;
- peak RSS of the whole process, the RSS before the trace existed, and the bytes of the
  trace's own arrays.

Targets (issue 12): every view drawn at T = 10k within 2x of T = 100; at T = 100k within
5 s plus the recording time; step <= 16 ms at every T; edit near the end <= 100 ms at
T = 10k; peak RSS <= 1.5x the trace's arrays.

Usage: QT_QPA_PLATFORM=offscreen python bench/gui_scale.py [T ...] [--dtype float32]
       [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HIDDEN = 256
LAYERS = 2
ALPHABET = "abcdefghijklmnopqrstuvwxyz .,\n"
DEFAULT_STEPS = (100, 1_000, 10_000, 100_000)
STEP_PRESSES = 7
WINDOW_SIZE = (1280, 720)
SETTLE_LIMIT_S = 600.0
WAKE_MS = 20


def rss_mb() -> float:
    """Resident set size now, from /proc (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(steps: int, dtype: str) -> dict[str, float]:
    """Every figure for one T, in this process."""
    import numpy as np
    from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    from lstm_sim.engine.network import Network
    from lstm_sim.engine.vocab import Vocabulary
    from lstm_sim.gui.app import create_application
    from lstm_sim.gui.main_window import MainWindow
    from lstm_sim.model import Session

    class PaintClock(QObject):
        """When each watched widget last received a paint event."""

        def __init__(self, widgets: dict[str, QWidget]) -> None:
            super().__init__()
            self.names = {id(widget): name for name, widget in widgets.items()}
            self.last: dict[str, float] = {}
            for widget in widgets.values():
                widget.installEventFilter(self)

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and id(watched) in self.names:
                self.last[self.names[id(watched)]] = time.perf_counter()
            return False

        def painted_since(self, names: set[str], since: float) -> bool:
            return all(self.last.get(name, 0.0) > since for name in names)

    def run_until(condition) -> float:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        while not condition():
            # Sleeps until there is something to do, so the CPU time is the work itself;
            # the wake-up timer guards against waiting forever.
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            if time.perf_counter() - start > SETTLE_LIMIT_S:
                raise RuntimeError("the views never finished drawing")
        return time.perf_counter()

    def idle(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            QApplication.processEvents()

    create_application()
    wake = QTimer()
    wake.start(WAKE_MS)
    rss_before = rss_mb()
    rng = np.random.default_rng(0)
    vocab = Vocabulary(tuple(ALPHABET), tokenizer="char")
    network = Network.random(
        "lstm", len(vocab), HIDDEN, rng, num_layers=LAYERS, vocab=vocab, dtype=getattr(np, dtype)
    )
    text = [ALPHABET[k] for k in rng.integers(0, len(ALPHABET), steps)]
    start = time.perf_counter()
    session = Session(network, text, title=f"T={steps}")
    record_s = time.perf_counter() - start
    trace = session.trace
    arrays = [trace.x, trace.h_all, trace.c_all, trace.pre, trace.act]
    arrays += [trace.fc, trace.ig, trace.tanh_c]
    trace_mb = sum(a.nbytes for a in arrays if a is not None) / 2**20

    # Which plot redraw ran last: a paint after it shows its data.
    redrawn: dict[str, float] = {}

    start, cpu_start = time.perf_counter(), time.process_time()
    window = MainWindow(session)
    for name, plot in (("states", window.state_plot), ("gates", window.gate_heatmaps)):
        original = plot._pacer._redraw

        def timed(original=original, name=name) -> None:  # type: ignore[no-untyped-def]
            original()
            redrawn[name] = time.perf_counter()

        plot._pacer._redraw = timed
    window.resize(*WINDOW_SIZE)
    views = {
        "window": window,
        "diagram": window.diagram.viewport(),
        "equation": window.equation,
        "tokens": window.token_strip.canvas,
        "states": window.state_plot.viewport(),
        "gates": window.gate_heatmaps.viewport(),
        "inputs": window.inputs.sequence.viewport(),
    }
    clock = PaintClock(views)
    window.show()
    window.activateWindow()
    first = run_until(lambda: "window" in clock.last) - start

    def plots_drawn() -> bool:
        plots = (("states", window.state_plot), ("gates", window.gate_heatmaps))
        return all(
            plot.built
            and not plot.redraw_pending
            and name in redrawn
            and clock.last.get(name, 0.0) > redrawn[name]
            for name, plot in plots
        )

    every = (
        run_until(
            lambda: plots_drawn() and clock.painted_since({"diagram", "equation", "tokens"}, start)
        )
        - start
    )
    every_cpu = time.process_time() - cpu_start
    idle(0.3)

    start = time.perf_counter()
    window.docks["inputs"].raise_()
    inputs_tab = run_until(lambda: clock.painted_since({"inputs"}, start)) - start
    window.docks["gates"].raise_()
    idle(0.3)

    window.controller.set_reduced_motion(True)
    session.seek(steps // 2)
    idle(0.3)
    step_walls, step_cpus = [], []
    for _ in range(STEP_PRESSES):
        idle(0.05)
        pressed, cpu = time.perf_counter(), time.process_time()
        QTest.keyClick(window, Qt.Key.Key_Down)
        expected = {"diagram", "equation", "states", "gates", "tokens"}
        done = run_until(lambda e=expected, p=pressed: clock.painted_since(e, p))
        step_walls.append(done - pressed)
        step_cpus.append(time.process_time() - cpu)
    idle(0.3)

    edit_at = max(steps - 10, 0)
    old = session.tokens[edit_at]  # type: ignore[index]
    new = ALPHABET[(ALPHABET.index(old) + 1) % len(ALPHABET)]
    redrawn.clear()
    start, cpu = time.perf_counter(), time.process_time()
    session.set_token(edit_at, new)
    edit = run_until(plots_drawn) - start
    edit_cpu = time.process_time() - cpu
    idle(0.2)
    window.close()
    return {
        "steps": steps,
        "record_s": record_s,
        "first_paint_s": first,
        "every_view_s": every,
        "every_view_cpu_s": every_cpu,
        "inputs_tab_s": inputs_tab,
        "step_ms": statistics.median(step_walls) * 1000,
        "step_max_ms": max(step_walls) * 1000,
        "step_cpu_ms": statistics.median(step_cpus) * 1000,
        "edit_ms": edit * 1000,
        "edit_cpu_ms": edit_cpu * 1000,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "trace_mb": trace_mb,
    }


def run_child(steps: int, dtype: str, timeout: float) -> dict[str, float] | str:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    command = [sys.executable, __file__, "--child", str(steps), "--dtype", dtype]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"stopped after {timeout:.0f} s"
    if done.returncode != 0:
        return f"failed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def blas() -> str:
    import numpy as np

    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]  # type: ignore[index]
        return f"{info['name']} {info['version']}"
    except (TypeError, KeyError):
        return "unknown BLAS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="*", type=int, default=list(DEFAULT_STEPS))
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--timeout", type=float, default=900.0, help="per T, in seconds")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.dtype)), flush=True)
        os._exit(0)  # skip tearing down Qt: nothing of it is measured
    print(
        f"machine: {os.cpu_count()} cores, {blas()}, load average {os.getloadavg()[0]:.2f}; "
        f"{LAYERS}-layer H={HIDDEN} LSTM in {args.dtype}, window {WINDOW_SIZE[0]}x"
        f"{WINDOW_SIZE[1]} offscreen"
    )
    print(
        f"{'T':>7} {'record':>8} {'first':>7} {'all views':>9} {'cpu':>6} {'inputs':>7} "
        f"{'step ms':>8} {'(max)':>6} {'cpu':>5} {'edit ms':>8} {'cpu':>6} {'peak RSS':>9} "
        f"{'before':>7} "
        f"{'trace':>8} {'peak/trace':>10}"
    )
    for steps in args.steps:
        result = run_child(steps, args.dtype, args.timeout)
        if isinstance(result, str):
            print(f"{steps:>7} {result}", flush=True)
            continue
        r = result
        print(
            f"{steps:>7} {r['record_s']:7.2f}s {r['first_paint_s']:6.2f}s "
            f"{r['every_view_s']:8.2f}s {r['every_view_cpu_s']:5.2f}s {r['inputs_tab_s']:6.2f}s "
            f"{r['step_ms']:8.1f} "
            f"{r['step_max_ms']:6.1f} {r['step_cpu_ms']:5.1f} {r['edit_ms']:8.1f} "
            f"{r['edit_cpu_ms']:6.1f} {r['peak_rss_mb']:7.0f}MB "
            f"{r['rss_before_mb']:5.0f}MB {r['trace_mb']:6.0f}MB "
            f"{r['peak_rss_mb'] / r['trace_mb']:9.2f}x",
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
