"""A GRU trained on minibatches: the forward pass equals recording each sequence, the
gradients equal torch autograd (float64) and finite differences (both reset conventions,
token ids and values, two layers), and the trainer lowers the loss."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.backprop import backward
from lstm_sim.engine.batch import ForwardCache, forward
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record
from lstm_sim.model.training import SequenceData, TrainConfig, Trainer

STEPS, BATCH, TOKENS, HIDDEN, OUTPUTS = 6, 3, 5, 4, 3


def _network(reset_after: bool, seed: int = 0, inputs: int = TOKENS) -> Network:
    net = Network.random(
        "gru", inputs, HIDDEN, np.random.default_rng(seed), num_layers=2, output_size=OUTPUTS
    )
    net.reset_after = reset_after
    return net


def _token_case(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, TOKENS, size=(STEPS, BATCH))
    targets = rng.integers(0, OUTPUTS, size=(STEPS, BATCH))
    targets[2, 1] = -1  # a step without a target
    return ids, targets


def _run(net: Network, inputs: np.ndarray) -> ForwardCache:
    cache = ForwardCache.allocate(net, STEPS, BATCH, token_ids=inputs.ndim == 2)
    cache.inputs[...] = inputs
    forward(net, cache)
    return cache


@pytest.mark.parametrize("reset_after", [True, False])
def test_minibatch_forward_equals_recording_each_sequence(reset_after: bool) -> None:
    net = _network(reset_after)
    ids, _ = _token_case()
    cache = _run(net, ids)
    assert cache.hn is not None and cache.act is not None and cache.probs is not None
    eye = np.eye(TOKENS)
    for b in range(BATCH):
        trace = record(net, eye[ids[:, b]])
        assert trace.hn is not None and trace.act is not None and trace.probs is not None
        np.testing.assert_allclose(cache.h_all[:, :, b], trace.h_all, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(cache.act[:, :, b], trace.act, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(cache.hn[:, :, b], trace.hn, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(cache.probs[:, b], trace.probs, rtol=1e-12, atol=1e-14)


def _relative(engine: np.ndarray, framework: np.ndarray) -> float:
    return float(np.abs(engine - framework).max() / np.abs(framework).max())


def test_minibatch_gradients_match_torch_autograd_in_float64() -> None:
    torch = pytest.importorskip("torch")
    net = _network(True)
    ids, targets = _token_case()
    scale = 1.0 / np.count_nonzero(targets >= 0)
    grads = backward(net, _run(net, ids), targets, "xent", scale=scale)

    params = {k: torch.tensor(v, requires_grad=True) for k, v in net.state_dict().items()}
    gru = torch.nn.GRU(TOKENS, HIDDEN, num_layers=2).double()
    weights = {k: v for k, v in params.items() if not k.startswith("readout")}
    x = torch.nn.functional.one_hot(torch.tensor(ids), TOKENS).double()  # (T, B, V)
    h, _ = torch.func.functional_call(gru, weights, (x,))
    logits = h @ params["readout.weight"].T + params["readout.bias"]
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, OUTPUTS), torch.tensor(targets).reshape(-1), ignore_index=-1
    )
    loss.backward()
    assert grads.loss == pytest.approx(loss.item(), rel=1e-12)
    for name, tensor in params.items():
        assert _relative(grads.params[name], tensor.grad.numpy()) <= 1e-9, name


def _loss(net: Network, inputs: np.ndarray, targets: np.ndarray, loss: str) -> float:
    return backward(net, _run(net, inputs), targets, loss).loss  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("reset_after", "token_inputs"), [(True, True), (False, True), (False, False)]
)
def test_minibatch_gradients_match_finite_differences(
    reset_after: bool, token_inputs: bool
) -> None:
    rng = np.random.default_rng(5)
    if token_inputs:
        net = _network(reset_after)
        inputs, targets = _token_case()
        loss = "xent"
    else:
        net = _network(reset_after, inputs=2)
        net.readout.kind = "linear"  # type: ignore[union-attr]
        inputs = rng.normal(size=(STEPS, BATCH, 2))
        targets = rng.normal(size=(STEPS, BATCH, OUTPUTS))
        loss = "mse"
    grads = backward(net, _run(net, inputs), targets, loss)  # type: ignore[arg-type]
    params = {k: v.copy() for k, v in grads.params.items()}
    eps = 1e-5  # the loss sums ~20 terms: a smaller step drowns in its rounding
    for name, array in net.state_dict().items():
        for index in [(0,) * array.ndim, tuple(s - 1 for s in array.shape), (1,) * array.ndim]:
            saved = array[index]
            array[index] = saved + eps
            up = _loss(net, inputs, targets, loss)
            array[index] = saved - eps
            down = _loss(net, inputs, targets, loss)
            array[index] = saved
            numeric = (up - down) / (2 * eps)
            assert params[name][index] == pytest.approx(numeric, rel=1e-6, abs=1e-8), name


def test_trainer_lowers_a_gru_loss() -> None:
    rng = np.random.default_rng(2)
    # Each target is the token before: a GRU must carry one step of memory.
    inputs = rng.integers(0, 3, size=(64, 8))
    targets = np.concatenate([np.full((64, 1), -1), inputs[:, :-1]], axis=1)
    data = SequenceData(inputs, targets)
    net = Network.random("gru", 3, 8, np.random.default_rng(3), output_size=3)
    config = TrainConfig(steps=150, seq_len=8, batch_size=16, lr=2e-2)
    trainer = Trainer(net, data, config, np.random.default_rng(4))
    losses = [p.loss for p in trainer.run()]
    assert losses[-1] < 0.2 * losses[0]
    trained = trainer.result()
    assert trained.kind == "gru" and trained.dtype == net.dtype
