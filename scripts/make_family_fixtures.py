"""Make the fixtures that hold the GRU, LSTM-variant and bidirectional kernels to the
frameworks (needs torch, onnx and onnxruntime; Keras 3 for the Keras ones).

Run from the repository root: ``python scripts/make_family_fixtures.py``. Seeded, with
random weights and non-zero initial states, T = 50 steps. Writes one ``.npz`` per case to
tests/fixtures/family/, each holding the inputs, the weights in the framework's own layout,
the framework's attributes (strings as fixed-width unicode) and the framework's outputs:

- ``torch_<case>.npz``: ``nn.GRU`` / ``nn.LSTM(proj_size=2)``, bidirectional, float64 with
  the gradients of L = Σ y ⊙ w (+ Σ h_n ⊙ w_h) under ``grad.<name>``, and the float32
  outputs under ``y32``;
- ``onnx_<case>.npz``: one ``GRU`` or ``LSTM`` node. Direction, ``linear_before_reset`` and
  ``P`` are run by ``onnx.reference.ReferenceEvaluator`` in float64 and float32 (``Y64``,
  ``Y32``); ``clip``, ``input_forget`` and ``activations`` by ONNX Runtime in float32 only
  (the reference evaluator ignores those attributes and ONNX Runtime's LSTM and GRU take no
  float64);
- ``keras_<case>.npz``: Keras 3 on PyTorch (``KERAS_BACKEND=torch``) in float64 and
  float32: ``GRU(reset_after=False)``, ``hard_sigmoid``, ``go_backwards``, ``Masking``
  before a GRU with an initial state and before a ``Bidirectional(LSTM)``;
- ``network_<case>.pt`` and ``network_<case>.npz``: whole networks as a user brings them,
  a 2-layer bidirectional ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` or a ``proj_size`` LSTM
  with a Linear readout (``rnn.*``, ``fc.*``), saved as a float64 state_dict; the .npz holds
  x, the targets, every layer's h and c per direction in time order (``h``, ``c``,
  ``h_reverse``, ``c_reverse``, (L, T, ...), from stepping each direction of each layer
  one step at a time), the logits, the loss Σ_t mean_k (logits_t - target_t)² and its
  gradient for every parameter under lstm-sim's names (``grad.weight_ih_l0_reverse``,
  ``grad.readout.weight``), and the float32 logits (``logits32``).

``python scripts/make_family_fixtures.py networks`` makes one group (torch, onnx, keras,
networks); with no argument, all of them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "family"
STEPS, INPUTS, HIDDEN, PROJ = 50, 3, 4, 2
SEED = 20261130


def save(name: str, arrays: dict[str, Any]) -> None:
    path = OUT / f"{name}.npz"
    np.savez_compressed(path, **{k: np.asarray(v) for k, v in arrays.items()})
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.1f} KB)")


# -- PyTorch -------------------------------------------------------------------------------


def torch_case(name: str, module: torch.nn.Module, lstm: bool) -> None:
    module = module.double()
    directions, out = 2, module.proj_size or module.hidden_size if lstm else module.hidden_size
    x = torch.randn(STEPS, 1, INPUTS, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(directions, 1, out, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(directions, 1, module.hidden_size, dtype=torch.float64, requires_grad=True)
    state = (h0, c0) if lstm else h0
    y, final = module(x, state)
    h_n = final[0] if lstm else final
    w = torch.randn(y.shape, dtype=torch.float64)
    w_h = torch.randn(h_n.shape, dtype=torch.float64)
    ((y * w).sum() + (h_n * w_h).sum()).backward()
    arrays: dict[str, Any] = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    arrays.update(x=x.detach().numpy(), h0=h0.detach().numpy(), y=y.detach().numpy())
    arrays.update(h_n=h_n.detach().numpy(), w=w.numpy(), w_h=w_h.numpy())
    arrays.update({"grad.x": x.grad.numpy(), "grad.h0": h0.grad.numpy()})
    if lstm:
        arrays.update(c0=c0.detach().numpy(), c_n=final[1].detach().numpy())
        arrays["grad.c0"] = c0.grad.numpy()
    for key, param in module.named_parameters():
        arrays[f"grad.{key}"] = param.grad.numpy()
    with torch.no_grad():
        small = module.float()
        state32 = (h0.float(), c0.float()) if lstm else h0.float()
        arrays["y32"] = small(x.float(), state32)[0].numpy()
    save(name, arrays)


def make_torch() -> None:
    torch.manual_seed(SEED)
    torch_case("torch_gru_bidirectional", torch.nn.GRU(INPUTS, HIDDEN, bidirectional=True), False)
    lstm = torch.nn.LSTM(INPUTS, HIDDEN, proj_size=PROJ, bidirectional=True)
    torch_case("torch_lstm_proj_bidirectional", lstm, True)


# -- ONNX ----------------------------------------------------------------------------------


def onnx_case(
    name: str, op: str, attrs: dict[str, Any], runtime: str, rng: np.random.Generator
) -> None:
    """One node with random weights; ``runtime``: "reference" or "onnxruntime"."""
    from onnx import TensorProto, helper

    gates = 4 if op == "LSTM" else 3
    directions = 2 if attrs.get("direction") == "bidirectional" else 1
    arrays: dict[str, Any] = {
        "X": rng.normal(size=(STEPS, 1, INPUTS)),
        "W": rng.normal(scale=0.6, size=(directions, gates * HIDDEN, INPUTS)),
        "R": rng.normal(scale=0.6, size=(directions, gates * HIDDEN, HIDDEN)),
        "B": rng.normal(scale=0.5, size=(directions, 2 * gates * HIDDEN)),
        "initial_h": rng.normal(size=(directions, 1, HIDDEN)),
    }
    if op == "LSTM":
        arrays["initial_c"] = rng.normal(size=(directions, 1, HIDDEN))
        arrays["P"] = rng.normal(scale=0.5, size=(directions, 3 * HIDDEN))
    names = ["X", "W", "R", "B", "", "initial_h"]
    if op == "LSTM":
        names += ["initial_c", "P"]
    outputs = ["Y", "Y_h", "Y_c"] if op == "LSTM" else ["Y", "Y_h"]
    node = helper.make_node(op, names, outputs, hidden_size=HIDDEN, **attrs)
    results: dict[str, Any] = {}
    dtypes = (np.float64, np.float32) if runtime == "reference" else (np.float32,)
    for dtype in dtypes:
        element = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
        graph = helper.make_graph(
            [node],
            name,
            [helper.make_tensor_value_info(k, element, None) for k in names if k],
            [helper.make_tensor_value_info(k, element, None) for k in outputs],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
        feeds = {k: v.astype(dtype) for k, v in arrays.items()}
        if runtime == "reference":
            from onnx.reference import ReferenceEvaluator

            values = ReferenceEvaluator(model).run(None, feeds)
        else:
            import onnxruntime

            session = onnxruntime.InferenceSession(
                model.SerializeToString(), providers=["CPUExecutionProvider"]
            )
            values = session.run(None, feeds)
        bits = 64 if dtype == np.float64 else 32
        results.update({f"{k}{bits}": v for k, v in zip(outputs, values, strict=True)})
    attributes = {f"attr.{k}": v for k, v in attrs.items()}
    save(name, {**arrays, **results, **attributes, "op": op, "runtime": runtime})


def make_onnx() -> None:
    rng = np.random.default_rng(SEED)
    bidirectional = {"direction": "bidirectional"}
    onnx_case("onnx_gru_before_reset_bidirectional", "GRU", bidirectional, "reference", rng)
    onnx_case(
        "onnx_gru_after_reset_reverse",
        "GRU",
        {"direction": "reverse", "linear_before_reset": 1},
        "reference",
        rng,
    )
    onnx_case("onnx_lstm_peephole_bidirectional", "LSTM", bidirectional, "reference", rng)
    onnx_case("onnx_lstm_peephole_reverse", "LSTM", {"direction": "reverse"}, "reference", rng)
    onnx_case(
        "onnx_lstm_clip_input_forget", "LSTM", {"clip": 0.9, "input_forget": 1}, "onnxruntime", rng
    )
    activations = {
        "direction": "bidirectional",
        "activations": ["HardSigmoid", "Softsign", "Relu", "Sigmoid", "LeakyRelu", "ScaledTanh"],
        "activation_alpha": [0.3, 0.1, 0.8],
        "activation_beta": [0.4, 1.2],
    }
    onnx_case("onnx_lstm_activations", "LSTM", activations, "onnxruntime", rng)
    gru_activations = {
        "linear_before_reset": 1,
        "clip": 1.1,
        "activations": ["HardSigmoid", "Elu"],
        "activation_alpha": [0.25, 0.7],
        "activation_beta": [0.45],
    }
    onnx_case("onnx_gru_clip_activations", "GRU", gru_activations, "onnxruntime", rng)


# -- Keras ---------------------------------------------------------------------------------


def keras_case(name: str, build: Any, rng: np.random.Generator, masked: bool = False) -> None:
    """``build(keras)`` returns (what owns the weights, the recurrent layer or Bidirectional,
    a function of x giving the output, the initial h or None); it runs in float64 and
    float32 with the same weights."""
    import keras

    x = rng.normal(size=(1, STEPS, INPUTS))
    if masked:  # skipped steps: two at the start (before any read step) and a run inside
        x[0, [0, 1, 10, 11, 12, 30]] = 0.0
    arrays: dict[str, Any] = {"x": x[0]}
    weights = None
    for floatx in ("float64", "float32"):
        keras.config.set_floatx(floatx)
        owner, layer, run, h0 = build(keras)
        if weights is None:
            weights = [w + rng.normal(scale=0.3, size=w.shape) for w in owner.get_weights()]
        owner.set_weights([w.astype(floatx) for w in weights])
        arrays[f"y{floatx[-2:]}"] = keras.ops.convert_to_numpy(run(x.astype(floatx)))[0]
        if floatx == "float64":
            sublayers = (
                [("forward.", layer.forward_layer), ("backward.", layer.backward_layer)]
                if isinstance(layer, keras.layers.Bidirectional)
                else [("", layer)]
            )
            for prefix, sub in sublayers:
                for variable in sub.cell.weights:
                    value = keras.ops.convert_to_numpy(variable.value)
                    arrays[prefix + variable.path.split("/")[-1]] = value
            if h0 is not None:
                arrays["h0"] = h0[0]
    keras.config.set_floatx("float32")
    save(name, arrays)


def make_keras() -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        print("keras is not installed: Keras fixtures left as they are")
        return
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED + 1)

    def sequential(*layers: Any) -> Any:
        model = keras.Sequential([keras.Input((None, INPUTS)), *layers])
        return model, layers[-1], model, None

    def gru_reset_before(k: Any) -> Any:
        layer = k.layers.GRU(HIDDEN, reset_after=False, return_sequences=True)
        return sequential(layer)

    def gru_hard_sigmoid(k: Any) -> Any:
        layer = k.layers.GRU(HIDDEN, recurrent_activation="hard_sigmoid", return_sequences=True)
        return sequential(layer)

    def lstm_go_backwards(k: Any) -> Any:
        layer = k.layers.LSTM(
            HIDDEN, recurrent_activation="hard_sigmoid", go_backwards=True, return_sequences=True
        )
        return sequential(layer)

    h0 = rng.normal(size=(1, HIDDEN))

    def masked_gru_initial_state(k: Any) -> Any:
        # The layer called on its own: a functional model that passes initial_state to a
        # GRU after Masking drops the mask (Keras 3.15.1).
        layer = k.layers.GRU(HIDDEN, return_sequences=True)
        layer.build((1, STEPS, INPUTS))
        initial = h0.astype(k.config.floatx())

        def run(x: np.ndarray) -> Any:
            return layer(x, mask=np.any(x != 0.0, axis=-1), initial_state=[initial])

        return layer, layer, run, h0

    def masked_bidirectional_lstm(k: Any) -> Any:
        layer = k.layers.Bidirectional(k.layers.LSTM(HIDDEN, return_sequences=True))
        return sequential(k.layers.Masking(0.0), layer)

    keras_case("keras_gru_reset_before", gru_reset_before, rng)
    keras_case("keras_gru_hard_sigmoid", gru_hard_sigmoid, rng)
    keras_case("keras_lstm_go_backwards", lstm_go_backwards, rng)
    keras_case("keras_masked_gru_initial_state", masked_gru_initial_state, rng, masked=True)
    keras_case("keras_masked_bidirectional_lstm", masked_bidirectional_lstm, rng, masked=True)


# -- whole networks through lstm-sim's PyTorch reader ---------------------------------------

CLASSES = 5


class Tagger(torch.nn.Module):
    """A recurrent module with a Linear readout on every step's output."""

    def __init__(self, rnn: torch.nn.Module, width: int) -> None:
        super().__init__()
        self.rnn = rnn
        self.fc = torch.nn.Linear(width, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.rnn(x)[0])  # type: ignore[no-any-return]


def _one_pass(rnn: torch.nn.Module, suffix: str, x: torch.Tensor) -> tuple[Any, Any]:
    """(h, c) (T, P), (T, H) of one direction of one layer of ``rnn``, stepped one step at
    a time by a one-layer, one-direction module holding that direction's weights; c is None
    without a cell state."""
    lstm = isinstance(rnn, torch.nn.LSTM)
    options: dict[str, Any] = {"proj_size": rnn.proj_size} if lstm else {}
    if isinstance(rnn, torch.nn.RNN):
        options["nonlinearity"] = rnn.nonlinearity
    single = type(rnn)(x.shape[-1], rnn.hidden_size, **options).double()
    own = {k.replace(suffix, "_l0"): v for k, v in rnn.state_dict().items() if k.endswith(suffix)}
    single.load_state_dict(own)
    state = None
    hs, cs = [], []
    for t in range(x.shape[0]):
        _, state = single(x[t : t + 1, None], state)
        h = state[0] if lstm else state
        hs.append(h[0, 0])
        if lstm:
            cs.append(state[1][0, 0])
    return torch.stack(hs), torch.stack(cs) if lstm else None


def network_case(rnn: torch.nn.Module, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the expected arrays, the model's state_dict) of ``rnn`` with a readout, T = 50."""
    torch.manual_seed(seed)
    bidirectional = rnn.bidirectional
    width = (getattr(rnn, "proj_size", 0) or rnn.hidden_size) * (2 if bidirectional else 1)
    model = Tagger(rnn, width).double()
    x = torch.randn(STEPS, 1, INPUTS, dtype=torch.float64)
    targets = torch.randn(STEPS, 1, CLASSES, dtype=torch.float64)
    logits = model(x)
    loss = ((logits - targets) ** 2).mean(-1).sum()
    loss.backward()
    arrays: dict[str, Any] = {"x": x[:, 0].numpy(), "targets": targets[:, 0].numpy()}
    arrays.update(logits=logits[:, 0].detach().numpy(), loss=loss.detach().numpy())
    for key, param in model.named_parameters():
        name = key.removeprefix("rnn.").replace("fc.", "readout.")
        arrays[f"grad.{name}"] = param.grad.numpy()  # type: ignore[union-attr]
    with torch.no_grad():
        states: dict[str, list[Any]] = {"h": [], "c": [], "h_reverse": [], "c_reverse": []}
        inputs = x[:, 0]
        for k in range(rnn.num_layers):
            h, c = _one_pass(rnn, f"_l{k}", inputs)
            outputs = [h]
            states["h"].append(h)
            states["c"].append(c)
            if bidirectional:
                h_rev, c_rev = _one_pass(rnn, f"_l{k}_reverse", inputs.flip(0))
                states["h_reverse"].append(h_rev.flip(0))  # time order
                states["c_reverse"].append(None if c_rev is None else c_rev.flip(0))
                outputs.append(h_rev.flip(0))
            inputs = torch.cat(outputs, dim=-1)
        assert torch.allclose(model.fc(inputs), logits[:, 0], atol=1e-12)
        for name, values in states.items():
            if values and values[0] is not None:
                arrays[name] = torch.stack(values).numpy()
        arrays["logits32"] = model.float()(x.float())[:, 0].numpy()
    model.double()
    return arrays, model.state_dict()


NETWORK_CASES: dict[str, Any] = {
    "lstm_bidirectional": lambda: torch.nn.LSTM(INPUTS, HIDDEN, 2, bidirectional=True),
    "gru_bidirectional": lambda: torch.nn.GRU(INPUTS, HIDDEN, 2, bidirectional=True),
    "rnn_bidirectional": lambda: torch.nn.RNN(INPUTS, HIDDEN, 2, bidirectional=True),
    "lstm_proj": lambda: torch.nn.LSTM(INPUTS, HIDDEN, 2, proj_size=PROJ),
}


def make_networks() -> None:
    for k, (name, build) in enumerate(NETWORK_CASES.items()):
        torch.manual_seed(SEED + k)
        arrays, state = network_case(build(), SEED + k)
        save(f"network_{name}", arrays)
        path = OUT / f"network_{name}.pt"
        torch.save(state, path)
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.1f} KB)")


GROUPS = {"torch": make_torch, "onnx": make_onnx, "keras": make_keras, "networks": make_networks}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[1:] or list(GROUPS):
        GROUPS[name]()


if __name__ == "__main__":
    main()
