"""ONNX graphs exported by PyTorch (scripts/make_torch_fixtures.py) give PyTorch's
outputs: the gate blocks i, o, f, c are reordered to i, f, g, o."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine import record
from lstm_sim.engine.formats import load_model

onnx = pytest.importorskip("onnx")  # the 'onnx' extra

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def outputs() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "torch" / "outputs.npz", allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def test_exported_lstm_matches_pytorch(outputs: dict[str, np.ndarray]) -> None:
    net = load_model(FIXTURES / "onnx" / "lstm2.onnx")
    assert (net.kind, net.num_layers, net.hidden_size) == ("lstm", 2, 5)
    trace = record(net, outputs["x"])
    np.testing.assert_allclose(trace.h, outputs["lstm2.h"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(trace.c, outputs["lstm2.c"], rtol=0, atol=1e-6)
    # The reordering reproduces PyTorch's own weights exactly.
    torch_net = load_model(FIXTURES / "torch" / "lstm2.pt")
    np.testing.assert_array_equal(net.layers[1].weight_hh, torch_net.layers[1].weight_hh)


def test_exported_relu_rnn_says_relu(outputs: dict[str, np.ndarray]) -> None:
    net = load_model(FIXTURES / "onnx" / "rnn_relu.onnx")
    assert (net.kind, net.nonlinearity) == ("rnn", "relu")
    np.testing.assert_allclose(record(net, outputs["x"]).h, outputs["rnn_relu.h"], atol=1e-6)


def _graph_file(tmp_path: Path, op: str, rows: int, **attrs: object) -> Path:
    """A one-node graph whose W, R, B are initializers, with ``attrs`` on the node."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    dirs = 2 if attrs.get("direction") == "bidirectional" else 1
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.normal(size=(dirs, rows, 3)).astype(np.float32), "W"),
        numpy_helper.from_array(rng.normal(size=(dirs, rows, 2)).astype(np.float32), "R"),
        numpy_helper.from_array(np.zeros((dirs, 2 * rows), np.float32), "B"),
    ]
    node = helper.make_node(op, ["X", "W", "R", "B"], ["Y"], hidden_size=2, **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, [4, 1, 3])],
        [helper.make_tensor_value_info("Y", onnx.TensorProto.FLOAT, None)],
        inits,
    )
    path = tmp_path / "g.onnx"
    onnx.save(helper.make_model(graph), path)
    return path


def test_hand_built_lstm_reorders_gate_blocks(tmp_path: Path) -> None:
    path = _graph_file(tmp_path, "LSTM", 8)
    w = onnx.numpy_helper.to_array(onnx.load(path).graph.initializer[0])[0]
    net = load_model(path)
    # ONNX rows: i 0-1, o 2-3, f 4-5, c 6-7 → PyTorch i, f, g, o.
    np.testing.assert_array_equal(net.layers[0].weight_ih, w[[0, 1, 4, 5, 6, 7, 2, 3]])


@pytest.mark.parametrize(
    ("op", "rows", "attrs", "message"),
    [
        (
            "LSTM",
            8,
            {
                "direction": "bidirectional",
                "activations": ["Sigmoid", "Tanh", "Tanh"] * 2 + ["Relu"],
            },
            "lists 7 activations, expected 3 per direction for 2 direction",
        ),
        (
            "GRU",
            6,
            {"direction": "bidirectional", "activations": ["Sigmoid", "Tanh", "Sigmoid", "Relu"]},
            "runs its two directions with different activations",
        ),
        ("LSTM", 8, {"activations": ["Swish", "Tanh", "Tanh"]}, "'Swish' is not one of Sigmoid"),
        ("RNN", 2, {"activations": ["Sigmoid"]}, "expected Tanh or Relu"),
        ("RNN", 2, {"clip": 2.0}, "uses Tanh and clip; expected Tanh or Relu without clip"),
    ],
)
def test_unsupported_nodes(tmp_path: Path, op: str, rows: int, attrs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=rf"g\.onnx: .*{message}"):
        load_model(_graph_file(tmp_path, op, rows, **attrs))


def test_not_onnx(tmp_path: Path) -> None:
    (tmp_path / "x.onnx").write_bytes(b"\xff\xfe not protobuf")
    with pytest.raises(ValueError, match=r"x\.onnx: expected an ONNX model"):
        load_model(tmp_path / "x.onnx")


@pytest.mark.parametrize("linear_before_reset", [0, 1])
def test_hand_built_gru_reorders_gate_blocks(tmp_path: Path, linear_before_reset: int) -> None:
    path = _graph_file(tmp_path, "GRU", 6, linear_before_reset=linear_before_reset)
    w = onnx.numpy_helper.to_array(onnx.load(path).graph.initializer[0])[0]
    net = load_model(path)
    assert (net.kind, net.reset_after) == ("gru", bool(linear_before_reset))
    # ONNX rows: z 0-1, r 2-3, h 4-5 → the engine's r, z, n.
    np.testing.assert_array_equal(net.layers[0].weight_ih, w[[2, 3, 0, 1, 4, 5]])


def test_sequence_lens_and_initial_states(tmp_path: Path) -> None:
    """sequence_lens is refused; a stored zero initial state is fine, a non-zero one is
    refused, and one given as a graph input is noted (lstm-sim starts from zeros)."""
    path = _graph_file(tmp_path, "GRU", 6)
    model = onnx.load(path)
    node, graph = model.graph.node[0], model.graph
    node.input.extend(["lens"])
    onnx.save(model, path)
    with pytest.raises(ValueError, match=r"'GRU #0' takes sequence_lens .a length per sequence."):
        load_model(path)
    node.input[4] = ""
    node.input.extend(["h0"])
    graph.initializer.append(onnx.numpy_helper.from_array(np.zeros((1, 1, 2), np.float32), "h0"))
    onnx.save(model, path)
    assert load_model(path).notes == ()
    graph.initializer[-1].CopyFrom(
        onnx.numpy_helper.from_array(np.ones((1, 1, 2), np.float32), "h0")
    )
    onnx.save(model, path)
    with pytest.raises(ValueError, match=r"starts from a stored non-zero initial_h"):
        load_model(path)
    del graph.initializer[-1]
    graph.input.append(onnx.helper.make_tensor_value_info("h0", onnx.TensorProto.FLOAT, [1, 1, 2]))
    onnx.save(model, path)
    assert load_model(path).notes == (
        "GRU node 'GRU #0' takes its initial_h as the graph input 'h0'; lstm-sim starts from zeros",
    )


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"clip": 3}, "has clip of type INT, expected FLOAT"),
        ({"direction": "sideways"}, "has direction 'sideways', not an ONNX one"),
        ({"input_forget": 2}, "has input_forget 2, expected 0 or 1"),
        ({"activations": ["Sigmoid", "Tanh"]}, "lists 2 activations, expected 3 per direction"),
    ],
)
def test_attributes_out_of_the_specification_are_named(
    tmp_path: Path, attrs: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=rf"g\.onnx: LSTM node 'LSTM #0' {message}"):
        load_model(_graph_file(tmp_path, "LSTM", 8, **attrs))
