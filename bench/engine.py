"""How fast the engine records a sequence: microseconds per step of ``record()`` on a
1-layer LSTM, against torch.nn.LSTM on one thread when torch is importable, and the
microseconds an edit of the last step costs (``rerun_from`` that step). A second table
times the GRU kernel and a bidirectional LSTM (lstm_sim.engine.gru, .bidirectional)
against torch.nn.GRU and nn.LSTM(bidirectional=True) at H = 32 and 512, and ``bi-rec``:
``record()`` of a bidirectional LSTM ``Network`` (the trace with both directions, the
path ``lstm-sim trace`` takes) against the same nn.LSTM.

    python bench/engine.py [--steps 1000] [--family-steps 300] [--repeats 7] [--blas-threads N]

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
FAMILY_HIDDEN_SIZES = (32, 512)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000, help="sequence length T")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per figure")
    parser.add_argument(
        "--family-steps", type=int, default=300, help="T of the GRU and bidirectional table"
    )
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

    family(args)


def family_engine_run(kind: str, hidden: int, dtype: type, rng: object) -> Callable[..., object]:
    """A run of the GRU kernel, of a bidirectional LSTM's kernels or of ``record()`` of a
    bidirectional LSTM network over x (T, H), PyTorch's init."""
    import numpy as np

    from lstm_sim.engine.bidirectional import BidirectionalLayer, bidirectional_forward
    from lstm_sim.engine.gru import GruLayer, GruParameters, gru_forward
    from lstm_sim.engine.lstm_variants import LstmLayer, LstmParameters

    assert isinstance(rng, np.random.Generator)
    bound = 1 / np.sqrt(hidden)

    def uniform(*shape: int) -> np.ndarray:
        return rng.uniform(-bound, bound, shape).astype(dtype)

    if kind == "bi-rec":
        from lstm_sim.engine import Network, record

        network = Network.random("lstm", hidden, hidden, rng, bidirectional=True, dtype=dtype)
        return lambda x: record(network, x)
    if kind == "gru":
        rows = 3 * hidden
        gru = GruLayer(
            GruParameters(
                uniform(rows, hidden), uniform(rows, hidden), uniform(rows), uniform(rows)
            )
        )
        return lambda x: gru_forward(gru, x)
    rows = 4 * hidden
    forward, reverse = (
        LstmLayer(
            LstmParameters(
                uniform(rows, hidden), uniform(rows, hidden), uniform(rows), uniform(rows)
            )
        )
        for _ in range(2)
    )
    both = BidirectionalLayer(forward, reverse)
    return lambda x: bidirectional_forward(both, x)


def family(args: argparse.Namespace) -> None:
    """The GRU and the bidirectional LSTM kernels against torch, us per step."""
    import numpy as np

    try:
        import torch
    except ImportError:
        torch = None
    print()
    steps = args.family_steps
    print(f"GRU and bidirectional LSTM kernels, T={steps}, batch 1, D=H")
    header = f"{'cell':>8} {'H':>5} {'dtype':>8} {'engine us/step':>15} {'torch us/step':>14}"
    print(f"{header} {'ratio':>6}")
    rng = np.random.default_rng(0)
    for kind in ("gru", "bi-lstm", "bi-rec"):
        for hidden in FAMILY_HIDDEN_SIZES:
            for dtype in (np.float64, np.float32):
                x = rng.standard_normal((steps, hidden)).astype(dtype)
                run = family_engine_run(kind, hidden, dtype, rng)
                engine = median_seconds(lambda run=run, x=x: run(x), args.repeats)
                reference = None
                if torch is not None:
                    torch_dtype = torch.float64 if dtype is np.float64 else torch.float32
                    if kind == "gru":
                        module = torch.nn.GRU(hidden, hidden)
                    else:
                        module = torch.nn.LSTM(hidden, hidden, bidirectional=True)
                    module = module.to(torch_dtype)
                    x_torch = torch.from_numpy(x[:, None, :].copy())

                    def run_torch(m=module, x=x_torch) -> object:
                        with torch.no_grad():
                            return m(x)

                    reference = median_seconds(run_torch, args.repeats)
                engine_s = torch_s = float("nan")
                for _ in range(args.repeats):
                    engine_s = engine()
                    if reference is not None:
                        torch_s = reference()
                per_step = 1e6 / steps
                ratio = engine_s / torch_s if reference is not None else float("nan")
                print(
                    f"{kind:>8} {hidden:>5} {np.dtype(dtype).name:>8} "
                    f"{engine_s * per_step:>15.1f} {torch_s * per_step:>14.1f} {ratio:>6.2f}"
                )


if __name__ == "__main__":
    main()
