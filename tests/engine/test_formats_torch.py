"""PyTorch files read without torch, checked against PyTorch's own outputs.

The committed fixtures (scripts/make_torch_fixtures.py) hold PyTorch's h and c for every
layer and step; the live tests build fresh random models when torch is importable.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from lstm_sim.engine import record
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.torch_pickle import read_torch_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "torch"


@pytest.fixture(scope="module")
def outputs() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "outputs.npz", allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


@pytest.mark.parametrize(
    ("file", "name", "x_key", "tolerance"),
    [
        ("lstm2.pt", "lstm2", "x", 1e-6),
        ("lstm2.safetensors", "lstm2", "x", 1e-6),
        ("lstm2_double.pt", "lstm2_double", "x64", 1e-12),
        ("lstm_cell.pt", "lstm_cell", "x", 1e-6),
        ("tagger.pt", "tagger", "x", 1e-6),
    ],
)
def test_lstm_matches_pytorch(
    outputs: dict[str, np.ndarray], file: str, name: str, x_key: str, tolerance: float
) -> None:
    net = load_model(FIXTURES / file)
    assert net.kind == "lstm"
    trace = record(net, outputs[x_key])
    expected_h, expected_c = outputs[f"{name}.h"], outputs[f"{name}.c"]
    assert trace.h.shape == expected_h.shape
    np.testing.assert_allclose(trace.h, expected_h, rtol=0, atol=tolerance)
    np.testing.assert_allclose(trace.c, expected_c, rtol=0, atol=tolerance)


def test_two_layer_lstm_loads_with_pytorch_sizes() -> None:
    net = load_model(FIXTURES / "lstm2.pt")
    assert (net.num_layers, net.input_size, net.hidden_size) == (2, 3, 5)
    assert net.dtype == np.float32 and net.readout is None
    assert "lstm2.pt" in net.source and "PyTorch .pt" in net.source
    assert load_model(FIXTURES / "lstm2_double.pt").dtype == np.float64


def test_pt_and_safetensors_hold_identical_weights() -> None:
    a = load_model(FIXTURES / "lstm2.pt").state_dict()
    b = load_model(FIXTURES / "lstm2.safetensors").state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_rnn_relu_needs_to_be_told(outputs: dict[str, np.ndarray]) -> None:
    told = load_model(FIXTURES / "rnn_relu.pt", nonlinearity="relu")
    assert told.kind == "rnn" and told.nonlinearity == "relu"
    np.testing.assert_allclose(record(told, outputs["x"]).h, outputs["rnn_relu.h"], atol=1e-6)
    # Untold, the loader assumes tanh, says so, and (on this model) disagrees with PyTorch.
    assumed = load_model(FIXTURES / "rnn_relu.pt")
    assert assumed.nonlinearity == "tanh" and "assumed" in assumed.metadata["nonlinearity"]
    assert np.abs(record(assumed, outputs["x"]).h - outputs["rnn_relu.h"]).max() > 1e-3


def test_two_layer_tanh_rnn_from_safetensors(outputs: dict[str, np.ndarray]) -> None:
    net = load_model(FIXTURES / "rnn_tanh.safetensors")
    assert (net.kind, net.num_layers, net.hidden_size) == ("rnn", 2, 4)
    np.testing.assert_allclose(record(net, outputs["x"]).h, outputs["rnn_tanh.h"], atol=1e-6)


def test_checkpoint_with_prefixed_module_and_linear_head(outputs: dict[str, np.ndarray]) -> None:
    net = load_model(FIXTURES / "tagger.pt")
    assert net.metadata["module"] == "model.encoder.lstm"
    assert net.metadata["readout_module"] == "model.fc"
    assert "module 'model.encoder.lstm'" in net.source
    # bias=False: PyTorch stores no bias, the loader uses zeros.
    assert not np.any(net.layers[0].bias_ih) and not np.any(net.layers[0].bias_hh)
    assert net.readout is not None and net.readout.kind == "linear"
    trace = record(net, outputs["x"])
    assert trace.probs is None
    np.testing.assert_allclose(trace.logits, outputs["tagger.logits"], rtol=0, atol=1e-6)
    # Naming the module explicitly, with or without the trailing dot, gives the same.
    again = load_model(FIXTURES / "tagger.pt", prefix="model.encoder.lstm.")
    np.testing.assert_array_equal(again.layers[0].weight_ih, net.layers[0].weight_ih)


def test_storage_dtypes_offsets_and_strides(outputs: dict[str, np.ndarray]) -> None:
    tensors = read_torch_file(FIXTURES / "tensors.pt")
    assert tensors.keys() == {"half", "bfloat16", "double", "transposed", "offset", "scalar"}
    assert tensors["half"].dtype == np.float16 and tensors["double"].dtype == np.float64
    assert tensors["transposed"].shape == (6, 4) and tensors["scalar"].shape == ()
    for key, value in tensors.items():
        np.testing.assert_array_equal(value.astype(np.float64), outputs[f"tensors.{key}"])


# -- live PyTorch: fresh random weights, saved by torch, run by torch --------------------


@pytest.fixture(scope="module")
def torch() -> ModuleType:
    return pytest.importorskip("torch")


def _torch_states(
    torch: ModuleType, module: Any, x: Any, lstm: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """h and c (L, T, H) of every layer, stepping so each layer's state is visible."""
    hs, cs = [], []
    h = torch.zeros(module.num_layers, module.hidden_size, dtype=x.dtype)
    c = torch.zeros_like(h)
    with torch.no_grad():
        for t in range(x.shape[0]):
            if lstm:
                _, (h, c) = module(x[t : t + 1], (h, c))
            else:
                _, h = module(x[t : t + 1], h)
            hs.append(h.clone())
            cs.append(c.clone())
    return torch.stack(hs, 1).numpy(), torch.stack(cs, 1).numpy() if lstm else None


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_live_lstm_parity(torch: ModuleType, tmp_path: Path, suffix: str, dtype_name: str) -> None:
    from safetensors.torch import save_file

    torch.manual_seed(7)
    dtype = getattr(torch, dtype_name)
    module = torch.nn.LSTM(4, 6, num_layers=3).to(dtype)
    x = torch.randn(9, 4, dtype=dtype)
    path = tmp_path / f"m{suffix}"
    if suffix == ".pt":
        torch.save(module.state_dict(), path)
    else:
        save_file(module.state_dict(), path)
    h, c = _torch_states(torch, module, x, lstm=True)
    trace = record(load_model(path), x.numpy())
    tolerance = 1e-6 if dtype_name == "float32" else 1e-12
    np.testing.assert_allclose(trace.h, h, rtol=0, atol=tolerance)
    np.testing.assert_allclose(trace.c, c, rtol=0, atol=tolerance)


def test_live_rnn_and_whole_module_parity(torch: ModuleType, tmp_path: Path) -> None:
    torch.manual_seed(8)
    model = torch.nn.Module()
    model.rnn = torch.nn.RNN(3, 5, num_layers=2, nonlinearity="relu").double()
    model.head = torch.nn.Linear(5, 2, bias=False).double()
    model.embedding = torch.nn.Embedding(10, 5).double()  # also (V, 5): must not be the head
    torch.save(model.state_dict(), tmp_path / "m.pth")
    x = torch.randn(7, 3, dtype=torch.float64)
    h, _ = _torch_states(torch, model.rnn, x, lstm=False)
    net = load_model(tmp_path / "m.pth", nonlinearity="relu")
    assert net.metadata["readout_module"] == "head"
    trace = record(net, x.numpy())
    np.testing.assert_allclose(trace.h, h, rtol=0, atol=1e-12)
    with torch.no_grad():
        logits = model.head(torch.from_numpy(h[-1])).numpy()
    np.testing.assert_allclose(trace.logits, logits, rtol=0, atol=1e-12)


def test_live_parameters_saved_as_a_plain_dict(torch: ModuleType, tmp_path: Path) -> None:
    """{name: nn.Parameter} pickles through _rebuild_parameter, not a plain tensor."""
    torch.manual_seed(9)
    cell = torch.nn.LSTMCell(2, 3)
    torch.save(dict(cell.named_parameters()), tmp_path / "p.pt")
    net = load_model(tmp_path / "p.pt")
    np.testing.assert_array_equal(net.layers[0].weight_hh, cell.weight_hh.detach().numpy())


def test_shipped_example_is_the_converted_fixture(outputs: dict[str, np.ndarray]) -> None:
    from lstm_sim.resources import resource_path

    shipped = load_model(resource_path("models/example_lstm2.npz"))
    assert "converted_from" in shipped.metadata and shipped.metadata["description"]
    original = load_model(FIXTURES / "lstm2.pt").state_dict()
    for key, value in shipped.state_dict().items():
        np.testing.assert_array_equal(value, original[key], err_msg=key)
    np.testing.assert_allclose(record(shipped, outputs["x"]).h, outputs["lstm2.h"], atol=1e-6)


def test_live_module_knows_its_nonlinearity(torch: ModuleType) -> None:
    from lstm_sim.engine.formats.torch_module import network_from_module

    torch.manual_seed(10)
    model = torch.nn.Module()
    model.rnn = torch.nn.RNN(3, 4, nonlinearity="relu").bfloat16()
    model.out = torch.nn.Linear(4, 2).bfloat16()
    net = network_from_module(model)
    assert (net.kind, net.nonlinearity, net.dtype) == ("rnn", "relu", np.float32)
    assert net.metadata["nonlinearity"] == "relu"
    assert "weights stored as bfloat16 are computed in float32 (upcast)" in net.notes
    assert net.source == "a live torch Module, module 'rnn'"
    x = torch.randn(5, 3)
    h, _ = _torch_states(torch, model.rnn.float(), x, lstm=False)
    np.testing.assert_allclose(record(net, x.numpy()).h, h, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match=r"expected a torch\.nn\.Module, got a dict"):
        network_from_module({})


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_narrow_pt_files_say_they_were_widened(
    torch: ModuleType, tmp_path: Path, dtype: str
) -> None:
    torch.manual_seed(11)
    lstm = torch.nn.LSTM(3, 4).to(getattr(torch, dtype))
    torch.save(lstm.state_dict(), tmp_path / "narrow.pt")
    net = load_model(tmp_path / "narrow.pt")
    assert net.dtype == np.float32
    assert f"weights stored as {dtype} are computed in float32 (upcast)" in net.notes
    x = torch.randn(6, 3)
    h, _ = _torch_states(torch, lstm.float(), x, lstm=True)
    np.testing.assert_allclose(record(net, x.numpy()).h, h, rtol=0, atol=1e-6)
