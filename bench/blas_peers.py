"""The trainer's matrix products under each BLAS a Python program can call on this machine.

At H = 256 the trainer's update is mostly three matrix products (bench/train.py
--profile), so its speed against PyTorch is the speed of the BLAS doing them. This bench
asks whether another library reachable from Python does those products faster than
NumPy's OpenBLAS: BLIS (``pip install blis``), Intel's MKL called through its C interface
(``pip install mkl``; sequential, one thread) and PyTorch's own ``torch.mm``. Each library
that is installed runs the same float32 products in interleaved rounds; it prints the
median CPU milliseconds per product and the ratio to NumPy (below 1 is faster), with the
BLAS NumPy uses and the kernel OpenBLAS picked. Libraries that are not installed are
named and skipped. It never fails a build.

    OPENBLAS_NUM_THREADS=1 python bench/blas_peers.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import NDArray

# The trainer's products at H = 256, batch 32, T = 64: one step's recurrent product
# forward and backward, and the recurrent weight gradient over all T * batch rows.
SHAPES = {
    "forward step (32x256 @ 256x1024)": (32, 256, 1024),
    "backward step (32x1024 @ 1024x256)": (32, 1024, 256),
    "weight gradient (256x2048 @ 2048x1024)": (256, 2048, 1024),
}
CBLAS_ROW_MAJOR, CBLAS_NO_TRANS = 101, 111

Product = Callable[["NDArray[Any]", "NDArray[Any]", "NDArray[Any]"], None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("MKL_THREADING_LAYER", "SEQUENTIAL")

    import numpy as np

    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    core = os.environ.get("OPENBLAS_CORETYPE", "picked by CPU model")
    print(f"NumPy {np.__version__} with {config['name']} {config['version']} (core type: {core})")
    print(f"load average {os.getloadavg()[0]:.1f}\n")

    def numpy_product(a: NDArray[Any], b: NDArray[Any], out: NDArray[Any]) -> None:
        np.matmul(a, b, out=out)

    peers: dict[str, Product] = {"NumPy": numpy_product}
    for name, make in (("BLIS", blis_product), ("MKL", mkl_product), ("torch.mm", torch_product)):
        product = make()
        if product is None:
            print(f"{name}: not installed, skipped")
        else:
            peers[name] = product
    rng = np.random.default_rng(0)
    for label, (m, k, n) in SHAPES.items():
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        out = np.empty((m, n), np.float32)
        times: dict[str, list[float]] = {name: [] for name in peers}
        for _ in range(args.rounds):
            for name, product in peers.items():
                times[name].append(per_call_ms(product, a, b, out))
        base = statistics.median(times["NumPy"])
        print(f"\n{label}")
        for name, measured in times.items():
            ms = statistics.median(measured)
            print(f"  {name:9s} {ms:8.3f} ms   {ms / base:5.2f}x NumPy's time")


def per_call_ms(
    product: Product, a: NDArray[Any], b: NDArray[Any], out: NDArray[Any], seconds: float = 0.2
) -> float:
    """CPU milliseconds per product, over about ``seconds`` of repeated calls."""
    product(a, b, out)
    calls, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        product(a, b, out)
        calls += 1
    return (time.process_time() - start) / calls * 1e3


def blis_product() -> Product | None:
    try:
        blis = importlib.import_module("blis.py")
    except ImportError:
        return None

    def product(a: NDArray[Any], b: NDArray[Any], out: NDArray[Any]) -> None:
        blis.gemm(a, b, out=out)

    return product


def mkl_product() -> Product | None:
    """MKL's cblas_sgemm through ctypes, from the ``mkl`` wheel's library folder."""
    found = sorted(Path(sys.prefix, "lib").glob("libmkl_rt.so*"))
    if not found:
        return None
    library = ctypes.CDLL(str(found[0]))
    sgemm = library.cblas_sgemm
    pointer = ctypes.c_void_p
    sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, pointer, ctypes.c_int, pointer]
    sgemm.argtypes += [ctypes.c_int, ctypes.c_float, pointer, ctypes.c_int]

    def product(a: NDArray[Any], b: NDArray[Any], out: NDArray[Any]) -> None:
        m, k = a.shape
        n = b.shape[1]
        sgemm(
            CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, m, n, k,
            1.0, a.ctypes.data, k, b.ctypes.data, n, 0.0, out.ctypes.data, n,
        )  # fmt: skip

    return product


def torch_product() -> Product | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)

    def product(a: NDArray[Any], b: NDArray[Any], out: NDArray[Any]) -> None:
        torch.mm(torch.from_numpy(a), torch.from_numpy(b), out=torch.from_numpy(out))

    return product


if __name__ == "__main__":
    main()
