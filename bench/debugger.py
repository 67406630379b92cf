"""The debugger's costs on a long run: breakpoints over every step, the jump to the next
hit, and a clamp near the end. Prints figures; never fails.

A 2-layer H = 256 LSTM runs T steps (100 000 by default) in float32, so the trace's
arrays fit beside other work (about 2.7 GB; float64 doubles it). Timed:

- five breakpoints evaluated over all T steps (what the plots' hit markers need);
- the jump from the middle of the run to the next step where any of them holds (F8),
  which searches outward from the cursor in chunks;
- a clamp at t = T - 1000, rerun from that step only (the steps before are not touched).

Each figure is the median of several repeats, taken in one process, interleaved.

Usage: OPENBLAS_NUM_THREADS=1 python bench/debugger.py [T]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from lstm_sim.engine import Network, record
from lstm_sim.engine.expressions import hit_steps, next_hit, parse_expression
from lstm_sim.engine.interventions import parse_clamp, rerun_with_clamps

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


def median_ms(action: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = np.random.default_rng(0)
    network = Network.random("lstm", 64, 256, rng, num_layers=2, dtype=np.float32)
    began = time.perf_counter()
    trace = record(network, (3 * rng.standard_normal((steps, 64))).astype(np.float32))
    recording = time.perf_counter() - began
    conditions = [parse_expression(text) for text in BREAKPOINTS]
    print(f"2-layer LSTM, H=256, D=64, T={steps}, float32; recording took {recording:.1f} s")

    every = median_ms(lambda: [hit_steps(c, trace) for c in conditions])
    counts = [len(hit_steps(c, trace)) for c in conditions]
    print(f"5 breakpoints over all {steps} steps: {every:8.1f} ms  (hits: {counts})")

    middle = steps // 2
    jump = median_ms(lambda: next_hit(conditions, trace, middle))
    found = next_hit(conditions, trace, middle)
    where = "none" if found is None else f"t={found[0].t} ({found[1].text})"
    print(f"jump from t={middle} to the next hit:  {jump:8.1f} ms  -> {where}")
    back = median_ms(lambda: next_hit(conditions, trace, middle, backward=True))
    print(f"jump back from t={middle}:             {back:8.1f} ms")

    clamp = parse_clamp(f"f[3] = 1 @ {steps - 1000}:{steps - 990}")
    rerun = median_ms(lambda: rerun_with_clamps(network, trace, [clamp], clamp.start))
    print(f"clamp at t={clamp.start}, rerun of the last 1000 steps: {rerun:8.1f} ms")


if __name__ == "__main__":
    main()
