"""How fast the engine records a sequence: microseconds per step of ``record()`` on a
1-layer LSTM, against torch.nn.LSTM on one thread when torch is importable, and the
microseconds an edit of the last step costs (``rerun_from`` that step).

    python bench/engine.py [--steps 1000] [--repeats 7] [--blas-threads N]

Each figure is the median of ``--repeats`` timed runs after one warm-up, with the engine
and torch runs interleaved so that load from other processes hits both alike. NumPy's
BLAS uses its default thread count unless ``--blas-threads`` is given (it must be set
before NumPy is imported, hence the flag rather than a library call).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

HIDDEN_SIZES = (8, 32, 128, 512)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000, help="sequence length T")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per figure")
    parser.add_argument("--blas-threads", type=int, help="OPENBLAS_NUM_THREADS for NumPy")
    return parser.parse_args()


def median_seconds(run: Callable[[], object], repeats: int) -> Callable[[], float]:
    """A timer for ``run`` whose samples accumulate across calls; returns the median."""
    samples: list[float] = []

    def sample() -> float:
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    run()  # warm-up: first-touch page faults, BLAS thread start, torch's dispatch caches
    return sample


def main() -> None:
    args = parse_args()
    if args.blas_threads is not None:
        if "numpy" in sys.modules:
            raise RuntimeError("--blas-threads must take effect before NumPy is imported")
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)

    import numpy as np

    from lstm_sim.engine import Network, record, rerun_from

    try:
        import torch
    except ImportError:
        torch = None
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"record() of a 1-layer LSTM, T={args.steps}, batch 1, D=H; NumPy {np.__version__}")
    print(f"BLAS threads: {blas}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}")
    if torch is not None:
        torch.set_num_threads(1)
        print(f"torch {torch.__version__}, nn.LSTM under no_grad on 1 thread")
    print()
    print(
        f"{'H':>5} {'dtype':>8} {'engine us/step':>15} {'torch us/step':>14} {'ratio':>6} "
        f"{'edit last us':>13}"
    )
    rng = np.random.default_rng(0)
    for hidden in HIDDEN_SIZES:
        for dtype in (np.float64, np.float32):
            network = Network.random("lstm", hidden, hidden, rng, dtype=dtype)
            x = rng.standard_normal((args.steps, hidden)).astype(dtype)
            engine = median_seconds(lambda n=network, x=x: record(n, x), args.repeats)
            trace = record(network, x)
            edit = median_seconds(
                lambda n=network, tr=trace: rerun_from(n, tr, args.steps - 1), args.repeats
            )
            reference = None
            if torch is not None:
                torch_dtype = torch.float64 if dtype is np.float64 else torch.float32
                lstm = torch.nn.LSTM(hidden, hidden).to(torch_dtype)
                x_torch = torch.from_numpy(x[:, None, :].copy())

                def run_torch(m=lstm, x=x_torch) -> object:
                    with torch.no_grad():
                        return m(x)

                reference = median_seconds(run_torch, args.repeats)
            engine_s = torch_s = edit_s = float("nan")
            for _ in range(args.repeats):
                engine_s = engine()
                edit_s = edit()
                if reference is not None:
                    torch_s = reference()
            per_step = 1e6 / args.steps
            ratio = engine_s / torch_s if reference is not None else float("nan")
            print(
                f"{hidden:>5} {np.dtype(dtype).name:>8} {engine_s * per_step:>15.1f} "
                f"{torch_s * per_step:>14.1f} {ratio:>6.2f} {edit_s * 1e6:>13.0f}"
            )


if __name__ == "__main__":
    main()
