"""The GRU, LSTM-variant and bidirectional kernels against PyTorch, ONNX and Keras, T = 50.

Each framework's case is checked twice by one function: on the committed fixture
(tests/fixtures/family/, made by scripts/make_family_fixtures.py), which needs no
framework, and live on fresh random weights when the framework is importable. Bounds:
1e-12 in float64 and 1e-5 in float32 on outputs and states; gradients within 1e-9 of
torch autograd, relative to the largest entry.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lstm_sim.engine.activations import keras_activation, onnx_activation_list
from lstm_sim.engine.bidirectional import (
    BidirectionalLayer,
    RecurrentLayer,
    bidirectional_backward,
    bidirectional_forward,
    layer_forward,
    reverse_forward,
)
from lstm_sim.engine.gru import GruLayer, GruParameters
from lstm_sim.engine.lstm_variants import LstmLayer, LstmParameters

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "family"
KERAS_NUMPY_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword"
TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}
Case = dict[str, Any]


def load(name: str) -> Case:
    with np.load(FIXTURES / f"{name}.npz", allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def assert_within(engine: np.ndarray, framework: np.ndarray, bound: float, what: str) -> None:
    assert engine.shape == framework.shape, what
    error = float(np.abs(engine - framework).max())
    assert error <= bound, f"{what}: {error:.2e} > {bound:.0e}"


# -- PyTorch -------------------------------------------------------------------------------


def torch_layers(case: Case, lstm: bool) -> BidirectionalLayer:
    def direction(suffix: str) -> RecurrentLayer:
        names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] + (["weight_hr"] if lstm else [])
        arrays = {name: case[f"{name}_l0{suffix}"] for name in names if f"{name}_l0" in case}
        if lstm:
            return LstmLayer(LstmParameters(**arrays))
        return GruLayer(GruParameters(**arrays))

    return BidirectionalLayer(direction(""), direction("_reverse"))


def check_torch(case: Case, lstm: bool) -> None:
    """nn.GRU / nn.LSTM(proj_size) with bidirectional=True, batch 1: outputs, final states
    and every gradient of L = Σ y ⊙ w + Σ h_n ⊙ w_h."""
    layer = torch_layers(case, lstm)
    x = case["x"][:, 0]
    states = [(case["h0"][d, 0], case["c0"][d, 0]) if lstm else (case["h0"][d, 0],) for d in (0, 1)]
    record = bidirectional_forward(layer, x, states[0], states[1])
    assert_within(record.output, case["y"][:, 0], 1e-12, "y")
    for d, final in enumerate(record.final_states):
        assert_within(final[0], case["h_n"][d, 0], 1e-12, f"h_n[{d}]")
    w_h = case["w_h"][:, 0]  # the loss reads h_n, not c_n
    no_c = (np.zeros(case["c0"].shape[-1]),) if lstm else ()
    dstates = [(w_h[d], *no_c) for d in (0, 1)]
    grads = bidirectional_backward(layer, record, case["w"][:, 0], dstates[0], dstates[1])
    expected = {"x": (grads.dx, case["grad.x"][:, 0])}
    expected["h0"] = (np.stack([grads.dstate0_forward[0], grads.dstate0_reverse[0]]),)
    expected["h0"] += (case["grad.h0"][:, 0],)
    if lstm:
        expected["c0"] = (
            np.stack([grads.dstate0_forward[1], grads.dstate0_reverse[1]]),
            case["grad.c0"][:, 0],
        )
    for name, value in grads.params.items():
        key = name.replace("_reverse", "") + "_l0" + ("_reverse" if "_reverse" in name else "")
        expected[name] = (value, case[f"grad.{key}"])
    for name, (engine, torch_grad) in expected.items():
        scale = float(np.abs(torch_grad).max())
        assert_within(engine, torch_grad, 1e-9 * scale, f"grad {name}")

    single = BidirectionalLayer(dataclass_astype(layer.forward), dataclass_astype(layer.reverse))
    states32 = [tuple(s.astype(np.float32) for s in state) for state in states]
    record32 = bidirectional_forward(single, x.astype(np.float32), states32[0], states32[1])
    assert record32.output.dtype == np.float32
    assert_within(record32.output, case["y32"][:, 0], 1e-5, "y float32")


def dataclass_astype(layer: RecurrentLayer) -> RecurrentLayer:
    if isinstance(layer, GruLayer):
        return GruLayer(layer.params.astype(np.float32))
    return LstmLayer(layer.params.astype(np.float32))


def test_gru_bidirectional_matches_torch_fixture() -> None:
    check_torch(load("torch_gru_bidirectional"), lstm=False)


def test_lstm_projection_bidirectional_matches_torch_fixture() -> None:
    check_torch(load("torch_lstm_proj_bidirectional"), lstm=True)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("lstm", [False, True], ids=["gru", "lstm-proj"])
def test_bidirectional_matches_live_torch(lstm: bool) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    if lstm:
        module = torch.nn.LSTM(3, 6, proj_size=4, bidirectional=True).double()
    else:
        module = torch.nn.GRU(3, 6, bidirectional=True).double()
    out = 4 if lstm else 6
    x = torch.randn(50, 1, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 1, out, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(2, 1, 6, dtype=torch.float64, requires_grad=True)
    y, final = module(x, (h0, c0) if lstm else h0)
    h_n = final[0] if lstm else final
    w, w_h = torch.randn(y.shape, dtype=torch.float64), torch.randn(h_n.shape, dtype=torch.float64)
    ((y * w).sum() + (h_n * w_h).sum()).backward()
    case: Case = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    case.update(x=x.detach().numpy(), h0=h0.detach().numpy(), y=y.detach().numpy())
    case.update(h_n=h_n.detach().numpy(), w=w.numpy(), w_h=w_h.numpy())
    case.update({"grad.x": x.grad.numpy(), "grad.h0": h0.grad.numpy(), "c0": c0.detach().numpy()})
    if lstm:
        case["grad.c0"] = c0.grad.numpy()
    case.update({f"grad.{k}": p.grad.numpy() for k, p in module.named_parameters()})
    with torch.no_grad():
        small = module.float()
        state = (h0.float(), c0.float()) if lstm else h0.float()
        case["y32"] = small(x.float(), state)[0].numpy()
    check_torch(case, lstm)


# -- ONNX ----------------------------------------------------------------------------------


def onnx_layers(case: Case) -> list[RecurrentLayer]:
    """One layer per direction of the case's ONNX node, from its attributes."""
    lstm = str(case["op"]) == "LSTM"
    directions = case["W"].shape[0]
    default = ["Sigmoid", "Tanh", "Tanh"] if lstm else ["Sigmoid", "Tanh"]
    names = [str(n) for n in case.get("attr.activations", default * directions)]
    alphas = [float(a) for a in case.get("attr.activation_alpha", [])]
    betas = [float(b) for b in case.get("attr.activation_beta", [])]
    activations = onnx_activation_list(names, alphas, betas)
    per = len(default)
    clip = float(case["attr.clip"]) if "attr.clip" in case else None
    layers: list[RecurrentLayer] = []
    for d in range(directions):
        f, g, *h = activations[d * per : (d + 1) * per]
        if lstm:
            params = LstmParameters.from_onnx(
                case["W"][d], case["R"][d], case["B"][d], case["P"][d]
            )
            coupled = int(case.get("attr.input_forget", 0)) == 1
            coupling = "forget_from_input" if coupled else "none"
            layers.append(LstmLayer(params, coupling, clip, f, g, h[0]))
        else:
            params = GruParameters.from_onnx(case["W"][d], case["R"][d], case["B"][d])
            reset_after = int(case.get("attr.linear_before_reset", 0)) == 1
            layers.append(GruLayer(params, reset_after, f, g, clip))
    return layers


def check_onnx(case: Case) -> None:
    """Y (T, dirs, 1, H), Y_h (and Y_c) of the node, in every dtype the case holds."""
    lstm = str(case["op"]) == "LSTM"
    direction = str(case.get("attr.direction", "forward"))
    for bits, dtype in ((64, np.float64), (32, np.float32)):
        if f"Y{bits}" not in case:
            continue
        layers = [
            GruLayer(
                layer.params.astype(dtype),
                layer.reset_after,
                layer.gate,
                layer.candidate,
                layer.clip,
            )
            if isinstance(layer, GruLayer)
            else LstmLayer(
                layer.params.astype(dtype),
                layer.coupling,
                layer.clip,
                layer.gate,
                layer.candidate,
                layer.cell_output,
            )
            for layer in onnx_layers(case)
        ]
        x = case["X"][:, 0].astype(dtype)
        runs = []
        for d, layer in enumerate(layers):
            state = (case["initial_h"][d, 0].astype(dtype),)
            if lstm:
                state += (case["initial_c"][d, 0].astype(dtype),)
            if direction == "reverse" or d == 1:
                reverse = reverse_forward(layer, x, state)
                runs.append((reverse.output, reverse.ran))
            else:
                forward = layer_forward(layer, x, state)
                runs.append((forward.output, forward))
        bound = TOLERANCE[dtype]
        for d, (output, record) in enumerate(runs):
            assert output.dtype == dtype
            assert_within(output, case[f"Y{bits}"][:, d, 0], bound, f"Y{bits}[:, {d}]")
            assert_within(record.h[-1], case[f"Y_h{bits}"][d, 0], bound, f"Y_h{bits}[{d}]")
            if lstm:
                assert_within(record.c[-1], case[f"Y_c{bits}"][d, 0], bound, f"Y_c{bits}[{d}]")


ONNX_CASES = [
    "onnx_gru_before_reset_bidirectional",
    "onnx_gru_after_reset_reverse",
    "onnx_lstm_peephole_bidirectional",
    "onnx_lstm_peephole_reverse",
    "onnx_lstm_clip_input_forget",
    "onnx_lstm_activations",
    "onnx_gru_clip_activations",
]


@pytest.mark.parametrize("name", ONNX_CASES)
def test_onnx_node_matches_fixture(name: str) -> None:
    check_onnx(load(name))


def run_onnx(case: Case, runtime: str) -> Case:
    """The case's node rerun by its runtime on the case's arrays: fresh outputs."""
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    lstm = str(case["op"]) == "LSTM"
    names = ["X", "W", "R", "B", "", "initial_h"] + (["initial_c", "P"] if lstm else [])
    outputs = ["Y", "Y_h", "Y_c"] if lstm else ["Y", "Y_h"]
    attrs: dict[str, Any] = {}
    for key, value in case.items():
        if key.startswith("attr."):
            attrs[key[5:]] = value.tolist()
    node = helper.make_node(
        str(case["op"]), names, outputs, hidden_size=case["R"].shape[-1], **attrs
    )
    fresh = dict(case)
    dtypes = (np.float64, np.float32) if runtime == "reference" else (np.float32,)
    for dtype in dtypes:
        element = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
        graph = helper.make_graph(
            [node],
            "family",
            [helper.make_tensor_value_info(k, element, case[k].shape) for k in names if k],
            [helper.make_tensor_value_info(k, element, None) for k in outputs],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
        feeds = {k: case[k].astype(dtype) for k in names if k}
        if runtime == "reference":
            from onnx.reference import ReferenceEvaluator

            values = ReferenceEvaluator(model).run(None, feeds)
        else:
            ort = pytest.importorskip("onnxruntime")
            session = ort.InferenceSession(
                model.SerializeToString(), providers=["CPUExecutionProvider"]
            )
            values = session.run(None, feeds)
        bits = 64 if dtype == np.float64 else 32
        fresh.update({f"{k}{bits}": v for k, v in zip(outputs, values, strict=True)})
    return fresh


@pytest.mark.parametrize("name", ONNX_CASES)
def test_onnx_node_matches_live_runtime_on_new_weights(name: str) -> None:
    case = load(name)
    rng = np.random.default_rng(11)
    for key in ("X", "W", "R", "B", "P", "initial_h", "initial_c"):
        if key in case:
            case[key] = rng.normal(scale=0.6, size=case[key].shape)
    check_onnx(run_onnx(case, str(case["runtime"])))


# -- Keras ---------------------------------------------------------------------------------


def keras_gru(case: Case, prefix: str = "", **options: Any) -> GruLayer:
    params = GruParameters.from_keras(
        case[prefix + "kernel"], case[prefix + "recurrent_kernel"], case[prefix + "bias"]
    )
    return GruLayer(params, **options)


def keras_lstm(case: Case, prefix: str = "", **options: Any) -> LstmLayer:
    params = LstmParameters.from_keras(
        case[prefix + "kernel"], case[prefix + "recurrent_kernel"], case[prefix + "bias"]
    )
    return LstmLayer(params, **options)


def keras_mask(x: np.ndarray) -> np.ndarray:
    """Masking(mask_value=0): a step is read when any feature differs from 0."""
    return np.any(x != 0.0, axis=-1)


def keras_output(name: str, case: Case, dtype: type) -> np.ndarray:
    """What the engine says the Keras model of case ``name`` outputs."""
    x = case["x"].astype(dtype)
    hard_sigmoid = keras_activation("hard_sigmoid")

    def cast(layer: Any) -> Any:
        return type(layer)(layer.params.astype(dtype), *list(vars(layer).values())[1:])

    if name == "keras_gru_reset_before":
        return layer_forward(cast(keras_gru(case, reset_after=False)), x).output
    if name == "keras_gru_hard_sigmoid":
        return layer_forward(cast(keras_gru(case, gate=hard_sigmoid)), x).output
    if name == "keras_lstm_go_backwards":
        run = reverse_forward(cast(keras_lstm(case, gate=hard_sigmoid)), x)
        return run.ran_output  # go_backwards alone: the outputs in the order the layer ran
    if name == "keras_masked_gru_initial_state":
        h0 = case["h0"].astype(dtype)
        return layer_forward(cast(keras_gru(case)), x, (h0,), keras_mask(x)).output
    layer = BidirectionalLayer(
        cast(keras_lstm(case, "forward.")), cast(keras_lstm(case, "backward."))
    )
    return bidirectional_forward(layer, x, mask=keras_mask(x)).output


# Keras 3.15.1's keras.ops.matmul on the torch backend returns float32 for two float64
# operands, so its generic RNN loop (reset_after=False, masks) is not float64 throughout:
# on these cases Keras is ~1e-7 from exact float64 arithmetic. Its fused loops (GRU with
# reset_after=True, LSTM, no mask) stay in float64 and are held to 1e-12.
KERAS_FLOAT64_BOUND = {
    "keras_gru_reset_before": 1e-6,
    "keras_masked_gru_initial_state": 1e-6,
    "keras_masked_bidirectional_lstm": 1e-6,
}

KERAS_CASES = [
    "keras_gru_reset_before",
    "keras_gru_hard_sigmoid",
    "keras_lstm_go_backwards",
    "keras_masked_gru_initial_state",
    "keras_masked_bidirectional_lstm",
]


@pytest.mark.parametrize("name", KERAS_CASES)
def test_keras_layer_matches_fixture(name: str) -> None:
    case = load(name)
    bound = KERAS_FLOAT64_BOUND.get(name, 1e-12)
    assert_within(keras_output(name, case, np.float64), case["y64"], bound, "y float64")
    output32 = keras_output(name, case, np.float32)
    assert output32.dtype == np.float32
    assert_within(output32, case["y32"], 1e-5, "y float32")


def test_keras_masked_gru_outputs_zeros_before_the_first_read_step() -> None:
    """Keras outputs zeros, not h_0, at masked steps before any read step; later masked
    steps repeat the last read step's h."""
    case = load("keras_masked_gru_initial_state")
    assert np.all(case["y64"][:2] == 0) and np.any(case["h0"] != 0)
    np.testing.assert_array_equal(case["y64"][10:13], np.repeat(case["y64"][9:10], 3, 0))


@pytest.mark.filterwarnings(KERAS_NUMPY_WARNING)
@pytest.mark.parametrize("name", KERAS_CASES)
def test_keras_layer_matches_live_keras_on_new_weights(name: str) -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("the Keras fixtures were made on the torch backend")
    case = load(name)
    rng = np.random.default_rng(12)
    layers, inputs = keras.layers, keras.Input((None, 3))
    hard = "hard_sigmoid"
    h0 = None
    if name == "keras_gru_reset_before":
        rnn = layers.GRU(4, reset_after=False, return_sequences=True)
        model = keras.Model(inputs, rnn(inputs))
    elif name == "keras_gru_hard_sigmoid":
        rnn = layers.GRU(4, recurrent_activation=hard, return_sequences=True)
        model = keras.Model(inputs, rnn(inputs))
    elif name == "keras_lstm_go_backwards":
        rnn = layers.LSTM(4, recurrent_activation=hard, go_backwards=True, return_sequences=True)
        model = keras.Model(inputs, rnn(inputs))
    elif name == "keras_masked_gru_initial_state":
        rnn = layers.GRU(4, return_sequences=True)  # called alone: see the fixture script
        rnn.build((1, 50, 3))
        model, h0 = rnn, rng.normal(size=(1, 4))
    else:
        rnn = layers.Bidirectional(layers.LSTM(4, return_sequences=True))
        model = keras.Model(inputs, rnn(layers.Masking(0.0)(inputs)))
    weights = [rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    x = case["x"].astype(np.float32)
    if h0 is None:
        y = model(x[None])
    else:
        y = rnn(x[None], mask=keras_mask(x)[None], initial_state=[h0.astype(np.float32)])
    fresh: Case = {"x": x, "y32": keras.ops.convert_to_numpy(y)[0]}
    subs = [("", rnn)]
    if isinstance(rnn, layers.Bidirectional):
        subs = [("forward.", rnn.forward_layer), ("backward.", rnn.backward_layer)]
    for prefix, sub in subs:
        for variable in sub.cell.weights:
            fresh[prefix + variable.path.split("/")[-1]] = keras.ops.convert_to_numpy(
                variable.value
            )
    if h0 is not None:
        fresh["h0"] = h0[0]
    assert_within(keras_output(name, fresh, np.float32), fresh["y32"], 1e-5, "y float32")
