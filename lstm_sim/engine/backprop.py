"""Exact backpropagation through time for every network the engine runs.

Losses (per step, summed over steps for a sequence):

- ``"xent"``: next-token cross-entropy, -log softmax(z_t)[y_t], on the readout's logits
  (whatever its kind) or, with no readout, on the last layer's h_t; a target of -1
  marks a step without one;
- ``"mse"``: mean over output units of (y_t - target_t)², where y_t is what the network
  outputs: the probabilities of a softmax readout, the logits of a linear one, or the
  last layer's h_t.

The recurrences run backwards one step at a time, but everything that does not depend on
the step before (the gates' local derivatives, the weight gradients summed over all
steps, the gradient passed to the layer below) is one vectorised operation over (T·B).
The same backward pass one equation per line, a step at a time, is
:func:`lstm_sim.engine.reference.backward`; the tests hold this module to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from lstm_sim.engine.batch import ForwardCache, cache_from_trace
from lstm_sim.engine.cells import softmax
from lstm_sim.engine.gates import split_gates
from lstm_sim.engine.gru import gru_recurrence_backward, gru_weight_hh_gradient
from lstm_sim.engine.head import head_backward, head_forward
from lstm_sim.engine.loops import Loops
from lstm_sim.engine.network import Network, gate_rows
from lstm_sim.engine.trace import Trace, gru_layer, gru_record

LossKind = Literal["xent", "mse"]
# Steps per slice of the LSTM's local derivatives: small enough that a slice is still in
# cache when the backward loop reaches it (16 was fastest at H=64, B=32: 0.65 ms per
# minibatch against 0.89 ms for all 64 steps at once).
LOCAL_CHUNK = 16
LOSSES: tuple[LossKind, ...] = ("xent", "mse")


@dataclass
class Gradients:
    """The loss and its gradients.

    From :func:`gradients` (one sequence): step_loss (T,), dh and dc (L, T, H), dh0 and
    dc0 (L, H). From :func:`backward` (a minibatch) the same with a batch axis after time:
    (T, B), (L, T, B, H), (L, B, H).

    dh[l, t] is the total gradient reaching h_t of layer l: from the loss at step t (or
    from layer l+1), and from step t+1 through the recurrence. dc likewise for c_t of an
    LSTM (None for a simple RNN). ``params`` holds dL/dθ under the names of
    ``Network.state_dict()``. A network with reverse passes also has ``dh_reverse`` and
    ``dc_reverse``, the reverse passes' totals in time order
    (:mod:`lstm_sim.engine.variant_backprop`).
    """

    loss: float
    step_loss: np.ndarray
    dh: np.ndarray
    dh0: np.ndarray
    params: dict[str, np.ndarray]
    dc: np.ndarray | None = None
    dc0: np.ndarray | None = None
    dh_reverse: np.ndarray | None = None
    dc_reverse: np.ndarray | None = None

    @property
    def norm(self) -> float:
        """The global L2 norm of all parameter gradients together."""
        return float(np.sqrt(sum(float(np.vdot(g, g)) for g in self.params.values())))


class BackwardBuffers:
    """Arrays for the backward pass of minibatches of one shape, allocated once."""

    def __init__(self, network: Network, steps: int, batch: int) -> None:
        layers, hidden, dtype = network.num_layers, network.hidden_size, network.dtype
        rows = gate_rows(network.kind) * hidden
        outputs = network.output_size or hidden
        self.shape = (steps, batch)
        self.dh = np.empty((layers, steps, batch, hidden), dtype)
        self.dc = np.empty_like(self.dh) if network.kind == "lstm" else None
        self.dh0 = np.empty((layers, batch, hidden), dtype)
        self.dc0 = np.empty_like(self.dh0) if network.kind == "lstm" else None
        self.dpre = np.empty((steps, batch, rows), dtype)
        self.local = np.empty((steps, batch, rows), dtype)  # ∂(c_t or h_t)/∂a_t per gate
        self.dtanh = np.empty((steps, batch, hidden), dtype)  # ∂h_t/∂c_t = o ⊙ (1 - tanh²c)
        self.carry = np.empty((batch, hidden), dtype)
        self.dz = np.empty((steps, batch, outputs), dtype)
        self.dh_out = np.empty((steps, batch, hidden), dtype)
        self.step_loss = np.empty((steps, batch), dtype)
        self.params = {k: np.empty_like(v) for k, v in network.state_dict().items()}


def next_token_targets(network: Network, trace: Trace) -> np.ndarray | None:
    """Next-token targets for a run on token ids through a model whose outputs are its
    tokens: step t is scored on token t+1, the last step on none (-1); None otherwise."""
    language_model = network.output_size is not None and network.output_size == network.num_tokens
    if trace.token_ids is None or not language_model:
        return None
    return np.append(trace.token_ids[1:], -1)


def default_loss(network: Network, trace: Trace) -> LossKind:
    """Cross-entropy for a softmax readout or token input, squared error otherwise."""
    softmax = network.readout is not None and network.readout.kind == "softmax"
    return "xent" if softmax or trace.token_ids is not None else "mse"


def check_targets(
    network: Network, targets: np.ndarray, loss: str, shape: tuple[int, int]
) -> np.ndarray:
    """``targets`` as the backward pass reads them, or ValueError naming what is wrong.

    shape: (T, B). xent wants token ids (T, B) below the number of outputs, -1 where a
    step has no target (it adds nothing to the loss); mse wants values (T, B, K), K the
    number of outputs (readout size, else H).
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    outputs = network.output_size or network.hidden_size
    targets = np.asarray(targets)
    if loss == "xent":
        if targets.shape != shape:
            raise ValueError(f"targets have shape {targets.shape}, expected token ids {shape}")
        whole = np.issubdtype(targets.dtype, np.integer) or (
            np.all(np.isfinite(targets)) and np.all(targets == np.round(targets))
        )
        if not whole:
            raise ValueError(
                f"targets of shape {targets.shape} must be whole token ids for "
                f"cross-entropy, got {targets.dtype} values with fractions"
            )
        ids = targets.astype(np.intp)
        if ids.size and (ids.min() < -1 or ids.max() >= outputs):
            raise ValueError(
                f"targets of shape {targets.shape} hold ids {ids.min()}..{ids.max()}, "
                f"expected 0..{outputs - 1} (or -1 for no target)"
            )
        return ids
    expected = (*shape, outputs)
    if targets.shape == shape and outputs == 1:
        targets = targets[..., None]
    if targets.shape != expected:
        raise ValueError(f"targets have shape {targets.shape}, expected {expected}")
    values = targets.astype(network.dtype)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"targets of shape {targets.shape} hold NaN or infinite values")
    return values


def _output_gradient(
    cache: ForwardCache, targets: np.ndarray, loss: str, scale: float, buffers: BackwardBuffers
) -> float:
    """Write the per-step losses and dL/dz (z: logits, or h with no readout) into buffers;
    return scale · Σ step losses."""
    dz, step_loss = buffers.dz, buffers.step_loss
    if loss == "xent":
        ignored = targets < 0
        targets = np.where(ignored, 0, targets)
        dz_flat = dz.reshape(-1, dz.shape[-1])
        picked = (np.arange(dz_flat.shape[0]), targets.ravel())
        if not _xent_from_probs(cache.probs, picked, scale, dz_flat, step_loss):
            _xent_from_logits(cache, targets, scale, dz, step_loss)
            dz_flat[picked] -= scale  # dL/dz = softmax(z) - onehot(y), times scale
        if ignored.any():
            step_loss[ignored] = 0.0
            dz[ignored] = 0.0
        return float(scale * step_loss.sum(dtype=np.float64))
    y = cache.output()
    np.subtract(y, targets, out=dz)
    np.einsum("tbk,tbk->tb", dz, dz, out=step_loss)
    step_loss /= dz.shape[-1]
    dz *= 2.0 / dz.shape[-1]  # dL/dy = 2 (y - target) / K
    if cache.probs is not None:
        # through softmax: dL/dz = p ⊙ (dL/dp - Σ_k p_k dL/dp_k)
        p = cache.probs
        dz -= np.einsum("tbk,tbk->tb", dz, p)[..., None]
        dz *= p
    dz *= scale
    return float(scale * step_loss.sum(dtype=np.float64))


def _xent_from_probs(
    probs: np.ndarray | None,
    picked: tuple[np.ndarray, np.ndarray],
    scale: float,
    dz_flat: np.ndarray,
    step_loss: np.ndarray,
) -> bool:
    """Cross-entropy from the softmax the forward pass already took: -log p_y, and
    dz = scale · (p - onehot(y)) (N, K). False, writing nothing, when there are no
    probabilities or a target's probability underflowed (then -log p_y would be inf
    where logsumexp(z) - z_y is finite)."""
    if probs is None:
        return False
    p_target = probs.reshape(dz_flat.shape)[picked]
    if p_target.size and p_target.min() < np.finfo(p_target.dtype).tiny:
        return False
    np.log(p_target, out=step_loss.reshape(-1))
    np.negative(step_loss, out=step_loss)
    np.multiply(probs.reshape(dz_flat.shape), scale, out=dz_flat)
    dz_flat[picked] -= scale
    return True


def _xent_from_logits(
    cache: ForwardCache, targets: np.ndarray, scale: float, dz: np.ndarray, step_loss: np.ndarray
) -> None:
    """-log softmax(z)[y] = logsumexp(z) - z_y into step_loss (T, B), shifted by max z so
    exp never overflows, and scale · softmax(z) into dz (T, B, K); z: the logits, or h
    with no readout."""
    z = cache.logits if cache.logits is not None else cache.h_all[-1, 1:]
    z_max = z.max(axis=-1, keepdims=True)
    np.subtract(z, z_max, out=dz)
    np.exp(dz, out=dz)
    np.log(dz.sum(axis=-1), out=step_loss)
    step_loss += z_max[..., 0]
    step_loss -= np.take_along_axis(z, targets[..., None], axis=-1)[..., 0]
    if cache.probs is not None:
        dz[...] = cache.probs
    else:
        softmax(z, out=dz)
    dz *= scale


def lstm_local_derivatives(
    act: np.ndarray, c_prev: np.ndarray, tanh_c: np.ndarray, local: np.ndarray, dtanh: np.ndarray
) -> None:
    """The derivatives of one LSTM step that do not depend on the steps after it.

    act: (..., 4H) gate activations i, f, g, o; c_prev, tanh_c: (..., H). Writes
    ``local`` (..., 4H) = ∂c_t/∂a for the i, f, g blocks and ∂h_t/∂a_o for the o block,
    and ``dtanh`` (..., H) = ∂h_t/∂c_t.
    """
    i, _, g, o = split_gates(act)
    li, lf, lg, lo = split_gates(local)
    # σ' = σ(1-σ) for every block at once (contiguous), then the g block's tanh' = 1 - g²
    np.subtract(1.0, act, out=local)
    local *= act
    np.multiply(g, g, out=lg)
    np.subtract(1.0, lg, out=lg)
    li *= g  # ∂c_t/∂a_i = g ⊙ σ'(a_i)
    lf *= c_prev  # ∂c_t/∂a_f = c_{t-1} ⊙ σ'(a_f)
    lg *= i  # ∂c_t/∂a_g = i ⊙ tanh'(a_g)
    lo *= tanh_c  # ∂h_t/∂a_o = tanh(c_t) ⊙ σ'(a_o)
    np.multiply(tanh_c, tanh_c, out=dtanh)
    np.subtract(1.0, dtanh, out=dtanh)
    dtanh *= o  # ∂h_t/∂c_t = o ⊙ (1 - tanh²c_t)


def lstm_layer_backward(
    weight_hh: np.ndarray,
    c_all: np.ndarray,
    act: np.ndarray,
    tanh_c: np.ndarray,
    dh_out: np.ndarray,
    buffers: BackwardBuffers,
    layer: int,
) -> None:
    """Backward through one LSTM layer's recurrence.

    dh_out: (T, B, H) gradient arriving at h_t from the loss or the layer above. Writes
    the totals dh, dc (T, B, H), dpre = dL/da_t (T, B, 4H) and dh0, dc0 (B, H).
    Equals :func:`lstm_sim.engine.reference.lstm_step_backward` in a loop.
    """
    steps, batch, rows = act.shape
    hidden = rows // 4
    dh, dc, dpre = buffers.dh[layer], buffers.dc[layer], buffers.dpre  # type: ignore[index]
    local, dtanh, carry = buffers.local, buffers.dtanh, buffers.carry
    _, f, _, _ = split_gates(act)
    dpre4 = dpre.reshape(steps, batch, 4, hidden)
    local4 = local.reshape(steps, batch, 4, hidden)
    dpre_ifg, local_ifg = dpre4[:, :, :3], local4[:, :, :3]
    dpre_o, local_o = dpre4[:, :, 3], local4[:, :, 3]
    dc_wide = dc[:, :, None, :]  # (T, B, 1, H): one product serves the i, f, g blocks
    dot, add, multiply = np.dot, np.add, np.multiply
    for end in range(steps, 0, -LOCAL_CHUNK):
        begin = max(end - LOCAL_CHUNK, 0)
        # The steps' local derivatives, just before the loop reads them: a chunk still
        # sits in cache, where one pass over all T steps would not.
        span = slice(begin, end)
        lstm_local_derivatives(act[span], c_all[span], tanh_c[span], local[span], dtanh[span])
        last = end == steps
        if last:  # step T-1: nothing flows back from a later step
            dh[-1] = dh_out[-1]
            multiply(dh[-1], dtanh[-1], out=dc[-1])
            multiply(dc_wide[-1], local_ifg[-1], out=dpre_ifg[-1])
            multiply(dh[-1], local_o[-1], out=dpre_o[-1])
        top = end - 2 if last else end - 1  # the chunk's first step t in the loop
        if top < begin:
            continue
        now = slice(top, begin - 1 if begin else None, -1)  # t, from the top down
        later = slice(top + 1, begin, -1)  # t + 1
        # zip hands out every step's views from C, cheaper than indexing per step.
        for dh_t, dh_out_t, dtanh_t, dc_t, dc_wide_t, dc_next, f_next, dpre_next, *blocks in zip(
            dh[now],
            dh_out[now],
            dtanh[now],
            dc[now],
            dc_wide[now],
            dc[later],
            f[later],
            dpre[later],
            local_ifg[now],
            dpre_ifg[now],
            local_o[now],
            dpre_o[now],
            strict=True,
        ):
            local_ifg_t, dpre_ifg_t, local_o_t, dpre_o_t = blocks
            dot(dpre_next, weight_hh, dh_t)
            add(dh_t, dh_out_t, dh_t)  # dL/dh_t = from above + W_hh^T dL/da_{t+1}
            multiply(dh_t, dtanh_t, dc_t)
            multiply(dc_next, f_next, carry)
            add(dc_t, carry, dc_t)  # dL/dc_t = via h_t + f_{t+1} ⊙ dL/dc_{t+1}
            # i, f, g act through c_t; o through h_t
            multiply(dc_wide_t, local_ifg_t, dpre_ifg_t)
            multiply(dh_t, local_o_t, dpre_o_t)
    np.matmul(dpre[0], weight_hh, out=buffers.dh0[layer])
    np.multiply(dc[0], f[0], out=buffers.dc0[layer])  # type: ignore[index]


def rnn_layer_backward(
    weight_hh: np.ndarray,
    h: np.ndarray,
    pre: np.ndarray,
    nonlinearity: str,
    dh_out: np.ndarray,
    buffers: BackwardBuffers,
    layer: int,
) -> None:
    """Backward through one simple RNN layer's recurrence.

    h, pre: (T, B, H) outputs and pre-activations; dh_out: (T, B, H) gradient arriving
    from the loss or the layer above. Writes dh (T, B, H), dpre (T, B, H) and dh0 (B, H).
    Equals :func:`lstm_sim.engine.reference.rnn_step_backward` in a loop.
    """
    steps = h.shape[0]
    dh, dpre, deriv = buffers.dh[layer], buffers.dpre, buffers.local
    if nonlinearity == "tanh":
        np.multiply(h, h, out=deriv)
        np.subtract(1.0, deriv, out=deriv)  # tanh'(a) = 1 - h²
    else:
        np.greater(pre, 0.0, out=deriv)  # relu'(a) = [a > 0]
    for t in range(steps - 1, -1, -1):
        if t == steps - 1:
            dh[t] = dh_out[t]
        else:
            np.matmul(dpre[t + 1], weight_hh, out=dh[t])
            dh[t] += dh_out[t]
        np.multiply(dh[t], deriv[t], out=dpre[t])
    np.matmul(dpre[0], weight_hh, out=buffers.dh0[layer])


def gru_backward_into(
    network: Network, cache: ForwardCache, layer: int, buffers: BackwardBuffers
) -> None:
    """Backward through GRU layer ``layer`` by
    :func:`~lstm_sim.engine.gru.gru_recurrence_backward`, from ``buffers.dh_out`` (what
    reaches its outputs), which then holds what reaches the layer below (for layer 0 it is
    left as it was). Writes the layer's parameter gradients, dh (dL/dh_t: the loss's or
    the layer above's share plus what step t+1 sends back), dh0 and dpre (dL/da_t)."""
    cell = gru_layer(network, layer)
    record = gru_record(cache, cache.layer_input(layer), layer)
    da, drec, dh0 = gru_recurrence_backward(cell, record, buffers.dh_out, dh_all=buffers.dh[layer])
    buffers.dpre[...] = da
    buffers.dh0[layer] = dh0
    params, flat = buffers.params, cache.num_steps * cache.batch_size
    da_flat = buffers.dpre.reshape(flat, -1)
    params[f"weight_hh_l{layer}"][...] = gru_weight_hh_gradient(cell, record, drec)
    np.sum(da_flat, axis=0, out=params[f"bias_ih_l{layer}"])
    np.sum(drec.reshape(flat, -1), axis=0, out=params[f"bias_hh_l{layer}"])
    weight_ih = network.layers[layer].weight_ih
    if layer == 0 and cache.token_ids:
        scratch = buffers.local.reshape(flat, -1)
        one_hot_weight_gradient(cache.inputs, da_flat, params["weight_ih_l0"], scratch)
    else:
        inputs_flat = cache.layer_input(layer).reshape(flat, -1)
        np.matmul(da_flat.T, inputs_flat, out=params[f"weight_ih_l{layer}"])
    if layer > 0:
        # The layer below only hears from this layer: dL/dh^{l-1}_t = W_ihᵀ dL/da^l_t
        np.matmul(da_flat, weight_ih, out=buffers.dh_out.reshape(flat, -1))


def one_hot_weight_gradient(
    ids: np.ndarray, dpre_flat: np.ndarray, out: np.ndarray, scratch: np.ndarray
) -> None:
    """dW_ih = Σ_t dL/da_t x_tᵀ over all steps and sequences, into ``out`` (G*H, D), for
    one-hot x_t: the token ids (T, B). ``scratch``: a free (T·B, G*H) buffer."""
    # Column y of dW_ih sums dL/da_t over the steps whose token is y. Sorting the rows by
    # token makes each sum one reduction over a contiguous block: 1.7x faster than a
    # product with the one-hot matrix at V = 96 (which costs T·B·G·H·V multiply-adds),
    # 4-7x faster than a scatter-add (np.add.at, np.add.reduceat).
    ids = ids.ravel()
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    np.take(dpre_flat, order, axis=0, out=scratch, mode="clip")
    bounds = np.flatnonzero(sorted_ids[1:] != sorted_ids[:-1]) + 1
    columns = np.zeros(out.shape[::-1], out.dtype)  # dW_ihᵀ: each sum lands in a row
    for begin, end in zip(np.r_[0, bounds], np.r_[bounds, ids.size], strict=True):
        np.add.reduce(scratch[begin:end], axis=0, out=columns[sorted_ids[begin]])
    out[...] = columns.T


def _head_backward(
    network: Network, cache: ForwardCache, buffers: BackwardBuffers, flat: int
) -> None:
    """dL/dh and the head's and readout's gradients for logits = W_out head(h) + b."""
    assert network.readout is not None
    params = buffers.params
    dz_flat = buffers.dz.reshape(flat, -1)
    values = head_forward(network.head, cache.h_all[-1, 1:].reshape(flat, -1))
    np.matmul(dz_flat.T, values[-1], out=params["readout.weight"])
    np.sum(dz_flat, axis=0, out=params["readout.bias"])
    dh, stage_grads = head_backward(network.head, values, dz_flat @ network.readout.weight)
    buffers.dh_out.reshape(flat, -1)[...] = dh
    for k, grads in enumerate(stage_grads):
        for part, grad in zip(("weight", "bias"), grads, strict=False):
            params[f"head.{k}.{part}"][...] = grad


def _embedding_backward(
    network: Network, cache: ForwardCache, dpre_flat: np.ndarray, out: np.ndarray
) -> None:
    """dL/dE: row v sums dL/dx_t = W_ih_l0ᵀ dL/da_t over the steps whose token is v.
    Zero when the cache does not know which rows the inputs were."""
    out[...] = 0.0
    if cache.embedding_ids is None:
        return
    dx = dpre_flat @ network.layers[0].weight_ih  # (T·B, D)
    np.add.at(out, cache.embedding_ids.ravel(), dx)


def backward(
    network: Network,
    cache: ForwardCache,
    targets: np.ndarray,
    loss: LossKind,
    buffers: BackwardBuffers | None = None,
    scale: float = 1.0,
    activity_l1: float = 0.0,
    loops: Loops | None = None,
    dh_extra: np.ndarray | None = None,
) -> Gradients:
    """Gradients of ``scale`` · Σ_{t, b} (loss_t,b + ``activity_l1`` · Σ_j |h_t,b,j|) for a
    minibatch ``forward`` recorded, h being the top layer's output; the returned ``loss``
    leaves the activity penalty out, so it stays comparable between runs.

    dh_extra: (T, B, H), the gradient of a further loss term with respect to the top
    layer's outputs h_t, already scaled, added to what the loss sends back (a training
    signal on chosen units); that term is not in the returned ``loss`` either.

    targets: (T, B) token ids for xent, (T, B, K) values for mse. The returned arrays
    are views of ``buffers`` (allocated here when None): copy what must outlive the next
    call with the same buffers. ``loops``: what runs the loops over steps, NumPy when None.
    """
    steps, batch = cache.num_steps, cache.batch_size
    if buffers is None or buffers.shape != (steps, batch):
        buffers = BackwardBuffers(network, steps, batch)
    targets = check_targets(network, targets, loss, (steps, batch))
    total = _output_gradient(cache, targets, loss, scale, buffers)
    params = buffers.params
    flat = steps * batch
    dh_out = buffers.dh_out
    if network.readout is None:
        dh_out[...] = buffers.dz
    elif not network.head:
        # logits = W_out h + b: dL/dh = W_outᵀ dL/dz, dW_out = Σ dL/dz hᵀ
        dz_flat = buffers.dz.reshape(flat, -1)
        h_flat = cache.h_all[-1, 1:].reshape(flat, -1)
        np.matmul(dz_flat, network.readout.weight, out=dh_out.reshape(flat, -1))
        np.matmul(dz_flat.T, h_flat, out=params["readout.weight"])
        np.sum(dz_flat, axis=0, out=params["readout.bias"])
    else:
        _head_backward(network, cache, buffers, flat)
    if activity_l1:
        # d|h|/dh = sign(h): a steady pull towards zero that leaves a unit free to be
        # strongly on where it is needed, which makes units more single-purpose.
        dh_out += (activity_l1 * scale) * np.sign(cache.h_all[-1, 1:])
    if dh_extra is not None:
        if dh_extra.shape != dh_out.shape:
            raise ValueError(f"dh_extra has shape {dh_extra.shape}, expected {dh_out.shape}")
        dh_out += dh_extra
    lstm_loop = lstm_layer_backward if loops is None else loops.lstm_backward
    rnn_loop = rnn_layer_backward if loops is None else loops.rnn_backward
    one_hot_loop = one_hot_weight_gradient if loops is None else loops.one_hot_weight_gradient
    dpre_flat = buffers.dpre.reshape(flat, -1)
    dpre_flat_scratch = buffers.local.reshape(flat, -1)  # free once a layer's loop is done
    for k in range(network.num_layers - 1, -1, -1):
        layer = network.layers[k]
        if network.kind == "gru":
            gru_backward_into(network, cache, k, buffers)
            continue
        if network.kind == "lstm":
            assert cache.c_all is not None and cache.act is not None and cache.tanh_c is not None
            lstm_loop(
                layer.weight_hh, cache.c_all[k], cache.act[k], cache.tanh_c[k], dh_out, buffers, k
            )
        else:
            rnn_loop(
                layer.weight_hh,
                cache.h_all[k, 1:],
                cache.pre[k],
                cache.nonlinearity,
                dh_out,
                buffers,
                k,
            )
        # Weight gradients summed over every step: one matrix product each.
        h_prev_flat = cache.h_all[k, :-1].reshape(flat, -1)
        np.matmul(dpre_flat.T, h_prev_flat, out=params[f"weight_hh_l{k}"])
        if k == 0 and cache.token_ids:
            one_hot_loop(cache.inputs, dpre_flat, params["weight_ih_l0"], dpre_flat_scratch)
        else:
            inputs_flat = cache.layer_input(k).reshape(flat, -1)
            np.matmul(dpre_flat.T, inputs_flat, out=params[f"weight_ih_l{k}"])
        np.sum(dpre_flat, axis=0, out=params[f"bias_ih_l{k}"])
        params[f"bias_hh_l{k}"][...] = params[f"bias_ih_l{k}"]
        if k > 0:
            # The layer below only hears from this layer: dL/dh^{l-1}_t = W_ihᵀ dL/da^l_t
            np.matmul(dpre_flat, layer.weight_ih, out=dh_out.reshape(flat, -1))
    if network.embedding is not None:
        _embedding_backward(network, cache, dpre_flat, params["embedding.weight"])
    return Gradients(
        loss=total,
        step_loss=buffers.step_loss,
        dh=buffers.dh,
        dh0=buffers.dh0,
        params=params,
        dc=buffers.dc,
        dc0=buffers.dc0,
    )


def gradients(network: Network, trace: Trace, targets: np.ndarray, loss: LossKind) -> Gradients:
    """Exact gradients of the sequence loss Σ_t loss_t for a recorded trace.

    targets: (T,) token ids for ``"xent"`` (-1: no target at that step); (T, K) values
    for ``"mse"`` ((T,) when K = 1), K the readout's size or, with no readout, H.
    Returns fresh arrays: step_loss (T,), dh and dc (L, T, H), dh0 and dc0 (L, H), and
    parameter gradients by PyTorch name.
    """
    if not network.is_plain:
        # Imported here: variant_backprop builds on this module's Gradients.
        from lstm_sim.engine.variant_backprop import variant_gradients

        return variant_gradients(network, trace, targets, loss)
    if network.kind != trace.kind or network.num_layers != trace.num_layers:
        raise ValueError(
            f"trace is of a {trace.num_layers}-layer {trace.kind}, the network a "
            f"{network.num_layers}-layer {network.kind}"
        )
    if trace.hidden_size != network.hidden_size or trace.x.dtype != network.dtype:
        raise ValueError(
            f"trace h_all has shape {trace.h_all.shape} and dtype {trace.x.dtype}; the "
            f"network has H={network.hidden_size} and dtype {network.dtype}"
        )
    if (trace.logits is None) != (network.readout is None):
        raise ValueError("the trace and the network disagree on having a readout")
    steps = trace.num_steps
    outputs = network.output_size or network.hidden_size
    targets = np.asarray(targets)
    if loss == "mse" and targets.shape == (steps,) and outputs == 1:
        targets = targets.reshape(steps, 1, 1)
    elif loss == "mse" and targets.shape == (steps, outputs):
        targets = targets.reshape(steps, 1, outputs)
    elif loss == "xent" and targets.shape == (steps,):
        targets = targets.reshape(steps, 1)
    else:
        expected = (steps,) if loss == "xent" else (steps, outputs)
        raise ValueError(f"targets have shape {targets.shape}, expected {expected} for {loss}")
    cache = cache_from_trace(trace, network.nonlinearity)
    result = backward(network, cache, targets, loss)

    def single(array: np.ndarray, axis: int) -> np.ndarray:
        return np.asarray(np.take(array, 0, axis=axis))

    return Gradients(
        loss=result.loss,
        step_loss=single(result.step_loss, 1),
        dh=single(result.dh, 2),
        dh0=single(result.dh0, 1),
        params={k: v.copy() for k, v in result.params.items()},
        dc=None if result.dc is None else single(result.dc, 2),
        dc0=None if result.dc0 is None else single(result.dc0, 1),
    )
