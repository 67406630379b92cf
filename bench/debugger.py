"""The debugger's costs on a long run: breakpoints over every step, the jump to the next
hit, and a clamp near the end, each beside the floor this machine sets for it. Prints
figures; never fails.

A 2-layer H = 256 LSTM runs T steps (100 000 by default) in float32, so the trace's
arrays fit beside other work (about 2.7 GB; ``--float64`` doubles it). Timed:

- five breakpoints evaluated over all T steps into a HitIndex (what the plots' hit
  markers need), against the floor: reading once every array they look at;
- the jump (F8) from the middle of the run to the next hit: by the index once it
  exists, and by the outward search in chunks that runs before anything is evaluated;
- a clamp at t = T - 1000, rerun from that step only, against the floor: the same
  number of recurrent matrix-vector products alone, and with the two layers' input
  projections beside them. Each rerun starts over from the same step (nothing is kept
  between repeats: the rerun does not look at what the trace held).
- the first clamp at t = T - 1000 as the window makes it, through the session (the rerun
  and the run without clamps kept beside it as the ghost), and its undo, at T and at
  T = 10 000: CPU and wall time, what the clamp allocates at its peak (tracemalloc, in an
  untimed run of its own) and how far it raises the process's peak resident memory.

Each figure is the median of several repeats, taken in one process, interleaved with its
floor so that load from other processes falls on both.

Usage: OPENBLAS_NUM_THREADS=1 python bench/debugger.py [T] [--float64]
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from lstm_sim.engine import Network
from lstm_sim.engine.cells import recurrent_weight
from lstm_sim.engine.expressions import (
    index_hits,
    next_hit,
    next_indexed_hit,
    parse_expression,
    unit_extreme,
)
from lstm_sim.engine.interventions import parse_clamp, rerun_with_clamps
from lstm_sim.engine.trace import Trace, project_inputs
from lstm_sim.model import Session

# Thresholds near each quantity's 99.9th percentile on this run: rare hits, as a real
# breakpoint has, so the jump searches a stretch before it finds one.
BREAKPOINTS = (
    "f[3] > 0.93",
    "layer 1: c[7] > 0.28",
    "abs(h[12] - prev.h[12]) > 0.64",
    "not all(isfinite(h))",
    "max(i) > 0.983",
)
REPEATS = 5


class Timing:
    """The median of one action's repeats: wall-clock and this process's CPU time, both
    in ms. On a machine shared with other work the CPU time is what the action costs when
    it has a core to itself (short of what they do to the caches); wall time is what a
    user would wait."""

    def __init__(self, wall: list[float], cpu: list[float]) -> None:
        self.wall, self.cpu = statistics.median(wall), statistics.median(cpu)

    def __str__(self) -> str:
        return f"{self.wall:7.1f} ms (CPU {self.cpu:6.1f})"


def medians(*actions: Callable[[], object]) -> list[Timing]:
    """Each action's median over REPEATS rounds, the actions interleaved."""
    walls: list[list[float]] = [[] for _ in actions]
    cpus: list[list[float]] = [[] for _ in actions]
    for _ in range(REPEATS):
        for wall, cpu, action in zip(walls, cpus, actions, strict=True):
            began, began_cpu = time.perf_counter(), time.process_time()
            action()
            cpu.append((time.process_time() - began_cpu) * 1000)
            wall.append((time.perf_counter() - began) * 1000)
    return [Timing(wall, cpu) for wall, cpu in zip(walls, cpus, strict=True)]


def ratio(a: Timing, b: Timing) -> str:
    return f"{a.wall / b.wall:.2f} (CPU {a.cpu / b.cpu:.2f})"


def read_floor(trace: Trace) -> None:
    """Read once what the five conditions look at: the gates' i block and h of both
    layers whole (BLAS row sums stream them), and the single units they index."""
    assert trace.act is not None and trace.c_all is not None
    hidden = trace.hidden_size
    ones = np.ones(hidden, trace.h_all.dtype)
    for k in range(trace.num_layers):
        trace.h_all[k, 1:] @ ones
        trace.act[k, :, :hidden] @ ones
        trace.act[k, :, hidden + 3].copy()
    trace.c_all[1, 1:, 7].copy()


def gemv_floor(network: Network, trace: Trace, start: int) -> None:
    """The recurrent products of a rerun from ``start`` alone: one (H,) @ (H, 4H) per step
    and layer, with the weight in the layout the engine's loop uses."""
    product = np.empty(4 * network.hidden_size, trace.h_all.dtype)
    for k, layer in enumerate(network.layers):
        weight = recurrent_weight(layer.weight_hh, trace.h_all.dtype)
        for h_prev in trace.h_all[k, start:-1]:
            np.dot(h_prev, weight, product)


def projection_floor(network: Network, trace: Trace, start: int) -> None:
    """The input projections of a rerun from ``start``: one product per layer."""
    for k, layer in enumerate(network.layers):
        out = np.empty((trace.num_steps - start, 4 * network.hidden_size), trace.x.dtype)
        project_inputs(layer.weight_ih, trace.layer_input(k), out, start)


def peak_rss() -> int:
    """The process's peak resident memory so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def trace_bytes(trace: Trace) -> int:
    arrays = (trace.x, trace.h_all, trace.c_all, trace.pre, trace.act, trace.fc, trace.ig)
    arrays += (trace.tanh_c, trace.logits, trace.probs)
    return sum(array.nbytes for array in arrays if array is not None)


def first_clamp(session: Session, label: str) -> None:
    """Time a first clamp at T - 1000 through the session, and its undo; then the memory
    the clamp allocates, in a run of its own under tracemalloc (which slows it)."""
    steps = session.num_steps
    clamp = parse_clamp(f"f[3] = 1 @ {steps - 1000}:{steps - 990}")
    rss_before = peak_rss()
    walls: list[list[float]] = [[], []]
    cpus: list[list[float]] = [[], []]
    for _ in range(REPEATS):
        for k, action in enumerate((lambda: session.set_clamps([clamp]), session.undo)):
            began, began_cpu = time.perf_counter(), time.process_time()
            action()
            cpus[k].append((time.process_time() - began_cpu) * 1000)
            walls[k].append((time.perf_counter() - began) * 1000)
    clamping, undoing = Timing(walls[0], cpus[0]), Timing(walls[1], cpus[1])
    rss_growth = peak_rss() - rss_before
    tracemalloc.start()
    session.set_clamps([clamp])
    allocated, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    session.undo()
    mb = 1 / 2**20
    print(f"{label}, T={steps}: first clamp at t={clamp.start}: {clamping}; undo: {undoing}")
    print(
        f"  the clamp allocates {peak * mb:.1f} MB at its peak and keeps {allocated * mb:.1f} MB "
        f"(the whole trace: {trace_bytes(session.trace) * mb:.0f} MB); "
        f"peak RSS grew {rss_growth * mb:.0f} MB over {REPEATS} clamps"
    )


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.environ.get("OPENBLAS_NUM_THREADS", "default")
    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return ", ".join(f"{pool['internal_api']} {pool['num_threads']}" for pool in pools)


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    steps = int(arguments[0]) if arguments else 100_000
    dtype = np.float64 if "--float64" in sys.argv else np.float32
    rng = np.random.default_rng(0)
    network = Network.random("lstm", 64, 256, rng, num_layers=2, dtype=dtype)
    inputs = (3 * rng.standard_normal((steps, 64))).astype(dtype)
    if steps > 10_000:  # first, so that its memory is measured before the long run's
        first_clamp(Session(network, inputs[:10_000]), "session")
    began = time.perf_counter()
    session = Session(network, inputs)  # records the trace the figures below read
    trace = session.trace
    recording = time.perf_counter() - began
    conditions = [parse_expression(text) for text in BREAKPOINTS]
    print(
        f"2-layer LSTM, H=256, D=64, T={steps}, {np.dtype(dtype).name}; BLAS threads: "
        f"{blas_threads()}; recording took {recording:.1f} s"
    )

    index = index_hits(conditions, trace)
    every, floor = medians(lambda: index_hits(conditions, trace), lambda: read_floor(trace))
    counts = [len(steps_) for steps_ in index.steps]
    print(f"5 breakpoints over all {steps} steps:      {every}  hits: {counts}")
    print(f"  floor, reading what they look at once: {floor}  ratio {ratio(every, floor)}")
    assert trace.act is not None
    gates_i = trace.act[0, :, : trace.hidden_size]
    with_numpy, with_bits = medians(
        lambda: np.max(gates_i, axis=1), lambda: unit_extreme(gates_i, largest=True)
    )
    print(f"  max(i), one layer, np.max(axis=1):     {with_numpy}")
    print(f"  the same as integer bit patterns:      {with_bits}")

    middle = steps // 2
    indexed, searched, back = medians(
        lambda: next_indexed_hit(index, trace, middle),
        lambda: next_hit(conditions, trace, middle),
        lambda: next_hit(conditions, trace, middle, backward=True),
    )
    found = next_indexed_hit(index, trace, middle)
    assert found == next_hit(conditions, trace, middle)
    where = "none" if found is None else f"t={found[0].t} ({found[1].text})"
    print(f"jump from t={middle} by the index:       {indexed}  -> {where}")
    print(f"  without an index (outward search):     {searched}")
    print(f"  back, without an index:                {back}")
    total = every.wall + indexed.wall, every.cpu + indexed.cpu
    print(f"evaluate all, then jump:                 {total[0]:7.1f} ms (CPU {total[1]:6.1f})")

    first_clamp(session, "session")

    start = steps - 1000
    clamp = parse_clamp(f"f[3] = 1 @ {start}:{start + 10}")
    rerun, gemv, projection = medians(
        lambda: rerun_with_clamps(network, trace, [clamp], clamp.start),
        lambda: gemv_floor(network, trace, start),
        lambda: projection_floor(network, trace, start),
    )
    step_layers = 2 * (steps - start)
    print(f"clamp at t={start}, rerun of the last 1000 steps of both layers: {rerun}")
    print(f"  floor, the {step_layers} recurrent products alone: {gemv}")
    print(f"  the two layers' input projections:     {projection}")
    both = Timing([gemv.wall + projection.wall], [gemv.cpu + projection.cpu])
    print(
        f"  rerun / products {ratio(rerun, gemv)}, / (products + projections) {ratio(rerun, both)}"
    )
    print(
        f"  per step and layer: rerun {1000 * rerun.cpu / step_layers:.1f} µs, "
        f"product {1000 * gemv.cpu / step_layers:.1f} µs (CPU)"
    )


if __name__ == "__main__":
    main()
