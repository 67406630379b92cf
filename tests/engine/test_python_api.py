"""``lstm_sim.trace``: the same Trace as the engine's ``record`` for every kind of model a
caller holds, clamps and gradients included, and importing lstm_sim stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lstm_sim
from lstm_sim.engine import Network, Vocabulary, record
from lstm_sim.engine.backprop import gradients
from lstm_sim.engine.formats import save_native
from lstm_sim.engine.interventions import intervened, parse_clamp


@pytest.fixture
def network() -> Network:
    return Network.random("lstm", 3, 4, np.random.default_rng(0), num_layers=2)


def test_trace_of_a_network_and_of_its_file_equal_record(network: Network, tmp_path: Path) -> None:
    x = np.random.default_rng(1).standard_normal((9, 3))
    expected = record(network, x)
    save_native(network, tmp_path / "m.npz")
    for model in (network, tmp_path / "m.npz", str(tmp_path / "m.npz")):
        got = lstm_sim.trace(model, x[None])  # a batch of one is accepted too
        assert not isinstance(got, tuple)
        np.testing.assert_array_equal(got.h, expected.h)
        np.testing.assert_array_equal(got.gate("f"), expected.gate("f"))


def test_trace_with_clamps_and_with_gradients(network: Network) -> None:
    x = np.random.default_rng(2).standard_normal((9, 3))
    got = lstm_sim.trace(network, x, clamp="f[1] = 1 @ 2:5")
    assert not isinstance(got, tuple)
    expected = intervened(network, record(network, x), [parse_clamp("f[1] = 1 @ 2:5")])
    np.testing.assert_array_equal(got.c, expected.c)
    # A clamp on layer 1 alone leaves layer 0 as recorded and changes layer 1 from step 6.
    upper = lstm_sim.trace(network, x, clamp="layer 1: h[0] = 3 @ 6")
    assert not isinstance(upper, tuple)
    free = record(network, x)
    np.testing.assert_array_equal(upper.h[0], free.h[0])
    assert upper.h[1, 6, 0] == 3.0 and not np.array_equal(upper.h[1, 7:], free.h[1, 7:])
    with pytest.raises(ValueError, match="not supported"):
        lstm_sim.trace(network, x, clamp="f = 1 @ 0", grad=True)

    vocab = Vocabulary(("a", "b", " "))
    lm = Network.random("lstm", 3, 4, np.random.default_rng(3), output_size=3, vocab=vocab)
    result = lstm_sim.trace(lm, "ab ba", grad=True)
    assert isinstance(result, tuple)
    recorded, grads = result
    targets = np.append(vocab.indices(recorded.tokens)[1:], -1)  # type: ignore[arg-type]
    reference = gradients(lm, record(lm, list("ab ba")), targets, "xent")
    assert grads.loss == reference.loss
    np.testing.assert_array_equal(grads.dh, reference.dh)


def test_trace_of_a_live_torch_module() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.LSTM(3, 4, num_layers=2).double()
    x = torch.randn(7, 3, dtype=torch.float64)
    got = lstm_sim.trace(module, x)
    assert not isinstance(got, tuple)
    with torch.no_grad():
        output, _ = module(x)
    np.testing.assert_allclose(got.h[-1], output.numpy(), rtol=0, atol=1e-12)


def test_an_unknown_model_type_is_refused() -> None:
    with pytest.raises(TypeError, match="expected a model file's path"):
        lstm_sim.trace(object(), np.zeros((2, 3)))


def test_importing_lstm_sim_loads_no_engine() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, lstm_sim; print('numpy' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "False"
