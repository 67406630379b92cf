"""The GRU and LSTM-variant kernels against their one-equation-per-line reference steps,
and finite differences in float64 against every backward (the GRU, the LSTM variants, the
reverse and bidirectional runs): each parameter, the input and the initial state."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from lstm_sim.engine.activations import keras_activation, onnx_activation
from lstm_sim.engine.bidirectional import (
    BidirectionalLayer,
    RecurrentLayer,
    State,
    bidirectional_backward,
    bidirectional_forward,
    final_state,
    layer_backward,
    layer_forward,
    reverse_backward,
    reverse_forward,
)
from lstm_sim.engine.gru import GruLayer, GruParameters, gru_layer_forward, gru_step
from lstm_sim.engine.lstm_variants import (
    LstmLayer,
    LstmParameters,
    lstm_layer_forward,
    lstm_variant_step,
)

STEPS, INPUTS, HIDDEN, PROJ = 7, 3, 3, 2
MASK = np.array([False, True, True, False, False, True, False])  # skips the first step


def random_gru(rng: np.random.Generator, **options: object) -> GruLayer:
    shapes = {"weight_ih": (9, INPUTS), "weight_hh": (9, HIDDEN), "bias_ih": (9,), "bias_hh": (9,)}
    params = GruParameters(**{k: rng.normal(size=s) for k, s in shapes.items()})
    return GruLayer(params, **options)  # type: ignore[arg-type]


def random_lstm(
    rng: np.random.Generator, proj: bool = False, peephole: bool = False, **options: object
) -> LstmLayer:
    out = PROJ if proj else HIDDEN
    params = LstmParameters(
        rng.normal(size=(4 * HIDDEN, INPUTS)),
        rng.normal(size=(4 * HIDDEN, out)),
        rng.normal(size=4 * HIDDEN),
        rng.normal(size=4 * HIDDEN),
        rng.normal(size=(PROJ, HIDDEN)) if proj else None,
        rng.normal(size=3 * HIDDEN) if peephole else None,
    )
    return LstmLayer(params, **options)  # type: ignore[arg-type]


def with_params(layer: RecurrentLayer, named: dict[str, np.ndarray]) -> RecurrentLayer:
    return dataclasses.replace(layer, params=type(layer.params)(**named))  # type: ignore[arg-type]


def initial_state(layer: RecurrentLayer, rng: np.random.Generator) -> State:
    if isinstance(layer, GruLayer):
        return (rng.normal(size=HIDDEN),)
    return (rng.normal(size=layer.params.output_size), rng.normal(size=HIDDEN))


def numeric_gradient(loss: Callable[[], float], array: np.ndarray) -> np.ndarray:
    """Central differences of ``loss`` with respect to ``array``, perturbed in place."""
    grad = np.zeros_like(array)
    eps = 1e-6
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        up = loss()
        array[index] = saved - eps
        down = loss()
        array[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def assert_close(analytic: np.ndarray, numeric: np.ndarray, what: str) -> None:
    scale = max(1.0, float(np.abs(numeric).max()))
    error = float(np.abs(analytic - numeric).max()) / scale
    assert error < 1e-6, f"{what}: relative error {error:.2e}"


LAYERS: dict[str, Callable[[np.random.Generator], RecurrentLayer]] = {
    "gru": lambda rng: random_gru(rng),
    "gru reset before": lambda rng: random_gru(rng, reset_after=False),
    "gru clip, hard sigmoid, softsign": lambda rng: random_gru(
        rng,
        clip=1.2,
        gate=keras_activation("hard_sigmoid"),
        candidate=onnx_activation("Softsign"),
    ),
    "lstm": lambda rng: random_lstm(rng),
    "lstm projection": lambda rng: random_lstm(rng, proj=True),
    "lstm peepholes": lambda rng: random_lstm(rng, peephole=True),
    "lstm i = 1 - f": lambda rng: random_lstm(rng, coupling="input_from_forget"),
    "lstm f = 1 - i, peepholes": lambda rng: random_lstm(
        rng, peephole=True, coupling="forget_from_input"
    ),
    "lstm clip": lambda rng: random_lstm(rng, clip=0.7),
    "lstm activations": lambda rng: random_lstm(
        rng,
        gate=onnx_activation("HardSigmoid", 0.3, 0.4),
        candidate=onnx_activation("Elu", 0.7),
        cell_output=onnx_activation("ScaledTanh", 0.8, 1.2),
    ),
    "lstm everything": lambda rng: random_lstm(
        rng, proj=True, peephole=True, clip=1.5, coupling="input_from_forget"
    ),
}


@pytest.mark.parametrize("make", LAYERS.values(), ids=LAYERS.keys())
def test_kernel_equals_reference_steps_over_a_minibatch(make) -> None:
    """The sequence kernel on a minibatch (T, 2, D), each sequence stepped by the reference."""
    rng = np.random.default_rng(6)
    layer = make(rng)
    x = rng.normal(size=(STEPS, 2, INPUTS))
    state0 = tuple(np.stack([s, s + 0.5]) for s in initial_state(layer, rng))
    record = layer_forward(layer, x, state0)
    for b in range(2):
        h = state0[0][b]
        c = state0[1][b] if isinstance(layer, LstmLayer) else None
        for t in range(STEPS):
            if isinstance(layer, GruLayer):
                gru = gru_step(layer, x[t, b], h)
                np.testing.assert_allclose(record.act[t, b], np.concatenate([gru.r, gru.z, gru.n]))
                np.testing.assert_allclose(record.hn[t, b], gru.hn, atol=1e-14)
                h = gru.h
            else:
                assert c is not None
                lstm = lstm_variant_step(layer, x[t, b], h, c)
                np.testing.assert_allclose(record.pre[t, b], lstm.a, atol=1e-14)
                gates = np.concatenate([lstm.i, lstm.f, lstm.g, lstm.o])
                np.testing.assert_allclose(record.act[t, b], gates, atol=1e-15)
                h, c = lstm.h, lstm.c
                np.testing.assert_allclose(record.c[t + 1, b], c, atol=1e-14)
            np.testing.assert_allclose(record.h[t + 1, b], h, atol=1e-14)


def test_coupled_input_gate_writes_what_the_forget_gate_drops() -> None:
    rng = np.random.default_rng(3)
    layer = random_lstm(rng, coupling="input_from_forget")
    record = layer_forward(layer, rng.normal(size=(STEPS, INPUTS)))
    np.testing.assert_allclose(record.act[..., :HIDDEN] + record.act[..., HIDDEN : 2 * HIDDEN], 1)


def test_masked_steps_carry_the_state_and_leading_ones_output_zeros() -> None:
    rng = np.random.default_rng(4)
    layer = random_lstm(rng, proj=True)
    state0 = initial_state(layer, rng)
    record = layer_forward(layer, rng.normal(size=(STEPS, INPUTS)), state0, MASK)
    for t in np.flatnonzero(~MASK):
        np.testing.assert_array_equal(record.h[t + 1], record.h[t])
        np.testing.assert_array_equal(record.c[t + 1], record.c[t])  # type: ignore[union-attr]
    np.testing.assert_array_equal(record.output[0], 0)  # not h_0: Keras's output before a read
    np.testing.assert_array_equal(record.output[4], record.h[3])


@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("make", LAYERS.values(), ids=LAYERS.keys())
def test_layer_backward_matches_finite_differences(make, masked: bool) -> None:
    rng = np.random.default_rng(7)
    layer = make(rng)
    x = rng.normal(size=(STEPS, INPUTS))
    state0 = initial_state(layer, rng)
    mask = MASK if masked else None
    out = layer.params.output_size if isinstance(layer, LstmLayer) else HIDDEN
    w = rng.normal(size=(STEPS, out))
    w_state = initial_state(layer, rng)  # weights of the final state in the loss
    named = {k: v.copy() for k, v in layer.params.named().items()}

    def loss() -> float:
        run = layer_forward(with_params(layer, named), x, state0, mask)
        total = float((run.output * w).sum())
        finals = zip(final_state(run), w_state, strict=True)
        return total + sum(float((s * ws).sum()) for s, ws in finals)

    record = layer_forward(layer, x, state0, mask)
    grads = layer_backward(layer, record, w, w_state)
    for name, value in named.items():
        assert_close(grads.params[name], numeric_gradient(loss, value), name)
    assert_close(grads.dx, numeric_gradient(loss, x), "dx")
    for k, part in enumerate(state0):
        assert_close(grads.dstate0[k], numeric_gradient(loss, part), f"dstate0[{k}]")


@pytest.mark.parametrize("kind", ["gru", "lstm projection"])
def test_reverse_and_bidirectional_backward_match_finite_differences(kind: str) -> None:
    rng = np.random.default_rng(8)
    layer = BidirectionalLayer(LAYERS[kind](rng), LAYERS[kind](rng))
    x = rng.normal(size=(STEPS, INPUTS))
    s_fwd, s_rev = initial_state(layer.forward, rng), initial_state(layer.reverse, rng)
    record = bidirectional_forward(layer, x, s_fwd, s_rev, MASK)
    w = rng.normal(size=record.output.shape)
    grads = bidirectional_backward(layer, record, w)

    def loss() -> float:
        return float((bidirectional_forward(layer, x, s_fwd, s_rev, MASK).output * w).sum())

    assert_close(grads.dx, numeric_gradient(loss, x), "dx")
    assert_close(grads.dstate0_reverse[0], numeric_gradient(loss, s_rev[0]), "dh0 reverse")
    for name, value in layer.reverse.params.named().items():
        assert_close(grads.params[name + "_reverse"], numeric_gradient(loss, value), name)

    alone = reverse_forward(layer.reverse, x, s_rev)
    w_alone = w[:, : alone.output.shape[1]]
    reverse_grads = reverse_backward(layer.reverse, alone, w_alone)

    def reverse_loss() -> float:
        return float((reverse_forward(layer.reverse, x, s_rev).output * w_alone).sum())

    assert_close(reverse_grads.dx, numeric_gradient(reverse_loss, x), "reverse dx")


def test_a_wrong_initial_state_or_mask_is_refused_by_name() -> None:
    rng = np.random.default_rng(9)
    x = rng.normal(size=(STEPS, INPUTS))
    with pytest.raises(ValueError, match="h0 has shape"):
        layer_forward(random_gru(rng), x, (np.zeros(1),))
    with pytest.raises(ValueError, match="c0 has shape"):
        layer_forward(random_lstm(rng), x, (np.zeros(HIDDEN), np.zeros(HIDDEN + 1)))
    with pytest.raises(ValueError, match="mask of shape"):
        layer_forward(random_lstm(rng), x, None, MASK[:-1])
    with pytest.raises(ValueError, match="x has shape"):
        layer_forward(random_gru(rng), x[:, :2])


@pytest.mark.parametrize("kind", ["gru reset before", "lstm everything"])
def test_rerun_from_an_edited_step_equals_a_fresh_run(kind: str) -> None:
    rng = np.random.default_rng(10)
    layer = LAYERS[kind](rng)
    x = rng.normal(size=(STEPS, INPUTS))
    state0 = initial_state(layer, rng)
    record = layer_forward(layer, x, state0, MASK)
    before = record.h[:4].copy()
    x[3] += 1.0
    if isinstance(layer, GruLayer):
        gru_layer_forward(layer, record, start=3)  # type: ignore[arg-type]
    else:
        lstm_layer_forward(layer, record, start=3)  # type: ignore[arg-type]
    fresh = layer_forward(layer, x, state0, MASK)
    np.testing.assert_array_equal(record.h[:4], before)
    np.testing.assert_array_equal(record.h, fresh.h)
    np.testing.assert_array_equal(record.act, fresh.act)


@pytest.mark.parametrize("kind", ["gru", "lstm everything"])
def test_minibatch_backward_is_the_sum_over_its_sequences(kind: str) -> None:
    rng = np.random.default_rng(13)
    layer = LAYERS[kind](rng)
    x = rng.normal(size=(STEPS, 2, INPUTS))
    mask = np.stack([MASK, np.ones(STEPS, bool)], axis=1)
    record = layer_forward(layer, x, None, mask)
    w = rng.normal(size=record.output.shape)
    together = layer_backward(layer, record, w)
    alone = [
        layer_backward(layer, layer_forward(layer, x[:, b], None, mask[:, b]), w[:, b])
        for b in range(2)
    ]
    for name, value in together.params.items():
        np.testing.assert_allclose(value, alone[0].params[name] + alone[1].params[name], atol=1e-12)
    np.testing.assert_allclose(together.dx, np.stack([a.dx for a in alone], axis=1), atol=1e-12)
