"""Adam and gradient clipping: by hand, and step for step against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.optim import Adam, clip_grad_norm


def test_first_adam_step_moves_each_weight_by_lr_against_its_gradient_sign():
    # After one step m̂ = g and v̂ = g², so the update is lr · g / (|g| + ε).
    params = {"w": np.array([1.0, -2.0, 0.5])}
    adam = Adam(params, lr=0.1)
    adam.step({"w": np.array([3.0, -0.01, 0.0])})
    np.testing.assert_allclose(params["w"], [0.9, -1.9, 0.5], rtol=1e-6)


def test_clip_scales_all_gradients_together_and_returns_the_old_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    norm = clip_grad_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(grads["a"], [3.0 / (5 + 1e-6), 0.0])
    np.testing.assert_allclose(grads["b"], [[4.0 / (5 + 1e-6)]])
    small = {"a": np.array([0.1])}
    assert clip_grad_norm(small, 1.0) == pytest.approx(0.1)
    assert small["a"][0] == 0.1
    with pytest.raises(ValueError, match="max_norm must be positive"):
        clip_grad_norm(small, 0.0)


def test_adam_with_clipping_matches_torch_for_many_steps():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    params = {"w": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}
    tensors = [torch.tensor(params["w"], requires_grad=True), torch.tensor(params["b"])]
    tensors[1].requires_grad_(True)
    torch_adam = torch.optim.Adam(tensors, lr=0.01)
    adam = Adam(params, lr=0.01)
    for _ in range(20):
        grads = {"w": rng.normal(size=(3, 4)), "b": rng.normal(scale=3.0, size=4)}
        tensors[0].grad = torch.tensor(grads["w"])
        tensors[1].grad = torch.tensor(grads["b"])
        expected = torch.nn.utils.clip_grad_norm_(tensors, 2.0).item()
        assert clip_grad_norm(grads, 2.0) == pytest.approx(expected, rel=1e-12)
        torch_adam.step()
        adam.step(grads)
    np.testing.assert_allclose(params["w"], tensors[0].detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(params["b"], tensors[1].detach().numpy(), rtol=1e-12)


def test_wrong_gradient_shape_raises():
    adam = Adam({"w": np.zeros((2, 2))})
    with pytest.raises(ValueError, match=r"gradient w has shape \(2,\), expected \(2, 2\)"):
        adam.step({"w": np.zeros(2)})
