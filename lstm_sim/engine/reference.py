"""The LSTM and the simple RNN as the lecture writes them: one equation per line.

This is the engine's oracle, not its hot path. Each step reads one input vector and
returns everything it computed; the whole sequence and its backpropagation through time
are those steps in a loop. The fast kernels compute the same numbers in place, fused and
over whole minibatches (:func:`lstm_sim.engine.cells.lstm_layer_forward`, the backward
loops in :mod:`lstm_sim.engine.backprop`, and the optional compiled ones in
:mod:`lstm_sim.engine.fast`); tests/engine/test_reference.py holds them to these functions,
and holds these functions to finite differences.

Shapes: x (D,), h and c (H,), a layer's pre-activation a (G*H,) in the block order of
:mod:`lstm_sim.engine.gates`; a sequence x (T, D).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.gates import split_gates
from lstm_sim.engine.network import Layer, Network


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + e^-a), written as 0.5·tanh(a/2) + 0.5, which never overflows."""
    return 0.5 * np.tanh(0.5 * a) + 0.5


def preactivation(layer: Layer, x: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
    """a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, every gate's block at once."""
    a: np.ndarray = layer.weight_ih @ x + layer.bias_ih + layer.weight_hh @ h_prev + layer.bias_hh
    return a


# -- LSTM ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LstmStep:
    """Everything one LSTM step computed."""

    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    a: np.ndarray  # pre-activations, blocks i, f, g, o
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray
    h: np.ndarray


def lstm_step(layer: Layer, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray) -> LstmStep:
    """One LSTM step."""
    return lstm_cell(preactivation(layer, x, h_prev), x, h_prev, c_prev)


def lstm_cell(a: np.ndarray, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray) -> LstmStep:
    """The LSTM step from its pre-activation a on."""
    a_i, a_f, a_g, a_o = split_gates(a)
    i = sigmoid(a_i)  # input gate: how much of the candidate is written
    f = sigmoid(a_f)  # forget gate: how much of c_{t-1} is kept
    g = np.tanh(a_g)  # the candidate C̃_t
    o = sigmoid(a_o)  # output gate: how much of tanh(c_t) is shown
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return LstmStep(x, h_prev, c_prev, a, i, f, g, o, c, tanh_c, h)


@dataclass(frozen=True)
class StepGradients:
    """What one step's backward pass returns: the gradients of its inputs and its share
    of the parameter gradients (dL/db is ``da`` itself, for b_ih and b_hh alike)."""

    da: np.ndarray
    dx: np.ndarray
    dh_prev: np.ndarray
    weight_ih: np.ndarray
    weight_hh: np.ndarray
    dc: np.ndarray | None = None  # the total dL/dc_t of an LSTM step
    dc_prev: np.ndarray | None = None


def lstm_step_backward(
    layer: Layer, step: LstmStep, dh: np.ndarray, dc_next: np.ndarray
) -> StepGradients:
    """Backward through one LSTM step.

    dh: dL/dh_t in total (from the loss or the layer above, and from step t+1);
    dc_next: what reaches c_t from step t+1, f_{t+1} ⊙ dL/dc_{t+1} (zeros at the last step).
    """
    dc = dc_next + dh * step.o * (1 - step.tanh_c**2)  # c_t acts directly and through h_t
    do = dh * step.tanh_c
    di = dc * step.g
    df = dc * step.c_prev
    dg = dc * step.i
    dc_prev = dc * step.f
    da_i = di * step.i * (1 - step.i)  # σ' = σ(1 - σ)
    da_f = df * step.f * (1 - step.f)
    da_g = dg * (1 - step.g**2)  # tanh' = 1 - tanh²
    da_o = do * step.o * (1 - step.o)
    da = np.concatenate([da_i, da_f, da_g, da_o])  # the blocks in split_gates' order
    dx = layer.weight_ih.T @ da
    dh_prev = layer.weight_hh.T @ da
    dweight_ih = np.outer(da, step.x)
    dweight_hh = np.outer(da, step.h_prev)
    return StepGradients(da, dx, dh_prev, dweight_ih, dweight_hh, dc, dc_prev)


# -- simple RNN ------------------------------------------------------------------------


@dataclass(frozen=True)
class RnnStep:
    """Everything one simple RNN step computed."""

    x: np.ndarray
    h_prev: np.ndarray
    a: np.ndarray
    h: np.ndarray


def rnn_step(layer: Layer, x: np.ndarray, h_prev: np.ndarray, nonlinearity: str) -> RnnStep:
    """One simple RNN step: h_t = tanh(a_t) or relu(a_t)."""
    a = preactivation(layer, x, h_prev)
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)
    return RnnStep(x, h_prev, a, h)


def rnn_step_backward(
    layer: Layer, step: RnnStep, dh: np.ndarray, nonlinearity: str
) -> StepGradients:
    """Backward through one simple RNN step; dh: dL/dh_t in total."""
    derivative = 1 - step.h**2 if nonlinearity == "tanh" else step.a > 0  # tanh', relu'
    da = dh * derivative
    dx = layer.weight_ih.T @ da
    dh_prev = layer.weight_hh.T @ da
    dweight_ih = np.outer(da, step.x)
    dweight_hh = np.outer(da, step.h_prev)
    return StepGradients(da, dx, dh_prev, dweight_ih, dweight_hh)


# -- a whole sequence ------------------------------------------------------------------


@dataclass(frozen=True)
class SequenceForward:
    """The steps of every layer, ``steps[l][t]``, and the readout's outputs (T, V)."""

    steps: list[list[LstmStep | RnnStep]]
    logits: np.ndarray | None
    probs: np.ndarray | None


def softmax(z: np.ndarray) -> np.ndarray:
    """e^z / Σ e^z, shifted by max z so e^z never overflows."""
    e = np.exp(z - z.max())
    return e / e.sum()  # type: ignore[no-any-return]


def forward(
    network: Network, x: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> SequenceForward:
    """Run x (T, D) through every layer, step by step; h0, c0: (L, H), zeros when omitted.

    The reference covers the recurrent layers and a single Linear readout; a network with
    an input embedding or a head of several stages is refused rather than half computed.
    """
    if network.embedding is not None or network.head:
        raise ValueError(
            "the reference engine covers recurrent layers and one Linear readout; this "
            "network has an input embedding or a multi-stage head"
        )
    if network.kind == "gru":
        raise ValueError(
            "the reference engine covers LSTM and simple RNN networks; a GRU's reference "
            "step is gru_step in lstm_sim.engine.gru"
        )
    shape = (network.num_layers, network.hidden_size)
    h0 = np.zeros(shape, network.dtype) if h0 is None else h0
    c0 = np.zeros(shape, network.dtype) if c0 is None else c0
    inputs = list(x)
    all_steps = []
    for k, layer in enumerate(network.layers):
        h, c = h0[k], c0[k]
        steps: list[LstmStep | RnnStep] = []
        for x_t in inputs:
            if network.kind == "lstm":
                lstm = lstm_step(layer, x_t, h, c)
                h, c = lstm.h, lstm.c
                steps.append(lstm)
            else:
                rnn = rnn_step(layer, x_t, h, network.nonlinearity)
                h = rnn.h
                steps.append(rnn)
        all_steps.append(steps)
        inputs = [step.h for step in steps]  # the layer above reads this layer's h_t
    logits = probs = None
    if network.readout is not None:
        logits = np.array([network.readout.weight @ h + network.readout.bias for h in inputs])
        if network.readout.kind == "softmax":
            probs = np.array([softmax(z) for z in logits])
    return SequenceForward(all_steps, logits, probs)


@dataclass(frozen=True)
class SequenceGradients:
    """The loss of a sequence and its gradients, named as in
    :class:`~lstm_sim.engine.backprop.Gradients`: step_loss (T,), dh and dc (L, T, H)
    (dc None for a simple RNN), dh0 and dc0 (L, H), params by PyTorch name."""

    loss: float
    step_loss: np.ndarray
    dh: np.ndarray
    dh0: np.ndarray
    params: dict[str, np.ndarray]
    dc: np.ndarray | None = None
    dc0: np.ndarray | None = None


def output_loss(
    run: SequenceForward, t: int, target: np.ndarray, loss: str
) -> tuple[float, np.ndarray]:
    """Step t's loss and its gradient with respect to z_t, the logits (h_t of the top
    layer with no readout).

    xent: -log softmax(z_t)[y_t] (nothing when y_t < 0); mse: the mean over outputs of
    (y_t - target_t)², y_t being the network's output (probabilities, logits or h_t).
    """
    z = run.steps[-1][t].h if run.logits is None else run.logits[t]
    if loss == "xent":
        y = int(target)
        if y < 0:
            return 0.0, np.zeros_like(z)
        p = softmax(z)
        dz = p.copy()
        dz[y] -= 1  # d(-log p_y)/dz = p - onehot(y)
        return float(-np.log(p[y])), dz
    out = z if run.probs is None else run.probs[t]
    dout = 2 * (out - target) / out.size  # d mean((out - target)²)/d out
    if run.probs is not None:
        dout = out * (dout - out @ dout)  # through softmax: p ⊙ (dL/dp - p·dL/dp)
    return float(np.mean((out - target) ** 2)), dout


def backward(
    network: Network,
    x: np.ndarray,
    targets: np.ndarray,
    loss: str,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> SequenceGradients:
    """The loss Σ_t loss_t of one sequence x (T, D) and its gradients, by backpropagation
    through time from the last step to the first, one step at a time.

    targets: (T,) token ids for "xent", (T, K) values for "mse".
    """
    run = forward(network, x, h0, c0)
    steps, hidden, layers = len(x), network.hidden_size, network.num_layers
    params = {name: np.zeros_like(value) for name, value in network.state_dict().items()}
    step_loss = np.zeros(steps)
    dh_from_above = np.zeros((steps, hidden))
    for t in range(steps):
        step_loss[t], dz = output_loss(run, t, targets[t], loss)
        if network.readout is None:
            dh_from_above[t] = dz
        else:  # logits_t = W_out h_t + b_out
            dh_from_above[t] = network.readout.weight.T @ dz
            params["readout.weight"] += np.outer(dz, run.steps[-1][t].h)
            params["readout.bias"] += dz
    dh_all = np.zeros((layers, steps, hidden))
    dc_all = np.zeros((layers, steps, hidden))
    dh0 = np.zeros((layers, hidden))
    dc0 = np.zeros((layers, hidden))
    for k in range(layers - 1, -1, -1):
        layer = network.layers[k]
        dh_from_next = np.zeros(hidden)  # W_hh^T dL/da_{t+1}
        dc_next = np.zeros(hidden)  # f_{t+1} ⊙ dL/dc_{t+1}
        dh_to_below = np.zeros((steps, x.shape[1] if k == 0 else hidden))
        for t in range(steps - 1, -1, -1):
            dh = dh_from_above[t] + dh_from_next
            step = run.steps[k][t]
            if isinstance(step, LstmStep):
                grads = lstm_step_backward(layer, step, dh, dc_next)
                assert grads.dc is not None and grads.dc_prev is not None
                dc_all[k, t] = grads.dc
                dc_next = grads.dc_prev
            else:
                grads = rnn_step_backward(layer, step, dh, network.nonlinearity)
            dh_all[k, t] = dh
            dh_from_next = grads.dh_prev
            dh_to_below[t] = grads.dx
            params[f"weight_ih_l{k}"] += grads.weight_ih
            params[f"weight_hh_l{k}"] += grads.weight_hh
            params[f"bias_ih_l{k}"] += grads.da
            params[f"bias_hh_l{k}"] += grads.da
        dh0[k] = dh_from_next
        dc0[k] = dc_next
        dh_from_above = dh_to_below
    lstm = network.kind == "lstm"
    return SequenceGradients(
        loss=float(step_loss.sum()),
        step_loss=step_loss,
        dh=dh_all,
        dh0=dh0,
        params=params,
        dc=dc_all if lstm else None,
        dc0=dc0 if lstm else None,
    )
