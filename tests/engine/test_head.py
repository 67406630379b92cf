"""An MLP head and an input embedding: exact forward arithmetic and exact gradients,
checked against finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.backprop import gradients
from lstm_sim.engine.head import Activation, Dense, LayerNorm, head_forward
from lstm_sim.engine.network import Network, Readout
from lstm_sim.engine.trace import record

RNG = np.random.default_rng(7)


def _network_with_head(activation: str, embedding: bool) -> Network:
    base = Network.random("lstm", 3, 4, np.random.default_rng(1), num_layers=2)
    rng = np.random.default_rng(2)
    head = (
        LayerNorm(rng.normal(size=4), rng.normal(size=4), 1e-5),
        Dense(rng.normal(size=(5, 4)), rng.normal(size=5)),
        Activation(activation),  # type: ignore[arg-type]
        LayerNorm(rng.normal(size=5), rng.normal(size=5), 1e-3),
        Dense(rng.normal(size=(6, 5)), rng.normal(size=6)),
        Activation("tanh"),
    )
    readout = Readout(rng.normal(size=(7, 6)), rng.normal(size=7), "softmax")
    return Network(
        "lstm",
        base.layers,
        readout=readout,
        head=head,
        embedding=rng.normal(size=(9, 3)) if embedding else None,
    )


def test_head_forward_matches_hand_arithmetic() -> None:
    x = np.array([[1.0, -2.0, 3.0]])
    stages = (Dense(np.eye(3), np.zeros(3)), Activation("relu"), LayerNorm(np.ones(3), np.zeros(3)))
    y = head_forward(stages, x)[-1]
    relu = np.array([1.0, 0.0, 3.0])
    expected = (relu - relu.mean()) / np.sqrt(relu.var() + 1e-5)
    np.testing.assert_allclose(y[0], expected, rtol=1e-15)


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu", "gelu_tanh", "sigmoid"])
def test_gradients_through_head_and_embedding_match_finite_differences(activation: str) -> None:
    network = _network_with_head(activation, embedding=True)
    ids = np.array([3, 0, 8, 3, 5])
    targets = np.array([1, 6, 0, 2, -1])
    grads = gradients(network, record(network, ids), targets, "xent")
    params = network.state_dict()
    eps = 1e-6
    for name in (
        "embedding.weight",
        "head.0.weight",
        "head.1.weight",
        "head.3.bias",
        "head.4.weight",
        "readout.weight",
        "weight_ih_l0",
    ):
        flat = params[name].reshape(-1)
        for index in RNG.choice(flat.size, size=min(4, flat.size), replace=False):
            keep = flat[index]
            flat[index] = keep + eps
            up = gradients(network, record(network, ids), targets, "xent").loss
            flat[index] = keep - eps
            down = gradients(network, record(network, ids), targets, "xent").loss
            flat[index] = keep
            numeric = (up - down) / (2 * eps)
            assert grads.params[name].reshape(-1)[index] == pytest.approx(numeric, abs=1e-6), name


def test_embedding_rows_are_the_inputs() -> None:
    network = _network_with_head("relu", embedding=True)
    trace = record(network, np.array([2, 7]))
    assert network.embedding is not None
    np.testing.assert_array_equal(trace.x, network.embedding[[2, 7]])
    with pytest.raises(ValueError, match=r"expected 0\.\.8"):
        record(network, np.array([9]))


def test_a_clamped_rerun_computes_the_head_too() -> None:
    from lstm_sim.engine.interventions import parse_clamp, rerun_with_clamps

    network = _network_with_head("gelu", embedding=True)
    ids = np.array([1, 4, 4, 0])
    expected = record(network, ids).logits
    trace = record(network, ids)
    trace.logits[...] = 0.0
    rerun_with_clamps(network, trace, [parse_clamp("f[0] *= 1 @ all")], 0)
    np.testing.assert_array_equal(trace.logits, expected)
