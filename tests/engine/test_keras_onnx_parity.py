"""Keras and ONNX model files read by lstm-sim compute what their frameworks compute.

The files and the frameworks' outputs are committed (tests/fixtures/keras_onnx/, made by
scripts/make_keras_onnx_fixtures.py with Keras 3 on PyTorch and onnxruntime), so the
parity holds without the frameworks: ≤ 1e-12 in float64 and ≤ 1e-5 in float32 on every
layer's outputs, final states and the model's output, over T = 50 steps. When Keras or
onnxruntime imports, the same files are run again by the framework itself on new random
weights and inputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from lstm_sim.engine import Network, record
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.trace import Trace

pytest.importorskip("h5py")  # the readers' own extras: the 'keras' one
pytest.importorskip("onnx")  # and the 'onnx' one

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "keras_onnx"
TOLERANCE = {64: 1e-12, 32: 1e-5}
KERAS_NUMPY_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword"

KERAS_FILES = [
    "keras_gru_reset_after.keras",
    "keras_gru_reset_after.h5",
    "keras_gru_reset_before.keras",
    "keras_gru_reset_before.h5",
]
ONNX_FILES = [
    "onnx_gru_reset_before.onnx",
    "onnx_gru_reset_after.onnx",
]


def load_case(file: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{Path(file).stem}.npz", allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def run(net: Network, x: np.ndarray, bits: int) -> Trace:
    dtype = np.float64 if bits == 64 else np.float32
    return record(net.astype(dtype), x.astype(dtype))


def assert_within(got: np.ndarray, expected: np.ndarray, bound: float, what: str) -> None:
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    worst = float(np.max(np.abs(got - expected)))
    assert worst <= bound, f"{what}: worst difference {worst:.3g} > {bound:g}"


def model_output(trace: Trace) -> np.ndarray:
    """What the model hands out at each step: its readout's, else the last layer's h."""
    if trace.probs is not None:
        return trace.probs
    if trace.logits is not None:
        return trace.logits
    return trace.h[-1]


def check_keras(net: Network, case: dict[str, np.ndarray], bits: int) -> None:
    trace, bound = run(net, case["x"], bits), TOLERANCE[bits]
    for k in range(net.num_layers):
        assert_within(trace.h[k], case[f"h{bits}.{k}"], bound, f"layer {k} h (float{bits})")
        assert_within(trace.h[k, -1], case[f"state{bits}.{k}.0"], bound, f"layer {k} h_T")
        if trace.c is not None:
            assert_within(trace.c[k, -1], case[f"state{bits}.{k}.1"], bound, f"layer {k} c_T")
    assert_within(model_output(trace), case[f"y{bits}"], bound, f"output (float{bits})")


def check_onnx(net: Network, case: dict[str, np.ndarray], bits: int) -> None:
    trace, bound = run(net, case["x"], bits), TOLERANCE[bits]
    for k in range(net.num_layers):
        y = case[f"h{bits}.{k}"][:, 0]  # Y (T, directions, H), one direction here
        assert_within(trace.h[k], y, bound, f"node {k} Y (float{bits})")
        assert_within(trace.h[k, -1], case[f"state{bits}.{k}.0"][0], bound, f"node {k} Y_h")
        if trace.c is not None:
            assert_within(trace.c[k, -1], case[f"state{bits}.{k}.1"][0], bound, f"node {k} Y_c")


@pytest.mark.parametrize("file", KERAS_FILES)
@pytest.mark.parametrize("bits", [64, 32])
def test_keras_file_matches_keras(file: str, bits: int) -> None:
    check_keras(load_model(FIXTURES / file), load_case(file), bits)


@pytest.mark.parametrize("file", ONNX_FILES)
@pytest.mark.parametrize("bits", [64, 32])
def test_onnx_file_matches_onnx(file: str, bits: int) -> None:
    case = load_case(file)
    if f"y{bits}" not in case:
        pytest.skip(f"no float{bits} outputs exist for {file} (see the fixture script)")
    check_onnx(load_model(FIXTURES / file), case, bits)


def test_the_reset_conventions_are_read() -> None:
    """Both conventions are present, so a reader that ignored them would fail above."""
    settings = {f: load_model(FIXTURES / f).reset_after for f in KERAS_FILES + ONNX_FILES}
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
    trace = run(load_model(tmp_path / file), x, 64)
    assert_within(model_output(trace), expected, TOLERANCE[64], "output (float64)")


@pytest.mark.parametrize("file", ONNX_FILES)
def test_live_onnxruntime_on_new_weights(file: str, tmp_path: Path) -> None:
    """onnxruntime runs the committed graph with new random initializers and a new input;
    lstm-sim's reading of that graph computes what onnxruntime computes, in float32."""
    onnxruntime = pytest.importorskip("onnxruntime")
    import onnx

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
