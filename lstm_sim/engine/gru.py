"""The gated recurrent unit: one layer over a sequence, forward and backward through time.

PyTorch's equations (``torch.nn.GRU``), blocks r, z, n in the engine's order
(:mod:`lstm_sim.engine.gate_orders` maps Keras's and ONNX's z, r, h)::

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)        reset gate
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)        update gate
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))   candidate
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

The reset gate scales ``W_hn h_{t-1} + b_hn`` *after* the product ("reset after": Keras
``reset_after=True``, ONNX ``linear_before_reset=1``), so b_hn does not fold into b_in.
The other convention ("reset before": Keras ``reset_after=False``, ONNX
``linear_before_reset=0``) resets h_{t-1} before the product::

    n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)

Olah's GRU figure interpolates the other way, h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ n_t; all
three frameworks, and this module, keep h_{t-1} by z_t.

ONNX and Keras may swap σ and tanh for other functions (``activations``,
``recurrent_activation``) and ONNX may clip their inputs (``clip``): :class:`GruLayer`
carries both. :func:`gru_step` is the step written one equation per line, the oracle;
:func:`gru_layer_forward` and :func:`gru_layer_backward` are the same numbers over a whole
sequence into preallocated arrays. Shapes: x (T, ..., D), h (T+1, ..., H) with h_0 at index
0, gate arrays (T, ..., 3H); any leading shape between time and features is a minibatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lstm_sim.engine.activations import (
    SIGMOID,
    TANH,
    Activation,
    clip_derivative,
    clipped,
)
from lstm_sim.engine.gate_orders import ENGINE_ORDER, to_engine_order
from lstm_sim.engine.sequence_mask import check_mask, masked_outputs, output_gradient

GRU_GATES = ENGINE_ORDER["gru"]
"""r, z, n: the blocks of a GRU layer's stacked rows."""


def _check_shape(name: str, array: np.ndarray, shape: tuple[int, ...]) -> None:
    if array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {shape}")


@dataclass(frozen=True)
class GruParameters:
    """One GRU layer's weights by PyTorch name, blocks r, z, n.

    weight_ih (3H, D), weight_hh (3H, H), bias_ih and bias_hh (3H,).
    """

    weight_ih: np.ndarray
    weight_hh: np.ndarray
    bias_ih: np.ndarray
    bias_hh: np.ndarray

    def __post_init__(self) -> None:
        rows, hidden = self.weight_hh.shape[0], self.weight_hh.shape[-1]
        _check_shape("weight_hh", self.weight_hh, (3 * hidden, hidden))
        _check_shape("weight_ih", self.weight_ih, (rows, self.weight_ih.shape[-1]))
        _check_shape("bias_ih", self.bias_ih, (rows,))
        _check_shape("bias_hh", self.bias_hh, (rows,))

    @property
    def hidden_size(self) -> int:
        return int(self.weight_hh.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.weight_ih.shape[1])

    def named(self) -> dict[str, np.ndarray]:
        """The arrays under their PyTorch names (without the ``_l{k}`` suffix)."""
        return {
            "weight_ih": self.weight_ih,
            "weight_hh": self.weight_hh,
            "bias_ih": self.bias_ih,
            "bias_hh": self.bias_hh,
        }

    def astype(self, dtype: np.dtype | type) -> GruParameters:
        return GruParameters(**{k: v.astype(dtype) for k, v in self.named().items()})

    @classmethod
    def from_onnx(cls, w: np.ndarray, r: np.ndarray, b: np.ndarray | None) -> GruParameters:
        """One direction of an ONNX ``GRU`` node: W (3H, D), R (3H, H), B (6H,) = [Wb, Rb],
        blocks z, r, h."""
        hidden = r.shape[-1]
        bias = np.zeros(6 * hidden, w.dtype) if b is None else b
        _check_shape("B", bias, (6 * hidden,))
        return cls(
            to_engine_order(w, "gru", "onnx"),
            to_engine_order(r, "gru", "onnx"),
            to_engine_order(bias[: 3 * hidden], "gru", "onnx"),
            to_engine_order(bias[3 * hidden :], "gru", "onnx"),
        )

    @classmethod
    def from_keras(
        cls, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None
    ) -> GruParameters:
        """A Keras ``GRU`` cell's kernel (D, 3H), recurrent_kernel (H, 3H) and bias, blocks
        z, r, h: (2, 3H) [input, recurrent] with ``reset_after=True``, (3H,) input bias
        only with ``reset_after=False``."""
        rows = kernel.shape[1]
        if bias is None:
            bias_ih = bias_hh = np.zeros(rows, kernel.dtype)
        elif bias.ndim == 2:
            _check_shape("bias", bias, (2, rows))
            bias_ih, bias_hh = bias[0], bias[1]
        else:
            _check_shape("bias", bias, (rows,))
            bias_ih, bias_hh = bias, np.zeros(rows, bias.dtype)
        return cls(
            to_engine_order(kernel.T, "gru", "keras"),
            to_engine_order(recurrent_kernel.T, "gru", "keras"),
            to_engine_order(bias_ih, "gru", "keras"),
            to_engine_order(bias_hh, "gru", "keras"),
        )


@dataclass(frozen=True)
class GruLayer:
    """A GRU layer: its parameters and the choices the frameworks store.

    reset_after: True for PyTorch (and Keras's default, ONNX ``linear_before_reset=1``).
    gate: the function of r and z (ONNX f, Keras ``recurrent_activation``); candidate: of n
    (ONNX g, Keras ``activation``). clip: ONNX's bound on every activation's input.
    """

    params: GruParameters
    reset_after: bool = True
    gate: Activation = SIGMOID
    candidate: Activation = TANH
    clip: float | None = None

    def __post_init__(self) -> None:
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip must be positive, got {self.clip}")

    @property
    def hidden_size(self) -> int:
        return self.params.hidden_size


# -- the reference step ------------------------------------------------------------------


@dataclass(frozen=True)
class GruStep:
    """Everything one GRU step computed; a_* are the pre-activations (before any clip)."""

    x: np.ndarray
    h_prev: np.ndarray
    a_r: np.ndarray
    a_z: np.ndarray
    a_n: np.ndarray
    hn: np.ndarray  # the candidate's recurrent term, W_hn h_{t-1} + b_hn or W_hn (r⊙h) + b_hn
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    h: np.ndarray


def gru_step(layer: GruLayer, x: np.ndarray, h_prev: np.ndarray) -> GruStep:
    """One GRU step, x (D,), h_prev (H,), one equation per line."""
    p, f, g, clip = layer.params, layer.gate, layer.candidate, layer.clip
    w_ir, w_iz, w_in = np.split(p.weight_ih, 3)
    w_hr, w_hz, w_hn = np.split(p.weight_hh, 3)
    b_ir, b_iz, b_in = np.split(p.bias_ih, 3)
    b_hr, b_hz, b_hn = np.split(p.bias_hh, 3)
    a_r = w_ir @ x + b_ir + w_hr @ h_prev + b_hr
    a_z = w_iz @ x + b_iz + w_hz @ h_prev + b_hz
    r = f(clipped(a_r, clip))  # reset gate: how much of h_{t-1} the candidate sees
    z = f(clipped(a_z, clip))  # update gate: how much of h_{t-1} is kept
    if layer.reset_after:
        hn = w_hn @ h_prev + b_hn
        a_n = w_in @ x + b_in + r * hn
    else:
        hn = w_hn @ (r * h_prev) + b_hn
        a_n = w_in @ x + b_in + hn
    n = g(clipped(a_n, clip))  # the candidate
    h = (1 - z) * n + z * h_prev
    return GruStep(x, h_prev, a_r, a_z, a_n, hn, r, z, n, h)


# -- the whole sequence ------------------------------------------------------------------


@dataclass
class GruRecord:
    """Every intermediate of one GRU layer over a sequence.

    x (T, ..., D); h (T+1, ..., H), h_0 at index 0 and h_t at t+1; pre (T, ..., 3H) the
    pre-activations a_r, a_z, a_n before any clip; act (T, ..., 3H) r, z, n; hn (T, ..., H)
    the candidate's recurrent term; mask (T, ...) or None, and zero_masked_outputs
    (Keras's ``zero_output_for_mask``; see :mod:`lstm_sim.engine.sequence_mask`).
    """

    x: np.ndarray
    h: np.ndarray
    pre: np.ndarray
    act: np.ndarray
    hn: np.ndarray
    mask: np.ndarray | None = field(default=None)
    zero_masked_outputs: bool = False

    @classmethod
    def allocate(
        cls, x: np.ndarray, hidden: int, h0: np.ndarray | None, mask: np.ndarray | None
    ) -> GruRecord:
        batch = x.shape[1:-1]
        h = np.empty((x.shape[0] + 1, *batch, hidden), x.dtype)
        if h0 is not None:
            _check_shape("h0", h0, h.shape[1:])
        h[0] = 0 if h0 is None else h0
        gates = (x.shape[0], *batch, 3 * hidden)
        hn = np.empty((x.shape[0], *batch, hidden), x.dtype)
        return cls(x, h, np.empty(gates, x.dtype), np.empty(gates, x.dtype), hn, mask)

    @property
    def output(self) -> np.ndarray:
        """(T, ..., H) what the layer hands on: h_t (zeros where the mask says)."""
        return masked_outputs(self.h, self.mask, self.zero_masked_outputs)

    def gate(self, name: str) -> np.ndarray:
        """The activations of block ``name`` (r, z or n), (T, ..., H)."""
        hidden = self.hn.shape[-1]
        k = GRU_GATES.index(name)
        return self.act[..., k * hidden : (k + 1) * hidden]


def gru_forward(
    layer: GruLayer,
    x: np.ndarray,
    h0: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    zero_masked_outputs: bool = False,
) -> GruRecord:
    """Run x (T, ..., D) through the layer from h0 (..., H) (zeros when None), skipping the
    steps where ``mask`` (T, ...) is False."""
    if x.ndim < 2 or x.shape[-1] != layer.params.input_size:
        raise ValueError(f"x has shape {x.shape}, expected (T, ..., {layer.params.input_size})")
    record = GruRecord.allocate(x, layer.hidden_size, h0, check_mask(mask, x))
    record.zero_masked_outputs = zero_masked_outputs
    gru_layer_forward(layer, record)
    return record


def gru_layer_forward(layer: GruLayer, record: GruRecord, start: int = 0) -> None:
    """Fill steps ``start``..T-1 of ``record`` from ``record.h[start]``: after an edit of
    ``record.x`` (the caller's array, not a copy) at step ``start``, the rerun of its tail."""
    p, dtype = layer.params, record.x.dtype
    # a_t's input terms for every step at once: W_ih x_t + b_ih, then the recurrent terms
    np.matmul(record.x[start:], p.weight_ih.T.astype(dtype, copy=False), out=record.pre[start:])
    record.pre[start:] += p.bias_ih.astype(dtype, copy=False)
    gru_recurrence(layer, record, start)


def gru_recurrence(layer: GruLayer, record: GruRecord, start: int = 0) -> None:
    """The recurrence of :func:`gru_layer_forward` alone, for a caller that has written
    W_ih x_t + b_ih into ``record.pre[start:]`` itself (a minibatch of token ids picks
    columns of W_ih instead of multiplying one-hot vectors); ``record.x`` is not read."""
    p, f, g, clip = layer.params, layer.gate, layer.candidate, layer.clip
    dtype, hidden = record.pre.dtype, layer.hidden_size
    rz, cand = slice(0, 2 * hidden), slice(2 * hidden, 3 * hidden)
    weight_hh = p.weight_hh.astype(dtype, copy=False)
    bias_hh = p.bias_hh.astype(dtype, copy=False)
    w_all = np.ascontiguousarray(weight_hh.T)  # (H, 3H): h_prev @ w_all = (W_hh h)^T
    w_rz, w_n = np.ascontiguousarray(weight_hh[rz].T), np.ascontiguousarray(weight_hh[cand].T)
    mask = record.mask
    for t in range(start, record.pre.shape[0]):
        h_prev, a, act = record.h[t], record.pre[t], record.act[t]
        if layer.reset_after:
            recurrent = h_prev @ w_all + bias_hh  # W_hh h_{t-1} + b_hh, all three blocks
            a[..., rz] += recurrent[..., rz]
            act[..., rz] = f(clipped(a[..., rz], clip))  # r, z
            r = act[..., :hidden]
            record.hn[t] = recurrent[..., cand]  # W_hn h_{t-1} + b_hn
            a[..., cand] += r * record.hn[t]  # reset after the product
        else:
            a[..., rz] += h_prev @ w_rz + bias_hh[rz]
            act[..., rz] = f(clipped(a[..., rz], clip))
            r = act[..., :hidden]
            record.hn[t] = (r * h_prev) @ w_n + bias_hh[cand]  # W_hn (r ⊙ h_{t-1}) + b_hn
            a[..., cand] += record.hn[t]
        act[..., cand] = g(clipped(a[..., cand], clip))  # n
        z, n = act[..., hidden : 2 * hidden], act[..., cand]
        h = n + z * (h_prev - n)  # (1 - z) ⊙ n + z ⊙ h_{t-1}
        record.h[t + 1] = h if mask is None else np.where(mask[t][..., None], h, h_prev)


@dataclass(frozen=True)
class GruGradients:
    """dx (T, ..., D), dh0 (..., H), params by PyTorch name, and the gradients of each
    step's pre-activations da (T, ..., 3H) (what reaches W_ih x_t + b_ih)."""

    dx: np.ndarray
    dh0: np.ndarray
    params: dict[str, np.ndarray]
    da: np.ndarray


def _sum_outer(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Σ over every leading index of dy ⊗ x: (..., M), (..., N) → (M, N)."""
    return dy.reshape(-1, dy.shape[-1]).T @ x.reshape(-1, x.shape[-1])  # type: ignore[no-any-return]


def gru_layer_backward(
    layer: GruLayer,
    record: GruRecord,
    doutput: np.ndarray,
    dh_last: np.ndarray | None = None,
    dh_all: np.ndarray | None = None,
) -> GruGradients:
    """Backpropagation through time from the last step to the first.

    doutput: dL/d output_t (T, ..., H) from the loss or the layer above; dh_last: dL/dh_T
    from beyond the sequence (the final state's own use), zeros when None. ``dh_all``
    (T, ..., H), when given, receives the total gradient reaching h_t at every step.
    """
    da, drec, dh0 = gru_recurrence_backward(layer, record, doutput, dh_last, dh_all)
    reduce = tuple(range(da.ndim - 1))
    params = {
        "weight_ih": _sum_outer(da, record.x),
        "weight_hh": gru_weight_hh_gradient(layer, record, drec),
        "bias_ih": da.sum(axis=reduce),
        "bias_hh": drec.sum(axis=reduce),
    }
    dx = da @ layer.params.weight_ih.astype(record.x.dtype, copy=False)
    return GruGradients(dx, dh0, params, da)


def gru_recurrence_backward(
    layer: GruLayer,
    record: GruRecord,
    doutput: np.ndarray,
    dh_last: np.ndarray | None = None,
    dh_all: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The loop of :func:`gru_layer_backward`: (da, drec, dh0), where da (T, ..., 3H) is
    dL/da_t, what reaches W_ih x_t + b_ih, and drec (T, ..., 3H) what reaches W_hh's three
    products and b_hh. ``record.x`` is not read. ``dh_all`` (T, ..., H), when given,
    receives the total gradient reaching h_t at every step."""
    p, f, g, clip = layer.params, layer.gate, layer.candidate, layer.clip
    hidden, dtype = layer.hidden_size, record.pre.dtype
    if doutput.shape != record.hn.shape:
        raise ValueError(f"doutput has shape {doutput.shape}, expected {record.hn.shape}")
    rz, cand = slice(0, 2 * hidden), slice(2 * hidden, 3 * hidden)
    weight_hh = p.weight_hh.astype(dtype, copy=False)
    w_rz, w_n = weight_hh[rz], weight_hh[cand]
    dy = output_gradient(doutput, record.mask, record.zero_masked_outputs)
    da = np.empty_like(record.pre)  # dL/da_t: what reaches W_ih x_t + b_ih
    drec = np.empty_like(record.pre)  # what reaches W_hh's three products (+ b_hh)
    dh_next = np.zeros_like(record.h[0]) if dh_last is None else dh_last.astype(dtype)
    for t in range(record.pre.shape[0] - 1, -1, -1):
        dh = dy[t] + dh_next
        if dh_all is not None:
            dh_all[t] = dh
        if record.mask is not None:  # a masked step passed h_{t-1} through unchanged
            carried = np.where(record.mask[t][..., None], 0, dh)
            dh = dh - carried
        h_prev, a, act = record.h[t], record.pre[t], record.act[t]
        r, z, n = act[..., :hidden], act[..., hidden : cand.start], act[..., cand]
        dn = dh * (1 - z)
        dz = dh * (h_prev - n)
        da_n = (
            dn * g.derivative(clipped(a[..., cand], clip), n) * clip_derivative(a[..., cand], clip)
        )
        if layer.reset_after:
            dr = da_n * record.hn[t]  # a_n = ... + r ⊙ hn
            dhn = da_n * r
        else:
            drh = da_n @ w_n  # a_n = ... + W_hn (r ⊙ h_{t-1})
            dr = drh * h_prev
            dhn = da_n
        a_rz = a[..., rz]
        f_prime = f.derivative(clipped(a_rz, clip), act[..., rz]) * clip_derivative(a_rz, clip)
        da[t, ..., rz] = np.concatenate([dr, dz], axis=-1) * f_prime
        da[t, ..., cand] = da_n
        drec[t, ..., rz] = da[t, ..., rz]
        drec[t, ..., cand] = dhn
        dh_next = dh * z + da[t, ..., rz] @ w_rz
        dh_next += dhn @ w_n if layer.reset_after else drh * r
        if record.mask is not None:
            dh_next += carried
    return da, drec, dh_next


def gru_weight_hh_gradient(layer: GruLayer, record: GruRecord, drec: np.ndarray) -> np.ndarray:
    """dL/dW_hh (3H, H) summed over every step: drec's r and z blocks times h_{t-1}, its n
    block times what W_hn multiplied (h_{t-1}, or r ⊙ h_{t-1} when the reset comes before)."""
    hidden = layer.hidden_size
    h_prev_all = record.h[:-1]
    reset_input = h_prev_all if layer.reset_after else record.act[..., :hidden] * h_prev_all
    return np.concatenate(
        [
            _sum_outer(drec[..., : 2 * hidden], h_prev_all),
            _sum_outer(drec[..., 2 * hidden :], reset_input),
        ]
    )
