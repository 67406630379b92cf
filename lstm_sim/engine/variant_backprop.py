"""Exact backpropagation through time for a network with variant layers (reverse and
bidirectional passes, projections, peepholes, coupled gates, clips, other activations, an
input mask), for one recorded sequence.

The loss is :mod:`lstm_sim.engine.backprop`'s (``"xent"`` on the logits, or on the top
layer's output without a readout; ``"mse"`` on what the network outputs). Each pass goes
back through its own kernel (:mod:`lstm_sim.engine.lstm_variants`,
:mod:`lstm_sim.engine.gru`, :mod:`lstm_sim.engine.rnn_variants`); a reverse pass gets its
record flipped into the order it ran, and the gradients it hands back are flipped into
time order again. The layer below hears the sum of both passes' dL/dx.
"""

from __future__ import annotations

import numpy as np

from lstm_sim.engine.backprop import Gradients, LossKind
from lstm_sim.engine.gru import GruLayer, GruRecord, gru_layer_backward
from lstm_sim.engine.head import head_backward, head_forward
from lstm_sim.engine.lstm_variants import LstmLayer, LstmRecord, lstm_layer_backward
from lstm_sim.engine.network import REVERSE_SUFFIX, Network
from lstm_sim.engine.rnn_variants import RnnRecord, rnn_record_backward
from lstm_sim.engine.trace import Trace
from lstm_sim.engine.variant_trace import KernelLayer, PassRecord, kernel_layer, pass_record


def _targets(targets: np.ndarray, loss: LossKind, steps: int, outputs: int) -> np.ndarray:
    """Targets as (T,) ids or (T, K) values, or ValueError naming the shape expected."""
    targets = np.asarray(targets)
    if loss == "xent" and targets.shape == (steps,):
        ids = targets.astype(np.intp)
        if ids.max(initial=-1) >= outputs or ids.min(initial=0) < -1:
            raise ValueError(
                f"targets hold ids {ids.min()}..{ids.max()}, expected -1..{outputs - 1}"
            )
        return ids
    if loss == "mse" and targets.shape in ((steps,), (steps, outputs)) and targets.size:
        values = targets.reshape(steps, -1)
        if values.shape[1] == outputs:
            return values
    expected = (steps,) if loss == "xent" else (steps, outputs)
    raise ValueError(f"targets have shape {targets.shape}, expected {expected} for {loss}")


def _softmax(z: np.ndarray) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def loss_gradient(
    z: np.ndarray, probs: np.ndarray | None, targets: np.ndarray, loss: LossKind
) -> tuple[np.ndarray, np.ndarray]:
    """(step_loss (T,), dL/dz (T, K)) with z the logits, or the top output without a
    readout; ``probs`` the softmax of a softmax readout, else None."""
    if loss == "xent":
        ignored = targets < 0
        picked = np.where(ignored, 0, targets)
        z_max = z.max(axis=-1, keepdims=True)
        log_sum = np.log(np.exp(z - z_max).sum(axis=-1)) + z_max[:, 0]
        step_loss = log_sum - z[np.arange(z.shape[0]), picked]  # -log softmax(z)[y]
        dz = _softmax(z)
        dz[np.arange(z.shape[0]), picked] -= 1.0  # softmax(z) - onehot(y)
        step_loss[ignored], dz[ignored] = 0.0, 0.0
        return step_loss, dz
    y = z if probs is None else probs
    diff = y - targets
    step_loss = (diff * diff).mean(axis=-1)
    dy = diff * (2.0 / diff.shape[-1])  # dL/dy = 2 (y - target) / K
    if probs is None:
        return step_loss, dy
    # through softmax: dL/dz = p ⊙ (dL/dp - Σ_k p_k dL/dp_k)
    return step_loss, probs * (dy - (dy * probs).sum(axis=-1, keepdims=True))


def pass_backward(
    layer: KernelLayer,
    record: PassRecord,
    doutput: np.ndarray,
    dh_all: np.ndarray,
    dc_all: np.ndarray | None,
) -> tuple[np.ndarray, tuple[np.ndarray, ...], dict[str, np.ndarray]]:
    """(dx, the initial state's gradients, the parameters' gradients) of one pass, in the
    order it ran; ``dh_all`` (and ``dc_all``) receive the total gradients of each step."""
    if isinstance(layer, LstmLayer):
        assert isinstance(record, LstmRecord)
        lstm = lstm_layer_backward(layer, record, doutput, dh_all=dh_all, dc_all=dc_all)
        return lstm.dx, (lstm.dh0, lstm.dc0), lstm.params
    if isinstance(layer, GruLayer):
        assert isinstance(record, GruRecord)
        gru = gru_layer_backward(layer, record, doutput, dh_all=dh_all)
        return gru.dx, (gru.dh0,), gru.params
    assert isinstance(record, RnnRecord)
    rnn = rnn_record_backward(layer, record, doutput, dh_all=dh_all)
    return rnn.dx, (rnn.dh0,), rnn.params


def variant_gradients(
    network: Network, trace: Trace, targets: np.ndarray, loss: LossKind
) -> Gradients:
    """Exact gradients of Σ_t loss_t for a trace of a network with variant layers.

    targets: (T,) token ids for ``"xent"`` (-1: no target), (T, K) values for ``"mse"``
    ((T,) when K = 1). dh, dc (L, T, P / H) and dh0, dc0 (L, P / H) are the forward
    passes'; ``dh_reverse`` and ``dc_reverse`` the reverse passes', in time order, for a
    network that has any.
    """
    steps, top = trace.num_steps, trace.layer_output(network.num_layers - 1)
    outputs = network.output_size or network.top_size
    wanted = _targets(targets, loss, steps, outputs)
    params = {name: np.zeros_like(value) for name, value in network.state_dict().items()}
    z = top if trace.logits is None else trace.logits
    step_loss, dz = loss_gradient(z, trace.probs, wanted, loss)
    dtop = dz
    if network.readout is not None:
        values = head_forward(network.head, top)
        params["readout.weight"][...] = dz.T @ values[-1]  # dW_out = Σ_t dz_t featuresᵀ
        params["readout.bias"][...] = dz.sum(axis=0)
        dtop, stage_grads = head_backward(network.head, values, dz @ network.readout.weight)
        for k, stage in enumerate(stage_grads):
            for part, grad in zip(("weight", "bias"), stage, strict=False):
                params[f"head.{k}.{part}"][...] = grad
    dh, dh_reverse = np.zeros_like(trace.h), np.zeros_like(trace.h)
    c_shape = None if trace.c_all is None else trace.c_all[:, 1:].shape
    dc = None if c_shape is None else np.zeros(c_shape, trace.x.dtype)
    dc_reverse = None if c_shape is None else np.zeros(c_shape, trace.x.dtype)
    dh0 = np.zeros_like(trace.h_all[:, 0])
    dc0 = None if trace.c_all is None else np.zeros_like(trace.c_all[:, 0])
    doutput = dtop
    for k in range(network.num_layers - 1, -1, -1):
        inputs = trace.layer_input(k)
        direction, width = trace.direction(k), network.h_size
        dx = np.zeros_like(inputs)
        if direction != "reverse":
            record = pass_record(trace, k, inputs, reverse=False)
            dc_k = None if dc is None else dc[k]
            dx_pass, dstate0, grads = pass_backward(
                kernel_layer(network, k), record, doutput[:, :width], dh[k], dc_k
            )
            dx += dx_pass
            dh0[k] = dstate0[0]
            if dc0 is not None:
                dc0[k] = dstate0[1]
            for name, grad in grads.items():
                params[f"{name}_l{k}"][...] = grad
        if direction != "forward":
            record = pass_record(trace, k, inputs, reverse=True)
            ran = np.flip(doutput[:, -width:], 0)
            dc_k = None if dc_reverse is None else np.flip(dc_reverse[k], 0)
            dx_pass, _, grads = pass_backward(
                kernel_layer(network, k, reverse=True), record, ran, np.flip(dh_reverse[k], 0), dc_k
            )
            dx += np.flip(dx_pass, 0)
            suffix = REVERSE_SUFFIX if direction == "bidirectional" else ""
            for name, grad in grads.items():
                params[f"{name}_l{k}{suffix}"][...] = grad
        doutput = dx
    if network.embedding is not None and trace.token_ids is not None:
        np.add.at(params["embedding.weight"], trace.token_ids, doutput)
    has_reverse = bool(trace.directions)
    return Gradients(
        loss=float(step_loss.sum(dtype=np.float64)),
        step_loss=step_loss,
        dh=dh,
        dh0=dh0,
        params=params,
        dc=dc,
        dc0=dc0,
        dh_reverse=dh_reverse if has_reverse else None,
        dc_reverse=dc_reverse if has_reverse else None,
    )
