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
  before a GRU with an initial state and before a ``Bidirectional(LSTM)``.
"""

from __future__ import annotations

import os
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


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    make_torch()
    make_onnx()
    make_keras()


if __name__ == "__main__":
    main()
