"""ONNX graphs whose recurrent nodes are not one stack are refused naming the nodes;
unnamed nodes are named by op and position; a W that is a graph input is said to be one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.formats import load_model

onnx = pytest.importorskip("onnx")
H, D = 2, 3


def _weights(prefix: str, inputs: int) -> list:
    rng = np.random.default_rng(len(prefix))
    arrays = {
        "W": rng.normal(size=(1, 4 * H, inputs)),
        "R": rng.normal(size=(1, 4 * H, H)),
        "B": np.zeros((1, 8 * H)),
    }
    return [
        onnx.numpy_helper.from_array(a.astype(np.float32), prefix + k) for k, a in arrays.items()
    ]


def _save(tmp_path: Path, nodes: list, inits: list, inputs: tuple[str, ...] = ("X",)) -> Path:
    helper = onnx.helper
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None) for name in inputs],
        [helper.make_tensor_value_info(nodes[-1].output[0], onnx.TensorProto.FLOAT, None)],
        inits,
    )
    path = tmp_path / "g.onnx"
    onnx.save(helper.make_model(graph), path)
    return path


def _lstm(name: str, x: str, prefix: str, y: str) -> object:
    inputs = [x, prefix + "W", prefix + "R", prefix + "B"]
    return onnx.helper.make_node("LSTM", inputs, [y], name=name, hidden_size=H)


def _squeeze(x: str, y: str) -> object:
    return onnx.helper.make_node("Squeeze", [x, "axis"], [y])


AXIS = onnx.numpy_helper.from_array(np.array([1], np.int64), "axis")


def test_a_stack_through_squeeze_reads(tmp_path: Path) -> None:
    nodes = [_lstm("", "X", "a", "Ya"), _squeeze("Ya", "Sa"), _lstm("", "Sa", "b", "Yb")]
    net = load_model(_save(tmp_path, nodes, [*_weights("a", D), *_weights("b", H), AXIS]))
    assert net.num_layers == 2
    assert net.metadata["nodes"] == "LSTM #0, LSTM #2"  # unnamed: op and position


def test_two_nodes_reading_one_input_are_refused(tmp_path: Path) -> None:
    nodes = [_lstm("first", "X", "a", "Ya"), _lstm("second", "X", "b", "Yb")]
    path = _save(tmp_path, nodes, [*_weights("a", D), *_weights("b", D)])
    with pytest.raises(ValueError, match="nodes 'first', 'second' read the same input"):
        load_model(path)


def test_a_node_fed_by_something_else_is_refused(tmp_path: Path) -> None:
    relu = onnx.helper.make_node("Relu", ["Ya"], ["Z"], name="act")
    nodes = [_lstm("first", "X", "a", "Ya"), relu, _lstm("second", "Z", "b", "Yb")]
    path = _save(tmp_path, nodes, [*_weights("a", D), *_weights("b", H)])
    with pytest.raises(
        ValueError,
        match="'second' reads the output of 'act', not the Y of the node before it, 'first'",
    ):
        load_model(path)


def test_a_weight_given_as_graph_input_is_named_so(tmp_path: Path) -> None:
    inits = [i for i in _weights("a", D) if i.name != "aW"]
    path = _save(tmp_path, [_lstm("l", "X", "a", "Y")], inits, inputs=("X", "aW"))
    with pytest.raises(ValueError, match="'l' takes its W from the graph input 'aW'"):
        load_model(path)


def test_other_compute_nodes_are_noted(tmp_path: Path) -> None:
    gemm = onnx.helper.make_node("Relu", ["Y"], ["Z"], name="act")
    net = load_model(_save(tmp_path, [_lstm("l", "X", "a", "Y"), gemm], _weights("a", D)))
    assert net.notes == (
        "only the LSTM nodes are read: the graph's other nodes (Relu) are not run, so there "
        "is no readout",
    )
