"""The readable reference engine as the oracle: the fast kernels equal it, and it equals
finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import reference
from lstm_sim.engine.backprop import backward
from lstm_sim.engine.batch import ForwardCache, forward
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record

STEPS, INPUTS, HIDDEN, OUTPUTS, BATCH = 6, 3, 4, 5, 3
# The fast kernels sum W_ih x + (b_ih + b_hh) + W_hh h in another order, with BLAS, so
# their results may differ from the reference's in the last bits.
TOLERANCE = 1e-12

CELLS = [("lstm", "tanh"), ("rnn", "tanh"), ("rnn", "relu")]
NETWORKS = [
    (kind, nonlinearity, layers, readout)
    for kind, nonlinearity in CELLS
    for layers in (1, 2)
    for readout in (None, "softmax", "linear")
]


def make_network(
    kind: str, nonlinearity: str, layers: int, readout: str | None, seed: int = 0
) -> Network:
    rng = np.random.default_rng(seed)
    network = Network.random(
        kind,  # type: ignore[arg-type]
        INPUTS,
        HIDDEN,
        rng,
        num_layers=layers,
        output_size=None if readout is None else OUTPUTS,
        readout_kind=readout or "softmax",  # type: ignore[arg-type]
    )
    network.nonlinearity = nonlinearity  # type: ignore[assignment]
    # Weights larger than PyTorch's initialisation, so that relu units cross zero and the
    # gates leave their linear middle.
    return network.from_arrays({k: 3 * v for k, v in network.state_dict().items()})


def initial_state(network: Network, rng: np.random.Generator, *batch: int) -> tuple:
    shape = (network.num_layers, *batch, network.hidden_size)
    h0 = rng.normal(scale=0.5, size=shape)
    c0 = rng.normal(scale=0.5, size=shape) if network.kind == "lstm" else None
    return h0, c0


def targets_for(network: Network, loss: str, rng: np.random.Generator, *batch: int):
    outputs = network.output_size or network.hidden_size
    if loss == "xent":
        targets = rng.integers(0, outputs, size=(STEPS, *batch))
        targets[1] = -1  # a step without a target
        return targets
    return rng.normal(scale=0.5, size=(STEPS, *batch, outputs))


def close(fast: np.ndarray, ref: np.ndarray) -> None:
    np.testing.assert_allclose(fast, ref, rtol=TOLERANCE, atol=TOLERANCE)


def test_lstm_cell_equations_reproduce_the_recorded_step_bit_for_bit() -> None:
    """Given the same pre-activations, the reference's equations are the fast kernel's
    operations: every recorded quantity matches exactly."""
    network = make_network("lstm", "tanh", 2, "softmax")
    rng = np.random.default_rng(1)
    trace = record(network, rng.normal(size=(STEPS, INPUTS)), *initial_state(network, rng))
    for layer in range(2):
        for t in range(STEPS):
            got = trace.step(layer, t)
            assert got.c_prev is not None
            want = reference.lstm_cell(got.pre, got.x, got.h_prev, got.c_prev)
            for name in ("i", "f", "g", "o", "c", "tanh_c", "h"):
                assert np.array_equal(getattr(got, name), getattr(want, name)), (layer, t, name)
            assert np.array_equal(got.fc, want.f * want.c_prev)
            assert np.array_equal(got.ig, want.i * want.g)


@pytest.mark.parametrize(("kind", "nonlinearity", "layers", "readout"), NETWORKS)
def test_recorded_trace_equals_the_reference(kind, nonlinearity, layers, readout) -> None:
    network = make_network(kind, nonlinearity, layers, readout)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(STEPS, INPUTS))
    h0, c0 = initial_state(network, rng)
    trace = record(network, x, h0, c0)
    run = reference.forward(network, x, h0, c0)
    for k in range(layers):
        close(trace.h[k], np.array([step.h for step in run.steps[k]]))
        close(trace.pre[k], np.array([step.a for step in run.steps[k]]))
        if kind == "lstm":
            assert trace.c is not None
            close(trace.c[k], np.array([step.c for step in run.steps[k]]))  # type: ignore[union-attr]
            for gate in "ifgo":
                want = np.array([getattr(step, gate) for step in run.steps[k]])
                close(trace.gate(gate)[k], want)
    if readout is not None:
        assert trace.logits is not None and run.logits is not None
        close(trace.logits, run.logits)
    if readout == "softmax":
        assert trace.probs is not None and run.probs is not None
        close(trace.probs, run.probs)


def run_batch(network: Network, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None):
    cache = ForwardCache.allocate(network, STEPS, BATCH, token_ids=False)
    cache.inputs[...] = x
    forward(network, cache, h0, c0)
    return cache


@pytest.mark.parametrize(("kind", "nonlinearity", "layers", "readout"), NETWORKS)
@pytest.mark.parametrize("loss", ["xent", "mse"])
def test_minibatch_forward_and_backward_equal_the_reference(
    kind, nonlinearity, layers, readout, loss
) -> None:
    """Each sequence of a minibatch, run and backpropagated on its own by the reference:
    the same h, c, loss, dh, dc, dh0, dc0, and parameter gradients summed over sequences."""
    network = make_network(kind, nonlinearity, layers, readout)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(STEPS, BATCH, INPUTS))
    h0, c0 = initial_state(network, rng, BATCH)
    targets = targets_for(network, loss, rng, BATCH)
    cache = run_batch(network, x, h0, c0)
    grads = backward(network, cache, targets, loss)  # type: ignore[arg-type]
    summed = {name: np.zeros_like(value) for name, value in grads.params.items()}
    total = 0.0
    for b in range(BATCH):
        c0_b = None if c0 is None else c0[:, b]
        run = reference.forward(network, x[:, b], h0[:, b], c0_b)
        for k in range(layers):
            close(cache.h[k, :, b], np.array([step.h for step in run.steps[k]]))
        ref = reference.backward(network, x[:, b], targets[:, b], loss, h0[:, b], c0_b)
        close(grads.step_loss[:, b], ref.step_loss)
        close(grads.dh[:, :, b], ref.dh)
        close(grads.dh0[:, b], ref.dh0)
        if kind == "lstm":
            assert grads.dc is not None and grads.dc0 is not None and ref.dc is not None
            close(grads.dc[:, :, b], ref.dc)
            close(grads.dc0[:, b], ref.dc0)  # type: ignore[arg-type]
        for name in summed:
            summed[name] += ref.params[name]
        total += ref.loss
    assert grads.loss == pytest.approx(total, rel=TOLERANCE)
    for name, value in grads.params.items():
        close(value, summed[name])


def derivative(f, array: np.ndarray, index: tuple[int, ...], step: float = 1e-4) -> float:
    """df/d array[index] by the five-point stencil (error O(step⁴))."""
    old = array[index]
    values = []
    for k in (2, 1, -1, -2):
        array[index] = old + k * step
        values.append(f())
    array[index] = old
    return (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * step)


@pytest.mark.parametrize(("kind", "nonlinearity"), CELLS)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize(("readout", "loss"), [("softmax", "xent"), (None, "mse")])
def test_reference_backward_equals_finite_differences(
    kind, nonlinearity, layers, readout, loss
) -> None:
    network = make_network(kind, nonlinearity, layers, readout, seed=4)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(STEPS, INPUTS))
    h0, c0 = initial_state(network, rng)
    targets = targets_for(network, loss, rng)
    grads = reference.backward(network, x, targets, loss, h0, c0)

    def f() -> float:
        run = reference.forward(network, x, h0, c0)
        return sum(reference.output_loss(run, t, targets[t], loss)[0] for t in range(STEPS))

    arrays = {**network.state_dict(), "h0": h0}
    if c0 is not None:
        arrays["c0"] = c0
    wanted = {**grads.params, "h0": grads.dh0}
    if grads.dc0 is not None:
        wanted["c0"] = grads.dc0
    if nonlinearity == "relu":
        # relu has a kink at 0, where a difference quotient would straddle it: the case
        # must keep every pre-activation far from 0 compared with the nudges.
        run = reference.forward(network, x, h0, c0)
        assert min(np.abs(step.a).min() for steps in run.steps for step in steps) > 1e-2
    for name, array in arrays.items():
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            numeric[index] = derivative(f, array, index)
        np.testing.assert_allclose(wanted[name], numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def test_networks_beyond_the_reference_are_refused() -> None:
    network = make_network("lstm", "tanh", 1, "softmax")
    network.embedding = np.zeros((INPUTS, INPUTS))
    with pytest.raises(ValueError, match="embedding"):
        reference.forward(network, np.zeros((STEPS, INPUTS)))
