"""NumPy's own BLAS matrix product, as a function that compiled code can call.

numba's ``np.dot`` calls SciPy's BLAS: a second OpenBLAS, of another version, which here
was 25-30% slower than NumPy's for the recurrent products and may round differently.
Calling the ``cblas_?gemm`` that NumPy itself was linked with keeps every product bit for
bit NumPy's and needs no SciPy. Looked up, by name, in the libraries NumPy's core module
loaded: OpenBLAS as NumPy's wheels bundle it (64-bit integers, ``scipy_`` prefix), a
64-bit-integer OpenBLAS built elsewhere, or any CBLAS with 32-bit integers (MKL, Accelerate).
"""

from __future__ import annotations

import ctypes
import importlib
from typing import Any

import numpy as np

# cblas enumerations
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112

_NAMES = (
    ("scipy_cblas_{}gemm64_", ctypes.c_int64),
    ("cblas_{}gemm64_", ctypes.c_int64),
    ("cblas_{}gemm", ctypes.c_int),
)


def _numpy_core() -> ctypes.CDLL:
    """A handle on NumPy's compiled core, through which its BLAS symbols resolve."""
    try:
        core = importlib.import_module("numpy._core._multiarray_umath")
    except ImportError:  # NumPy 1.x
        core = importlib.import_module("numpy.core._multiarray_umath")
    return ctypes.CDLL(core.__file__)


def numpy_gemm(dtype: np.dtype) -> Any | None:
    """NumPy's ``cblas_sgemm`` (float32) or ``cblas_dgemm`` (float64) as a ctypes function,
    or None when none of the known names is exported."""
    letter = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}[np.dtype(dtype)]
    scalar = ctypes.c_float if letter == "s" else ctypes.c_double
    try:
        core = _numpy_core()
    except OSError:
        return None
    for pattern, integer in _NAMES:
        try:
            gemm = getattr(core, pattern.format(letter))
        except AttributeError:
            continue
        pointer = ctypes.c_void_p
        # order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
        gemm.argtypes = [ctypes.c_int] * 3 + [integer] * 3
        gemm.argtypes += [scalar, pointer, integer, pointer, integer, scalar, pointer, integer]
        gemm.restype = None
        return gemm
    return None
