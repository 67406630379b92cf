"""``lstm-sim trace`` without --grad records in chunks: the same CSV, byte for byte, and
``--quantities`` keeps only what is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine import chunked
from lstm_sim.engine.formats import save_native, trace_files
from lstm_sim.engine.formats.trace_files import write_csv
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record
from lstm_sim.engine.vocab import Vocabulary

TEXT = "ab ba, ab\nba ab, ba ab"


@pytest.fixture
def char_model(tmp_path: Path) -> tuple[Network, Path]:
    rng = np.random.default_rng(8)
    vocab = Vocabulary(tuple("ab ,\n"), "char")
    network = Network.random("lstm", 5, 4, rng, num_layers=2, output_size=5, vocab=vocab)
    path = tmp_path / "char.npz"
    save_native(network, path)
    return network, path


def test_csv_recorded_in_chunks_equals_the_whole_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, char_model: tuple[Network, Path]
) -> None:
    monkeypatch.setattr(chunked, "CHUNK_STEPS", 5)
    monkeypatch.setattr(trace_files, "ROW_BLOCK_STEPS", 2)
    network, model = char_model
    out = tmp_path / "chunked.csv"
    assert main(["trace", str(model), "--text", TEXT, "--out", str(out)]) == 0
    whole = tmp_path / "whole.csv"
    write_csv(record(network, list(TEXT)), whole)
    assert out.read_bytes() == whole.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_quantities_keep_only_the_named_arrays_in_float32(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], char_model: tuple[Network, Path]
) -> None:
    network, model = char_model
    out = tmp_path / "hcf.npz"
    args = ["trace", str(model), "--text", TEXT, "--out", str(out), "--dtype", "float32"]
    assert main([*args, "--quantities", "h,c,f"]) == 0
    assert "note:" in capsys.readouterr().err
    trace = record(network.astype("float32"), list(TEXT))
    with np.load(out, allow_pickle=False) as npz:
        assert set(npz.files) == {"h", "c", "f", "h0", "c0", "vocab", "tokens"}
        assert npz["h"].dtype == np.float32
        np.testing.assert_array_equal(npz["h"], trace.h)
        np.testing.assert_array_equal(npz["c"], trace.c)
        np.testing.assert_array_equal(npz["f"], trace.gate("f"))
        assert "".join(npz["tokens"]) == TEXT
    csv_out = tmp_path / "hc.csv"
    args = ["trace", str(model), "--text", TEXT, "--out", str(csv_out), "--quantities", "h,c"]
    assert main(args) == 0
    header = csv_out.read_text(encoding="utf-8").splitlines()[0]
    assert header == "layer,t,token,unit,c,h"


def test_unknown_quantities_and_quantities_with_grad_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], char_model: tuple[Network, Path]
) -> None:
    _, model = char_model
    out = str(tmp_path / "x.npz")
    assert main(["trace", str(model), "--text", TEXT, "--out", out, "--quantities", "h,q"]) == 2
    assert "no quantity 'q'" in capsys.readouterr().err
    args = ["trace", str(model), "--text", TEXT, "--out", out, "--quantities", "h", "--grad"]
    assert main(args) == 2
    assert "--quantities" in capsys.readouterr().err
