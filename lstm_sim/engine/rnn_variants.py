"""A simple RNN layer as the variant kernels take it: a record over one pass, with Keras's
mask, forward and backward through time, so a simple RNN can run reverse and
bidirectional beside the GRU and LSTM (:mod:`lstm_sim.engine.bidirectional`)::

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    h_t = tanh(a_t)        (or relu(a_t): PyTorch ``nonlinearity="relu"``)

Shapes: x (T, ..., D), h (T+1, ..., H) with h_0 at index 0, pre (T, ..., H). A masked step
carries h_{t-1} through (see :mod:`lstm_sim.engine.sequence_mask`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.sequence_mask import masked_outputs, output_gradient


@dataclass(frozen=True)
class RnnLayer:
    """One simple RNN layer's weights by PyTorch name and its nonlinearity."""

    weight_ih: np.ndarray  # (H, D)
    weight_hh: np.ndarray  # (H, H)
    bias_ih: np.ndarray  # (H,)
    bias_hh: np.ndarray  # (H,)
    nonlinearity: str = "tanh"

    def __post_init__(self) -> None:
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {self.nonlinearity!r}")

    @property
    def hidden_size(self) -> int:
        return int(self.weight_hh.shape[1])


@dataclass
class RnnRecord:
    """x (T, ..., D), h (T+1, ..., H), pre (T, ..., H) the pre-activations a_t; mask
    (T, ...) or None and zero_masked_outputs as in :mod:`lstm_sim.engine.sequence_mask`."""

    x: np.ndarray
    h: np.ndarray
    pre: np.ndarray
    mask: np.ndarray | None = None
    zero_masked_outputs: bool = False

    @property
    def output(self) -> np.ndarray:
        """(T, ..., H) what the layer hands on: h_t (zeros where the mask says)."""
        return masked_outputs(self.h, self.mask, self.zero_masked_outputs)


def rnn_record_forward(layer: RnnLayer, record: RnnRecord, start: int = 0) -> None:
    """Fill steps ``start``..T-1 of ``record`` from ``record.h[start]``."""
    dtype = record.x.dtype
    np.matmul(record.x[start:], layer.weight_ih.T.astype(dtype, copy=False), out=record.pre[start:])
    record.pre[start:] += (layer.bias_ih + layer.bias_hh).astype(dtype, copy=False)
    w_hh = np.ascontiguousarray(layer.weight_hh.T.astype(dtype, copy=False))
    relu = layer.nonlinearity == "relu"
    for t in range(start, record.x.shape[0]):
        h_prev, a = record.h[t], record.pre[t]
        a += h_prev @ w_hh  # a_t = W_ih x_t + b_ih + b_hh + W_hh h_{t-1}
        h = np.maximum(a, 0) if relu else np.tanh(a)
        if record.mask is None:
            record.h[t + 1] = h
        else:  # a masked step carries h through
            record.h[t + 1] = np.where(record.mask[t][..., None], h, h_prev)


@dataclass(frozen=True)
class RnnGradients:
    """dx (T, ..., D), dh0 (..., H), params by PyTorch name, da (T, ..., H)."""

    dx: np.ndarray
    dh0: np.ndarray
    params: dict[str, np.ndarray]
    da: np.ndarray


def rnn_record_backward(
    layer: RnnLayer,
    record: RnnRecord,
    doutput: np.ndarray,
    dh_last: np.ndarray | None = None,
    dh_all: np.ndarray | None = None,
) -> RnnGradients:
    """Backpropagation through time; doutput (T, ..., H) reaches each step's output.
    ``dh_all`` (T, ..., H), when given, receives the total dL/dh_t of every step."""
    dtype = record.x.dtype
    if doutput.shape != record.pre.shape:
        raise ValueError(f"doutput has shape {doutput.shape}, expected {record.pre.shape}")
    w_hh = layer.weight_hh.astype(dtype, copy=False)
    dy = output_gradient(doutput, record.mask, record.zero_masked_outputs)
    if layer.nonlinearity == "relu":
        local = (record.pre > 0).astype(dtype)  # relu'(a) = [a > 0]
    else:
        local = 1 - np.tanh(record.pre) ** 2  # tanh'(a), from a: h may be a carried value
    da = np.zeros_like(record.pre)
    dh_next = np.zeros_like(record.h[0]) if dh_last is None else dh_last.astype(dtype)
    for t in range(record.x.shape[0] - 1, -1, -1):
        dh = dy[t] + dh_next
        if dh_all is not None:
            dh_all[t] = dh
        carried = np.zeros_like(dh)
        if record.mask is not None:  # a masked step passed h_{t-1} through unchanged
            read = record.mask[t][..., None]
            carried = np.where(read, 0, dh)
            dh = np.where(read, dh, 0)
        da[t] = dh * local[t]
        dh_next = da[t] @ w_hh + carried
    flat_da = da.reshape(-1, da.shape[-1])
    params = {
        "weight_ih": flat_da.T @ record.x.reshape(-1, record.x.shape[-1]),
        "weight_hh": flat_da.T @ record.h[:-1].reshape(-1, record.h.shape[-1]),
        "bias_ih": flat_da.sum(axis=0),
        "bias_hh": flat_da.sum(axis=0),
    }
    dx = da @ layer.weight_ih.astype(dtype, copy=False)
    return RnnGradients(dx, np.asarray(dh_next), params, da)
