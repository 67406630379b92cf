"""Compiled per-step loops for training (the ``lstm-sim[fast]`` extra: numba).

Importing this package imports numba, so nothing imports it but
:func:`lstm_sim.engine.loops.compiled_if_available`, which training calls; the window
and ``lstm-sim trace`` never do. :data:`COMPILED` has the contract of the NumPy loops and
is tested against them (tests/engine/test_fast.py); it is None when NumPy's BLAS cannot
be found (:mod:`lstm_sim.engine.fast.blas`). Arrays the kernels cannot index directly (not
C-contiguous, or of mixed dtypes) go to the NumPy loops instead.
"""

from __future__ import annotations

import numba
import numpy as np

from lstm_sim.engine import backprop, cells
from lstm_sim.engine.backprop import BackwardBuffers
from lstm_sim.engine.fast import kernels
from lstm_sim.engine.fast.blas import numpy_gemm
from lstm_sim.engine.loops import Loops

_GEMM = {dtype: numpy_gemm(dtype) for dtype in (np.dtype(np.float32), np.dtype(np.float64))}


def _recurrent_weight(weight_hh: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, bool]:
    """weight_hh (G*H, H) as the C-contiguous right operand of ``h_prev @ W``, in the
    layout the NumPy loop picks (:func:`lstm_sim.engine.cells.recurrent_weight`), and
    whether it is to be used transposed."""
    w = cells.recurrent_weight(weight_hh, dtype)
    return (w, False) if w.flags.c_contiguous else (np.ascontiguousarray(w.T), True)


def _direct(*arrays: np.ndarray) -> bool:
    """True when the kernels can index every array as it is: C-contiguous, one dtype."""
    dtype = arrays[0].dtype
    return all(a.flags.c_contiguous and a.dtype == dtype for a in arrays) and dtype in (
        np.float32,
        np.float64,
    )


def lstm_layer_forward(
    xw: np.ndarray,
    weight_hh: np.ndarray,
    h_all: np.ndarray,
    c_all: np.ndarray,
    pre: np.ndarray,
    act: np.ndarray,
    fc: np.ndarray,
    ig: np.ndarray,
    tanh_c: np.ndarray,
    start: int = 0,
) -> None:
    """:func:`lstm_sim.engine.cells.lstm_layer_forward`, compiled, for (T, B, ...) arrays."""
    arrays = (xw, h_all, c_all, pre, act, fc, ig, tanh_c)
    if pre.ndim != 3 or not _direct(*arrays):
        cells.lstm_layer_forward(xw, weight_hh, h_all, c_all, pre, act, fc, ig, tanh_c, start)
        return
    w_hh, transposed = _recurrent_weight(weight_hh, pre.dtype)
    gemm = _GEMM[pre.dtype]
    kernels.lstm_forward(gemm, w_hh, transposed, xw, h_all, c_all, pre, act, fc, ig, tanh_c, start)


def rnn_layer_forward(
    xw: np.ndarray,
    weight_hh: np.ndarray,
    h_all: np.ndarray,
    pre: np.ndarray,
    nonlinearity: str = "tanh",
    start: int = 0,
) -> None:
    """:func:`lstm_sim.engine.cells.rnn_layer_forward`, compiled, for (T, B, H) arrays."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    if pre.ndim != 3 or not _direct(xw, h_all, pre):
        cells.rnn_layer_forward(xw, weight_hh, h_all, pre, nonlinearity, start)
        return
    w_hh, transposed = _recurrent_weight(weight_hh, pre.dtype)
    relu = nonlinearity == "relu"
    kernels.rnn_forward(_GEMM[pre.dtype], w_hh, transposed, xw, h_all, pre, relu, start)


def lstm_layer_backward(
    weight_hh: np.ndarray,
    c_all: np.ndarray,
    act: np.ndarray,
    tanh_c: np.ndarray,
    dh_out: np.ndarray,
    buffers: BackwardBuffers,
    layer: int,
) -> None:
    """:func:`lstm_sim.engine.backprop.lstm_layer_backward`, compiled."""
    assert buffers.dc is not None and buffers.dc0 is not None
    dh, dc, dh0, dc0 = buffers.dh[layer], buffers.dc[layer], buffers.dh0[layer], buffers.dc0[layer]
    if not _direct(c_all, act, tanh_c, dh_out, dh, dc, buffers.dpre, dh0, dc0):
        backprop.lstm_layer_backward(weight_hh, c_all, act, tanh_c, dh_out, buffers, layer)
        return
    weight = np.ascontiguousarray(weight_hh, dtype=act.dtype)
    gemm = _GEMM[act.dtype]
    kernels.lstm_backward(gemm, weight, c_all, act, tanh_c, dh_out, dh, dc, buffers.dpre, dh0, dc0)


def rnn_layer_backward(
    weight_hh: np.ndarray,
    h: np.ndarray,
    pre: np.ndarray,
    nonlinearity: str,
    dh_out: np.ndarray,
    buffers: BackwardBuffers,
    layer: int,
) -> None:
    """:func:`lstm_sim.engine.backprop.rnn_layer_backward`, compiled."""
    dh, dh0 = buffers.dh[layer], buffers.dh0[layer]
    if not _direct(h, pre, dh_out, dh, buffers.dpre, dh0):
        backprop.rnn_layer_backward(weight_hh, h, pre, nonlinearity, dh_out, buffers, layer)
        return
    weight = np.ascontiguousarray(weight_hh, dtype=pre.dtype)
    relu = nonlinearity == "relu"
    kernels.rnn_backward(_GEMM[pre.dtype], weight, h, pre, relu, dh_out, dh, buffers.dpre, dh0)


def one_hot_weight_gradient(
    ids: np.ndarray, dpre_flat: np.ndarray, out: np.ndarray, scratch: np.ndarray
) -> None:
    """:func:`lstm_sim.engine.backprop.one_hot_weight_gradient`, compiled: a scatter-add,
    which needs neither the sort nor the scratch buffer."""
    ids = ids.ravel()
    if not _direct(dpre_flat) or ids.dtype.kind not in "iu" or not ids.flags.c_contiguous:
        backprop.one_hot_weight_gradient(ids, dpre_flat, out, scratch)
        return
    if ids.size and (ids.min() < 0 or ids.max() >= out.shape[1]):
        raise ValueError(f"token ids {ids.min()}..{ids.max()} outside 0..{out.shape[1] - 1}")
    columns = np.zeros(out.shape[::-1], out.dtype)  # dW_ihᵀ: each sum lands in a row
    kernels.one_hot_weight_gradient(ids, dpre_flat, columns)
    out[...] = columns.T


COMPILED = (
    Loops(
        name=f"numba {numba.__version__}",
        lstm_forward=lstm_layer_forward,
        rnn_forward=rnn_layer_forward,
        lstm_backward=lstm_layer_backward,
        rnn_backward=rnn_layer_backward,
        one_hot_weight_gradient=one_hot_weight_gradient,
    )
    if all(gemm is not None for gemm in _GEMM.values())
    else None
)
"""The compiled loops, for :func:`lstm_sim.engine.batch.forward` and
:func:`lstm_sim.engine.backprop.backward`; None without NumPy's BLAS to call."""
