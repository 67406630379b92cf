"""Make the PyTorch fixture files the format tests compare against (needs torch).

Run from the repository root: ``python scripts/make_torch_fixtures.py``. Seeded, so a
rerun with the same PyTorch rewrites the same weights. Writes to tests/fixtures/torch/:

- ``lstm2.pt``, ``lstm2.safetensors``: an ``nn.LSTM(3, 5, num_layers=2)`` state_dict;
- ``lstm2_double.pt``: the same network in float64 (for parity to ~1e-12);
- ``rnn_relu.pt``: an ``nn.RNN(3, 4, nonlinearity="relu")`` state_dict;
- ``rnn_tanh.safetensors``: an ``nn.RNN(3, 4, num_layers=2)`` (tanh) state_dict;
- ``lstm_cell.pt``: an ``nn.LSTMCell(3, 5)`` state_dict;
- ``tagger.pt``: a checkpoint ``{"model": state_dict, "epoch": 7}`` of a model with an
  ``encoder.lstm`` LSTM (bias=False) and an ``fc`` Linear head (5 → 4);
- ``tensors.pt``: float16, bfloat16, float64, transposed and offset tensors;
- ``outputs.npz``: the inputs ``x`` (T, 3) float32 and ``x64`` float64, and PyTorch's
  ``<name>.h`` / ``<name>.c`` (L, T, H) for each model, ``tagger.logits`` (T, 4), and
  the exact values of ``tensors.pt`` under ``tensors.<key>`` (float64);
- whole modules, read without running their pickle or code
  (``make_whole_module_fixtures``, which runs alone as
  ``python -c "import scripts.make_torch_fixtures as m; m.make_whole_module_fixtures()"``):
  ``tiny_lm_{whole,script,trace}.pt``, an Embedding(11, 3) → LSTM(3, 4, num_layers=2,
  batch_first=True) → Linear(4, 11) saved by ``torch.save(model)``, ``torch.jit.script``
  and ``torch.jit.trace``; ``rnn_relu_{whole,script}.pt``, an ``nn.RNN(3, 4,
  nonlinearity="relu")``; and ``whole_modules.npz`` with each model's state_dict
  (``tiny_lm.<key>``, ``rnn_relu.<key>``), ``tiny_lm.tokens``/``tiny_lm.logits`` and
  ``rnn_relu.x``/``rnn_relu.h`` (PyTorch's outputs).

- GRUs (``make_gru_fixtures``, which runs alone as
  ``python -c "import scripts.make_torch_fixtures as m; m.make_gru_fixtures()"``):
  ``gru2_double.pt`` and ``gru2.safetensors``, an ``nn.GRU(3, 5, num_layers=2)`` state_dict
  in float64 and float32; ``gru_tagger_whole.pt``, a whole module (``torch.save(model)``)
  holding a ``GRU(3, 4, batch_first=True)`` and a ``Linear(4, 2)``; and ``gru.npz`` with
  the inputs ``x`` (50, 3) float64, PyTorch's ``gru2.h`` (L, T, H) in float64 and
  ``gru2_float.h`` in float32, and ``tagger.h`` / ``tagger.logits`` of the whole module.

It also converts ``lstm2.pt`` into the model shipped with lstm-sim,
resources/models/example_lstm2.npz (lstm-sim's own format), and, when Keras 3
is installed, runs it on PyTorch (``KERAS_BACKEND=torch``, no TensorFlow) to write
tests/fixtures/keras/:

- ``lstm2.keras`` and ``lstm2_legacy.h5``: one Sequential model, two LSTM(5) layers
  reading 3 features and a Dense(4, softmax), saved in both formats;
- ``outputs.npz``: the inputs ``x`` (T, 3) and Keras's outputs of every layer,
  ``h`` (L, T, H) and ``probs`` (T, 4).

When onnx is installed, PyTorch's exporter writes tests/fixtures/onnx/: ``lstm2.onnx``
(the ``lstm2`` network above) and ``rnn_relu.onnx``, checked against ``outputs.npz``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from lstm_sim.engine.formats import load_model, save_native

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "torch"
ONNX_OUT = ROOT / "tests" / "fixtures" / "onnx"
KERAS_OUT = ROOT / "tests" / "fixtures" / "keras"
SHIPPED = ROOT / "resources" / "models" / "example_lstm2.npz"
STEPS = 6


def run_stacked(module: torch.nn.Module, x: torch.Tensor, lstm: bool) -> dict[str, np.ndarray]:
    """h (and c) of every layer at every step, one step at a time so each layer's state
    is visible: PyTorch's own output holds only the top layer."""
    layers, hidden = module.num_layers, module.hidden_size
    h = torch.zeros(layers, hidden, dtype=x.dtype)
    c = torch.zeros(layers, hidden, dtype=x.dtype)
    hs, cs = [], []
    for t in range(x.shape[0]):
        if lstm:
            _, (h, c) = module(x[t : t + 1], (h, c))
        else:
            _, h = module(x[t : t + 1], h)
        hs.append(h.clone())
        cs.append(c.clone())
    out = {"h": torch.stack(hs, dim=1).numpy()}
    if lstm:
        out["c"] = torch.stack(cs, dim=1).numpy()
    return out


class Tagger(torch.nn.Module):
    """A typical whole model: the LSTM sits inside a submodule, a Linear reads h."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = torch.nn.Module()
        self.encoder.lstm = torch.nn.LSTM(3, 5, bias=False)
        self.fc = torch.nn.Linear(5, 4)


def main() -> None:
    torch.manual_seed(20240611)
    OUT.mkdir(parents=True, exist_ok=True)
    x = torch.randn(STEPS, 3)
    outputs: dict[str, np.ndarray] = {"x": x.numpy(), "x64": x.double().numpy()}

    with torch.no_grad():
        lstm2 = torch.nn.LSTM(3, 5, num_layers=2)
        torch.save(lstm2.state_dict(), OUT / "lstm2.pt")
        save_file(lstm2.state_dict(), OUT / "lstm2.safetensors")
        outputs.update({f"lstm2.{k}": v for k, v in run_stacked(lstm2, x, True).items()})

        lstm2_double = lstm2.double()
        torch.save(lstm2_double.state_dict(), OUT / "lstm2_double.pt")
        run = run_stacked(lstm2_double, x.double(), True)
        outputs.update({f"lstm2_double.{k}": v for k, v in run.items()})

        rnn_relu = torch.nn.RNN(3, 4, nonlinearity="relu")
        torch.save(rnn_relu.state_dict(), OUT / "rnn_relu.pt")
        outputs["rnn_relu.h"] = run_stacked(rnn_relu, x, False)["h"]

        rnn_tanh = torch.nn.RNN(3, 4, num_layers=2)
        save_file(rnn_tanh.state_dict(), OUT / "rnn_tanh.safetensors")
        outputs["rnn_tanh.h"] = run_stacked(rnn_tanh, x, False)["h"]

        cell = torch.nn.LSTMCell(3, 5)
        torch.save(cell.state_dict(), OUT / "lstm_cell.pt")
        h = c = torch.zeros(5)
        hs, cs = [], []
        for t in range(STEPS):
            h, c = cell(x[t], (h, c))
            hs.append(h)
            cs.append(c)
        outputs["lstm_cell.h"] = torch.stack(hs)[None].numpy()
        outputs["lstm_cell.c"] = torch.stack(cs)[None].numpy()

        tagger = Tagger()
        torch.save({"model": tagger.state_dict(), "epoch": 7}, OUT / "tagger.pt")
        run = run_stacked(tagger.encoder.lstm, x, True)
        outputs.update({f"tagger.{k}": v for k, v in run.items()})
        outputs["tagger.logits"] = tagger.fc(torch.from_numpy(run["h"][-1])).numpy()

        base = torch.randn(4, 6, dtype=torch.float64)
        tensors = {
            "half": base[0].half(),
            "bfloat16": base[1].bfloat16(),
            "double": base[2:4],
            "transposed": base.float().t(),  # strides (1, 6): not contiguous
            "offset": base.float().flatten()[5:11],  # a view starting at element 5
            "scalar": base[0, 0].float(),
        }
        torch.save(tensors, OUT / "tensors.pt")
        for key, value in tensors.items():
            outputs[f"tensors.{key}"] = value.double().numpy()

    np.savez_compressed(OUT / "outputs.npz", **outputs)
    make_whole_module_fixtures()
    make_gru_fixtures()
    ship_example()
    make_keras_fixtures(x.numpy())
    make_onnx_fixtures(x)
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total / 1024:.1f} KB, to {OUT}")


class TinyLM(torch.nn.Module):
    """A word model as engineers build it: Embedding → 2-layer LSTM → Linear decoder."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(11, 3)
        self.lstm = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)
        self.decoder = torch.nn.Linear(4, 11)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.lstm(self.embedding(tokens))
        return self.decoder(hidden)


def make_whole_module_fixtures() -> None:
    """Whole-module and TorchScript files of small models, and their exact tensors."""
    torch.manual_seed(20251130)
    expected: dict[str, np.ndarray] = {}
    with torch.no_grad():
        model = TinyLM().eval()
        tokens = torch.tensor([[1, 4, 2, 9, 0, 10]])
        torch.save(model, OUT / "tiny_lm_whole.pt")
        torch.jit.save(torch.jit.script(model), OUT / "tiny_lm_script.pt")
        torch.jit.save(torch.jit.trace(model, tokens), OUT / "tiny_lm_trace.pt")
        expected.update({f"tiny_lm.{k}": v.numpy() for k, v in model.state_dict().items()})
        expected["tiny_lm.tokens"] = tokens[0].numpy()
        expected["tiny_lm.logits"] = model(tokens)[0].numpy()

        rnn = torch.nn.RNN(3, 4, nonlinearity="relu")
        torch.save(rnn, OUT / "rnn_relu_whole.pt")
        torch.jit.save(torch.jit.script(rnn), OUT / "rnn_relu_script.pt")
        x = torch.randn(STEPS, 3)
        expected.update({f"rnn_relu.{k}": v.numpy() for k, v in rnn.state_dict().items()})
        expected["rnn_relu.x"] = x.numpy()
        expected["rnn_relu.h"] = run_stacked(rnn, x, False)["h"]
    np.savez_compressed(OUT / "whole_modules.npz", **expected)
    print(f"wrote whole-module fixtures to {OUT}")


class GruTagger(torch.nn.Module):
    """A GRU and a Linear reading its h, saved whole."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = torch.nn.GRU(3, 4, batch_first=True)
        self.fc = torch.nn.Linear(4, 2)


def make_gru_fixtures() -> None:
    """GRU state_dicts and a whole GRU module, with PyTorch's outputs over T = 50."""
    torch.manual_seed(20261130)
    expected: dict[str, np.ndarray] = {}
    with torch.no_grad():
        x = torch.randn(50, 3, dtype=torch.float64)
        gru2 = torch.nn.GRU(3, 5, num_layers=2).double()
        torch.save(gru2.state_dict(), OUT / "gru2_double.pt")
        expected["x"] = x.numpy()
        expected["gru2.h"] = run_stacked(gru2, x, False)["h"]
        gru2_float = gru2.float()
        save_file(gru2_float.state_dict(), OUT / "gru2.safetensors")
        expected["gru2_float.h"] = run_stacked(gru2_float, x.float(), False)["h"]

        tagger = GruTagger().double().eval()
        torch.save(tagger, OUT / "gru_tagger_whole.pt")
        h = tagger.gru(x[None])[0][0]
        expected["tagger.h"] = h.numpy()
        expected["tagger.logits"] = tagger.fc(h).numpy()
    np.savez_compressed(OUT / "gru.npz", **expected)
    print(f"wrote GRU fixtures to {OUT}")


def ship_example() -> None:
    """The 2-layer fixture as a native model file, read back through lstm-sim's own loader."""
    network = load_model(OUT / "lstm2.pt")
    network.metadata = {
        "description": "A tiny untrained 2-layer LSTM (3 inputs, 5 units) for trying "
        "'lstm-sim trace' and the file formats; its weights are PyTorch's random "
        "initialisation.",
        "converted_from": "tests/fixtures/torch/lstm2.pt (scripts/make_torch_fixtures.py)",
    }
    SHIPPED.parent.mkdir(parents=True, exist_ok=True)
    save_native(network, SHIPPED)
    print(f"wrote {SHIPPED}")


def make_onnx_fixtures(x: torch.Tensor) -> None:
    """The saved lstm2 and rnn_relu networks exported by PyTorch, when onnx is installed."""
    try:
        import onnx  # noqa: F401 - the exporter needs it
    except ImportError:
        print("onnx is not installed: tests/fixtures/onnx/ left as it is")
        return
    ONNX_OUT.mkdir(parents=True, exist_ok=True)
    for name, module in (
        ("lstm2", torch.nn.LSTM(3, 5, num_layers=2)),
        ("rnn_relu", torch.nn.RNN(3, 4, nonlinearity="relu")),
    ):
        module.load_state_dict(torch.load(OUT / f"{name}.pt", weights_only=True))
        # The legacy (TorchScript) exporter needs only onnx; (T, batch 1, D) as nn.LSTM reads.
        torch.onnx.export(module, (x[:, None],), ONNX_OUT / f"{name}.onnx", dynamo=False)
    print(f"wrote ONNX fixtures to {ONNX_OUT}")


def make_keras_fixtures(x: np.ndarray) -> None:
    """Real Keras files and Keras's own outputs, when Keras 3 is installed."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        print("keras is not installed: tests/fixtures/keras/ left as it is")
        return
    keras.utils.set_random_seed(20240611)
    model = keras.Sequential(
        [
            keras.Input((None, 3)),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    # Non-zero biases, so a bias put in the wrong gate block would show.
    for layer in model.layers[:2]:
        kernel, recurrent, bias = layer.get_weights()
        layer.set_weights([kernel, recurrent, np.random.default_rng(1).normal(size=bias.shape)])
    KERAS_OUT.mkdir(parents=True, exist_ok=True)
    model.save(KERAS_OUT / "lstm2.keras")
    model.save(KERAS_OUT / "lstm2_legacy.h5")
    batch = x[None]
    layer_h = [
        keras.Model(model.inputs, layer.output).predict(batch, verbose=0)[0]
        for layer in model.layers[:2]
    ]
    np.savez_compressed(
        KERAS_OUT / "outputs.npz",
        x=x,
        h=np.stack(layer_h),
        probs=model.predict(batch, verbose=0)[0],
    )
    print(f"wrote Keras {keras.__version__} fixtures to {KERAS_OUT}")


if __name__ == "__main__":
    main()
