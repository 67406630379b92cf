"""Keras files: real ones written by Keras 3 (scripts/make_torch_fixtures.py), a Keras 2
style legacy .h5 built here from PyTorch weights, and the layers that are refused."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from lstm_sim.engine import record
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.keras import network_from_keras

h5py = pytest.importorskip("h5py")  # the 'keras' extra

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def keras_outputs() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "keras" / "outputs.npz", allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


@pytest.mark.parametrize("file", ["lstm2.keras", "lstm2_legacy.h5"])
def test_keras_files_match_keras(keras_outputs: dict[str, np.ndarray], file: str) -> None:
    net = load_model(FIXTURES / "keras" / file)
    assert (net.kind, net.num_layers, net.input_size, net.hidden_size) == ("lstm", 2, 3, 5)
    assert net.readout is not None and net.readout.kind == "softmax"
    assert not np.any(net.layers[0].bias_hh)  # Keras's single bias goes to bias_ih
    trace = record(net, keras_outputs["x"])
    np.testing.assert_allclose(trace.h, keras_outputs["h"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(trace.probs, keras_outputs["probs"], rtol=0, atol=1e-6)


def _keras2_config(layers: list[dict]) -> str:
    return json.dumps({"class_name": "Sequential", "config": {"name": "seq", "layers": layers}})


def _lstm_entry(name: str, **cfg: object) -> dict:
    base = {"name": name, "units": 5, "activation": "tanh", "recurrent_activation": "sigmoid"}
    return {"class_name": "LSTM", "config": {**base, **cfg}}


def test_keras2_legacy_h5_from_pytorch_weights_matches_pytorch(tmp_path: Path) -> None:
    """Keras 2 names arrays 'kernel:0'...; built from PyTorch's weights, the file must give
    PyTorch's outputs, which pins the gate order (Keras i, f, c, o = PyTorch i, f, g, o)."""
    torch_net = load_model(FIXTURES / "torch" / "lstm2.pt")
    path = tmp_path / "keras2.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["model_config"] = _keras2_config(
            [{"class_name": "InputLayer", "config": {"name": "in"}}]
            + [_lstm_entry(f"lstm_{k}", use_bias=True) for k in range(2)]
            + [{"class_name": "Dropout", "config": {"name": "drop", "rate": 0.5}}]
        ).encode()
        weights = h5.create_group("model_weights")
        weights.attrs["layer_names"] = [b"in", b"lstm_0", b"lstm_1", b"drop"]
        for k, layer in enumerate(torch_net.layers):
            group = weights.create_group(f"lstm_{k}")
            names = [f"lstm_{k}/lstm_cell/{n}:0" for n in ("kernel", "recurrent_kernel", "bias")]
            group.attrs["weight_names"] = [n.encode() for n in names]
            group[names[0]] = layer.weight_ih.T
            group[names[1]] = layer.weight_hh.T
            group[names[2]] = layer.bias_ih + layer.bias_hh
        for empty in ("in", "drop"):
            weights.create_group(empty).attrs["weight_names"] = np.array([], dtype="S1")
    with np.load(FIXTURES / "torch" / "outputs.npz", allow_pickle=False) as expected:
        trace = record(load_model(path), expected["x"])
        np.testing.assert_allclose(trace.h, expected["lstm2.h"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(trace.c, expected["lstm2.c"], rtol=0, atol=1e-6)


def _weights(d: int = 3, h: int = 5, blocks: int = 4) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [
        rng.normal(size=(d, blocks * h)),
        rng.normal(size=(h, blocks * h)),
        np.zeros(blocks * h),
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"class_name": "ConvLSTM1D", "config": {"name": "conv"}}, "'conv' is a ConvLSTM1D"),
        (
            {"class_name": "Bidirectional", "config": {"name": "l", "merge_mode": "sum"}},
            "merges its directions with merge_mode 'sum'; lstm-sim reads only 'concat'",
        ),
        (
            {"class_name": "Bidirectional", "config": {"name": "l", "layer": {"class_name": "D"}}},
            "Bidirectional layer 'l' wraps a D, not LSTM, GRU or SimpleRNN",
        ),
        (_lstm_entry("l", recurrent_activation="selu"), "uses recurrent_activation 'selu'"),
        ({"class_name": "Embedding", "config": {"name": "emb"}}, "'emb' is a Embedding"),
    ],
)
def test_unsupported_layers_are_named(entry: dict, message: str) -> None:
    config = json.loads(_keras2_config([entry]))
    with pytest.raises(ValueError, match=message):
        network_from_keras(config, {"l": _weights()}, "test")


def _masking(name: str = "mask") -> dict:
    return {"class_name": "Masking", "config": {"name": name, "mask_value": 0.0}}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [_masking(), _lstm_entry("a", go_backwards=True), _lstm_entry("b")],
            "'a' runs backwards .go_backwards. under a Masking layer and another recurrent",
        ),
        (
            [
                _lstm_entry("a", go_backwards=True),
                {"class_name": "Bidirectional", "config": {"name": "b", "layer": _lstm_entry("f")}},
            ],
            "Bidirectional layer 'b' reads the outputs of a go_backwards layer last step first",
        ),
        ([_masking(), _lstm_entry("a", zero_output_for_mask=True)], "sets zero_output_for_mask"),
        (
            [{"class_name": "Embedding", "config": {"name": "e"}}, _masking()],
            "Masking layer 'mask' after an Embedding",
        ),
    ],
)
def test_unsupported_combinations_are_named(entries: list[dict], message: str) -> None:
    bidirectional = entries[-1]["class_name"] == "Bidirectional"  # two sets of arrays
    weights = {"a": _weights(), "b": _weights(d=5) * (2 if bidirectional else 1)}
    weights["e"] = [np.zeros((7, 3))]
    with pytest.raises(ValueError, match=message):
        network_from_keras(json.loads(_keras2_config(entries)), weights, "test")


def test_simple_rnn_relu_without_bias_and_linear_head() -> None:
    rng = np.random.default_rng(1)
    config = json.loads(
        _keras2_config(
            [
                {
                    "class_name": "SimpleRNN",
                    "config": {"name": "r", "activation": "relu", "use_bias": False},
                },
                {"class_name": "Dense", "config": {"name": "d", "activation": "linear"}},
            ]
        )
    )
    kernel, recurrent = rng.normal(size=(3, 4)), rng.normal(size=(4, 4))
    dense = [rng.normal(size=(4, 2)), rng.normal(size=2)]
    net = network_from_keras(config, {"r": [kernel, recurrent], "d": dense}, "test")
    assert (net.kind, net.nonlinearity) == ("rnn", "relu")
    x = rng.normal(size=(5, 3))
    h = np.zeros(4)
    for t in range(5):  # Keras: h_t = relu(x_t @ kernel + h_{t-1} @ recurrent_kernel)
        h = np.maximum(x[t] @ kernel + h @ recurrent, 0)
    trace = record(net, x)
    np.testing.assert_allclose(trace.h[0, -1], h, atol=1e-12)
    np.testing.assert_allclose(trace.logits[-1], h @ dense[0] + dense[1], atol=1e-12)


def test_weights_only_and_broken_files(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "w.h5", "w") as h5:
        h5.create_group("layers")
    with pytest.raises(ValueError, match=r"w\.h5: expected a whole model saved with model\.save"):
        load_model(tmp_path / "w.h5")
    (tmp_path / "x.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match=r"x\.h5: expected an HDF5 file"):
        load_model(tmp_path / "x.h5")
    (tmp_path / "x.keras").write_text("not a zip")
    with pytest.raises(ValueError, match=r"x\.keras: expected a \.keras zip"):
        load_model(tmp_path / "x.keras")


@pytest.fixture(scope="module")
def keras() -> ModuleType:
    os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras 3 runs on PyTorch, no TensorFlow
    return pytest.importorskip("keras")


# Keras 3 on the torch backend hands NumPy 2 an __array__ without a copy keyword while it
# saves; the warning is Keras's own, not lstm-sim's.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_live_keras_rnn_and_biasless_lstm(keras: ModuleType, tmp_path: Path) -> None:
    keras.utils.set_random_seed(3)
    x = np.random.default_rng(3).normal(size=(1, 8, 2)).astype(np.float32)
    for recurrent in (
        keras.layers.SimpleRNN(4, activation="relu", return_sequences=True),
        keras.layers.LSTM(4, use_bias=False, return_sequences=True),
    ):
        model = keras.Sequential([keras.Input((None, 2)), recurrent, keras.layers.Dense(3)])
        model.save(tmp_path / "m.keras")
        net = load_model(tmp_path / "m.keras")
        trace = record(net, x[0])
        expected_h = keras.Model(model.inputs, recurrent.output).predict(x, verbose=0)[0]
        np.testing.assert_allclose(trace.h[0], expected_h, rtol=0, atol=1e-6)
        np.testing.assert_allclose(trace.logits, model.predict(x, verbose=0)[0], atol=1e-6)


def _gru_entry(name: str, **cfg: object) -> dict:
    base = {"name": name, "units": 5, "activation": "tanh", "recurrent_activation": "sigmoid"}
    return {"class_name": "GRU", "config": {**base, **cfg}}


def _keras_gru_h(x: np.ndarray, arrays: list[np.ndarray], reset_after: bool) -> np.ndarray:
    """Keras's GRU cell written out (keras/src/layers/rnn/gru.py), blocks z, r, h."""
    kernel, recurrent, bias = arrays
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, 0 * bias)
    h = np.zeros(recurrent.shape[0])
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    for x_t in x:
        x_z, x_r, x_h = np.split(x_t @ kernel + input_bias, 3)
        r_z, r_r, r_h = np.split(h @ recurrent + recurrent_bias, 3)
        z, r = sigmoid(x_z + r_z), sigmoid(x_r + r_r)
        if reset_after:
            candidate = np.tanh(x_h + r * r_h)
        else:
            candidate = np.tanh(x_h + (r * h) @ np.split(recurrent, 3, axis=1)[2])
        h = z * h + (1 - z) * candidate
    return h


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("say_it", [True, False])
def test_gru_blocks_z_r_h_and_reset_after(reset_after: bool, say_it: bool) -> None:
    """A GRU's z, r, h blocks land in r, z, n; reset_after comes from the config, or from
    the bias's shape when the config does not say."""
    rng = np.random.default_rng(4)
    arrays = [rng.normal(size=(3, 15)), rng.normal(size=(5, 15))]
    arrays.append(rng.normal(size=(2, 15) if reset_after else 15))
    options = {"reset_after": reset_after} if say_it else {}
    config = json.loads(_keras2_config([_gru_entry("g", **options)]))
    net = network_from_keras(config, {"g": arrays}, "test")
    assert (net.kind, net.reset_after) == ("gru", reset_after)
    x = rng.normal(size=(9, 3))
    expected = _keras_gru_h(x, arrays, reset_after)
    np.testing.assert_allclose(record(net, x).h[0, -1], expected, rtol=0, atol=1e-13)


def test_gru_bias_contradicting_reset_after_is_refused() -> None:
    config = json.loads(_keras2_config([_gru_entry("g", reset_after=False)]))
    arrays = _weights(blocks=3)
    arrays[2] = np.zeros((2, 15))
    with pytest.raises(ValueError, match=r"reset_after=False but a bias of shape \(2, 15\)"):
        network_from_keras(config, {"g": arrays}, "test")


def _keras_lstm_h(x: np.ndarray, arrays: list[np.ndarray], slope: float) -> np.ndarray:
    """Keras's LSTM cell written out, blocks i, f, c, o, hard_sigmoid of ``slope``."""
    kernel, recurrent, bias = arrays
    h, c = np.zeros(recurrent.shape[0]), np.zeros(recurrent.shape[0])
    hard = lambda a: np.clip(slope * a + 0.5, 0, 1)  # noqa: E731
    for x_t in x:
        a_i, a_f, a_c, a_o = np.split(x_t @ kernel + h @ recurrent + bias, 4)
        c = hard(a_f) * c + hard(a_i) * np.tanh(a_c)
        h = hard(a_o) * np.tanh(c)
    return h


@pytest.mark.parametrize(("version", "slope"), [("2.15.0", 0.2), ("3.15.1", 1 / 6), (None, 1 / 6)])
def test_hard_sigmoid_follows_the_keras_version(
    tmp_path: Path, version: str | None, slope: float
) -> None:
    """Keras 2's hard_sigmoid has slope 0.2, Keras 3's 1/6: the file's keras_version picks
    one, and a file that records none is read as Keras 3's, with a note."""
    rng = np.random.default_rng(6)
    arrays = [rng.normal(size=(3, 20)), rng.normal(size=(5, 20)), rng.normal(size=20)]
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as h5:
        entry = _lstm_entry("lstm", recurrent_activation="hard_sigmoid")
        h5.attrs["model_config"] = _keras2_config([entry]).encode()
        if version is not None:
            h5.attrs["keras_version"] = version.encode()
        group = h5.create_group("model_weights")
        group.attrs["layer_names"] = [b"lstm"]
        layer = group.create_group("lstm")
        names = [f"lstm/lstm_cell/{n}:0" for n in ("kernel", "recurrent_kernel", "bias")]
        layer.attrs["weight_names"] = [n.encode() for n in names]
        for name, array in zip(names, arrays, strict=True):
            layer[name] = array
    net = load_model(path)
    x = rng.normal(size=(12, 3))
    expected = _keras_lstm_h(x, arrays, slope)
    np.testing.assert_allclose(record(net, x).h[0, -1], expected, rtol=0, atol=1e-13)
    assert any("does not say which Keras" in note for note in net.notes) == (version is None)


def test_keras_1_files_are_refused() -> None:
    config = json.loads(_keras2_config([_lstm_entry("l")]))
    with pytest.raises(ValueError, match=r"written by Keras 1\.2\.2; expected Keras 2 or 3"):
        network_from_keras(config, {"l": _weights()}, "test", "1.2.2")


def test_time_distributed_dense_and_dropout_make_the_head() -> None:
    def wrapped(name: str, class_name: str, **cfg: object) -> dict:
        inner = {"class_name": class_name, "config": {"name": f"{name}_inner", **cfg}}
        return {"class_name": "TimeDistributed", "config": {"name": name, "layer": inner}}

    entries = [
        {"class_name": "SimpleRNN", "config": {"name": "r", "return_sequences": True}},
        wrapped("drop", "Dropout", rate=0.5),
        wrapped("dense", "Dense", activation="softmax"),
    ]
    rng = np.random.default_rng(2)
    weights = {
        "r": [rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)],
        "dense": [rng.normal(size=(4, 2)), rng.normal(size=2)],
    }
    net = network_from_keras(json.loads(_keras2_config(entries)), weights, "test")
    assert net.readout is not None and net.readout.kind == "softmax" and net.notes == ()
    np.testing.assert_array_equal(net.readout.weight, weights["dense"][0].T)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([_lstm_entry("l", go_backwards="yes")], "'l' has go_backwards 'yes', expected true or"),
        ([7], "layer 0 of the model config is not a layer object"),
        (
            [{"class_name": "Masking", "config": {"name": "m", "mask_value": "0"}}],
            "Masking layer 'm' has mask_value '0'",
        ),
    ],
)
def test_config_values_of_the_wrong_type_are_named(entries: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        network_from_keras(json.loads(_keras2_config(entries)), {"l": _weights()}, "test")


def _called(entry: dict, *args: object) -> dict:
    """``entry`` as a functional model's config lists it: with the arguments of its call."""
    return {**entry, "inbound_nodes": [{"args": list(args), "kwargs": {}}]}


def _tensor(source: str) -> dict:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": [source, 0, 0]}}


@pytest.mark.parametrize("compared", [0.0, 5.0])
def test_a_functional_models_mask_ops_belong_to_its_masking(compared: float) -> None:
    """A functional model computes a Masking layer's mask as NotEqual(x, mask_value) then
    Any: those are the mask; a NotEqual against another value is not."""
    entries = [
        _called({"class_name": "NotEqual", "config": {"name": "ne"}}, _tensor("in"), compared),
        _masking(),
        _called({"class_name": "Any", "config": {"name": "any"}}, _tensor("ne")),
        _lstm_entry("l"),
    ]
    config = json.loads(_keras2_config(entries))
    if compared == 0.0:
        assert network_from_keras(config, {"l": _weights()}, "test").mask_value == 0.0
    else:
        with pytest.raises(ValueError, match="layer 'ne' is a NotEqual"):
            network_from_keras(config, {"l": _weights()}, "test")
