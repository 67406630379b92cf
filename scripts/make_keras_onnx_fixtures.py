"""Make the Keras and ONNX model files that hold lstm-sim's readers to their frameworks,
with the frameworks' own outputs (needs Keras 3 on PyTorch, onnx and onnxruntime).

Run from the repository root: ``python scripts/make_keras_onnx_fixtures.py [keras] [onnx]``
(both when none is named). Seeded, with random weights (never equal ones: equal weights
cannot catch a wrong gate order), D = 3 inputs, H = 4 units and T = 50 steps. Writes to
tests/fixtures/keras_onnx/, per case, the model file(s) and ``<case>.npz`` holding ``x``
(T, D) and, for each float width 64 and 32:

- ``y64`` / ``y32``: the model's output (T, ...) (Keras: the last layer's; ONNX: the last
  node's ``Y`` as (T, directions, H));
- ``h64.<k>`` / ``h32.<k>``: recurrent layer k's output sequence (Keras) or ``Y``
  (ONNX), ``state64.<k>.<j>``: its final states as the framework returns them (Keras
  ``return_state``: h, c per direction; ONNX ``Y_h``, ``Y_c``).

Keras files (``.keras``, and legacy ``.h5`` where noted) are saved in float64; the float32
outputs come from the same architecture built with ``floatx="float32"`` and the weights
cast to float32. Keras 3.15 narrows float64 to float32 in ``keras.ops`` type promotion on
every backend but TensorFlow (``BIT64_TO_BIT32_DTYPE``, to match JAX without x64), so a
float64 GRU with ``reset_after=False`` or a masked layer would really compute its matmuls
in float32; the float64 run lifts that one rule, as the TensorFlow backend does, so Keras's
float64 numbers are float64.

ONNX files are hand-built graphs (float32 weights, opset 14) whose stacked nodes are joined
the way PyTorch's exporter joins them (Squeeze, or Transpose and Reshape after a
bidirectional node). ONNX Runtime gives the float32 outputs. The float64 outputs come from
``onnx.reference.ReferenceEvaluator`` on the same graph in double, for the cases whose
attributes it honours (direction, ``linear_before_reset``, ``P``); it ignores ``clip``,
``input_forget`` and ``activations``, and ONNX Runtime's LSTM and GRU take no float64, so
those cases have float32 outputs only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "keras_onnx"
STEPS, INPUTS, HIDDEN = 50, 3, 4
SEED = 20261130
MASKED_STEPS = [0, 1, 10, 11, 12, 30]  # two before any read step, a run, a lone one


def save_arrays(name: str, arrays: dict[str, Any]) -> None:
    path = OUT / f"{name}.npz"
    np.savez_compressed(path, **{k: np.asarray(v) for k, v in arrays.items()})
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.1f} KB)")


# -- Keras ---------------------------------------------------------------------------------


@contextmanager
def keras_float64(keras: Any) -> Iterator[None]:
    """Keras with ``floatx`` float64 whose type promotion keeps float64 (see above)."""
    from keras.src.backend.common import dtypes

    narrowed = dtypes.BIT64_TO_BIT32_DTYPE.pop("float64", None)
    keras.config.set_floatx("float64")
    try:
        yield
    finally:
        keras.config.set_floatx("float32")
        if narrowed is not None:
            dtypes.BIT64_TO_BIT32_DTYPE["float64"] = narrowed


def recurrent_layers(keras: Any, model: Any) -> list[Any]:
    layers = keras.layers
    kinds = (layers.LSTM, layers.GRU, layers.SimpleRNN, layers.Bidirectional)
    return [layer for layer in model.layers if isinstance(layer, kinds)]


def final_states(keras: Any, model: Any, layer: Any, x: np.ndarray, mask: Any) -> list[Any]:
    """The states ``layer`` ends in on ``x``, from a twin built with ``return_state``."""
    config = layer.get_config()
    if isinstance(layer, keras.layers.Bidirectional):
        for part in ("layer", "backward_layer"):
            config[part]["config"]["return_state"] = True
    else:
        config["return_state"] = True
    twin = type(layer).from_config(config)
    source = layer.input[0] if isinstance(layer.input, list) else layer.input  # [x, mask]
    below = keras.Model(model.inputs[0], source)(x)
    twin(below, mask=mask)  # builds it
    twin.set_weights(layer.get_weights())
    return [keras.ops.convert_to_numpy(s)[0] for s in twin(below, mask=mask)[1:]]


def keras_case(
    name: str,
    build: Callable[[Any], list[Any]],
    rng: np.random.Generator,
    *,
    masked: bool = False,
    legacy_h5: bool = False,
    functional: bool = False,
) -> None:
    """A Sequential model of ``build(keras)``'s layers on (None, D) inputs, saved and run
    (with ``functional``, the same layers called one after another in a functional
    ``keras.Model``, whose config holds the NotEqual and Any a Masking's mask becomes)."""
    import keras

    x = rng.normal(size=(STEPS, INPUTS))
    if masked:
        x[MASKED_STEPS] = 0.0
    arrays: dict[str, Any] = {"x": x}
    weights = None
    for bits in (64, 32):
        context = keras_float64(keras) if bits == 64 else _plain()
        with context:
            inputs = keras.Input((None, INPUTS))
            if functional:
                value = inputs
                for layer in build(keras):
                    value = layer(value)
                model = keras.Model(inputs, value)
            else:
                model = keras.Sequential([inputs, *build(keras)])
            if weights is None:
                weights = [rng.normal(scale=0.6, size=w.shape) for w in model.get_weights()]
            model.set_weights([w.astype(f"float{bits}") for w in weights])
            batch = x[None].astype(f"float{bits}")
            arrays[f"y{bits}"] = keras.ops.convert_to_numpy(model(batch))[0]
            mask = np.any(batch != 0.0, axis=-1) if masked else None
            for k, layer in enumerate(recurrent_layers(keras, model)):
                sub = keras.Model(model.inputs[0], layer.output)
                arrays[f"h{bits}.{k}"] = keras.ops.convert_to_numpy(sub(batch))[0]
                for j, state in enumerate(final_states(keras, model, layer, batch, mask)):
                    arrays[f"state{bits}.{k}.{j}"] = state
            if bits == 64:
                model.save(OUT / f"{name}.keras")
                if legacy_h5:
                    model.save(OUT / f"{name}.h5")
    save_arrays(name, arrays)


@contextmanager
def _plain() -> Iterator[None]:
    yield


def make_keras() -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    layers = keras.layers

    def seq(layer: Any, **options: Any) -> Any:
        return layer(HIDDEN, return_sequences=True, **options)

    keras_case(
        "keras_gru_reset_after",
        lambda k: [seq(layers.GRU), seq(layers.GRU), layers.Dense(2)],
        rng,
        legacy_h5=True,
    )
    keras_case(
        "keras_gru_reset_before",
        lambda k: [
            seq(layers.GRU, reset_after=False),
            seq(layers.GRU, reset_after=False),
            layers.Dense(2, activation="softmax"),
        ],
        rng,
        legacy_h5=True,
    )
    keras_case(
        "keras_bidirectional_masked",
        lambda k: [
            layers.Masking(0.0),
            layers.Bidirectional(seq(layers.LSTM)),
            layers.Bidirectional(seq(layers.LSTM)),
            layers.TimeDistributed(layers.Dense(2, activation="softmax")),
        ],
        rng,
        masked=True,
        legacy_h5=True,
    )
    keras_case(
        "keras_gru_masked_hard_sigmoid",
        lambda k: [
            layers.Masking(0.0),
            seq(layers.GRU, recurrent_activation="hard_sigmoid"),
            seq(layers.GRU, recurrent_activation="hard_sigmoid"),
            layers.TimeDistributed(layers.Dense(2)),
        ],
        rng,
        masked=True,
    )
    keras_case(
        "keras_lstm_go_backwards",
        lambda k: [
            seq(layers.LSTM, go_backwards=True, recurrent_activation="hard_sigmoid"),
            seq(layers.LSTM, activation="relu"),
            layers.Dense(2),
        ],
        rng,
    )
    keras_case(
        "keras_rnn_bidirectional_backwards",
        # tanh: a relu RNN with these weights grows without bound over 50 steps
        lambda k: [
            layers.Bidirectional(seq(layers.SimpleRNN)),
            seq(layers.SimpleRNN, go_backwards=True),
            layers.Dense(2),
        ],
        rng,
        legacy_h5=True,
    )
    keras_case(
        "keras_functional_masked_gru",
        lambda k: [
            layers.Masking(0.0),
            layers.Bidirectional(seq(layers.GRU, reset_after=False)),
            layers.Dense(2, activation="softmax"),
        ],
        rng,
        masked=True,
        legacy_h5=True,
        functional=True,
    )
    print(f"Keras {keras.__version__} on {keras.backend.backend()}")


# -- ONNX ----------------------------------------------------------------------------------

REFERENCE_HONOURS = {"direction", "linear_before_reset", "hidden_size"}
"""The attributes onnx.reference's LSTM and GRU implement (the others it ignores)."""


def onnx_case(
    name: str, op: str, layer_attrs: list[dict[str, Any]], rng: np.random.Generator
) -> None:
    """A stack of ``op`` nodes, one per entry of ``layer_attrs``, each node k+1 reading node
    k's Y; every node's Y, Y_h (and Y_c) are graph outputs."""
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    x = rng.normal(size=(STEPS, 1, INPUTS))
    nodes, weights, outputs = [], [], []
    below, width = "X", INPUTS
    for k, attrs in enumerate(layer_attrs):
        dirs = 2 if attrs.get("direction") == "bidirectional" else 1
        names = [f"W{k}", f"R{k}", f"B{k}"]
        weights += [
            rng.normal(scale=0.6, size=(dirs, gates * HIDDEN, width)),
            rng.normal(scale=0.6, size=(dirs, gates * HIDDEN, HIDDEN)),
            rng.normal(scale=0.5, size=(dirs, 2 * gates * HIDDEN)),
        ]
        inputs = [below, *names]
        if op == "LSTM" and attrs.pop("peepholes", False):
            inputs += ["", "", "", f"P{k}"]
            weights.append(rng.normal(scale=0.5, size=(dirs, 3 * HIDDEN)))
            names.append(f"P{k}")
        outs = [f"Y{k}", f"Y_h{k}"] + ([f"Y_c{k}"] if op == "LSTM" else [])
        nodes.append(
            helper.make_node(op, inputs, outs, name=f"{op.lower()}{k}", hidden_size=HIDDEN, **attrs)
        )
        outputs += outs
        if dirs == 1:  # Y (T, 1, B, H) → (T, B, H), as PyTorch's exporter does
            nodes.append(helper.make_node("Squeeze", [f"Y{k}", "axis1"], [f"S{k}"]))
            below = f"S{k}"
        else:  # Y (T, 2, B, H) → (T, B, 2, H) → (T, B, 2H)
            nodes.append(helper.make_node("Transpose", [f"Y{k}"], [f"T{k}"], perm=[0, 2, 1, 3]))
            nodes.append(helper.make_node("Reshape", [f"T{k}", "merge"], [f"S{k}"]))
            below = f"S{k}"
        width = dirs * HIDDEN
    names = [n for node in nodes if node.op_type == op for n in node.input[1:] if n]
    shapes = {"axis1": np.array([1]), "merge": np.array([0, 0, -1])}
    constants = {k: v for k, v in shapes.items() if any(k in node.input for node in nodes)}

    def model(element: int, dtype: type) -> Any:
        pairs = zip(names, weights, strict=True)
        inits = [numpy_helper.from_array(v.astype(dtype), n) for n, v in pairs]
        inits += [numpy_helper.from_array(v, n) for n, v in constants.items()]
        graph = helper.make_graph(
            nodes,
            name,
            [helper.make_tensor_value_info("X", element, [STEPS, 1, INPUTS])],
            [helper.make_tensor_value_info(n, element, None) for n in outputs],
            inits,
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])

    float32 = model(TensorProto.FLOAT, np.float32)
    onnx.save(float32, OUT / f"{name}.onnx")
    arrays: dict[str, Any] = {"x": x[:, 0].astype(np.float32).astype(np.float64)}
    runs: dict[int, list[np.ndarray]] = {}
    session = onnxruntime.InferenceSession(
        float32.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    runs[32] = session.run(None, {"X": x.astype(np.float32)})
    if all(set(a) <= REFERENCE_HONOURS for a in layer_attrs):
        from onnx.reference import ReferenceEvaluator

        # The float32 weights, widened: both runs compute with the same numbers.
        weights = [w.astype(np.float32).astype(np.float64) for w in weights]
        double = ReferenceEvaluator(model(TensorProto.DOUBLE, np.float64))
        runs[64] = double.run(None, {"X": arrays["x"][:, None]})
    per_layer = len(outputs) // len(layer_attrs)
    for bits, values in runs.items():
        for k in range(len(layer_attrs)):
            y, *states = values[k * per_layer : (k + 1) * per_layer]
            arrays[f"h{bits}.{k}"] = y[:, :, 0]  # (T, directions, H)
            for j, state in enumerate(states):
                arrays[f"state{bits}.{k}.{j}"] = state[:, 0]  # (directions, H)
        arrays[f"y{bits}"] = arrays[f"h{bits}.{len(layer_attrs) - 1}"]
    save_arrays(name, arrays)


def make_onnx() -> None:
    rng = np.random.default_rng(SEED + 1)
    bidirectional = {"direction": "bidirectional"}
    onnx_case("onnx_gru_reset_before", "GRU", [{}, {}], rng)
    onnx_case("onnx_gru_reset_after", "GRU", [{"linear_before_reset": 1}] * 2, rng)
    onnx_case(
        "onnx_lstm_bidirectional_peepholes",
        "LSTM",
        [{**bidirectional, "peepholes": True}, {**bidirectional, "peepholes": True}],
        rng,
    )
    onnx_case("onnx_lstm_reverse", "LSTM", [{"direction": "reverse"}, {}], rng)
    onnx_case(
        "onnx_lstm_clip_input_forget_activations",
        "LSTM",
        [
            {"clip": 0.9, "input_forget": 1},
            {
                "activations": ["HardSigmoid", "Softsign", "Relu"],
                "activation_alpha": [0.3],
                "activation_beta": [0.4],
            },
        ],
        rng,
    )
    gru_options = {
        "linear_before_reset": 1,
        "clip": 1.1,
        "activations": ["HardSigmoid", "Elu", "HardSigmoid", "Elu"],  # one set per direction
        "activation_alpha": [0.25, 0.7, 0.25, 0.7],
        "activation_beta": [0.45, 0.45],
        **bidirectional,
    }
    onnx_case("onnx_gru_bidirectional_clip_activations", "GRU", [gru_options], rng)
    rnn_stack = [bidirectional, {"direction": "reverse"}]
    onnx_case("onnx_rnn_bidirectional_reverse", "RNN", rnn_stack, rng)


def main() -> None:
    """Both frameworks' fixtures, or only those named on the command line (keras, onnx)."""
    OUT.mkdir(parents=True, exist_ok=True)
    chosen = set(sys.argv[1:]) or {"keras", "onnx"}
    if "onnx" in chosen:
        make_onnx()
    if "keras" in chosen:
        make_keras()
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(list(OUT.iterdir()))} files, {total / 1024:.1f} KB, in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
