"""The LSTM's variants as options of one layer: projection, peepholes, coupled gates, cell
clipping and other activations, forward and backward through time.

The plain cell is PyTorch's (``torch.nn.LSTM``), blocks i, f, g, o::

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    i_t = σ(a_i)   f_t = σ(a_f)   g_t = tanh(a_g)   o_t = σ(a_o)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

and each option changes one line:

- projection (PyTorch ``proj_size``): h_t = W_hr (o_t ⊙ tanh(c_t)), (P,) with P < H, and
  the next step reads this projected h (W_hh is (4H, P));
- peepholes (ONNX ``P``): a_i += p_i ⊙ c_{t-1}, a_f += p_f ⊙ c_{t-1}, and, once c_t is
  known, a_o += p_o ⊙ c_t;
- coupled gates: ``"input_from_forget"`` writes what it forgets, i_t = 1 - f_t (Olah's
  coupled forget and input gates); ``"forget_from_input"`` forgets what it writes,
  f_t = 1 - i_t, which is what ONNX Runtime computes for ONNX ``input_forget=1`` (the ONNX
  specification says only "couple the input and forget gates"; its reference evaluator
  ignores the attribute). The other gate's pre-activation is still computed and recorded;
- clip (ONNX ``clip``): every gate's pre-activation is held to [-clip, clip] before its
  activation; c_t itself is not clipped (ONNX Runtime's behaviour);
- activations: ``gate`` for i, f, o (ONNX f, Keras ``recurrent_activation``), ``candidate``
  for g (ONNX g, Keras ``activation``), ``cell_output`` for tanh(c_t) (ONNX h, Keras
  ``activation`` again).

:func:`lstm_variant_step` is one step, one equation per line; :func:`lstm_layer_forward` and
:func:`lstm_layer_backward` run a sequence into preallocated arrays. Shapes: x (T, ..., D),
h (T+1, ..., P) and c (T+1, ..., H) with the initial state at index 0, gate arrays
(T, ..., 4H); P = H without a projection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from lstm_sim.engine.activations import SIGMOID, TANH, Activation, clip_derivative, clipped
from lstm_sim.engine.blocked_products import project_inputs
from lstm_sim.engine.gate_orders import (
    ENGINE_ORDER,
    ONNX_PEEPHOLE_ORDER,
    PEEPHOLE_ORDER,
    reorder_blocks,
    to_engine_order,
)
from lstm_sim.engine.network import named_arrays
from lstm_sim.engine.sequence_mask import check_mask, masked_outputs, output_gradient

LSTM_GATES = ENGINE_ORDER["lstm"]
"""i, f, g, o: the blocks of an LSTM layer's stacked rows."""

Coupling = Literal["none", "input_from_forget", "forget_from_input"]


def _check_shape(name: str, array: np.ndarray, shape: tuple[int, ...]) -> None:
    if array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {shape}")


@dataclass(frozen=True)
class LstmParameters:
    """One LSTM layer's weights by PyTorch name, blocks i, f, g, o.

    weight_ih (4H, D), weight_hh (4H, P), bias_ih and bias_hh (4H,); weight_hr (P, H) with
    a projection, else None (P = H); peephole (3H,) p_i, p_f, p_o, or None.
    """

    weight_ih: np.ndarray
    weight_hh: np.ndarray
    bias_ih: np.ndarray
    bias_hh: np.ndarray
    weight_hr: np.ndarray | None = None
    peephole: np.ndarray | None = None

    def __post_init__(self) -> None:
        rows = self.weight_ih.shape[0]
        if rows % 4 or self.weight_ih.ndim != 2:
            raise ValueError(f"weight_ih has shape {self.weight_ih.shape}, expected (4H, D)")
        hidden = rows // 4
        out = hidden if self.weight_hr is None else self.weight_hr.shape[0]
        if self.weight_hr is not None:
            _check_shape("weight_hr", self.weight_hr, (out, hidden))
        _check_shape("weight_hh", self.weight_hh, (rows, out))
        _check_shape("bias_ih", self.bias_ih, (rows,))
        _check_shape("bias_hh", self.bias_hh, (rows,))
        if self.peephole is not None:
            _check_shape("peephole", self.peephole, (3 * hidden,))

    @property
    def hidden_size(self) -> int:
        """H, the size of c and of each gate."""
        return int(self.weight_ih.shape[0] // 4)

    @property
    def output_size(self) -> int:
        """P, the size of h (H without a projection)."""
        return int(self.weight_hh.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.weight_ih.shape[1])

    def named(self) -> dict[str, np.ndarray]:
        """The arrays under their PyTorch names (``peephole`` has none there)."""
        return named_arrays(
            self.weight_ih,
            self.weight_hh,
            self.bias_ih,
            self.bias_hh,
            self.weight_hr,
            self.peephole,
        )

    def astype(self, dtype: np.dtype | type) -> LstmParameters:
        return LstmParameters(**{k: v.astype(dtype) for k, v in self.named().items()})

    @classmethod
    def from_onnx(
        cls, w: np.ndarray, r: np.ndarray, b: np.ndarray | None, p: np.ndarray | None
    ) -> LstmParameters:
        """One direction of an ONNX ``LSTM`` node: W (4H, D), R (4H, H), B (8H,) = [Wb, Rb],
        blocks i, o, f, c; P (3H,) i, o, f."""
        hidden = r.shape[-1]
        bias = np.zeros(8 * hidden, w.dtype) if b is None else b
        _check_shape("B", bias, (8 * hidden,))
        peephole = None
        if p is not None:
            _check_shape("P", p, (3 * hidden,))
            peephole = reorder_blocks(p, ONNX_PEEPHOLE_ORDER, PEEPHOLE_ORDER)
        return cls(
            to_engine_order(w, "lstm", "onnx"),
            to_engine_order(r, "lstm", "onnx"),
            to_engine_order(bias[: 4 * hidden], "lstm", "onnx"),
            to_engine_order(bias[4 * hidden :], "lstm", "onnx"),
            peephole=peephole,
        )

    @classmethod
    def from_keras(
        cls, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None
    ) -> LstmParameters:
        """A Keras ``LSTM`` cell's kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,),
        blocks i, f, c, o (Keras has one bias: b_hh is zero)."""
        rows = kernel.shape[1]
        bias_ih = np.zeros(rows, kernel.dtype) if bias is None else bias
        _check_shape("bias", bias_ih, (rows,))
        return cls(
            to_engine_order(kernel.T, "lstm", "keras"),
            to_engine_order(recurrent_kernel.T, "lstm", "keras"),
            to_engine_order(bias_ih, "lstm", "keras"),
            np.zeros(rows, bias_ih.dtype),
        )


@dataclass(frozen=True)
class LstmLayer:
    """An LSTM layer: its parameters and the options the frameworks store (see the module
    docstring); the defaults are PyTorch's cell."""

    params: LstmParameters
    coupling: Coupling = "none"
    clip: float | None = None
    gate: Activation = SIGMOID
    candidate: Activation = TANH
    cell_output: Activation = TANH

    def __post_init__(self) -> None:
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip must be positive, got {self.clip}")
        if self.coupling not in ("none", "input_from_forget", "forget_from_input"):
            raise ValueError(f"coupling {self.coupling!r} is not a coupling of i and f")

    @property
    def hidden_size(self) -> int:
        return self.params.hidden_size


# -- the reference step ------------------------------------------------------------------


@dataclass(frozen=True)
class LstmVariantStep:
    """Everything one step computed; ``a`` holds the pre-activations i, f, g, o with any
    peephole terms and before any clip; m = o ⊙ h(c) is h before the projection."""

    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    a: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    cell_out: np.ndarray
    m: np.ndarray
    h: np.ndarray


def lstm_variant_step(
    layer: LstmLayer, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray
) -> LstmVariantStep:
    """One step, x (D,), h_prev (P,), c_prev (H,), one equation per line."""
    p, clip = layer.params, layer.clip
    hidden = p.hidden_size
    p_i, p_f, p_o = np.split(p.peephole if p.peephole is not None else np.zeros(3 * hidden), 3)
    a = p.weight_ih @ x + p.bias_ih + p.weight_hh @ h_prev + p.bias_hh
    a_i, a_f, a_g, a_o = np.split(a, 4)
    a_i = a_i + p_i * c_prev  # the input gate peeks at c_{t-1}
    a_f = a_f + p_f * c_prev  # and so does the forget gate
    i = layer.gate(clipped(a_i, clip))
    f = layer.gate(clipped(a_f, clip))
    if layer.coupling == "input_from_forget":
        i = 1 - f  # write exactly what is forgotten
    elif layer.coupling == "forget_from_input":
        f = 1 - i  # forget exactly what is written
    g = layer.candidate(clipped(a_g, clip))
    c = f * c_prev + i * g
    a_o = a_o + p_o * c  # the output gate peeks at the new c_t
    o = layer.gate(clipped(a_o, clip))
    cell_out = layer.cell_output(c)
    m = o * cell_out
    h = m if p.weight_hr is None else p.weight_hr @ m  # the projection
    return LstmVariantStep(
        x, h_prev, c_prev, np.concatenate([a_i, a_f, a_g, a_o]), i, f, g, o, c, cell_out, m, h
    )


# -- the whole sequence ------------------------------------------------------------------


@dataclass
class LstmRecord:
    """Every intermediate of one LSTM layer over a sequence.

    x (T, ..., D); h (T+1, ..., P) and c (T+1, ..., H), the initial state at index 0;
    pre (T, ..., 4H) the pre-activations (peepholes in, clip not applied); act (T, ..., 4H)
    i, f, g, o; cell_out (T, ..., H) h(c_t), tanh(c_t) by default; m (T, ..., H)
    o ⊙ h(c_t) before the projection (None without one: it is h); mask (T, ...) or None,
    and zero_masked_outputs (see :mod:`lstm_sim.engine.sequence_mask`).
    """

    x: np.ndarray
    h: np.ndarray
    c: np.ndarray
    pre: np.ndarray
    act: np.ndarray
    cell_out: np.ndarray
    m: np.ndarray | None
    mask: np.ndarray | None
    zero_masked_outputs: bool = False

    @classmethod
    def allocate(
        cls,
        x: np.ndarray,
        params: LstmParameters,
        h0: np.ndarray | None,
        c0: np.ndarray | None,
        mask: np.ndarray | None,
    ) -> LstmRecord:
        steps, batch, hidden = x.shape[0], x.shape[1:-1], params.hidden_size
        h = np.empty((steps + 1, *batch, params.output_size), x.dtype)
        c = np.empty((steps + 1, *batch, hidden), x.dtype)
        if h0 is not None:
            _check_shape("h0", h0, h.shape[1:])
        if c0 is not None:
            _check_shape("c0", c0, c.shape[1:])
        h[0] = 0 if h0 is None else h0
        c[0] = 0 if c0 is None else c0
        gates = (steps, *batch, 4 * hidden)
        cells = (steps, *batch, hidden)
        m = None if params.weight_hr is None else np.empty(cells, x.dtype)
        pre, act = np.empty(gates, x.dtype), np.empty(gates, x.dtype)
        return cls(x, h, c, pre, act, np.empty(cells, x.dtype), m, mask)

    @property
    def output(self) -> np.ndarray:
        """(T, ..., P) what the layer hands on: h_t (zeros where the mask says)."""
        return masked_outputs(self.h, self.mask, self.zero_masked_outputs)

    def gate(self, name: str) -> np.ndarray:
        """The activations of block ``name`` (i, f, g or o), (T, ..., H)."""
        hidden = self.cell_out.shape[-1]
        k = LSTM_GATES.index(name)
        return self.act[..., k * hidden : (k + 1) * hidden]


def lstm_forward(
    layer: LstmLayer,
    x: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    zero_masked_outputs: bool = False,
) -> LstmRecord:
    """Run x (T, ..., D) through the layer from h0 (..., P), c0 (..., H), zeros when None,
    skipping the steps where ``mask`` (T, ...) is False."""
    if x.ndim < 2 or x.shape[-1] != layer.params.input_size:
        raise ValueError(f"x has shape {x.shape}, expected (T, ..., {layer.params.input_size})")
    record = LstmRecord.allocate(x, layer.params, h0, c0, check_mask(mask, x))
    record.zero_masked_outputs = zero_masked_outputs
    lstm_layer_forward(layer, record)
    return record


def lstm_layer_forward(layer: LstmLayer, record: LstmRecord, start: int = 0) -> None:
    """Fill steps ``start``..T-1 of ``record`` from its h and c at ``start``: after an edit
    of ``record.x`` (the caller's array, not a copy) at step ``start``, the rerun of its
    tail."""
    p, clip, dtype = layer.params, layer.clip, record.x.dtype
    hidden = p.hidden_size
    i_, f_, g_, o_ = (slice(k * hidden, (k + 1) * hidden) for k in range(4))
    peephole = None if p.peephole is None else np.split(p.peephole.astype(dtype), 3)
    project_inputs(p.weight_ih.astype(dtype, copy=False), record.x, record.pre[start:], start)
    record.pre[start:] += (p.bias_ih + p.bias_hh).astype(dtype, copy=False)
    w_hh = np.ascontiguousarray(p.weight_hh.T.astype(dtype, copy=False))  # (P, 4H)
    w_hr = None if p.weight_hr is None else np.ascontiguousarray(p.weight_hr.T.astype(dtype))
    mask = record.mask
    for t in range(start, record.x.shape[0]):
        h_prev, c_prev, a, act = record.h[t], record.c[t], record.pre[t], record.act[t]
        a += h_prev @ w_hh  # a_t = W_ih x_t + b_ih + b_hh + W_hh h_{t-1}
        if peephole is not None:
            a[..., i_] += peephole[0] * c_prev
            a[..., f_] += peephole[1] * c_prev
        act[..., i_.start : f_.stop] = layer.gate(clipped(a[..., i_.start : f_.stop], clip))
        if layer.coupling == "input_from_forget":
            act[..., i_] = 1 - act[..., f_]
        elif layer.coupling == "forget_from_input":
            act[..., f_] = 1 - act[..., i_]
        act[..., g_] = layer.candidate(clipped(a[..., g_], clip))
        c = act[..., f_] * c_prev + act[..., i_] * act[..., g_]  # c_t = f⊙c_{t-1} + i⊙g
        if peephole is not None:
            a[..., o_] += peephole[2] * c
        act[..., o_] = layer.gate(clipped(a[..., o_], clip))
        record.cell_out[t] = layer.cell_output(c)
        m = act[..., o_] * record.cell_out[t]  # o ⊙ h(c_t)
        if w_hr is not None:
            assert record.m is not None
            record.m[t] = m
            h = m @ w_hr  # h_t = W_hr m_t
        else:
            h = m
        if mask is None:
            record.h[t + 1], record.c[t + 1] = h, c
        else:  # a masked step carries h and c through
            read = mask[t][..., None]
            record.h[t + 1] = np.where(read, h, h_prev)
            record.c[t + 1] = np.where(read, c, c_prev)


@dataclass(frozen=True)
class LstmGradients:
    """dx (T, ..., D), dh0 (..., P), dc0 (..., H), params by the names of
    :meth:`LstmParameters.named`, and da (T, ..., 4H), the gradients of the pre-activations."""

    dx: np.ndarray
    dh0: np.ndarray
    dc0: np.ndarray
    params: dict[str, np.ndarray]
    da: np.ndarray


def _sum_outer(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Σ over every leading index of dy ⊗ x: (..., M), (..., N) → (M, N)."""
    return dy.reshape(-1, dy.shape[-1]).T @ x.reshape(-1, x.shape[-1])  # type: ignore[no-any-return]


def lstm_layer_backward(
    layer: LstmLayer,
    record: LstmRecord,
    doutput: np.ndarray,
    dh_last: np.ndarray | None = None,
    dc_last: np.ndarray | None = None,
    dh_all: np.ndarray | None = None,
    dc_all: np.ndarray | None = None,
) -> LstmGradients:
    """Backpropagation through time from the last step to the first.

    doutput: dL/d output_t (T, ..., P); dh_last, dc_last: dL/dh_T and dL/dc_T from beyond
    the sequence, zeros when None. ``dh_all`` (T, ..., P) and ``dc_all`` (T, ..., H), when
    given, receive the total gradient reaching h_t and c_t at every step.
    """
    p, clip, dtype = layer.params, layer.clip, record.x.dtype
    hidden = p.hidden_size
    if doutput.shape != record.h[1:].shape:
        raise ValueError(f"doutput has shape {doutput.shape}, expected {record.h[1:].shape}")
    i_, f_, g_, o_ = (slice(k * hidden, (k + 1) * hidden) for k in range(4))
    peephole = None if p.peephole is None else np.split(p.peephole.astype(dtype), 3)
    w_hh = p.weight_hh.astype(dtype, copy=False)
    w_hr = None if p.weight_hr is None else p.weight_hr.astype(dtype, copy=False)
    dy = output_gradient(doutput, record.mask, record.zero_masked_outputs)
    da = np.zeros_like(record.pre)
    dh_projected = None if w_hr is None else np.zeros_like(dy)  # dL/dh_t into W_hr
    dh_next = np.zeros_like(record.h[0]) if dh_last is None else dh_last.astype(dtype)
    dc_next = np.zeros_like(record.c[0]) if dc_last is None else dc_last.astype(dtype)
    for t in range(record.x.shape[0] - 1, -1, -1):
        dh, dc = dy[t] + dh_next, dc_next
        if dh_all is not None:
            dh_all[t] = dh
        if record.mask is not None:  # a masked step passed h and c through unchanged
            read = record.mask[t][..., None]
            carried_h, carried_c = np.where(read, 0, dh), np.where(read, 0, dc)
            dh, dc = dh - carried_h, dc - carried_c
        a, act, c_prev = record.pre[t], record.act[t], record.c[t]
        i, f, g, o = act[..., i_], act[..., f_], act[..., g_], act[..., o_]
        if w_hr is not None:
            assert dh_projected is not None
            dh_projected[t] = dh
            dm = dh @ w_hr  # h = W_hr m
        else:
            dm = dh
        c = f * c_prev + i * g
        do = dm * record.cell_out[t]
        dc = dc + dm * o * layer.cell_output.derivative(c, record.cell_out[t])
        da_o = do * layer.gate.derivative(clipped(a[..., o_], clip), o)
        da_o *= clip_derivative(a[..., o_], clip)
        if peephole is not None:
            dc = dc + da_o * peephole[2]  # a_o = ... + p_o ⊙ c_t
        if dc_all is not None:
            dc_all[t] = dc if record.mask is None else dc + carried_c
        di, df, dg = dc * g, dc * c_prev, dc * i
        if layer.coupling == "input_from_forget":
            df, di = df - di, np.zeros_like(di)  # i = 1 - f
        elif layer.coupling == "forget_from_input":
            di, df = di - df, np.zeros_like(df)  # f = 1 - i
        da[t, ..., i_] = di * layer.gate.derivative(clipped(a[..., i_], clip), i)
        da[t, ..., f_] = df * layer.gate.derivative(clipped(a[..., f_], clip), f)
        da[t, ..., g_] = dg * layer.candidate.derivative(clipped(a[..., g_], clip), g)
        da[t, ..., o_] = da_o
        if clip is not None:
            da[t, ..., : o_.start] *= clip_derivative(a[..., : o_.start], clip)
        dc_next = dc * f
        if peephole is not None:
            dc_next += peephole[0] * da[t, ..., i_] + peephole[1] * da[t, ..., f_]
        dh_next = da[t] @ w_hh
        if record.mask is not None:
            dh_next += carried_h
            dc_next += carried_c
    reduce = tuple(range(da.ndim - 1))
    params = {
        "weight_ih": _sum_outer(da, record.x),
        "weight_hh": _sum_outer(da, record.h[:-1]),
        "bias_ih": da.sum(axis=reduce),
        "bias_hh": da.sum(axis=reduce),
    }
    if dh_projected is not None:
        assert record.m is not None
        params["weight_hr"] = _sum_outer(dh_projected, record.m)
    if peephole is not None:
        c_prev_all, c_all = record.c[:-1], _cell_before_mask(record)
        params["peephole"] = np.concatenate(
            [
                (da[..., i_] * c_prev_all).sum(axis=reduce),
                (da[..., f_] * c_prev_all).sum(axis=reduce),
                (da[..., o_] * c_all).sum(axis=reduce),
            ]
        )
    dx = da @ p.weight_ih.astype(dtype, copy=False)
    return LstmGradients(dx, dh_next, dc_next, params, da)


def _cell_before_mask(record: LstmRecord) -> np.ndarray:
    """c_t as each step computed it (T, ..., H), before a mask carried c_{t-1} instead;
    the o peephole read this value (its gradient is zero at masked steps anyway)."""
    act, hidden = record.act, record.cell_out.shape[-1]
    i, f, g = act[..., :hidden], act[..., hidden : 2 * hidden], act[..., 2 * hidden : 3 * hidden]
    return f * record.c[:-1] + i * g  # type: ignore[no-any-return]
