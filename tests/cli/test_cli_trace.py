"""``lstm-sim trace``: the written arrays against PyTorch's outputs and the engine."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine import Network, Vocabulary, record
from lstm_sim.engine.formats import load_model, save_native

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "torch"
LSTM_KEYS = {"x", "h0", "c0", "h", "c", "i", "f", "g", "o", "pre", "fc", "ig", "tanh_c"}


@pytest.fixture(scope="module")
def outputs() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "outputs.npz", allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


@pytest.fixture
def x_npy(tmp_path: Path, outputs: dict[str, np.ndarray]) -> Path:
    np.save(tmp_path / "x.npy", outputs["x"])
    return tmp_path / "x.npy"


def _trace(*args: str | Path) -> dict[str, np.ndarray]:
    out = Path(args[list(args).index("--out") + 1])
    assert main(["trace", *map(str, args)]) == 0
    with np.load(out, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


@pytest.mark.parametrize("model", ["lstm2.pt", "lstm2.safetensors"])
def test_two_layer_lstm_matches_pytorch(
    tmp_path: Path, x_npy: Path, outputs: dict[str, np.ndarray], model: str
) -> None:
    got = _trace(FIXTURES / model, "--inputs", x_npy, "--out", tmp_path / "t.npz")
    assert set(got) == LSTM_KEYS
    assert got["h"].shape == (2, 6, 5) and got["pre"].shape == (2, 6, 20)
    np.testing.assert_allclose(got["h"], outputs["lstm2.h"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(got["c"], outputs["lstm2.c"], rtol=0, atol=1e-6)
    # The gates multiply out to the cell state PyTorch reported.
    c_prev = np.concatenate([got["c0"][:, None], got["c"][:, :-1]], axis=1)
    np.testing.assert_allclose(got["f"] * c_prev + got["i"] * got["g"], got["c"], atol=1e-6)
    np.testing.assert_array_equal(got["fc"], got["f"] * c_prev)


def test_float64_reaches_pytorch_double(tmp_path: Path, outputs: dict[str, np.ndarray]) -> None:
    np.save(tmp_path / "x64.npy", outputs["x64"])
    got = _trace(
        FIXTURES / "lstm2_double.pt", "--inputs", tmp_path / "x64.npy", "--out", tmp_path / "t.npz"
    )
    assert got["h"].dtype == np.float64
    np.testing.assert_allclose(got["h"], outputs["lstm2_double.h"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["c"], outputs["lstm2_double.c"], rtol=0, atol=1e-12)


def test_dtype_option_and_engine_equality(tmp_path: Path, x_npy: Path) -> None:
    got = _trace(
        FIXTURES / "lstm2.pt", "--inputs", x_npy, "--out", tmp_path / "t.npz", "--dtype", "float64"
    )
    net = load_model(FIXTURES / "lstm2.pt").astype(np.float64)
    trace = record(net, np.load(x_npy))
    assert got["i"].dtype == np.float64
    np.testing.assert_array_equal(got["pre"], trace.pre)
    np.testing.assert_array_equal(got["tanh_c"], trace.tanh_c)
    np.testing.assert_array_equal(got["o"], trace.gate("o"))


def test_rnn_relu_and_readout_logits(
    tmp_path: Path, x_npy: Path, outputs: dict[str, np.ndarray]
) -> None:
    got = _trace(
        FIXTURES / "rnn_relu.pt", "--inputs", x_npy, "--out", tmp_path / "r.npz",
        "--nonlinearity", "relu",
    )  # fmt: skip
    assert set(got) == {"x", "h0", "h", "a"}
    np.testing.assert_allclose(got["h"], outputs["rnn_relu.h"], atol=1e-6)
    np.testing.assert_array_equal(got["h"], np.maximum(got["a"], 0))
    tagged = _trace(FIXTURES / "tagger.pt", "--inputs", x_npy, "--out", tmp_path / "t.npz")
    np.testing.assert_allclose(tagged["logits"], outputs["tagger.logits"], atol=1e-6)
    assert "probs" not in tagged


def test_initial_state_from_files(tmp_path: Path, x_npy: Path) -> None:
    rng = np.random.default_rng(5)
    h0, c0 = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    np.save(tmp_path / "h0.npy", h0)
    np.save(tmp_path / "c0.npy", c0)
    got = _trace(
        FIXTURES / "lstm2.pt", "--inputs", x_npy, "--out", tmp_path / "t.npz",
        "--h0", tmp_path / "h0.npy", "--c0", tmp_path / "c0.npy",
    )  # fmt: skip
    expected = record(load_model(FIXTURES / "lstm2.pt"), np.load(x_npy), h0, c0)
    np.testing.assert_array_equal(got["h"], expected.h)
    np.testing.assert_allclose(got["c0"], c0, rtol=1e-7)


def _char_model(tmp_path: Path) -> Path:
    vocab = Vocabulary(tuple('ab,\n"é'), "char")
    net = Network.random("lstm", 6, 3, np.random.default_rng(2), output_size=6, vocab=vocab)
    return save_native(net, tmp_path / "char.npz")


def test_text_gives_tokens_vocab_and_probs(tmp_path: Path) -> None:
    model = _char_model(tmp_path)
    got = _trace(model, "--text", 'ab,"é', "--out", tmp_path / "t.npz")
    assert got["tokens"].tolist() == ["a", "b", ",", '"', "é"]
    assert got["vocab"].tolist() == list('ab,\n"é')
    np.testing.assert_allclose(got["probs"].sum(axis=1), 1.0)
    expected = record(load_model(model), ["a", "b", ",", '"', "é"])
    np.testing.assert_array_equal(got["probs"], expected.probs)
    (tmp_path / "in.txt").write_text('ab,"é', encoding="utf-8")
    from_file = _trace(model, "--text-file", tmp_path / "in.txt", "--out", tmp_path / "f.npz")
    np.testing.assert_array_equal(from_file["h"], got["h"])


def test_csv_has_a_row_per_layer_step_unit(tmp_path: Path, x_npy: Path) -> None:
    assert main(["trace", str(FIXTURES / "lstm2.pt"), "--inputs", str(x_npy),
                 "--out", str(tmp_path / "t.csv")]) == 0  # fmt: skip
    with (tmp_path / "t.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * 6 * 5
    trace = record(load_model(FIXTURES / "lstm2.pt"), np.load(x_npy))
    row = rows[(1 * 6 + 4) * 5 + 3]  # layer 1, step 4, unit 3
    assert (row["layer"], row["t"], row["unit"]) == ("1", "4", "3")
    assert float(row["h"]) == trace.h[1, 4, 3] and float(row["c"]) == trace.c[1, 4, 3]
    assert float(row["f"]) == trace.gate("f")[1, 4, 3]
    assert float(row["pre_g"]) == trace.pre[1, 4, 2 * 5 + 3]


def test_csv_token_column_survives_commas_and_newlines(tmp_path: Path) -> None:
    model = _char_model(tmp_path)
    assert main(["trace", str(model), "--text", 'a,\n"', "--out", str(tmp_path / "t.csv")]) == 0
    with (tmp_path / "t.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["token"] for r in rows if r["unit"] == "0"] == ["a", ",", "\n", '"']


def test_csv_inputs(tmp_path: Path, outputs: dict[str, np.ndarray]) -> None:
    np.savetxt(tmp_path / "x.csv", outputs["x"], delimiter=",", header="three features")
    got = _trace(FIXTURES / "lstm2.pt", "--inputs", tmp_path / "x.csv", "--out", tmp_path / "t.npz")
    np.testing.assert_allclose(got["h"], outputs["lstm2.h"], atol=1e-6)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing model", "nope.pt: no such model file"),
        ("missing inputs", "nope.npy: no such inputs file"),
        ("wrong shape", r"inputs x has shape \(6, 2\), expected \(6, 3\)"),
        ("nan", "inputs x of shape \\(6, 3\\) holds 1 NaN"),
        ("unknown token", "token 'z' is not in the model's vocabulary"),
        ("text without vocabulary", "has no vocabulary, so it reads --inputs"),
        ("bad out", r"expected a file ending in \.npz or \.csv"),
        ("c0 for an rnn", "c0 was given but a simple RNN has no cell state"),
        ("pickled npy", "cannot be read without pickle"),
        ("bad csv", "expected comma-separated numbers"),
    ],
)
def test_errors_exit_2_with_one_line(
    tmp_path: Path,
    x_npy: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    message: str,
) -> None:
    x = np.load(x_npy)
    np.save(tmp_path / "x2.npy", x[:, :2])
    x[3, 1] = np.nan
    np.save(tmp_path / "nan.npy", x)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "bad.csv").write_text("1,2,x\n")
    lstm, out = str(FIXTURES / "lstm2.pt"), str(tmp_path / "t.npz")
    args = {
        "missing model": [str(tmp_path / "nope.pt"), "--inputs", str(x_npy), "--out", out],
        "missing inputs": [lstm, "--inputs", str(tmp_path / "nope.npy"), "--out", out],
        "wrong shape": [lstm, "--inputs", str(tmp_path / "x2.npy"), "--out", out],
        "nan": [lstm, "--inputs", str(tmp_path / "nan.npy"), "--out", out],
        "unknown token": [str(_char_model(tmp_path)), "--text", "abz", "--out", out],
        "text without vocabulary": [lstm, "--text", "abc", "--out", out],
        "bad out": [lstm, "--inputs", str(x_npy), "--out", str(tmp_path / "t.txt")],
        "c0 for an rnn": [str(FIXTURES / "rnn_relu.pt"), "--inputs", str(x_npy), "--out", out,
                          "--c0", str(tmp_path / "x2.npy")],
        "pickled npy": [lstm, "--inputs", str(tmp_path / "obj.npy"), "--out", out],
        "bad csv": [lstm, "--inputs", str(tmp_path / "bad.csv"), "--out", out],
    }[case]  # fmt: skip
    assert main(["trace", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lstm-sim trace: error: ") and err.count("\n") == 1
    assert re.search(message, err), err
    assert not (tmp_path / "t.npz").exists()
