"""Which PyTorch state_dicts become a network, and the errors for those that cannot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.torch_state_dict import find_recurrent_modules

RNG = np.random.default_rng(0)


def _lstm_keys(prefix: str = "", layers: int = 1, d: int = 3, h: int = 2) -> dict[str, np.ndarray]:
    out = {}
    for k in range(layers):
        width = d if k == 0 else h
        out[f"{prefix}weight_ih_l{k}"] = RNG.standard_normal((4 * h, width)).astype(np.float32)
        out[f"{prefix}weight_hh_l{k}"] = RNG.standard_normal((4 * h, h)).astype(np.float32)
        out[f"{prefix}bias_ih_l{k}"] = RNG.standard_normal(4 * h).astype(np.float32)
        out[f"{prefix}bias_hh_l{k}"] = RNG.standard_normal(4 * h).astype(np.float32)
    return out


def _save(tmp_path: Path, arrays: dict[str, np.ndarray], name: str = "m") -> Path:
    path = tmp_path / f"{name}.safetensors"
    save_file(arrays, path)
    return path


def test_finds_modules_by_their_first_input_weight() -> None:
    keys = ["a.lstm.weight_ih_l0", "a.lstm.weight_ih_l1", "cell.weight_ih", "xweight_ih_l0"]
    assert find_recurrent_modules(keys) == ["a.lstm.", "cell."]
    assert find_recurrent_modules(["weight_ih_l0", "weight_hh_l0"]) == [""]


def test_several_modules_need_a_prefix(tmp_path: Path) -> None:
    arrays = {**_lstm_keys("enc.lstm."), **_lstm_keys("dec.lstm.", h=3)}
    path = _save(tmp_path, arrays, "two")
    with pytest.raises(
        ValueError, match=r"two\.safetensors: found 2 recurrent modules: 'dec\.lstm', 'enc\.lstm'"
    ):
        load_model(path)
    assert load_model(path, prefix="dec.lstm").hidden_size == 3
    assert load_model(path, prefix="enc.lstm.").hidden_size == 2
    with pytest.raises(ValueError, match=r"prefix 'mid' names no recurrent module; found 'dec"):
        load_model(path, prefix="mid")


def test_no_recurrent_module_lists_what_was_found(tmp_path: Path) -> None:
    path = _save(tmp_path, {"fc.weight": np.zeros((2, 3), np.float32)})
    with pytest.raises(
        ValueError,
        match=r"expected a recurrent layer's keys .* found none among 1 keys: fc\.weight",
    ):
        load_model(path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("weight_ih_l0_reverse", r"bidirectional .* the key lstm\.weight_hh_l0_reverse is missing"),
        ("weight_hr_l0", r"weight_hr_l0 has shape \(8, 2\), expected \(2, 2\)"),
    ],
)
def test_incomplete_variant_keys_are_named(tmp_path: Path, extra: str, message: str) -> None:
    arrays = _lstm_keys("lstm.")
    arrays[f"lstm.{extra}"] = np.zeros((8, 2), np.float32)
    with pytest.raises(ValueError, match=message):
        load_model(_save(tmp_path, arrays))


def test_three_blocks_read_as_a_gru(tmp_path: Path) -> None:
    arrays = {
        "weight_ih_l0": np.zeros((6, 3), np.float32),
        "weight_hh_l0": np.zeros((6, 2), np.float32),
    }
    net = load_model(_save(tmp_path, arrays))
    assert net.kind == "gru" and net.reset_after and not np.any(net.layers[0].bias_hh)
    arrays["weight_hh_l0"] = np.zeros((10, 2), np.float32)
    with pytest.raises(ValueError, match=r"\(10, 2\), expected \(4H, H\) for an LSTM, \(3H, H\)"):
        load_model(_save(tmp_path, arrays))


def test_bias_false_reads_zeros_but_one_missing_bias_is_an_error(tmp_path: Path) -> None:
    arrays = _lstm_keys(layers=2)
    no_bias = {k: v for k, v in arrays.items() if not k.startswith("bias")}
    net = load_model(_save(tmp_path, no_bias, "nobias"))
    assert net.num_layers == 2 and not np.any(net.layers[1].bias_hh)
    del arrays["bias_hh_l1"]
    with pytest.raises(ValueError, match=r"expected the key bias_hh_l1 beside its partner"):
        load_model(_save(tmp_path, arrays, "onebias"))


def test_layer_shape_mismatch_names_the_array(tmp_path: Path) -> None:
    arrays = _lstm_keys(layers=2)
    arrays["weight_ih_l1"] = arrays["weight_ih_l1"][:, :1].copy()
    with pytest.raises(ValueError, match=r"weight_ih_l1 has shape \(8, 1\), expected \(8, 2\)"):
        load_model(_save(tmp_path, arrays))


def test_a_gap_in_the_layers_is_named(tmp_path: Path) -> None:
    arrays = {k: v for k, v in _lstm_keys(layers=3).items() if not k.endswith("_l1")}
    with pytest.raises(ValueError, match="expected the key weight_ih_l1 before weight_ih_l2"):
        load_model(_save(tmp_path, arrays))


def test_integer_weights_and_relu_lstm_are_refused(tmp_path: Path) -> None:
    arrays = _lstm_keys()
    path = _save(tmp_path, arrays, "lstm")
    with pytest.raises(ValueError, match="'relu' applies to a simple RNN, but this is an LSTM"):
        load_model(path, nonlinearity="relu")
    arrays["weight_hh_l0"] = arrays["weight_hh_l0"].astype(np.int64)
    with pytest.raises(ValueError, match="weight_hh_l0 has dtype int64, expected floating"):
        load_model(_save(tmp_path, arrays, "ints"))


def test_readout_only_when_exactly_one_linear_reads_h(tmp_path: Path) -> None:
    arrays = _lstm_keys("lstm.", h=2)
    arrays["fc.weight"] = RNG.standard_normal((5, 2)).astype(np.float32)
    arrays["norm.weight"] = np.ones(2, np.float32)  # 1-D: a LayerNorm, not a Linear
    net = load_model(_save(tmp_path, arrays, "one"))
    assert net.readout is not None and net.output_size == 5
    assert not np.any(net.readout.bias)  # a Linear with bias=False
    arrays["fc2.weight"] = RNG.standard_normal((3, 2)).astype(np.float32)
    assert load_model(_save(tmp_path, arrays, "two")).readout is None


def test_mixed_precision_widens_to_the_widest(tmp_path: Path) -> None:
    arrays = _lstm_keys()
    arrays["weight_hh_l0"] = arrays["weight_hh_l0"].astype(np.float16)
    assert load_model(_save(tmp_path, arrays, "half")).dtype == np.float32
    arrays["bias_ih_l0"] = arrays["bias_ih_l0"].astype(np.float64)
    assert load_model(_save(tmp_path, arrays, "double")).dtype == np.float64


def test_corrupt_safetensors(tmp_path: Path) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\xff" * 12)
    with pytest.raises(ValueError, match=r"bad\.safetensors: expected a safetensors file"):
        load_model(path)
