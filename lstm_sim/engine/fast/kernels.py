"""The per-step loops of the minibatch forward and backward passes, compiled by numba.

Each function runs one layer's whole recurrence in one call: per step one matrix product
(NumPy's own BLAS ``gemm``, see :mod:`lstm_sim.engine.fast.blas`) and one fused pass over
the elements, which reads every input once and writes every output once, with no
temporaries and no Python in between. The arithmetic is the NumPy loops' own, operation
for operation, so the backward pass is bit for bit the same given the same forward pass;
the forward pass differs where tanh does (see :func:`kernel_tanh`), and where BLAS adds
W_hh h_{t-1} to the input projection itself (beta = 1, saving a buffer and a pass per
step: 1.2 of 13.4 ms per H=256 minibatch here), which rounds alike unless H exceeds
BLAS's block of K and the partial sums meet the projection one block at a time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit
from numba.core import types
from numba.extending import overload

from lstm_sim.engine.fast.blas import NO_TRANS, ROW_MAJOR, TRANS
from lstm_sim.engine.gates import gate_index

# Compiled code is cached beside this file (or in numba's user cache), so only the first
# training run on a machine waits for the compiler. error_model="numpy" drops the
# division-by-zero checks that would keep a loop from being vectorised.
# Where each gate's block starts, in blocks of H, in the order of engine/gates.py: the
# compiled loops index act[t, b, GATE_I * hidden + j] and so on.
GATE_I, GATE_F, GATE_G, GATE_O = (gate_index(name) for name in "ifgo")

compiled = njit(cache=True, error_model="numpy", nogil=True)

# A rational approximation of tanh in float32 (Eigen's generic_fast_tanh_float): odd
# polynomial over even polynomial in x, exact to a few ulp on the clamped range; past
# ±7.9 tanh rounds to ±1 within that error, and near 0 the quotient is x·(1 - 1.3e-7).
_CLAMP = np.float32(7.90531110763549805)
_P1, _P3, _P5, _P7 = (
    np.float32(v)
    for v in (
        4.89352455891786e-03,
        6.37261928875436e-04,
        1.48572235717979e-05,
        5.12229709037114e-08,
    )
)
_P9, _P11, _P13 = (
    np.float32(v) for v in (-8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16)
)
_Q0, _Q2, _Q4, _Q6 = (
    np.float32(v)
    for v in (
        4.89352518554385e-03,
        2.26843463243900e-03,
        1.18534705686654e-04,
        1.19825839466702e-06,
    )
)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def tanh_float32(a: Any) -> Any:
    """tanh(a) in float32 arithmetic, branch-free and inlined so that a loop of it
    vectorises (a libm call per element is 25x slower than NumPy's vectorised tanh)."""
    x = min(max(a, -_CLAMP), _CLAMP)
    x2 = x * x
    p = ((((((_P13 * x2 + _P11) * x2 + _P9) * x2 + _P7) * x2 + _P5) * x2 + _P3) * x2 + _P1) * x
    q = ((_Q6 * x2 + _Q4) * x2 + _Q2) * x2 + _Q0
    return p / q


def kernel_tanh(x: Any) -> Any:
    """tanh as the kernels compute it: the float32 approximation for float32, the C
    library's tanh (correctly rounded to within an ulp) for float64."""
    if isinstance(x, np.float32):
        return tanh_float32(x)
    return math.tanh(x)


@overload(kernel_tanh, inline="always")
def _kernel_tanh_by_type(x: Any) -> Any:
    def approximate(x: Any) -> Any:
        return tanh_float32(x)

    def exact(x: Any) -> Any:
        return math.tanh(x)

    return approximate if x == types.float32 else exact


@compiled
def matmul(gemm: Any, a: Any, b: Any, b_transposed: bool, out: Any) -> None:
    """out (M, N) = a (M, K) @ b, b being (K, N), or (N, K) to be used transposed; all
    C-contiguous. The call NumPy's ``np.dot`` makes for the same operands."""
    matmul_add(gemm, a, b, b_transposed, out, 0.0)


@compiled
def matmul_add(gemm: Any, a: Any, b: Any, b_transposed: bool, out: Any, beta: float) -> None:
    """out (M, N) = a (M, K) @ b + beta · out, as :func:`matmul`; beta 1 adds the product
    to what ``out`` holds without a buffer and a pass of its own."""
    m, k = a.shape
    n = out.shape[1]
    trans_b = TRANS if b_transposed else NO_TRANS
    ldb = b.shape[1]
    gemm(
        ROW_MAJOR,
        NO_TRANS,
        trans_b,
        m,
        n,
        k,
        1.0,
        a.ctypes.data,
        k,
        b.ctypes.data,
        ldb,
        beta,
        out.ctypes.data,
        n,
    )


@compiled
def lstm_forward(
    gemm: Any,
    w_hh: Any,
    w_transposed: bool,
    xw: Any,
    h_all: Any,
    c_all: Any,
    pre: Any,
    act: Any,
    fc: Any,
    ig: Any,
    tanh_c: Any,
    start: int,
) -> None:
    """Steps ``start``..T-1 of one LSTM layer; the arrays as in
    :func:`lstm_sim.engine.cells.lstm_layer_forward`, all (T, B, ...) and C-contiguous,
    xw may be pre itself. w_hh: weight_hhᵀ (H, 4H), or weight_hh (4H, H) itself with
    ``w_transposed``; gemm: :func:`~lstm_sim.engine.fast.blas.numpy_gemm` of the dtype."""
    steps, batch, rows = pre.shape
    hidden = rows // 4
    # act = scale ⊙ tanh(scale ⊙ a) + shift: σ(a) = 0.5·tanh(a/2) + 0.5 on i, f, o, and
    # tanh(a) on g, in one loop over the four blocks.
    scale = np.full(rows, 0.5, pre.dtype)
    shift = np.full(rows, 0.5, pre.dtype)
    scale[GATE_G * hidden : (GATE_G + 1) * hidden] = 1.0
    shift[GATE_G * hidden : (GATE_G + 1) * hidden] = 0.0
    in_place = xw.ctypes.data == pre.ctypes.data  # the minibatch forward's xw is pre
    for t in range(start, steps):
        if not in_place:
            pre[t] = xw[t]
        # a_t = W_ih x_t + b + W_hh h_{t-1}, all four blocks: the product added in place
        matmul_add(gemm, h_all[t], w_hh, w_transposed, pre[t], 1.0)
        # One short loop per quantity over few arrays, which the compiler vectorises
        # (one loop over all of them it would not: too many arrays might overlap).
        for b in range(batch):
            for j in range(rows):  # i, f, o = σ(a); g = tanh(a_g), the candidate
                act[t, b, j] = scale[j] * kernel_tanh(scale[j] * pre[t, b, j]) + shift[j]
            for j in range(hidden):  # f ⊙ c_{t-1}: what is kept
                fc[t, b, j] = act[t, b, GATE_F * hidden + j] * c_all[t, b, j]
            for j in range(hidden):  # i ⊙ g: what is written
                ig[t, b, j] = act[t, b, GATE_I * hidden + j] * act[t, b, GATE_G * hidden + j]
        # The (B, H) arrays of a step are contiguous: one loop each over all of it.
        fc_t, ig_t, c = fc[t].ravel(), ig[t].ravel(), c_all[t + 1].ravel()
        tanh_c_t = tanh_c[t].ravel()
        for k in range(c.size):  # c_t = f⊙c_{t-1} + i⊙g
            c[k] = fc_t[k] + ig_t[k]
        for k in range(c.size):
            tanh_c_t[k] = kernel_tanh(c[k])
        for b in range(batch):
            for j in range(hidden):  # h_t = o ⊙ tanh(c_t)
                h_all[t + 1, b, j] = act[t, b, GATE_O * hidden + j] * tanh_c[t, b, j]


@compiled
def rnn_forward(
    gemm: Any,
    w_hh: Any,
    w_transposed: bool,
    xw: Any,
    h_all: Any,
    pre: Any,
    relu: bool,
    start: int,
) -> None:
    """Steps ``start``..T-1 of one simple RNN layer, as
    :func:`lstm_sim.engine.cells.rnn_layer_forward`; gemm and w_hh as for
    :func:`lstm_forward`."""
    steps, batch, hidden = pre.shape
    zero = pre.dtype.type(0.0)
    in_place = xw.ctypes.data == pre.ctypes.data
    for t in range(start, steps):
        if not in_place:
            pre[t] = xw[t]
        matmul_add(gemm, h_all[t], w_hh, w_transposed, pre[t], 1.0)  # a_t = xw_t + W_hh h
        for b in range(batch):
            z, h = pre[t, b], h_all[t + 1, b]
            if relu:
                for j in range(hidden):
                    h[j] = max(z[j], zero)
            else:
                for j in range(hidden):
                    h[j] = kernel_tanh(z[j])


@compiled
def lstm_backward(
    gemm: Any,
    weight_hh: Any,
    c_all: Any,
    act: Any,
    tanh_c: Any,
    dh_out: Any,
    dh: Any,
    dc: Any,
    dpre: Any,
    dh0: Any,
    dc0: Any,
) -> None:
    """Backward through one LSTM layer, as
    :func:`lstm_sim.engine.backprop.lstm_layer_backward`, in the same operations and order:
    dh, dc (T, B, H), dpre (T, B, 4H), dh0, dc0 (B, H)."""
    steps, batch, rows = act.shape
    hidden = rows // 4
    one = act.dtype.type(1.0)
    for t in range(steps - 1, -1, -1):
        last = t == steps - 1
        if not last:
            matmul(gemm, dpre[t + 1], weight_hh, False, dh[t])  # W_hhᵀ dL/da_{t+1}
        for b in range(batch):
            # One short loop per quantity, as in lstm_forward.
            for j in range(hidden):  # dL/dh_t = from above (+ W_hhᵀ dL/da_{t+1})
                dh[t, b, j] = dh_out[t, b, j] if last else dh[t, b, j] + dh_out[t, b, j]
            for j in range(hidden):  # via h_t: ∂h_t/∂c_t = o ⊙ (1 - tanh²c_t)
                tc, o = tanh_c[t, b, j], act[t, b, GATE_O * hidden + j]
                dc[t, b, j] = dh[t, b, j] * ((one - tc * tc) * o)
            if not last:
                for j in range(hidden):  # + f_{t+1} ⊙ dL/dc_{t+1}
                    dc[t, b, j] = dc[t, b, j] + dc[t + 1, b, j] * act[t + 1, b, GATE_F * hidden + j]
            for j in range(hidden):  # ∂c_t/∂a_i = g ⊙ σ'(a_i)
                i, g = act[t, b, GATE_I * hidden + j], act[t, b, GATE_G * hidden + j]
                dpre[t, b, GATE_I * hidden + j] = dc[t, b, j] * ((one - i) * i * g)
            for j in range(hidden):  # ∂c_t/∂a_f = c_{t-1} ⊙ σ'(a_f)
                f = act[t, b, GATE_F * hidden + j]
                dpre[t, b, GATE_F * hidden + j] = dc[t, b, j] * ((one - f) * f * c_all[t, b, j])
            for j in range(hidden):  # ∂c_t/∂a_g = i ⊙ tanh'(a_g)
                i, g = act[t, b, GATE_I * hidden + j], act[t, b, GATE_G * hidden + j]
                dpre[t, b, GATE_G * hidden + j] = dc[t, b, j] * ((one - g * g) * i)
            for j in range(hidden):  # ∂h_t/∂a_o = tanh(c_t) ⊙ σ'(a_o)
                o = act[t, b, GATE_O * hidden + j]
                dpre[t, b, GATE_O * hidden + j] = dh[t, b, j] * ((one - o) * o * tanh_c[t, b, j])
    matmul(gemm, dpre[0], weight_hh, False, dh0)
    for b in range(batch):
        for j in range(hidden):
            dc0[b, j] = dc[0, b, j] * act[0, b, GATE_F * hidden + j]  # f_0 ⊙ dL/dc_0


@compiled
def rnn_backward(
    gemm: Any,
    weight_hh: Any,
    h: Any,
    pre: Any,
    relu: bool,
    dh_out: Any,
    dh: Any,
    dpre: Any,
    dh0: Any,
) -> None:
    """Backward through one simple RNN layer, as
    :func:`lstm_sim.engine.backprop.rnn_layer_backward`: dh, dpre (T, B, H), dh0 (B, H)."""
    steps, batch, hidden = h.shape
    one, zero = h.dtype.type(1.0), h.dtype.type(0.0)
    for t in range(steps - 1, -1, -1):
        if t < steps - 1:
            matmul(gemm, dpre[t + 1], weight_hh, False, dh[t])
        for b in range(batch):
            dh_t, d, h_t, a = dh[t, b], dpre[t, b], h[t, b], pre[t, b]
            for j in range(hidden):
                if t == steps - 1:
                    dh_t[j] = dh_out[t, b, j]
                else:
                    dh_t[j] = dh_t[j] + dh_out[t, b, j]
                if relu:
                    d[j] = dh_t[j] * (one if a[j] > zero else zero)  # relu'(a) = [a > 0]
                else:
                    d[j] = dh_t[j] * (one - h_t[j] * h_t[j])  # tanh'(a) = 1 - h²
    matmul(gemm, dpre[0], weight_hh, False, dh0)


@compiled
def one_hot_weight_gradient(ids: Any, dpre: Any, columns: Any) -> None:
    """columns (D, G*H) += the rows of dpre (N, G*H), row n onto row ids[n]: dW_ihᵀ for
    one-hot inputs. Each sum runs in the order of n, as the NumPy version's stable sort
    and row-by-row reduction do, so the sums are the same bit for bit."""
    for n in range(ids.size):
        row = ids[n]
        for j in range(dpre.shape[1]):
            columns[row, j] += dpre[n, j]
