"""The recurrence of one layer over time, writing every intermediate into arrays the
caller allocated.

The loops accept any leading shape between time and features, so the same code runs a
single sequence (T, H) for the simulator and a minibatch (T, B, H) for training. Index
0 of ``h_all``/``c_all`` holds the initial state; step t reads index t and writes t+1.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), computed as 0.5·tanh(x/2) + 0.5 so it never overflows."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


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

    xw: (T, ..., 4H) input projection W_ih·x_t + b_ih + b_hh, gate blocks i, f, g, o.
    weight_hh: (4H, H). h_all, c_all: (T+1, ..., H). pre, act: (T, ..., 4H) gate
    pre-activations and activations. fc, ig, tanh_c: (T, ..., H) for f⊙c_prev, i⊙g and
    tanh(c).
    """
    hidden = weight_hh.shape[1]
    w_hh_t = weight_hh.T
    # Views of the gate blocks for all steps, so the loop only indexes time.
    i_all, f_all = act[..., :hidden], act[..., hidden : 2 * hidden]
    g_all, o_all = act[..., 2 * hidden : 3 * hidden], act[..., 3 * hidden :]
    pre_g = pre[..., 2 * hidden : 3 * hidden]
    for t in range(start, xw.shape[0]):
        p = pre[t]
        np.matmul(h_all[t], w_hh_t, out=p)
        p += xw[t]  # a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
        sigmoid(p, out=act[t])  # i, f, o = σ(a); g is overwritten next
        np.tanh(pre_g[t], out=g_all[t])  # g = tanh(a_g), the candidate C̃_t
        np.multiply(f_all[t], c_all[t], out=fc[t])  # f ⊙ c_{t-1}: what is kept
        np.multiply(i_all[t], g_all[t], out=ig[t])  # i ⊙ g: what is written
        np.add(fc[t], ig[t], out=c_all[t + 1])  # c_t = f⊙c_{t-1} + i⊙g
        np.tanh(c_all[t + 1], out=tanh_c[t])
        np.multiply(o_all[t], tanh_c[t], out=h_all[t + 1])  # h_t = o ⊙ tanh(c_t)


def rnn_layer_forward(
    xw: np.ndarray,
    weight_hh: np.ndarray,
    h_all: np.ndarray,
    pre: np.ndarray,
    nonlinearity: str = "tanh",
    start: int = 0,
) -> None:
    """Run steps ``start``..T-1 of one simple RNN layer.

    xw: (T, ..., H) input projection W_ih·x_t + b_ih + b_hh. weight_hh: (H, H).
    h_all: (T+1, ..., H). pre: (T, ..., H) the pre-activation a_t.
    """
    w_hh_t = weight_hh.T
    for t in range(start, xw.shape[0]):
        p = pre[t]
        np.matmul(h_all[t], w_hh_t, out=p)
        p += xw[t]  # a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
        if nonlinearity == "tanh":
            np.tanh(p, out=h_all[t + 1])  # h_t = tanh(a_t)
        else:
            np.maximum(p, 0.0, out=h_all[t + 1])  # h_t = relu(a_t)


def softmax(logits: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis, shifted by the maximum so exp never overflows."""
    out = np.subtract(logits, logits.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out
