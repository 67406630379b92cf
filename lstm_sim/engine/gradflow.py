"""How much of a late state's gradient reaches earlier steps: the vanishing gradient, measured.

For an end step T and every earlier step t of one layer, :func:`gradient_flow` gives

- the Frobenius norm of the Jacobian ∂h_T/∂h_t through the layer's recurrence;
- for an LSTM, the norm of ∂c_T/∂c_t, and the product of forget gates f_{t+1}⊙…⊙f_T,
  the factor by which the cell state's own path (the conveyor belt, with no detour
  through h) carries c_t to c_T;
- for a GRU, the product of update gates z_{t+1}⊙…⊙z_T, the factor by which h's own
  path (h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}, no detour through the gates) carries h_t
  to h_T.

An LSTM's state at step t is the pair (h_t, c_t); ∂h_T/∂h_t holds c_t fixed and
∂c_T/∂c_t holds h_t fixed, and both count every path between them (through h and c at
every step in between). In a stacked network nothing flows back down, so a layer's state
at t reaches its own state at T only through that layer's recurrence: the Jacobian of
layer l is exact with the other layers' states as they were recorded. At t = T the
Jacobian is the identity, of norm √H.

All rows of the Jacobian travel back together, one (S, G·H) × (G·H, H) product per step
with S = H seeds (2H for an LSTM: h_T's units and c_T's units); a GRU's three blocks are
three (H, H) × (H, H) products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.backprop import lstm_local_derivatives
from lstm_sim.engine.gates import split_gates
from lstm_sim.engine.gru import GruRecord
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace, gru_layer, gru_record


@dataclass(frozen=True)
class GradientFlow:
    """Gradient flow into one layer's state at step ``end`` from the steps before it.

    steps: (n,) the steps t = start..end the other arrays are indexed by.
    dh_norm: (n,) ‖∂h_T/∂h_t‖_F. dc_norm: (n,) ‖∂c_T/∂c_t‖_F for an LSTM, else None.
    forget_product: (n, H) Π_{s=t+1}^{T} f_s per unit (1 at t = T), None for an RNN.
    forget_mean: (n,) the mean over units of ``forget_product``, None for an RNN.
    A GRU's ``forget_product`` and ``forget_mean`` are those of its update gate z, the gate
    that keeps h_{t-1} as f keeps c_{t-1}; ``dc_norm`` is None (no cell).
    """

    layer: int
    end: int
    steps: np.ndarray
    dh_norm: np.ndarray
    dc_norm: np.ndarray | None = None
    forget_product: np.ndarray | None = None
    forget_mean: np.ndarray | None = None


def gradient_flow(
    network: Network, trace: Trace, end: int, layer: int = 0, window: int | None = None
) -> GradientFlow:
    """Jacobian norms from ``layer``'s state at step ``end`` back to every earlier step.

    window: how many steps back to go (all the way to step 0 when None); the cost grows
    with it, one (S, G·H) × (G·H, H) matrix product per step.
    """
    network.refuse_variants("gradient flow")
    if network.kind != trace.kind or network.num_layers != trace.num_layers:
        raise ValueError(
            f"trace is of a {trace.num_layers}-layer {trace.kind}, the network a "
            f"{network.num_layers}-layer {network.kind}"
        )
    if not 0 <= end < trace.num_steps:
        raise ValueError(f"end step {end} is out of range for a sequence of {trace.num_steps}")
    if not 0 <= layer < trace.num_layers:
        raise ValueError(f"layer {layer} is out of range for {trace.num_layers} layers")
    if window is not None and window < 0:
        raise ValueError(f"window must be 0 or more steps, got {window}")
    start = 0 if window is None else max(0, end - window)
    steps = np.arange(start, end + 1)
    weight_hh = network.layers[layer].weight_hh
    if network.kind == "rnn":
        dh_norm = _rnn_flow(trace, layer, start, end, weight_hh, network.nonlinearity)
        return GradientFlow(layer, end, steps, dh_norm)
    dc_norm: np.ndarray | None = None
    if network.kind == "gru":
        dh_norm = _gru_flow(
            gru_record(trace, trace.layer_input(layer), layer), network, layer, start, end
        )
        f = trace.gate("z")[layer, start + 1 : end + 1]  # z_{start+1} .. z_T
    else:
        dh_norm, dc_norm = _lstm_flow(trace, layer, start, end, weight_hh)
        f = trace.gate("f")[layer, start + 1 : end + 1]  # f_{start+1} .. f_T
    forget_product = np.ones((len(steps), trace.hidden_size), trace.x.dtype)
    # Π_{s=t+1}^{T} f_s: cumulative product from T backwards
    forget_product[:-1] = np.cumprod(f[::-1], axis=0)[::-1]
    return GradientFlow(
        layer, end, steps, dh_norm, dc_norm, forget_product, forget_product.mean(axis=1)
    )


def _rnn_flow(
    trace: Trace, layer: int, start: int, end: int, weight_hh: np.ndarray, nonlinearity: str
) -> np.ndarray:
    """‖∂h_T/∂h_t‖_F for t = start..end of a simple RNN layer."""
    hidden = trace.hidden_size
    h = trace.h[layer]
    if nonlinearity == "tanh":
        deriv = 1.0 - h[start + 1 : end + 1] ** 2  # tanh'(a_s) = 1 - h_s²
    else:
        deriv = (trace.pre[layer, start + 1 : end + 1] > 0).astype(h.dtype)
    norms = np.empty(end - start + 1)
    jacobian = np.eye(hidden, dtype=h.dtype)  # rows: units of h_T; columns: units of h_t
    norms[-1] = np.sqrt(hidden)
    log_scale = 0.0
    for t in range(end - 1, start - 1, -1):
        # ∂h_{t+1}/∂h_t = diag(φ'(a_{t+1})) W_hh
        jacobian *= deriv[t - start]
        jacobian = jacobian @ weight_hh
        norms[t - start] = np.exp(log_scale) * float(np.linalg.norm(jacobian))
        log_scale = _rescale((jacobian,), log_scale)
    return norms


def _lstm_flow(
    trace: Trace, layer: int, start: int, end: int, weight_hh: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """‖∂h_T/∂h_t‖_F and ‖∂c_T/∂c_t‖_F for t = start..end of an LSTM layer."""
    assert trace.act is not None and trace.c_all is not None and trace.tanh_c is not None
    hidden, dtype = trace.hidden_size, trace.x.dtype
    span = slice(start + 1, end + 1)  # the steps whose derivatives lead back to start
    act = trace.act[layer, span]
    local = np.empty_like(act)
    dtanh = np.empty((act.shape[0], hidden), dtype)
    lstm_local_derivatives(act, trace.c_all[layer, span], trace.tanh_c[layer, span], local, dtanh)
    _, f, _, _ = split_gates(act)
    # Row r of (jh, jc) is the gradient of seed r, the h_T units then the c_T units, with
    # respect to h_t and c_t.
    jh = np.zeros((2 * hidden, hidden), dtype)
    jc = np.zeros((2 * hidden, hidden), dtype)
    jh[:hidden] = np.eye(hidden, dtype=dtype)
    jc[hidden:] = np.eye(hidden, dtype=dtype)
    dpre = np.empty((2 * hidden, 4, hidden), dtype)
    dh_norm = np.empty(end - start + 1)
    dc_norm = np.empty(end - start + 1)
    dh_norm[-1] = dc_norm[-1] = np.sqrt(hidden)
    # The two seed blocks travel independently, so each keeps its own scale.
    log_h = log_c = 0.0
    for t in range(end - 1, start - 1, -1):
        k = t - start  # derivatives of step t+1
        jc += jh * dtanh[k]  # c_{t+1} reaches the seeds directly and through h_{t+1}
        local4 = local[k].reshape(4, hidden)
        np.multiply(jc[:, None, :], local4[:3], out=dpre[:, :3])
        np.multiply(jh, local4[3], out=dpre[:, 3])
        np.matmul(dpre.reshape(2 * hidden, 4 * hidden), weight_hh, out=jh)  # via the gates
        jc *= f[k]  # c_{t+1} = f_{t+1} ⊙ c_t + …
        dh_norm[k] = np.exp(log_h) * float(np.linalg.norm(jh[:hidden]))
        dc_norm[k] = np.exp(log_c) * float(np.linalg.norm(jc[hidden:]))
        log_h = _rescale((jh[:hidden], jc[:hidden]), log_h)
        log_c = _rescale((jh[hidden:], jc[hidden:]), log_c)
    return dh_norm, dc_norm


def _gru_flow(record: GruRecord, network: Network, layer: int, start: int, end: int) -> np.ndarray:
    """‖∂h_T/∂h_t‖_F for t = start..end of a GRU layer: the rows of the Jacobian travel
    back through the same step derivatives as :func:`~lstm_sim.engine.gru.gru_layer_backward`."""
    cell = gru_layer(network, layer)
    hidden, dtype = cell.hidden_size, record.pre.dtype
    weight_hh = cell.params.weight_hh.astype(dtype, copy=False)
    w_r, w_z, w_n = np.split(weight_hh, 3)
    jacobian = np.eye(hidden, dtype=dtype)  # rows: units of h_T; columns: units of h_t
    norms = np.empty(end - start + 1)
    norms[-1] = np.sqrt(hidden)
    log_scale = 0.0
    for t in range(end - 1, start - 1, -1):
        s = t + 1  # the step whose derivatives lead from h_t to h_{t+1}
        h_prev, a, act = record.h[s], record.pre[s], record.act[s]
        r, z, n = act[:hidden], act[hidden : 2 * hidden], act[2 * hidden :]
        da_n = jacobian * (1 - z) * cell.candidate.derivative(a[2 * hidden :], n)
        da_z = jacobian * (h_prev - n) * cell.gate.derivative(a[hidden : 2 * hidden], z)
        if cell.reset_after:  # a_n = … + r ⊙ (W_hn h_t + b_hn)
            da_r = da_n * record.hn[s] * cell.gate.derivative(a[:hidden], r)
            through_n = (da_n * r) @ w_n
        else:  # a_n = … + W_hn (r ⊙ h_t) + b_hn
            drh = da_n @ w_n
            da_r = drh * h_prev * cell.gate.derivative(a[:hidden], r)
            through_n = drh * r
        # ∂h_{t+1}/∂h_t = diag(z) + the paths through z, r and the candidate
        jacobian = jacobian * z + da_z @ w_z + da_r @ w_r + through_n
        norms[t - start] = np.exp(log_scale) * float(np.linalg.norm(jacobian))
        log_scale = _rescale((jacobian,), log_scale)
    return norms


def _rescale(blocks: tuple[np.ndarray, ...], log_scale: float) -> float:
    """Divide ``blocks`` in place by their joint norm; return the log of the scale that
    the true Jacobian rows carry, ``log_scale`` plus the log of that norm.

    A vanishing Jacobian falls below the smallest normal float within a few dozen steps,
    where arithmetic turns slow and then exact zeros; carrying its size as a logarithm
    keeps both the speed and the far end of the curve.
    """
    norm = float(np.sqrt(sum(np.vdot(b, b) for b in blocks)))
    if norm == 0.0 or not np.isfinite(norm):
        return log_scale
    for block in blocks:
        block *= 1.0 / norm
    return log_scale + float(np.log(norm))
