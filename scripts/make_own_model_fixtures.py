"""Make the fixtures of models an engineer brings (needs torch; Keras 3 for the Keras one).

Run from the repository root: ``python scripts/make_own_model_fixtures.py``. Seeded, so a
rerun with the same frameworks rewrites the same weights. Writes to tests/fixtures/own/:

- ``word_lstm2.pt``: Embedding(11, 6) → LSTM(6, 5, num_layers=2) → Linear(5, 4), float64;
- ``mlp_head.pt``: the same with a Sequential(Linear(5, 8), ReLU, Linear(8, 4)) head,
  float64 (a bare state_dict: its head must be refused with a note);
- ``layernorm_head.safetensors``: LSTM(3, 5) → LayerNorm(5) → Linear(5, 4), float32;
- ``tied_lm.pt``: Embedding(11, 6) → LSTM(6, 6) → Linear(6, 11) sharing the embedding's
  weight (the word-LM layout), float64;
- ``seq2seq.pt``: an encoder (Embedding, LSTM) and a decoder (Embedding, LSTM, Linear);
- ``lstm_bf16.safetensors``: LSTM(3, 4) → Linear(4, 2) in bfloat16;
- ``embed_mlp.keras``: Keras Embedding(11, 6) → LSTM(5) → Dense(8, relu) →
  Dense(4, softmax), run on PyTorch (``KERAS_BACKEND=torch``);
- ``outputs.npz``: ``ids`` (T,) int64, ``x`` (T, 3) float32, and each model's logits
  (``<name>.logits``, (T, V)) as its framework computes them (``embed_mlp.probs`` for
  Keras).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "own"
IDS = np.array([3, 0, 10, 3, 7, 1, 5], dtype=np.int64)
nn = torch.nn


class WordModel(nn.Module):
    """Embedding → LSTM → head, the shape of most token models."""

    def __init__(self, head: nn.Module, hidden: int = 5, layers: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(11, 6)
        self.lstm = nn.LSTM(6, hidden, num_layers=layers)
        self.head = head

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(self.embed(ids))
        return self.head(h)


def _logits(model: nn.Module, inputs: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return model(inputs[:, None]).numpy()[:, 0]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, np.ndarray] = {"ids": IDS}
    ids = torch.from_numpy(IDS)
    torch.manual_seed(20)
    word = WordModel(nn.Linear(5, 4)).double().eval()
    torch.save(word.state_dict(), OUT / "word_lstm2.pt")
    outputs["word_lstm2.logits"] = _logits(word, ids)

    torch.manual_seed(21)
    mlp = WordModel(nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4))).double().eval()
    torch.save(mlp.state_dict(), OUT / "mlp_head.pt")
    outputs["mlp_head.logits"] = _logits(mlp, ids)

    torch.manual_seed(22)
    normed = nn.Module()
    normed.lstm = nn.LSTM(3, 5)
    normed.norm = nn.LayerNorm(5)
    normed.fc = nn.Linear(5, 4)
    with torch.no_grad():
        normed.norm.weight.uniform_(0.5, 1.5)
        normed.norm.bias.uniform_(-0.5, 0.5)
    x = torch.randn(len(IDS), 3)
    outputs["x"] = x.numpy()
    save_file(normed.state_dict(), OUT / "layernorm_head.safetensors")
    with torch.no_grad():
        h, _ = normed.lstm(x[:, None])
        outputs["layernorm_head.logits"] = normed.fc(normed.norm(h)).numpy()[:, 0]

    torch.manual_seed(23)
    tied = WordModel(nn.Linear(6, 11), hidden=6, layers=1)
    tied.head.weight = tied.embed.weight
    tied = tied.double().eval()
    torch.save(tied.state_dict(), OUT / "tied_lm.pt")
    outputs["tied_lm.logits"] = _logits(tied, ids)

    torch.manual_seed(24)
    seq2seq = nn.Module()
    seq2seq.src_embed = nn.Embedding(9, 3)
    seq2seq.encoder = nn.LSTM(3, 4)
    seq2seq.tgt_embed = nn.Embedding(7, 3)
    seq2seq.decoder = nn.LSTM(3, 4)
    seq2seq.out = nn.Linear(4, 7)
    torch.save(seq2seq.state_dict(), OUT / "seq2seq.pt")

    torch.manual_seed(25)
    half = nn.Module()
    half.lstm = nn.LSTM(3, 4)
    half.fc = nn.Linear(4, 2)
    half = half.bfloat16()
    save_file(half.state_dict(), OUT / "lstm_bf16.safetensors")
    half = half.float()  # bfloat16 values are exact in float32
    with torch.no_grad():
        h, _ = half.lstm(x[:, None])
        outputs["lstm_bf16.logits"] = half.fc(h).numpy()[:, 0]

    try:
        make_keras_fixture(outputs)
    except ImportError:
        print("Keras 3 is not installed: embed_mlp.keras not written")
    np.savez(OUT / "outputs.npz", **outputs)
    print(f"wrote {sorted(p.name for p in OUT.iterdir())}")


def make_keras_fixture(outputs: dict[str, np.ndarray]) -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    keras.utils.set_random_seed(26)
    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(11, 6),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    model.save(OUT / "embed_mlp.keras")
    probs = model.predict(IDS[None].astype(np.int32), verbose=0)[0]
    outputs["embed_mlp.probs"] = np.asarray(probs)


if __name__ == "__main__":
    main()
