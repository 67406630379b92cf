"""lstm-sim's own .npz model files: exact round trips, no pickle, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine import Network, Vocabulary, record
from lstm_sim.engine.formats import load_model, save_native
from lstm_sim.engine.formats.native import FORMAT_VERSION, native_arrays


def _char_lstm(dtype: type = np.float64) -> Network:
    vocab = Vocabulary(("a", " ", "\n", "é", "xy"), "char")
    net = Network.random(
        "lstm",
        5,
        4,
        np.random.default_rng(3),
        num_layers=2,
        output_size=5,
        vocab=vocab,
        dtype=dtype,
    )
    net.metadata = {"description": "a test model", "trained_on": "nothing"}
    return net


def _assert_same(a: Network, b: Network) -> None:
    assert (a.kind, a.nonlinearity, a.num_layers) == (b.kind, b.nonlinearity, b.num_layers)
    assert a.vocab == b.vocab
    assert (a.readout is None) == (b.readout is None)
    if a.readout is not None and b.readout is not None:
        assert a.readout.kind == b.readout.kind
    assert a.metadata == b.metadata
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert sa[key].dtype == sb[key].dtype, key
        np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_exact(tmp_path: Path, dtype: type) -> None:
    net = _char_lstm(dtype)
    path = save_native(net, tmp_path / "m.npz")
    loaded = load_model(path)
    _assert_same(net, loaded)
    assert str(path) in loaded.source and "lstm-sim .npz" in loaded.source
    # The loaded model computes the same trace, bit for bit.
    tokens = list("a é\na")
    np.testing.assert_array_equal(record(net, tokens).h, record(loaded, tokens).h)


def test_round_trip_rnn_relu_without_readout_or_vocab(tmp_path: Path) -> None:
    net = Network.random("rnn", 3, 2, np.random.default_rng(0), num_layers=3)
    net.nonlinearity = "relu"
    loaded = load_model(save_native(net, tmp_path / "r.npz"))
    _assert_same(net, loaded)
    assert loaded.readout is None and loaded.vocab is None


def test_file_has_documented_keys_and_no_objects(tmp_path: Path) -> None:
    path = save_native(_char_lstm(), tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as npz:
        keys = set(npz.files)
        assert all(npz[k].dtype != object for k in keys)
        assert str(npz["format"]) == "lstm-sim-model"
        assert int(npz["format_version"]) == FORMAT_VERSION
        assert npz["vocab"].dtype.kind == "U" and npz["vocab"].shape == (5,)
        assert json.loads(str(npz["metadata"]))["description"] == "a test model"
        assert str(npz["readout_kind"]) == "softmax" and str(npz["tokenizer"]) == "char"
    assert keys == {
        "format", "format_version", "kind", "nonlinearity", "readout_kind", "metadata",
        "vocab", "tokenizer", "readout.weight", "readout.bias",
        *(f"{n}_l{k}" for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") for k in (0, 1)),
    }  # fmt: skip


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "m.npz"
    save_native(Network.random("rnn", 2, 2, np.random.default_rng(1)), target)
    save_native(_char_lstm(), target)
    assert load_model(target).kind == "lstm"
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
    with pytest.raises(ValueError, match=r"must end in \.npz"):
        save_native(_char_lstm(), tmp_path / "m.bin")


def _write(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
    return path


def test_missing_key_is_named(tmp_path: Path) -> None:
    arrays = native_arrays(_char_lstm())
    del arrays["bias_hh_l1"]
    with pytest.raises(ValueError, match=r"bad\.npz.*'bias_hh_l1'.*missing"):
        load_model(_write(tmp_path / "bad.npz", arrays))


def test_wrong_shape_is_named(tmp_path: Path) -> None:
    arrays = native_arrays(_char_lstm())
    arrays["bias_ih_l1"] = arrays["bias_ih_l1"][:15]
    with pytest.raises(ValueError, match=r"bias_ih_l1 has shape \(15,\), expected \(16,\)"):
        load_model(_write(tmp_path / "bad.npz", arrays))


def test_newer_version_and_other_npz_are_refused(tmp_path: Path) -> None:
    arrays = native_arrays(_char_lstm())
    arrays["format_version"] = np.array(FORMAT_VERSION + 1)
    with pytest.raises(ValueError, match="newer lstm-sim"):
        load_model(_write(tmp_path / "new.npz", arrays))
    with pytest.raises(
        ValueError, match=r"other\.npz.*expected an lstm-sim model.*found the keys a"
    ):
        load_model(_write(tmp_path / "other.npz", {"a": np.zeros(3)}))


def test_object_arrays_are_refused_without_unpickling(tmp_path: Path) -> None:
    arrays = native_arrays(_char_lstm())
    arrays["vocab"] = np.array(["a", 1], dtype=object)
    with pytest.raises(ValueError, match="without pickle"):
        load_model(_write(tmp_path / "obj.npz", arrays))


def test_not_a_zip_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match=r"text\.npz.*expected a NumPy \.npz"):
        load_model(tmp_path / "text.npz")
    with pytest.raises(ValueError, match=r"nothing\.npz: no such model file"):
        load_model(tmp_path / "nothing.npz")
    with pytest.raises(ValueError, match=r"expected a model file ending in"):
        load_model(tmp_path / "model.onnx2")


def test_embedding_head_and_notes_survive_a_save(tmp_path: Path) -> None:
    from lstm_sim.engine.head import Activation, Dense, LayerNorm
    from lstm_sim.engine.network import Network, Readout
    from lstm_sim.engine.trace import record

    rng = np.random.default_rng(4)
    base = Network.random("lstm", 3, 4, rng)
    net = Network(
        "lstm",
        base.layers,
        readout=Readout(rng.normal(size=(2, 5)), rng.normal(size=2), "linear"),
        embedding=rng.normal(size=(7, 3)),
        head=(
            LayerNorm(rng.normal(size=4), rng.normal(size=4), 1e-3),
            Dense(rng.normal(size=(5, 4)), rng.normal(size=5)),
            Activation("gelu_tanh"),
        ),
        notes=("an assumption",),
    )
    loaded = load_model(save_native(net, tmp_path / "e.npz"))
    assert loaded.notes == ("an assumption",) and loaded.head[0].eps == 1e-3
    ids = np.array([0, 6, 2])
    np.testing.assert_array_equal(record(loaded, ids).logits, record(net, ids).logits)
