"""Backpropagation through time: finite differences in float64, and PyTorch autograd."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import backprop
from lstm_sim.engine.backprop import backward, gradients
from lstm_sim.engine.batch import ForwardCache, forward
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace, record

STEPS, INPUTS, HIDDEN, OUTPUTS = 5, 2, 3, 4


def sequence_loss(network: Network, trace: Trace, targets: np.ndarray, loss: str) -> float:
    """The loss written out independently of the backward pass."""
    z = trace.h[-1] if network.readout is None else trace.logits
    if loss == "xent":
        log_p = z - z.max(axis=1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        counted = targets >= 0
        return float(-log_p[np.arange(len(targets))[counted], targets[counted]].sum())
    y = trace.probs if trace.probs is not None else z
    return float(((y - targets) ** 2).mean(axis=1).sum())


def derivative(f, array: np.ndarray, index: tuple[int, ...], step: float = 1e-3) -> float:
    """df/d array[index] by the five-point stencil (error O(step⁴))."""
    old = array[index]
    values = []
    for k in (2, 1, -1, -2):
        array[index] = old + k * step
        values.append(f())
    array[index] = old
    return (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * step)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def make_case(kind: str, readout: str | None, loss: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    network = Network.random(
        kind,
        INPUTS,
        HIDDEN,
        rng,
        num_layers=2,
        output_size=None if readout is None else OUTPUTS,
        readout_kind=readout or "softmax",
    )
    x = rng.normal(size=(STEPS, INPUTS))
    h0 = rng.normal(scale=0.5, size=(2, HIDDEN))
    c0 = rng.normal(scale=0.5, size=(2, HIDDEN)) if kind == "lstm" else None
    outputs = OUTPUTS if readout else HIDDEN
    if loss == "xent":
        targets = rng.integers(0, outputs, STEPS)
        targets[1] = -1  # a step without a target
    else:
        targets = rng.normal(scale=0.5, size=(STEPS, outputs))
    return network, x, h0, c0, targets


CASES = [
    (kind, readout, loss)
    for kind in ("lstm", "rnn")
    for readout in (None, "softmax", "linear")
    for loss in ("xent", "mse")
]


@pytest.mark.parametrize(("kind", "readout", "loss"), CASES)
def test_parameter_gradients_match_finite_differences(kind, readout, loss):
    network, x, h0, c0, targets = make_case(kind, readout, loss)
    grads = gradients(network, record(network, x, h0, c0), targets, loss)

    def f() -> float:
        return sequence_loss(network, record(network, x, h0, c0), targets, loss)

    assert grads.loss == pytest.approx(f(), rel=1e-12)
    assert grads.step_loss.shape == (STEPS,)
    assert grads.step_loss.sum() == pytest.approx(grads.loss, rel=1e-12)
    assert set(grads.params) == set(network.state_dict())
    for name, array in network.state_dict().items():
        numeric = np.array([derivative(f, array, idx) for idx in np.ndindex(array.shape)])
        analytic = grads.params[name].ravel()
        assert np.linalg.norm(analytic) > 1e-6, name
        assert relative_error(numeric, analytic) < 1e-7, name


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
def test_activity_penalty_gradients_match_finite_differences(kind):
    network, x, h0, c0, targets = make_case(kind, "softmax", "xent")
    weight, scale = 0.3, 0.25
    cache = ForwardCache.allocate(network, STEPS, 1, token_ids=False)
    cache.inputs[...] = x[:, None]

    def f() -> float:
        trace = record(network, x, h0, c0)
        penalty = weight * np.abs(trace.h[-1]).sum()
        return scale * (sequence_loss(network, trace, targets, "xent") + penalty)

    forward(network, cache, h0[:, None], None if c0 is None else c0[:, None])
    grads = backward(network, cache, targets[:, None], "xent", scale=scale, activity_l1=weight)
    # The reported loss leaves the penalty out.
    unpenalised = sequence_loss(network, record(network, x, h0, c0), targets, "xent")
    assert grads.loss == pytest.approx(scale * unpenalised, rel=1e-12)
    plain = backward(network, cache, targets[:, None], "xent", scale=scale)
    for name, array in network.state_dict().items():
        numeric = np.array([derivative(f, array, idx) for idx in np.ndindex(array.shape)])
        analytic = grads.params[name].ravel()
        assert relative_error(numeric, analytic) < 1e-7, name
    assert not np.allclose(plain.params["weight_hh_l1"], grads.params["weight_hh_l1"])


def test_a_further_loss_on_h_adds_its_gradient_through_dh_extra():
    """A squared gap between one unit's h and a target, the code reader's shaping signal:
    its dL/dh passed as dh_extra gives the gradients of the sum of both losses."""
    network, x, h0, c0, targets = make_case("lstm", "softmax", "xent")
    weight, scale, unit = 0.7, 0.25, 1
    goal = np.linspace(-0.5, 0.5, STEPS)
    cache = ForwardCache.allocate(network, STEPS, 1, token_ids=False)
    cache.inputs[...] = x[:, None]

    def f() -> float:
        trace = record(network, x, h0, c0)
        gap = weight * ((trace.h[-1][:, unit] - goal) ** 2).sum()
        return scale * (sequence_loss(network, trace, targets, "xent") + gap)

    forward(network, cache, h0[:, None], c0[:, None])
    dh_extra = np.zeros_like(cache.h_all[-1, 1:])
    dh_extra[:, 0, unit] = 2 * weight * scale * (cache.h_all[-1, 1:, 0, unit] - goal)
    grads = backward(network, cache, targets[:, None], "xent", scale=scale, dh_extra=dh_extra)
    unshaped = sequence_loss(network, record(network, x, h0, c0), targets, "xent")
    assert grads.loss == pytest.approx(scale * unshaped, rel=1e-12)
    for name, array in network.state_dict().items():
        numeric = np.array([derivative(f, array, idx) for idx in np.ndindex(array.shape)])
        assert relative_error(numeric, grads.params[name].ravel()) < 1e-7, name
    with pytest.raises(ValueError, match="dh_extra has shape"):
        backward(network, cache, targets[:, None], "xent", dh_extra=dh_extra[:-1])


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
def test_relu_rnn_and_initial_state_gradients(kind):
    network, x, h0, c0, targets = make_case(kind, "linear", "mse", seed=3)
    if kind == "rnn":
        network.nonlinearity = "relu"
    grads = gradients(network, record(network, x, h0, c0), targets, "mse")

    def f() -> float:
        return sequence_loss(network, record(network, x, h0, c0), targets, "mse")

    numeric_h0 = np.array([derivative(f, h0, idx) for idx in np.ndindex(h0.shape)])
    assert relative_error(numeric_h0, grads.dh0.ravel()) < 1e-7
    if kind == "lstm":
        numeric_c0 = np.array([derivative(f, c0, idx) for idx in np.ndindex(c0.shape)])
        assert relative_error(numeric_c0, grads.dc0.ravel()) < 1e-7
    else:
        weight = network.layers[0].weight_hh
        numeric = np.array([derivative(f, weight, idx, 1e-5) for idx in np.ndindex(weight.shape)])
        assert relative_error(numeric, grads.params["weight_hh_l0"].ravel()) < 1e-7


def test_total_state_gradients_of_one_layer_lstm_match_finite_differences():
    """dh[t] and dc[t] are the whole gradient reaching h_t and c_t: perturb the state at t
    and rerun the rest of the sequence from it."""
    rng = np.random.default_rng(7)
    network = Network.random("lstm", INPUTS, HIDDEN, rng, output_size=OUTPUTS)
    x = rng.normal(size=(STEPS, INPUTS))
    targets = rng.integers(0, OUTPUTS, STEPS)
    trace = record(network, x)
    grads = gradients(network, trace, targets, "xent")
    readout = network.readout
    t = 2

    def loss_from_state(h: np.ndarray, c: np.ndarray) -> float:
        logits = readout.weight @ h + readout.bias
        here = np.log(np.exp(logits).sum()) - logits[targets[t]]
        rest = record(network, x[t + 1 :], h, c)
        return float(here + sequence_loss(network, rest, targets[t + 1 :], "xent"))

    h, c = trace.h[0, t].copy(), trace.c[0, t].copy()
    o = trace.gate("o")[0, t]
    numeric_dh = [derivative(lambda: loss_from_state(h, c), h, (k,)) for k in range(HIDDEN)]
    c_moved = c.copy()
    numeric_dc = [
        derivative(lambda: loss_from_state(o * np.tanh(c_moved), c_moved), c_moved, (k,))
        for k in range(HIDDEN)
    ]
    assert grads.dh.shape == grads.dc.shape == (1, STEPS, HIDDEN)
    assert relative_error(np.array(numeric_dh), grads.dh[0, t]) < 1e-7
    assert relative_error(np.array(numeric_dc), grads.dc[0, t]) < 1e-7


def test_minibatch_gradient_is_the_sum_of_its_sequences():
    rng = np.random.default_rng(1)
    network = Network.random("lstm", 5, HIDDEN, rng, num_layers=2, output_size=5)
    ids = rng.integers(0, 5, size=(STEPS, 3))
    targets = rng.integers(0, 5, size=(STEPS, 3))
    cache = ForwardCache.allocate(network, STEPS, 3, token_ids=True)
    cache.inputs[...] = ids
    forward(network, cache)
    batch = backward(network, cache, targets, "xent", scale=0.5)
    expected = {k: np.zeros_like(v) for k, v in network.state_dict().items()}
    total = 0.0
    for b in range(3):
        one_hot = np.eye(5)[ids[:, b]]
        single = gradients(network, record(network, one_hot), targets[:, b], "xent")
        total += single.loss
        for k in expected:
            expected[k] += 0.5 * single.params[k]
        np.testing.assert_allclose(cache.h_all[:, 1:, b], record(network, one_hot).h, atol=1e-12)
    assert batch.loss == pytest.approx(0.5 * total, rel=1e-12)
    for k, v in expected.items():
        np.testing.assert_allclose(batch.params[k], v, rtol=1e-10, atol=1e-14, err_msg=k)


def test_wrong_targets_raise_naming_the_shape():
    network, x, _, _, targets = make_case("lstm", "softmax", "xent")
    trace = record(network, x)
    with pytest.raises(ValueError, match=r"targets have shape \(4,\), expected \(5,\)"):
        gradients(network, trace, targets[:4], "xent")
    with pytest.raises(ValueError, match=r"hold ids 9\.\.9, expected 0\.\.3 \(or -1"):
        gradients(network, trace, np.full(STEPS, 9), "xent")
    with pytest.raises(ValueError, match=r"expected \(5, 4\) for mse"):
        gradients(network, trace, np.zeros((STEPS, 3)), "mse")
    with pytest.raises(ValueError, match="whole token ids"):
        gradients(network, trace, np.full(STEPS, 0.5), "xent")


def test_matches_torch_autograd_for_two_layer_lstm_with_linear_head():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    network = Network.random("lstm", 6, 8, rng, num_layers=2, output_size=5, readout_kind="linear")
    x = rng.normal(size=(12, 6))
    targets = rng.normal(size=(12, 5))
    h0 = rng.normal(scale=0.3, size=(2, 8))
    c0 = rng.normal(scale=0.3, size=(2, 8))
    grads = gradients(network, record(network, x, h0, c0), targets, "mse")

    lstm = torch.nn.LSTM(6, 8, num_layers=2, dtype=torch.float64)
    head = torch.nn.Linear(8, 5, dtype=torch.float64)
    params = network.state_dict()
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            p.copy_(torch.from_numpy(params[name]))
        head.weight.copy_(torch.from_numpy(params["readout.weight"]))
        head.bias.copy_(torch.from_numpy(params["readout.bias"]))
    h0_t = torch.tensor(h0[:, None], requires_grad=True)
    c0_t = torch.tensor(c0[:, None], requires_grad=True)
    out, _ = lstm(torch.from_numpy(x)[:, None], (h0_t, c0_t))
    y = head(out[:, 0])
    loss = ((y - torch.from_numpy(targets)) ** 2).mean(dim=1).sum()
    loss.backward()

    assert grads.loss == pytest.approx(loss.item(), rel=1e-12)
    torch_grads = {name: p.grad.numpy() for name, p in lstm.named_parameters()}
    torch_grads["readout.weight"] = head.weight.grad.numpy()
    torch_grads["readout.bias"] = head.bias.grad.numpy()
    for name, expected in torch_grads.items():
        np.testing.assert_allclose(grads.params[name], expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grads.dh0, h0_t.grad.numpy()[:, 0], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grads.dc0, c0_t.grad.numpy()[:, 0], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("steps", [1, 2, 7])
def test_local_derivative_chunks_do_not_change_the_gradients(monkeypatch, steps):
    rng = np.random.default_rng(2)
    network = Network.random("lstm", 4, HIDDEN, rng, num_layers=2, output_size=4)
    cache = ForwardCache.allocate(network, steps, 2, token_ids=True)
    cache.inputs[...] = rng.integers(0, 4, size=(steps, 2))
    forward(network, cache)
    targets = rng.integers(0, 4, size=(steps, 2))
    results = []
    for chunk in (1, 3, 64):  # every step alone, ragged slices, all steps at once
        monkeypatch.setattr(backprop, "LOCAL_CHUNK", chunk)
        grads = backward(network, cache, targets, "xent")
        arrays = {"dh": grads.dh, "dc": grads.dc, **grads.params}
        results.append({name: value.copy() for name, value in arrays.items()})
    for other in results[1:]:
        for name, value in results[0].items():
            np.testing.assert_array_equal(other[name], value, err_msg=name)
    assert np.any(results[0]["dh"] != 0.0)
