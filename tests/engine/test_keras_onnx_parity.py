"""Keras and ONNX model files read by lstm-sim compute what their frameworks compute.

The files and the frameworks' outputs are committed (tests/fixtures/keras_onnx/, made by
scripts/make_keras_onnx_fixtures.py with Keras 3 on PyTorch and onnxruntime), so the
parity holds without the frameworks: ≤ 1e-12 in float64 and ≤ 1e-5 in float32 on every
layer's outputs, final states and the model's output, over T = 50 steps (float32 only for
the ONNX options no framework runs in float64: clip, input_forget, activations). When Keras
or onnxruntime imports, the same files are run again by the framework itself on new random
weights and inputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from lstm_sim.engine import Network, record
from lstm_sim.engine.formats import load_model

pytest.importorskip("h5py")  # the Keras reader's own extra; the ONNX tests need onnx

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "keras_onnx"
TOLERANCE = {64: 1e-12, 32: 1e-5}
KERAS_NUMPY_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword"

KERAS_FILES = [
    "keras_gru_reset_after.keras",
    "keras_gru_reset_after.h5",
    "keras_gru_reset_before.keras",
    "keras_gru_reset_before.h5",
    "keras_bidirectional_masked.keras",
    "keras_bidirectional_masked.h5",
    "keras_gru_masked_hard_sigmoid.keras",
    "keras_lstm_go_backwards.keras",
    "keras_rnn_bidirectional_backwards.keras",
    "keras_rnn_bidirectional_backwards.h5",
    "keras_functional_masked_gru.keras",
    "keras_functional_masked_gru.h5",
]
ONNX_FILES = [
    "onnx_gru_reset_before.onnx",
    "onnx_gru_reset_after.onnx",
    "onnx_lstm_bidirectional_peepholes.onnx",
    "onnx_lstm_reverse.onnx",
    "onnx_lstm_clip_input_forget_activations.onnx",
    "onnx_gru_bidirectional_clip_activations.onnx",
    "onnx_rnn_bidirectional_reverse.onnx",
]


def load_case(file: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{Path(file).stem}.npz", allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


@dataclass(frozen=True)
class Run:
    """A network's numbers on one sequence: each layer's output (T, directions·P) in time
    order, each layer's final states per direction (h, and c for an LSTM), and the model's
    output (T, ...)."""

    outputs: list[np.ndarray]
    states: list[list[tuple[np.ndarray, ...]]]
    output: np.ndarray


def run(net: Network, x: np.ndarray, bits: int) -> Run:
    """What lstm-sim records for ``net`` in float``bits`` over x (T, D)."""
    dtype = np.float64 if bits == 64 else np.float32
    trace = record(net.astype(dtype), x.astype(dtype))
    outputs, states = [], []
    for k in range(trace.num_layers):
        outputs.append(trace.layer_output(k))
        ends = []
        direction = trace.direction(k)
        if direction != "reverse":  # the forward pass ends after x_{T-1}
            c = () if trace.c_all is None else (trace.c_all[k, -1],)
            ends.append((trace.h_all[k, -1], *c))
        if direction != "forward":  # the reverse pass ends after x_0, time index 0
            assert trace.h_all_reverse is not None
            c = () if trace.c_all_reverse is None else (trace.c_all_reverse[k, 0],)
            ends.append((trace.h_all_reverse[k, 0], *c))
        states.append(ends)
    output = trace.layer_output(trace.num_layers - 1)
    if trace.logits is not None:
        output = trace.logits if trace.probs is None else trace.probs
    return Run(outputs, states, output)


def assert_within(got: np.ndarray, expected: np.ndarray, bound: float, what: str) -> None:
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    worst = float(np.max(np.abs(got - expected)))
    assert worst <= bound, f"{what}: worst difference {worst:.3g} > {bound:g}"


def check_keras(net: Network, case: dict[str, np.ndarray], bits: int) -> None:
    """Keras lists a lone reverse (go_backwards) layer's outputs last step first, and the
    model's outputs too when the last layer is one."""
    got, bound = run(net, case["x"], bits), TOLERANCE[bits]
    for k, layer in enumerate(net.layers):
        listed = layer.direction == "reverse"
        output = np.flip(got.outputs[k], 0) if listed else got.outputs[k]
        assert_within(output, case[f"h{bits}.{k}"], bound, f"layer {k} output (float{bits})")
        ends = [array for state in got.states[k] for array in state]  # h, c per direction
        for j, array in enumerate(ends):
            assert_within(array, case[f"state{bits}.{k}.{j}"], bound, f"layer {k} state {j}")
        assert f"state{bits}.{k}.{len(ends)}" not in case
    output = np.flip(got.output, 0) if net.layers[-1].direction == "reverse" else got.output
    assert_within(output, case[f"y{bits}"], bound, f"model output (float{bits})")


def check_onnx(net: Network, case: dict[str, np.ndarray], bits: int) -> None:
    got, bound = run(net, case["x"], bits), TOLERANCE[bits]
    for k, layer in enumerate(net.layers):
        directions = layer.directions
        y = got.outputs[k].reshape(-1, directions, net.h_size)  # Y (T, directions, H)
        assert_within(y, case[f"h{bits}.{k}"], bound, f"node {k} Y (float{bits})")
        for j in range(len(got.states[k][0])):  # Y_h, then Y_c: (directions, H)
            ends = np.stack([state[j] for state in got.states[k]])
            assert_within(ends, case[f"state{bits}.{k}.{j}"], bound, f"node {k} state {j}")


@pytest.mark.parametrize("file", KERAS_FILES)
@pytest.mark.parametrize("bits", [64, 32])
def test_keras_file_matches_keras(file: str, bits: int) -> None:
    check_keras(load_model(FIXTURES / file), load_case(file), bits)


def onnx_widths(file: str) -> list[int]:
    """The float widths whose outputs the fixture holds (no framework runs ONNX's clip,
    input_forget or activations in float64: see the fixture script)."""
    case = load_case(file)
    return [bits for bits in (64, 32) if f"y{bits}" in case]


@pytest.mark.parametrize(
    ("file", "bits"), [(file, bits) for file in ONNX_FILES for bits in onnx_widths(file)]
)
def test_onnx_file_matches_onnx(file: str, bits: int) -> None:
    pytest.importorskip("onnx")
    check_onnx(load_model(FIXTURES / file), load_case(file), bits)


def test_the_reset_conventions_are_read() -> None:
    """Both conventions are present, so a reader that ignored them would fail above."""
    gru_files = [f for f in KERAS_FILES + ONNX_FILES if "gru_reset" in f]
    pytest.importorskip("onnx")
    settings = {f: load_model(FIXTURES / f).reset_after for f in gru_files}
    assert settings == {
        "keras_gru_reset_after.keras": True,
        "keras_gru_reset_after.h5": True,
        "keras_gru_reset_before.keras": False,
        "keras_gru_reset_before.h5": False,
        "onnx_gru_reset_before.onnx": False,
        "onnx_gru_reset_after.onnx": True,
    }


# -- live: the frameworks run the same files on new weights --------------------------------


@pytest.fixture(scope="module")
def keras() -> ModuleType:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("these checks run Keras on the torch backend")
    return keras


@contextmanager
def keras_float64(keras: ModuleType) -> Iterator[None]:
    """Keras in float64 that stays float64: Keras 3.15 narrows float64 to float32 in type
    promotion on every backend but TensorFlow (see the fixture script)."""
    from keras.src.backend.common import dtypes

    narrowed = dtypes.BIT64_TO_BIT32_DTYPE.pop("float64", None)
    keras.config.set_floatx("float64")
    try:
        yield
    finally:
        keras.config.set_floatx("float32")
        if narrowed is not None:
            dtypes.BIT64_TO_BIT32_DTYPE["float64"] = narrowed


@pytest.mark.filterwarnings(KERAS_NUMPY_WARNING)
@pytest.mark.parametrize("file", [f for f in KERAS_FILES if f.endswith(".keras")])
def test_live_keras_on_new_weights(keras: ModuleType, file: str, tmp_path: Path) -> None:
    """Keras loads the committed file, takes new random weights and a new input, saves it
    again; lstm-sim's reading of that file computes what Keras computes, in float64."""
    rng = np.random.default_rng(7)
    with keras_float64(keras):
        model = keras.saving.load_model(FIXTURES / file)
        model.set_weights([rng.normal(scale=0.6, size=w.shape) for w in model.get_weights()])
        model.save(tmp_path / file)
        x = rng.normal(size=(50, 3))
        expected = keras.ops.convert_to_numpy(model(x[None]))[0]
    net = load_model(tmp_path / file)
    got = run(net, x, 64).output
    if net.layers[-1].direction == "reverse":
        got = np.flip(got, 0)
    assert_within(got, expected, TOLERANCE[64], "output (float64)")


@pytest.mark.parametrize("file", ONNX_FILES)
def test_live_onnxruntime_on_new_weights(file: str, tmp_path: Path) -> None:
    """onnxruntime runs the committed graph with new random initializers and a new input;
    lstm-sim's reading of that graph computes what onnxruntime computes, in float32."""
    onnx = pytest.importorskip("onnx")
    onnxruntime = pytest.importorskip("onnxruntime")

    rng = np.random.default_rng(8)
    model = onnx.load(FIXTURES / file)
    for tensor in model.graph.initializer:
        array = onnx.numpy_helper.to_array(tensor)
        if array.dtype == np.float32:
            fresh = rng.normal(scale=0.6, size=array.shape).astype(np.float32)
            tensor.CopyFrom(onnx.numpy_helper.from_array(fresh, tensor.name))
    onnx.save(model, tmp_path / file)
    x = rng.normal(size=(50, 1, 3)).astype(np.float32)
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [output.name for output in session.get_outputs()]
    values: dict[str, Any] = dict(zip(names, session.run(None, {"X": x}), strict=True))
    case = {"x": x[:, 0].astype(np.float64)}
    net = load_model(tmp_path / file)
    for k in range(net.num_layers):
        case[f"h32.{k}"] = values[f"Y{k}"][:, :, 0]
        for j, name in enumerate(("Y_h", "Y_c")):
            if f"{name}{k}" in values:
                case[f"state32.{k}.{j}"] = values[f"{name}{k}"][:, 0]
    check_onnx(net, case, 32)


def test_keras_output_order_after_go_backwards_is_noted() -> None:
    net = load_model(FIXTURES / "keras_lstm_go_backwards.keras")
    assert [layer.direction for layer in net.layers] == ["reverse", "reverse"]
    assert net.notes == (
        "Keras lists this model's outputs last step first (go_backwards on 'lstm_4'); "
        "lstm-sim shows each output at the time step it read",
    )


@pytest.mark.filterwarnings("ignore::Warning")  # the exporter's own, while it traces
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_pytorch_exported_bidirectional_stack_matches_pytorch(kind: str, tmp_path: Path) -> None:
    """PyTorch's exporter joins bidirectional nodes with Transpose and Reshape and starts
    them from Expand-ed zeros; lstm-sim reads that stack and computes what PyTorch does."""
    pytest.importorskip("onnx")  # the exporter writes with it
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    module = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True)
    x = torch.randn(20, 1, 3)
    # The legacy (TorchScript) exporter needs only onnx; the dynamo one needs onnxscript.
    torch.onnx.export(module, (x,), tmp_path / "bi.onnx", dynamo=False)
    net = load_model(tmp_path / "bi.onnx")
    assert [layer.direction for layer in net.layers] == ["bidirectional"] * 2
    assert net.notes == ()
    with torch.no_grad():
        expected = module.double()(x.double())[0][:, 0].numpy()
    assert_within(run(net, x[:, 0].numpy(), 64).outputs[1], expected, 1e-12, "Y")
