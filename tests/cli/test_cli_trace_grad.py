"""``lstm-sim trace --grad``: the loss's gradients written beside the trace."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine import Network, Vocabulary, record
from lstm_sim.engine.backprop import gradients
from lstm_sim.engine.formats import load_model, save_native

TEXT = "abcabba"


@pytest.fixture
def char_model(tmp_path: Path) -> Path:
    vocab = Vocabulary(tuple("abc"), "char")
    network = Network.random(
        "lstm", 3, 4, np.random.default_rng(5), num_layers=2, output_size=3, vocab=vocab
    )
    path = tmp_path / "char.npz"
    save_native(network, path)
    return path


def _read(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def test_text_targets_are_the_next_tokens(char_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.npz"
    assert main(["trace", str(char_model), "--text", TEXT, "--grad", "--out", str(out)]) == 0
    written = _read(out)
    network = load_model(char_model)
    ids = network.vocab.indices(list(TEXT))
    expected = gradients(network, record(network, list(TEXT)), np.append(ids[1:], -1), "xent")
    assert written["loss"] == pytest.approx(expected.loss, rel=1e-12)
    # The loss is the summed -log p of each next token, read back from the written probs.
    next_probs = written["probs"][np.arange(len(TEXT) - 1), ids[1:]]
    assert written["loss"] == pytest.approx(-np.log(next_probs).sum(), rel=1e-12)
    assert written["dh"].shape == written["dc"].shape == (2, len(TEXT), 4)
    for name, value in expected.params.items():
        np.testing.assert_allclose(written[f"grad.{name}"], value, rtol=0, atol=1e-15)


def test_numeric_inputs_need_targets(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    network = Network.random("rnn", 2, 3, np.random.default_rng(1))
    model, x, y = tmp_path / "rnn.npz", tmp_path / "x.npy", tmp_path / "y.npy"
    save_native(network, model)
    np.save(x, np.random.default_rng(2).normal(size=(5, 2)))
    out = tmp_path / "g.csv"
    assert main(["trace", str(model), "--inputs", str(x), "--grad", "--out", str(out)]) == 2
    assert "--targets" in capsys.readouterr().err
    np.save(y, np.zeros((5, 3)))
    args = ["trace", str(model), "--inputs", str(x), "--grad", "--targets", str(y)]
    assert main([*args, "--out", str(out)]) == 0
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    trace = record(network, np.load(x))
    # MSE against zero targets on h: dL/dh_T at the last step is 2·h_T/H (nothing after it).
    last = [r for r in rows if r["t"] == "4"]
    np.testing.assert_allclose(
        [float(r["dh"]) for r in last], 2 * trace.h[0, 4] / 3, rtol=1e-12, atol=0
    )


def test_gradients_match_torch_autograd(char_model: Path, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    network = load_model(char_model)
    out = tmp_path / "t.npz"
    assert main(["trace", str(char_model), "--text", TEXT, "--grad", "--out", str(out)]) == 0
    written = _read(out)
    lstm = torch.nn.LSTM(3, 4, 2).double()
    params = {k: torch.tensor(v) for k, v in network.state_dict().items()}
    lstm.load_state_dict({k: v for k, v in params.items() if not k.startswith("readout")})
    ids = torch.tensor(network.vocab.indices(list(TEXT)))
    x = torch.nn.functional.one_hot(ids, 3).double()[:, None, :]
    h, _ = lstm(x)
    logits = h[:, 0] @ params["readout.weight"].T + params["readout.bias"]
    loss = torch.nn.functional.cross_entropy(logits[:-1], ids[1:], reduction="sum")
    loss.backward()
    assert written["loss"] == pytest.approx(loss.item(), rel=1e-12)
    for name, p in lstm.named_parameters():
        np.testing.assert_allclose(written[f"grad.{name}"], p.grad.numpy(), rtol=0, atol=1e-12)
