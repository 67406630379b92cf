"""How long a phase step takes until every view has repainted, and how smoothly playback
animates. Prints figures; never fails.

Step latency: the → key goes through the real shortcut, then the event loop runs until the
diagram, the equation and (when t changed) both plots have painted. Nothing is forced: no
flush of the plots' frame pacer, no full-window repaint; the figure is what a key press
costs in the running app. Steps are a frame apart, as key presses are (faster ones are
coalesced by design). Wall time and the process's CPU time are both reported: on a
shared machine the CPU time says what the step costs, the wall time what it felt like.

Playback: plays at 1× and at the fastest speed and counts the diagram's frames while a
flow animates (between two phases nothing moves, so nothing needs painting).

Usage: QT_QPA_PLATFORM=offscreen python bench/gui_latency.py [STEPS]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from lstm_sim.gui.app import create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session
from lstm_sim.model.demo import random_model
from lstm_sim.model.view_settings import SPEEDS

KEY_GAP_MS = 40
"""Time between two key presses: well apart, like a person stepping."""
WAKE_MS = 50
"""While waiting for paints the loop sleeps, woken at least this often."""
SETTLE_LIMIT_MS = 2000
"""A step whose views have not all painted by then is reported as missing paints."""


class PaintClock(QObject):
    """Remembers when each watched widget last received a paint event."""

    def __init__(self, widgets: dict[str, QWidget]) -> None:
        super().__init__()
        self.names = {id(widget): name for name, widget in widgets.items()}
        self.last: dict[str, float] = {}
        self.count: dict[str, int] = dict.fromkeys(widgets, 0)
        for widget in widgets.values():
            widget.installEventFilter(self)
        self._widgets = widgets

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            name = self.names.get(id(watched))
            if name is not None:
                self.last[name] = time.perf_counter()
                self.count[name] += 1
        return False

    def remove(self) -> None:
        for widget in self._widgets.values():
            widget.removeEventFilter(self)


def make_window(hidden: int) -> MainWindow:
    network, inputs = random_model("lstm", 16, hidden, 1, seed=0, steps=24)
    window = MainWindow(Session(network, inputs, title=f"H={hidden}"))
    window.resize(1600, 900)
    window.show()
    window.activateWindow()  # window shortcuts need the active window
    idle(200)
    return window


def idle(ms: float) -> None:
    """Run the event loop for ``ms`` milliseconds."""
    clock = QElapsedTimer()
    clock.start()
    while clock.elapsed() < ms:
        QApplication.processEvents()


def watched_views(window: MainWindow) -> dict[str, QWidget]:
    return {
        "diagram": window.diagram.viewport(),
        "equation": window.equation,
        "states": window.state_plot.viewport(),
        "gates": window.gate_heatmaps.viewport(),
    }


def step_latency(
    window: MainWindow, steps: int
) -> tuple[list[float], list[float], list[bool], int]:
    """Wall and CPU milliseconds of ``steps`` → presses, whether each moved to the next
    time step (the plots' cursor moves too), and how many steps missed a paint."""
    window.controller.set_reduced_motion(True)  # the result at once: the full frame's cost
    clock = PaintClock(watched_views(window))
    wake = QTimer()
    wake.start(WAKE_MS)
    walls, cpus, moved, missing = [], [], [], 0
    for _ in range(steps):
        if window.session.at_end:
            window.controller.first()
        idle(KEY_GAP_MS)
        t_before = window.session.t
        expected = {"diagram", "equation"}
        start, cpu_start = time.perf_counter(), time.process_time()
        QTest.keyClick(window, Qt.Key.Key_Right)
        moved.append(window.session.t != t_before)
        if moved[-1]:
            expected |= {"states", "gates"}  # the cursor line moved
        while True:
            # Sleeps until there is something to do, so the CPU time is the step's work,
            # not this loop's; the wake-up timer guards against waiting forever.
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            # The pass that delivered the last paint event also ran that paint.
            done = all(clock.last.get(name, 0.0) > start for name in expected)
            if done or (time.perf_counter() - start) * 1000 > SETTLE_LIMIT_MS:
                break
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu_start) * 1000)
        missing += not done
    wake.stop()
    clock.remove()
    window.controller.set_reduced_motion(False)
    return walls, cpus, moved, missing


def playback(window: MainWindow, speed: float, seconds: float) -> tuple[float, list[float]]:
    """Frames per second the diagram paints while a flow animates, and the gaps (ms)
    between consecutive frames of one flow."""
    window.speed.setCurrentIndex(SPEEDS.index(speed))
    diagram = window.diagram
    frames: list[tuple[float, bool]] = []

    class FrameLog(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                frames.append((time.perf_counter(), diagram.is_animating()))
            return False

    log = FrameLog()
    flows: list[list[float]] = []  # [start, end] of every flow

    def started(t: int, phase: int) -> None:
        flows.append([time.perf_counter(), float("nan")])

    def ended() -> None:
        if flows:
            flows[-1][1] = time.perf_counter()

    window.session.cursor_changed.connect(started)
    diagram.animation_finished.connect(ended)
    diagram.viewport().installEventFilter(log)
    window.controller.first()
    window.controller.play()
    idle(seconds * 1000)
    window.controller.pause()
    diagram.finish_animation()
    diagram.viewport().removeEventFilter(log)
    window.session.cursor_changed.disconnect(started)
    diagram.animation_finished.disconnect(ended)
    window.speed.setCurrentIndex(SPEEDS.index(1.0))

    animating_s = 0.0
    animated_frames = 0
    gaps: list[float] = []
    for start, end in flows:
        if not end > start:
            continue
        inside = [t for t, _ in frames if start <= t <= end]
        animating_s += end - start
        animated_frames += len(inside)
        gaps += list(np.diff(inside) * 1000)
    fps = animated_frames / animating_s if animating_s else 0.0
    return fps, gaps


def describe(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):5.1f}  p90 {np.percentile(values, 90):5.1f}  "
        f"max {max(values):5.1f}"
    )


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 72
    create_application()
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.2f} at start")
    targets = {64: 8.0, 512: 16.0}
    for hidden, target in targets.items():
        window = make_window(hidden)
        walls, cpus, moved, missing = step_latency(window, steps)
        print(
            f"step latency H={hidden:<3} all {len(walls)} steps, wall ms: {describe(walls)}"
            f"   (target median <= {target:g} ms)"
            + (f"   {missing} steps missed a paint" if missing else "")
        )
        print(f"{'':17}all {len(cpus)} steps, cpu ms:  {describe(cpus)}")
        for label, keep in (("within a time step", False), ("onto the next t   ", True)):
            wall = [w for w, m in zip(walls, moved, strict=True) if m == keep]
            cpu = [c for c, m in zip(cpus, moved, strict=True) if m == keep]
            if wall:
                print(
                    f"{'':17}{label}, wall ms: {describe(wall)}   cpu ms: {describe(cpu)}"
                    f"  ({len(wall)} steps)"
                )
        if hidden == 64:
            for speed in (1.0, max(SPEEDS)):
                fps, gaps = playback(window, speed, seconds=4.0)
                print(
                    f"playback H=64 at {speed:g}x: {fps:5.1f} frames/s while a flow animates"
                    f" (target 60); frame gaps ms: {describe(gaps)}"
                )
        window.close()
        window.deleteLater()
        QApplication.processEvents()
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
