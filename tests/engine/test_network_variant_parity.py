"""Bidirectional LSTM, GRU and RNN networks and a proj_size LSTM, read from PyTorch files,
recorded and backpropagated by lstm-sim, against PyTorch, T = 50.

Each case is a 2-layer module with a Linear readout. It is checked on the committed
fixture (tests/fixtures/family/network_*, made by ``scripts/make_family_fixtures.py
networks``), which needs no torch, and live on fresh weights when torch is importable, by
one function. Bounds: h, c (both directions, every layer) and the logits within 1e-12 in
float64 and 1e-5 in float32; the loss's gradients within 1e-9 of torch autograd, relative
to the largest entry.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from lstm_sim.engine.backprop import gradients
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.trace import record

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "family"
CASES = ("lstm_bidirectional", "gru_bidirectional", "rnn_bidirectional", "lstm_proj")
PROJECTION_WARNING = "ignore:LSTM with projections is not supported with oneDNN"


def within(engine: np.ndarray, expected: np.ndarray, bound: float, what: str) -> None:
    assert engine.shape == expected.shape, f"{what}: {engine.shape} != {expected.shape}"
    error = float(np.abs(engine - expected).max())
    assert error <= bound, f"{what}: {error:.2e} > {bound:.0e}"


def check_network(model: Path, case: dict[str, Any]) -> None:
    network = load_model(model)
    steps = case["x"].shape[0]
    for dtype, bound in ((np.float64, 1e-12), (np.float32, 1e-5)):
        net = network.astype(dtype)
        trace = record(net, case["x"].astype(dtype))
        recorded = {"h": trace.h, "c": trace.c}
        if trace.h_all_reverse is not None:
            recorded["h_reverse"] = trace.h_all_reverse[:, :steps]
        if trace.c_all_reverse is not None:
            recorded["c_reverse"] = trace.c_all_reverse[:, :steps]
        expected = {"h", "c", "h_reverse", "c_reverse"} & set(case)
        assert expected == {name for name, values in recorded.items() if values is not None}
        for name in expected:
            values = recorded[name]
            assert values is not None
            within(values, case[name], bound, f"{name} {np.dtype(dtype)}")
        assert trace.logits is not None
        expected_logits = case["logits"] if dtype == np.float64 else case["logits32"]
        within(trace.logits, expected_logits, bound, f"logits {np.dtype(dtype)}")
    trace = record(network, case["x"])
    grads = gradients(network, trace, case["targets"], "mse")
    assert abs(grads.loss - float(case["loss"])) <= 1e-12 * max(1.0, abs(float(case["loss"])))
    names = {key.removeprefix("grad.") for key in case if key.startswith("grad.")}
    assert names == set(network.state_dict())
    for name in names:
        expected = case[f"grad.{name}"]
        scale = float(np.abs(expected).max())
        within(grads.params[name], expected, 1e-9 * scale, f"grad {name}")


@pytest.mark.parametrize("name", CASES)
def test_network_matches_torch_fixture(name: str) -> None:
    with np.load(FIXTURES / f"network_{name}.npz", allow_pickle=False) as data:
        case = {key: data[key] for key in data.files}
    check_network(FIXTURES / f"network_{name}.pt", case)


def fixture_script() -> ModuleType:
    path = ROOT / "scripts" / "make_family_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_family_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # torch.save(model) pickles its class by module name
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings(PROJECTION_WARNING)
@pytest.mark.parametrize("name", [*CASES, "lstm_proj_bidirectional"])
def test_network_matches_live_torch(name: str, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    script = fixture_script()
    torch.manual_seed(11)
    if name == "lstm_proj_bidirectional":
        rnn = torch.nn.LSTM(3, 6, 2, proj_size=4, bidirectional=True)
    else:
        rnn = script.NETWORK_CASES[name]()
    case, state = script.network_case(rnn, seed=12)
    torch.save(state, tmp_path / "model.pt")
    check_network(tmp_path / "model.pt", case)


def test_safetensors_holds_the_same_network(tmp_path: Path) -> None:
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    network = load_model(FIXTURES / "network_lstm_bidirectional.pt")
    by_file_name = {network.param_names[k]: v for k, v in network.state_dict().items()}
    safetensors_numpy.save_file(by_file_name, str(tmp_path / "m.safetensors"))
    again = load_model(tmp_path / "m.safetensors")
    assert again.variants() == network.variants()
    for name, array in network.state_dict().items():
        np.testing.assert_array_equal(again.state_dict()[name], array, name)


@pytest.mark.filterwarnings(PROJECTION_WARNING)
@pytest.mark.parametrize("how", ["whole module", "torch.jit.script", "torch.jit.trace"])
def test_whole_module_files_read_as_the_state_dict(how: str, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    script = fixture_script()
    torch.manual_seed(13)
    rnn = torch.nn.LSTM(3, 4, 2, proj_size=2, bidirectional=True)
    model = script.Tagger(rnn, 4).double()
    x = torch.randn(9, 1, 3, dtype=torch.float64)
    path = tmp_path / "model.pt"
    with warnings.catch_warnings():
        # torch.jit says TorchScript is deprecated; users still have such files
        warnings.simplefilter("ignore")
        if how == "whole module":
            torch.save(model, path)
        elif how == "torch.jit.script":
            torch.jit.save(torch.jit.script(model), path)
        else:
            torch.jit.save(torch.jit.trace(model, x), path)
    network = load_model(path)
    assert network.variants()[:2] == (
        "layer 0: bidirectional direction",
        "layer 0: projection (proj_size=2)",
    )
    with torch.no_grad():
        expected = model(x)[:, 0].numpy()
    logits = record(network, x[:, 0].numpy()).logits
    assert logits is not None
    within(logits, expected, 1e-12, how)
