"""The recurrence of one layer over time, writing every intermediate into arrays the
caller allocated.

The loops accept any leading shape between time and features, so the same code runs a
single sequence (T, H) for the simulator and a minibatch (T, B, H) for training. Index
0 of ``h_all``/``c_all`` holds the initial state; step t reads index t and writes t+1.

The per-step loop is the engine's hot path and runs in Python, so at small H its cost is
the number of NumPy calls per step, not arithmetic. The LSTM loop makes ten: one matrix
product, one add, one tanh for all four gates at once, two to turn three of them into
sigmoids, and five for the cell and hidden state.

The same equations, one per line and one step at a time, are in
:mod:`lstm_sim.engine.reference`; the tests hold these loops to them.
"""

from __future__ import annotations

import numpy as np

from lstm_sim.engine.gates import gate_slice, split_gates

# Up to this size a C-contiguous (H, 4H) copy gives the fastest vector-matrix product;
# above it (H > 181 in float64, H > 256 in float32) the transposed view of (4H, H) is up to
# twice as fast when OpenBLAS runs two threads, which then each stream half the rows from
# their own cache; on one thread the two tie there (2-core Xeon, OpenBLAS 0.3.31).
CONTIGUOUS_WEIGHT_BYTES = 1024 * 1024


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), computed as 0.5·tanh(x/2) + 0.5 so it never overflows."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def recurrent_weight(
    weight_hh: np.ndarray, dtype: np.dtype, row_scale: np.ndarray | None = None
) -> np.ndarray:
    """weight_hh (G*H, H) as the (H, G*H) right operand of ``h_prev @ W`` in ``dtype``,
    each row multiplied by ``row_scale``, in the layout with the fastest product for its
    size."""
    w = weight_hh if row_scale is None else weight_hh * row_scale[:, None]
    w = w.astype(dtype, copy=False)
    if w.nbytes <= CONTIGUOUS_WEIGHT_BYTES:
        return np.ascontiguousarray(w.T)
    return w.T


def _gate_half_scale(hidden: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """(scale, shift), each (4H,): 0.5 and 0.5 on the sigmoid gates i, f, o; 1 and 0 on g.

    σ(a) = 0.5·tanh(0.5·a) + 0.5, so scaling the pre-activations of i, f, o by 0.5 lets one
    tanh call serve all four gates; ``act·scale + shift`` then finishes the sigmoids and
    leaves g = tanh(a_g) as it is. Scaling by 0.5 is exact in binary floating point.
    """
    scale = np.full(4 * hidden, 0.5, dtype)
    shift = np.full(4 * hidden, 0.5, dtype)
    scale[gate_slice("g", hidden)] = 1.0
    shift[gate_slice("g", hidden)] = 0.0
    return scale, shift


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
    """Run steps ``start``..T-1 of one LSTM layer.

    xw: (T, ..., 4H) input projection W_ih·x_t + b_ih + b_hh, gate blocks i, f, g, o;
    it may be ``pre`` itself, which saves the minibatch forward a (T, B, 4H) buffer.
    weight_hh: (4H, H). h_all, c_all: (T+1, ..., H). pre, act: (T, ..., 4H) gate
    pre-activations and activations. fc, ig, tanh_c: (T, ..., H) for f⊙c_prev, i⊙g and
    tanh(c). Entries before ``start`` are neither read (except h_all, c_all at ``start``)
    nor written. Equals :func:`lstm_sim.engine.reference.lstm_step` in a loop.
    """
    steps, hidden = xw.shape[0], weight_hh.shape[1]
    scale, shift = _gate_half_scale(hidden, xw.dtype)
    w_hh = recurrent_weight(weight_hh, xw.dtype, scale)
    # z_t = scale ⊙ a_t: half the pre-activation of i, f, o and all of g's, built from
    # the same half-scaled terms, so 2·z_t equals a_t bit for bit. z lives in pre when it
    # can (np.dot's out= must be C-contiguous), so a minibatch allocates nothing per call.
    z = pre[start:]
    if not (z.flags.c_contiguous and z.dtype == xw.dtype):
        z = np.empty(xw[start:].shape, xw.dtype)
    np.multiply(xw[start:], scale, out=z)  # elementwise, so xw may be pre itself
    product = np.empty(z.shape[1:], z.dtype)  # W_hh h_{t-1}, half-scaled
    i_all, f_all, g_all, o_all = split_gates(act[start:])
    dot, add, multiply, tanh = np.dot, np.add, np.multiply, np.tanh
    # zip hands out every step's views from C, cheaper than indexing 13 arrays per step.
    for z_t, a_t, i, f, g, o, c_prev, c, fc_t, ig_t, tanh_c_t, h_prev, h in zip(
        z,
        act[start:],
        i_all,
        f_all,
        g_all,
        o_all,
        c_all[start:steps],
        c_all[start + 1 :],
        fc[start:],
        ig[start:],
        tanh_c[start:],
        h_all[start:steps],
        h_all[start + 1 :],
        strict=True,
    ):
        dot(h_prev, w_hh, product)
        add(z_t, product, z_t)  # z = scale ⊙ (W_ih x_t + b_ih + b_hh + W_hh h_{t-1})
        tanh(z_t, a_t)  # tanh(a/2) for i, f, o; g = tanh(a_g), the candidate C̃_t
        multiply(a_t, scale, a_t)
        add(a_t, shift, a_t)  # i, f, o = σ(a) = 0.5·tanh(a/2) + 0.5
        multiply(f, c_prev, fc_t)  # f ⊙ c_{t-1}: what is kept
        multiply(i, g, ig_t)  # i ⊙ g: what is written
        add(fc_t, ig_t, c)  # c_t = f⊙c_{t-1} + i⊙g
        tanh(c, tanh_c_t)
        multiply(o, tanh_c_t, h)  # h_t = o ⊙ tanh(c_t)
    # a_t = z_t / scale, exact (scale is 0.5 or 1), as a product: faster than a division
    np.multiply(z, 1.0 / scale, out=pre[start:])


def rnn_layer_forward(
    xw: np.ndarray,
    weight_hh: np.ndarray,
    h_all: np.ndarray,
    pre: np.ndarray,
    nonlinearity: str = "tanh",
    start: int = 0,
) -> None:
    """Run steps ``start``..T-1 of one simple RNN layer.

    xw: (T, ..., H) input projection W_ih·x_t + b_ih + b_hh (it may be ``pre`` itself).
    weight_hh: (H, H). h_all: (T+1, ..., H). pre: (T, ..., H) the pre-activation a_t.
    Equals :func:`lstm_sim.engine.reference.rnn_step` in a loop.
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    w_hh = recurrent_weight(weight_hh, xw.dtype)
    steps = xw.shape[0]
    z = pre[start:]  # np.dot's out= must be C-contiguous: z lives in pre when it can
    in_pre = z.flags.c_contiguous and z.dtype == xw.dtype
    if not in_pre:
        z = np.empty(xw[start:].shape, xw.dtype)
    np.copyto(z, xw[start:])  # elementwise, so xw may be pre itself
    product = np.empty(z.shape[1:], z.dtype)  # W_hh h_{t-1}
    dot, add, tanh, maximum = np.dot, np.add, np.tanh, np.maximum
    relu = nonlinearity == "relu"
    for z_t, h_prev, h in zip(z, h_all[start:steps], h_all[start + 1 :], strict=True):
        dot(h_prev, w_hh, product)
        add(z_t, product, z_t)  # a_t = W_ih x_t + b_ih + b_hh + W_hh h_{t-1}
        if relu:
            maximum(z_t, 0.0, out=h)  # h_t = relu(a_t)
        else:
            tanh(z_t, h)  # h_t = tanh(a_t)
    if not in_pre:
        pre[start:] = z


def softmax(logits: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis, shifted by the maximum so exp never overflows."""
    out = np.subtract(logits, logits.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out
