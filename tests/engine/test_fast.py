"""The compiled loops (lstm-sim[fast]) against the NumPy loops they replace."""

from __future__ import annotations

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from lstm_sim.engine import cells, fast  # noqa: E402
from lstm_sim.engine.backprop import BackwardBuffers, backward  # noqa: E402
from lstm_sim.engine.batch import ForwardCache, forward  # noqa: E402
from lstm_sim.engine.fast import kernels  # noqa: E402
from lstm_sim.engine.network import Network  # noqa: E402
from lstm_sim.model.training import TextData, TrainConfig, Trainer, new_network  # noqa: E402

STEPS, BATCH, INPUTS, HIDDEN, OUTPUTS = 7, 3, 5, 6, 4
CELLS = [("lstm", "tanh"), ("rnn", "tanh"), ("rnn", "relu")]
CASES = [(kind, nl, layers) for kind, nl in CELLS for layers in (1, 2)]


@pytest.fixture(scope="module")
def compiled():
    if fast.COMPILED is None:
        pytest.skip("NumPy's BLAS exports no cblas gemm that the compiled loops can call")
    return fast.COMPILED


def make_network(kind: str, nonlinearity: str, layers: int, dtype: type) -> Network:
    rng = np.random.default_rng(0)
    network = Network.random(
        kind, INPUTS, HIDDEN, rng, num_layers=layers, output_size=OUTPUTS, dtype=dtype
    )
    network.nonlinearity = nonlinearity
    # Larger than the default initialisation, so relu units cross zero and gates saturate.
    return network.from_arrays({k: 3 * v for k, v in network.state_dict().items()})


def run(network: Network, tokens: bool, loops) -> ForwardCache:
    rng = np.random.default_rng(1)
    cache = ForwardCache.allocate(network, STEPS, BATCH, token_ids=tokens)
    if tokens:
        cache.inputs[...] = rng.integers(0, INPUTS, (STEPS, BATCH))
    else:
        cache.inputs[...] = rng.normal(size=(STEPS, BATCH, INPUTS))
    shape = (network.num_layers, BATCH, HIDDEN)
    h0 = rng.normal(scale=0.5, size=shape).astype(network.dtype)
    c0 = rng.normal(scale=0.5, size=shape).astype(network.dtype)
    forward(network, cache, h0, c0 if network.kind == "lstm" else None, loops)
    return cache


RECORDED = ("h_all", "c_all", "pre", "act", "fc", "ig", "tanh_c", "logits", "probs")


@pytest.mark.parametrize(("kind", "nonlinearity", "layers"), CASES)
@pytest.mark.parametrize("tokens", [True, False])
def test_float64_forward_equals_numpy(compiled, kind, nonlinearity, layers, tokens) -> None:
    """The same operations; only the C library's tanh and NumPy's vectorised one may
    differ, in the last bit."""
    network = make_network(kind, nonlinearity, layers, np.float64)
    want, got = run(network, tokens, None), run(network, tokens, compiled)
    for name in RECORDED:
        if getattr(want, name) is not None:
            np.testing.assert_allclose(
                getattr(got, name), getattr(want, name), rtol=1e-12, atol=1e-15, err_msg=name
            )
    if nonlinearity == "relu":  # no tanh at all: bit for bit
        assert np.array_equal(got.h_all, want.h_all) and np.array_equal(got.pre, want.pre)


@pytest.mark.parametrize(("kind", "nonlinearity", "layers"), CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", ["xent", "mse"])
def test_backward_equals_numpy_bit_for_bit(compiled, kind, nonlinearity, layers, dtype, loss):
    network = make_network(kind, nonlinearity, layers, dtype)
    cache = run(network, True, None)
    rng = np.random.default_rng(2)
    if loss == "xent":
        targets = rng.integers(-1, OUTPUTS, (STEPS, BATCH))
    else:
        targets = rng.normal(size=(STEPS, BATCH, OUTPUTS))
    want = backward(network, cache, targets, loss, BackwardBuffers(network, STEPS, BATCH))
    got = backward(
        network, cache, targets, loss, BackwardBuffers(network, STEPS, BATCH), loops=compiled
    )
    for name in ("dh", "dc", "dh0", "dc0"):
        if getattr(want, name) is not None:
            assert np.array_equal(getattr(got, name), getattr(want, name)), name
    for name, value in want.params.items():
        assert np.array_equal(got.params[name], value), name


@pytest.mark.parametrize(("kind", "nonlinearity"), CELLS)
def test_float32_forward_stays_within_float32_rounding(compiled, kind, nonlinearity) -> None:
    """In float32 the kernels' tanh is a rational approximation, not NumPy's."""
    network = make_network(kind, nonlinearity, 2, np.float32)
    want, got = run(network, True, None), run(network, True, compiled)
    for name in RECORDED:
        if getattr(want, name) is not None:
            np.testing.assert_allclose(
                getattr(got, name), getattr(want, name), rtol=0, atol=2e-6, err_msg=name
            )


@numba.njit
def compiled_tanh(x: np.ndarray, out: np.ndarray) -> None:
    for k in range(x.size):
        out[k] = kernels.kernel_tanh(x[k])


def test_float32_tanh_is_within_seven_ulp() -> None:
    """Measured: at most 5.7 ulp, mean 0.8 (NumPy's own float32 tanh: 1.4 and 0.3)."""
    x = np.concatenate([np.linspace(-12, 12, 400_001), np.geomspace(1e-9, 10, 100_001)])
    x = np.concatenate([x, -x]).astype(np.float32)
    exact = np.tanh(x.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    got = np.empty_like(x)
    compiled_tanh(x, got)
    assert np.max(np.abs(got - exact) / ulp) <= 7
    half = got.size // 2
    assert np.array_equal(got[half:], -got[:half])  # odd, as tanh is
    # The plain-Python path computes the same numbers.
    sample = x[::997]
    python = np.array([kernels.kernel_tanh(v) for v in sample], np.float32)
    assert np.array_equal(python, got[::997])
    # float64 gets the C library's tanh.
    assert abs(kernels.kernel_tanh(0.5) - np.tanh(0.5)) <= np.spacing(np.tanh(0.5))


def test_restart_from_a_step_leaves_earlier_steps_alone(compiled) -> None:
    """``start`` reruns the tail only, as the NumPy loop's does."""
    rng = np.random.default_rng(3)
    weight_hh = rng.normal(scale=0.5, size=(4 * HIDDEN, HIDDEN))
    xw = rng.normal(size=(STEPS, BATCH, 4 * HIDDEN))
    arrays = {
        name: np.zeros(shape)
        for name, shape in {
            "h_all": (STEPS + 1, BATCH, HIDDEN),
            "c_all": (STEPS + 1, BATCH, HIDDEN),
            "pre": (STEPS, BATCH, 4 * HIDDEN),
            "act": (STEPS, BATCH, 4 * HIDDEN),
            "fc": (STEPS, BATCH, HIDDEN),
            "ig": (STEPS, BATCH, HIDDEN),
            "tanh_c": (STEPS, BATCH, HIDDEN),
        }.items()
    }
    mine = {name: value.copy() for name, value in arrays.items()}
    cells.lstm_layer_forward(xw, weight_hh, **arrays)
    fast.lstm_layer_forward(xw, weight_hh, **mine)
    xw[4:] += 1.0
    before = {name: value.copy() for name, value in mine.items()}
    cells.lstm_layer_forward(xw, weight_hh, **arrays, start=4)
    fast.lstm_layer_forward(xw, weight_hh, **mine, start=4)
    for name, value in mine.items():
        assert np.array_equal(value[:4], before[name][:4]), name
        np.testing.assert_allclose(value, arrays[name], rtol=1e-12, atol=1e-15, err_msg=name)


def test_trainer_runs_the_compiled_loops_to_the_same_losses(compiled) -> None:
    data = TextData.from_text("the cat sat on the mat; the dog sat on the log. " * 20)
    config = TrainConfig(steps=15, seq_len=16, batch_size=4, report_every=0.0)
    losses = {}
    for use in (False, True):
        network = new_network(data, "lstm", 16, 1, np.random.default_rng(4))
        trainer = Trainer(network, data, config, np.random.default_rng(5), compiled=use)
        assert trainer.loops_name == (compiled.name if use else "NumPy")
        losses[use] = [report.loss for report in trainer.run()]
    assert losses[True][-1] < losses[True][0]  # it learns
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-4)


@pytest.mark.parametrize(("kind", "nonlinearity"), CELLS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_non_finite_values_spread_as_in_numpy(compiled, kind, nonlinearity, dtype) -> None:
    """A NaN or an overflow must reach the loss, as in the NumPy loops, where training
    reports it; a clamp inside tanh must not turn NaN into a number."""
    network = make_network(kind, nonlinearity, 2, dtype)
    network.layers[0].weight_hh[0, 0] = np.nan
    network.layers[1].bias_ih[1] = np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        want, got = run(network, True, None), run(network, True, compiled)
    for name in RECORDED:
        if getattr(want, name) is not None:
            assert np.array_equal(np.isnan(getattr(got, name)), np.isnan(getattr(want, name))), name
            assert np.array_equal(np.isinf(getattr(got, name)), np.isinf(getattr(want, name)))
