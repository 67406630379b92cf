"""Models an engineer brings, built with PyTorch itself: an embedding in front, heads of
every supported shape behind, and the ones lstm-sim must refuse out loud.

Logits must equal PyTorch's within 1e-12 in float64, or the head must be left out with a
note naming why.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from lstm_sim.engine.formats import load_model, network_from_module
from lstm_sim.engine.trace import record


@pytest.fixture(scope="module")
def torch() -> ModuleType:
    return pytest.importorskip("torch")


def _logits(torch: ModuleType, model: object, ids: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(ids)[:, None]).numpy()[:, 0]  # type: ignore[operator]


def _models(torch: ModuleType) -> dict[str, type]:
    nn = torch.nn

    class WordModel(nn.Module):
        def __init__(self, head: nn.Module, tied: bool = False) -> None:
            super().__init__()
            self.embed = nn.Embedding(11, 6)
            self.lstm = nn.LSTM(6, 6 if tied else 5, num_layers=2)
            self.head = head
            if tied:
                self.head.weight = self.embed.weight

        def forward(self, ids: object) -> object:
            h, _ = self.lstm(self.embed(ids))
            return self.head(h)

    return {"WordModel": WordModel}


def _word_model(torch: ModuleType, head: object, tied: bool = False) -> object:
    torch.manual_seed(3)
    model = _models(torch)["WordModel"](head, tied)
    return model.double().eval()


IDS = np.array([3, 0, 10, 3, 7, 1], dtype=np.int64)


def test_embedding_two_layer_lstm_linear_state_dict(torch: ModuleType, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = _word_model(torch, torch.nn.Linear(5, 4))
    torch.save(model.state_dict(), tmp_path / "m.pt")
    net = load_model(tmp_path / "m.pt")
    assert net.embedding is not None and net.embedding.shape == (11, 6)
    assert net.metadata["embedding_module"] == "embed"
    assert any("read as an nn.Embedding" in note for note in net.notes)
    trace = record(net, IDS)
    np.testing.assert_allclose(trace.logits, _logits(torch, model, IDS), rtol=0, atol=1e-12)
    assert net.param_names["weight_ih_l1"] == "lstm.weight_ih_l1"
    assert net.param_names["embedding.weight"] == "embed.weight"


def test_mlp_head_refused_in_a_state_dict_exact_from_the_module(
    torch: ModuleType, tmp_path: Path
) -> None:
    nn = torch.nn
    model = _word_model(torch, nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4)))
    torch.save(model.state_dict(), tmp_path / "m.pt")
    refused = load_model(tmp_path / "m.pt")
    assert refused.readout is None and refused.head == ()
    assert any("does not record the activation" in note for note in refused.notes)
    net = network_from_module(model)
    assert net.metadata["head"] == "Linear 5→8 → ReLU"
    np.testing.assert_allclose(
        record(net, IDS).logits, _logits(torch, model, IDS), rtol=0, atol=1e-12
    )
    assert net.param_names["head.0.weight"] == "head.0.weight"
    assert net.param_names["readout.weight"] == "head.2.weight"


@pytest.mark.parametrize("activation", ["Tanh", "GELU", "GELU-tanh", "Sigmoid"])
def test_deep_mlp_with_layernorm_from_the_module(torch: ModuleType, activation: str) -> None:
    nn = torch.nn
    act = nn.GELU(approximate="tanh") if activation == "GELU-tanh" else getattr(nn, activation)()
    head = nn.Sequential(
        nn.LayerNorm(5, eps=1e-3),
        nn.Linear(5, 7),
        act,
        nn.Dropout(0.3),
        nn.LayerNorm(7),
        nn.Linear(7, 6),
        act,
        nn.Linear(6, 4),
    )
    model = _word_model(torch, head)
    net = network_from_module(model)
    assert len(net.head) == 6  # the last Linear is the readout; dropout is off
    np.testing.assert_allclose(
        record(net, IDS).logits, _logits(torch, model, IDS), rtol=0, atol=1e-12
    )


def test_layernorm_then_linear_state_dict(torch: ModuleType, tmp_path: Path) -> None:
    nn = torch.nn
    model = _word_model(torch, nn.Sequential(nn.LayerNorm(5), nn.Linear(5, 4)))
    with torch.no_grad():
        model.head[0].weight.uniform_(0.5, 1.5)
        model.head[0].bias.uniform_(-0.5, 0.5)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    net = load_model(tmp_path / "m.pt")
    assert net.metadata["head"].startswith("LayerNorm(5")
    assert any("eps assumed 1e-5" in note for note in net.notes)
    np.testing.assert_allclose(
        record(net, IDS).logits, _logits(torch, model, IDS), rtol=0, atol=1e-12
    )


def test_tied_word_lm(torch: ModuleType, tmp_path: Path) -> None:
    model = _word_model(torch, torch.nn.Linear(6, 11), tied=True)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    net = load_model(tmp_path / "m.pt")
    assert net.metadata["tied_weights"] == "head.weight is embed.weight (tied)"
    np.testing.assert_allclose(
        record(net, IDS).logits, _logits(torch, model, IDS), rtol=0, atol=1e-12
    )


def test_anything_else_in_the_head_leaves_it_out(torch: ModuleType, tmp_path: Path) -> None:
    nn = torch.nn
    model = nn.Module()
    model.lstm = nn.LSTM(3, 4)
    model.attention = nn.MultiheadAttention(4, 2)
    model.fc = nn.Linear(4, 2)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    net = load_model(tmp_path / "m.pt")
    assert net.readout is None
    assert any("attention" in note and "no readout" in note for note in net.notes)
    live = network_from_module(model)
    assert live.readout is None
    assert any("attention (MultiheadAttention)" in note for note in live.notes)


def test_seq2seq_lists_both_recurrent_modules(torch: ModuleType, tmp_path: Path) -> None:
    nn = torch.nn
    model = nn.Module()
    model.src_embed = nn.Embedding(9, 3)
    model.encoder = nn.LSTM(3, 4)
    model.tgt_embed = nn.Embedding(7, 3)
    model.decoder = nn.LSTM(3, 4)
    model.out = nn.Linear(4, 7)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    with pytest.raises(ValueError, match="found 2 recurrent modules: 'decoder', 'encoder'"):
        load_model(tmp_path / "m.pt")
    decoder = load_model(tmp_path / "m.pt", prefix="decoder")
    assert decoder.readout is None  # the encoder's weights sit beside it: not guessed
    assert any("other recurrent modules not run: 'encoder'" in n for n in decoder.notes)
    live = network_from_module(model.double(), prefix="decoder")
    assert live.embedding is not None and live.embedding.shape == (7, 3)
    assert live.readout is not None and live.metadata["readout_module"] == "out"
    encoder = network_from_module(model, prefix="encoder")
    assert encoder.readout is None and encoder.metadata["embedding_module"] == "src_embed"
