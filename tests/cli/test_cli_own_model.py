"""``info`` and ``trace`` on the models engineers bring: the embedding, head and notes are
listed, token ids go in with --tokens, each assumption is one stderr ``note:`` line, and
gradients carry the file's own parameter names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine.formats import load_model

OWN = Path(__file__).resolve().parent.parent / "fixtures" / "own"
TORCH = Path(__file__).resolve().parent.parent / "fixtures" / "torch"


def _read(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def test_info_names_the_embedding_head_and_notes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(OWN / "word_lstm2.pt")]) == 0
    out = capsys.readouterr().out
    assert "embed.weight (V=11, D=6): token ids in" in out
    assert "note  " in out and "read as an nn.Embedding" in out
    assert main(["info", str(OWN / "layernorm_head.safetensors")]) == 0
    assert "LayerNorm(5, eps=1e-05) → readout (computed exactly)" in capsys.readouterr().out


def test_trace_tokens_and_one_note_line_per_assumption(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = np.array([1, 4, 9, 0], dtype=np.int64)
    np.save(tmp_path / "ids.npy", ids)
    out = tmp_path / "t.npz"
    args = ["trace", str(OWN / "mlp_head.pt"), "--tokens", str(tmp_path / "ids.npy")]
    assert main([*args, "--out", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    network = load_model(OWN / "mlp_head.pt")
    assert err == [f"lstm-sim trace: note: {note}" for note in network.notes]
    assert any("no readout" in line for line in err)
    assert network.embedding is not None
    np.testing.assert_array_equal(_read(out)["x"], network.embedding[ids])


def test_tokens_for_a_model_that_reads_features_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    np.save(tmp_path / "ids.npy", np.array([0, 1]))
    args = ["trace", str(TORCH / "lstm2.pt"), "--tokens", str(tmp_path / "ids.npy")]
    assert main([*args, "--out", str(tmp_path / "t.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "reads feature vectors" in err


def test_gradient_names_are_the_files_and_bias_free_layers_get_none(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "g.npz"
    # tagger.pt: model.encoder.lstm (bias=False) and model.fc
    np.save(tmp_path / "y.npy", np.zeros((5, 4)))
    args = ["trace", str(TORCH / "tagger.pt"), "--inputs", str(tmp_path / "x.npy"), "--grad"]
    assert main([*args, "--targets", str(tmp_path / "y.npy"), "--out", str(out)]) == 0
    grads = sorted(k for k in _read(out) if k.startswith("grad."))
    assert grads == [
        "grad.model.encoder.lstm.weight_hh_l0",
        "grad.model.encoder.lstm.weight_ih_l0",
        "grad.model.fc.bias",
        "grad.model.fc.weight",
    ]
    np.save(tmp_path / "y.npy", np.zeros((5, 5)))
    args = ["trace", str(TORCH / "lstm_cell.pt"), "--inputs", str(tmp_path / "x.npy"), "--grad"]
    assert main([*args, "--targets", str(tmp_path / "y.npy"), "--out", str(out)]) == 0
    assert sorted(k for k in _read(out) if k.startswith("grad.")) == [
        "grad.bias_hh",
        "grad.bias_ih",
        "grad.weight_hh",
        "grad.weight_ih",
    ]


def test_head_and_tied_gradients_match_torch_autograd(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    ids = np.array([3, 0, 10, 3, 7], dtype=np.int64)
    np.save(tmp_path / "ids.npy", ids)
    out = tmp_path / "g.npz"
    args = ["trace", str(OWN / "tied_lm.pt"), "--tokens", str(tmp_path / "ids.npy"), "--grad"]
    assert main([*args, "--out", str(out)]) == 0
    written = _read(out)
    nn = torch.nn
    embed, lstm, head = nn.Embedding(11, 6), nn.LSTM(6, 6), nn.Linear(6, 11)
    model = nn.ModuleDict({"embed": embed, "lstm": lstm, "head": head}).double()
    state = {k: torch.from_numpy(v) for k, v in _torch_state(OWN / "tied_lm.pt").items()}
    model.load_state_dict(state)
    head.weight = embed.weight  # tied, as saved
    h, _ = lstm(embed(torch.from_numpy(ids))[:, None])
    logits = head(h[:, 0])
    target = torch.from_numpy(ids[1:])
    nn.functional.cross_entropy(logits[:-1], target, reduction="sum").backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(written[f"grad.{name}"], p.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(written["grad.head.weight"], written["grad.embed.weight"])


def _torch_state(path: Path) -> dict[str, np.ndarray]:
    from lstm_sim.engine.formats.torch_pickle import read_torch_file

    return read_torch_file(path)
