"""``lstm-sim info``: what a model file holds, read from the real fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine import Network, Vocabulary
from lstm_sim.engine.formats import save_native

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "torch"


def _info(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, str]:
    assert main(["info", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    # Labels and values are separated by a run of at least two spaces.
    return dict(re.split(r"\s{2,}", line, maxsplit=1) for line in lines)


def test_two_layer_pytorch_lstm(capsys: pytest.CaptureFixture[str]) -> None:
    info = _info(capsys, str(FIXTURES / "lstm2.safetensors"))
    assert info["kind"] == "LSTM, 2 layers"
    assert (info["input size"], info["hidden size"]) == ("3", "5")
    # 4H·D + 4H·H + 2·4H for layer 0, 4H·H twice + 2·4H for layer 1.
    assert info["parameters"] == str(60 + 100 + 40 + 100 + 100 + 40)
    assert info["dtype"] == "float32" and info["vocabulary"] == "none"
    assert "lstm2.safetensors (safetensors state_dict)" in info["weights from"]


def test_prefixed_module_with_head(capsys: pytest.CaptureFixture[str]) -> None:
    info = _info(capsys, str(FIXTURES / "tagger.pt"), "--prefix", "model.encoder.lstm")
    assert info["output size"] == "4 (linear readout from 'model.fc')"
    assert "module 'model.encoder.lstm'" in info["weights from"]


def test_native_model_with_vocabulary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vocab = Vocabulary(tuple("abc "), "char")
    net = Network.random("rnn", 4, 3, np.random.default_rng(0), output_size=4, vocab=vocab)
    info = _info(capsys, str(save_native(net, tmp_path / "m.npz")))
    assert info["kind"] == "RNN (tanh), 1 layer"
    assert info["vocabulary"] == "4 tokens, char tokenizer"
    assert info["output size"] == "4 (softmax readout)"
    assert info["dtype"] == "float64"


def test_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(tmp_path / "missing.pt")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.pt: no such model file" in err
    assert main(["info", str(FIXTURES / "outputs.npz")]) == 2
    assert "expected an lstm-sim model" in capsys.readouterr().err
