"""A GRU network's gradients (trace --grad): finite differences and torch autograd."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import Network, record
from lstm_sim.engine.backprop import gradients


def _network(reset_after: bool) -> Network:
    net = Network.random("gru", 3, 4, np.random.default_rng(7), num_layers=2, output_size=2)
    net.reset_after = reset_after
    return net


def _loss(net: Network, x: np.ndarray, y: np.ndarray, h0: np.ndarray) -> float:
    return gradients(net, record(net, x, h0), y, "mse").loss


@pytest.mark.parametrize("reset_after", [True, False])
def test_gradients_match_finite_differences(reset_after: bool) -> None:
    rng = np.random.default_rng(3)
    net = _network(reset_after)
    x, y, h0 = rng.normal(size=(6, 3)), rng.normal(size=(6, 2)), rng.normal(size=(2, 4)) * 0.5
    grads = gradients(net, record(net, x, h0), y, "mse")
    eps = 1e-6
    for name, array in net.state_dict().items():
        for index in [(0,) * array.ndim, tuple(s - 1 for s in array.shape)]:
            saved = array[index]
            array[index] = saved + eps
            up = _loss(net, x, y, h0)
            array[index] = saved - eps
            down = _loss(net, x, y, h0)
            array[index] = saved
            numeric = (up - down) / (2 * eps)
            assert grads.params[name][index] == pytest.approx(numeric, rel=1e-6, abs=1e-9), name
    for index in [(0, 1), (1, 3)]:
        shifted = h0.copy()
        shifted[index] += eps
        up = _loss(net, x, y, shifted)
        shifted[index] -= 2 * eps
        down = _loss(net, x, y, shifted)
        assert grads.dh0[index] == pytest.approx((up - down) / (2 * eps), rel=1e-6, abs=1e-9)
    assert grads.dc is None and grads.dc0 is None


def _relative(engine: np.ndarray, framework: np.ndarray) -> float:
    return float(np.abs(engine - framework).max() / np.abs(framework).max())


def test_gradients_match_torch_autograd_in_float64() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    net = _network(True)
    x, y = rng.normal(size=(20, 3)), rng.integers(0, 2, size=20)
    y[5] = -1
    grads = gradients(net, record(net, x), y, "xent")
    params = {k: torch.tensor(v, requires_grad=True) for k, v in net.state_dict().items()}
    below = list(torch.tensor(x).unbind(0))
    states: list[list[torch.Tensor]] = []
    for k in range(net.num_layers):
        cell = torch.nn.GRUCell(3 if k == 0 else 4, 4).double()
        h = torch.zeros(4, dtype=torch.float64)
        layer_states = []
        for x_t in below:
            weights = {
                n: params[f"{n}_l{k}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            }
            h = torch.func.functional_call(cell, weights, (x_t[None], h[None]))[0]
            h.retain_grad()
            layer_states.append(h)
        states.append(layer_states)
        below = layer_states
    logits = torch.stack(below) @ params["readout.weight"].T + params["readout.bias"]
    loss = torch.nn.functional.cross_entropy(
        logits, torch.tensor(y), ignore_index=-1, reduction="sum"
    )
    loss.backward()
    assert grads.loss == pytest.approx(loss.item(), rel=1e-12)
    for name, tensor in params.items():
        assert _relative(grads.params[name], tensor.grad.numpy()) <= 1e-9, name
    for k, layer_states in enumerate(states):
        expected = np.stack([h.grad.numpy() for h in layer_states])
        assert _relative(grads.dh[k], expected) <= 1e-9, f"dh of layer {k}"
