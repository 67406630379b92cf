"""ONNX models: the recurrent layers of a graph's ``LSTM`` or ``RNN`` nodes (needs onnx).

An ONNX ``LSTM`` node reads ``W`` [dirs, 4H, D], ``R`` [dirs, 4H, H] and an optional
``B`` [dirs, 8H] = [Wb, Rb], gate blocks in the order i, o, f, c. PyTorch's order is
i, f, g, o (c is the candidate g), so the blocks are taken as (0, 2, 3, 1). An ``RNN``
node has one block and a Tanh or Relu activation. Stacked layers are exported as one node
per layer, in graph order; layer k+1 must read H features. Only the recurrent layers are
read: lstm-sim does not trace the rest of a graph, so there is no readout.

Refused with a ValueError: bidirectional or reverse direction, peepholes (``P``), ``clip``,
``input_forget``, activations other than PyTorch's, and weights computed at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lstm_sim.engine.gates import gate_slices
from lstm_sim.engine.network import Layer, Network

# ONNX gate blocks i, o, f, c, listed in PyTorch's order i, f, g(=c), o.
_LSTM_BLOCKS = (0, 2, 3, 1)
_DEFAULT_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "RNN": ["Tanh"]}


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ValueError(
            "reading ONNX files needs the onnx package, which is not installed "
            "(pip install 'lstm-sim[onnx]')"
        ) from None
    return onnx


def _constants(onnx: Any, graph: Any) -> dict[str, np.ndarray]:
    """Every array known before the graph runs: initializers and Constant nodes."""
    arrays = {init.name: onnx.numpy_helper.to_array(init) for init in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            arrays[node.output[0]] = onnx.numpy_helper.to_array(node.attribute[0].t)
    return arrays


def _reorder(array: np.ndarray, hidden: int, blocks: tuple[int, ...]) -> np.ndarray:
    """Gate blocks of H rows (along axis 0) rearranged into ``blocks`` order."""
    rows = gate_slices("lstm", hidden)
    return np.concatenate([array[rows[k]] for k in blocks])


def _layer(onnx: Any, node: Any, constants: dict[str, np.ndarray]) -> tuple[Layer, str]:
    """One node as a PyTorch-layout layer, and its nonlinearity."""
    name = node.name or node.output[0]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    direction = attrs.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else direction
    if direction != "forward":
        raise ValueError(
            f"{node.op_type} node {name!r} runs {direction}; only forward is supported yet"
        )
    for unsupported in ("clip", "input_forget"):
        if attrs.get(unsupported):
            raise ValueError(f"{node.op_type} node {name!r} uses {unsupported}; not supported yet")
    activations = [a.decode() if isinstance(a, bytes) else a for a in attrs.get("activations", [])]
    activations = activations or _DEFAULT_ACTIVATIONS[node.op_type]
    if node.op_type == "LSTM" and activations != _DEFAULT_ACTIVATIONS["LSTM"]:
        raise ValueError(f"LSTM node {name!r} uses activations {activations}; only Sigmoid, Tanh")
    if node.op_type == "RNN" and activations not in (["Tanh"], ["Relu"]):
        raise ValueError(f"RNN node {name!r} uses activations {activations}; expected Tanh or Relu")
    inputs = list(node.input) + [""] * 8
    if node.op_type == "LSTM" and inputs[7]:
        raise ValueError(f"LSTM node {name!r} has peephole weights P; not supported yet")
    arrays = []
    for role, key in (("W", inputs[1]), ("R", inputs[2]), ("B", inputs[3])):
        if key and key not in constants:
            raise ValueError(
                f"{node.op_type} node {name!r} computes its {role} at run time; "
                "expected a stored initializer"
            )
        arrays.append(constants.get(key) if key else None)
    w, r, b = arrays
    if w is None or r is None:
        raise ValueError(f"{node.op_type} node {name!r} lacks its W or R input")
    if w.ndim != 3 or w.shape[0] != 1 or r.ndim != 3:
        raise ValueError(f"{node.op_type} node {name!r} has W {w.shape}, expected [1, G·H, D]")
    hidden = int(attrs.get("hidden_size", r.shape[2]))
    weight_ih, weight_hh = w[0], r[0]
    rows = weight_ih.shape[0]
    bias = np.zeros(2 * rows, weight_ih.dtype) if b is None else b.reshape(-1)
    if bias.shape != (2 * rows,):
        raise ValueError(f"{node.op_type} node {name!r} has B {b.shape}, expected [1, {2 * rows}]")
    bias_ih, bias_hh = bias[:rows], bias[rows:]
    if node.op_type == "LSTM":
        weight_ih, weight_hh, bias_ih, bias_hh = (
            _reorder(a, hidden, _LSTM_BLOCKS) for a in (weight_ih, weight_hh, bias_ih, bias_hh)
        )
    layer = Layer(*(np.ascontiguousarray(a) for a in (weight_ih, weight_hh, bias_ih, bias_hh)))
    return layer, activations[-1].lower()


def read_onnx(path: Path) -> Network:
    """The recurrent layers of the ONNX model in ``path``."""
    onnx = _onnx()
    try:
        model = onnx.load(str(path))
    except Exception as err:  # protobuf raises its own DecodeError for a file that is not ONNX
        raise ValueError(f"expected an ONNX model, could not read it: {err}") from None
    nodes = [n for n in model.graph.node if n.op_type in ("LSTM", "RNN", "GRU")]
    if not nodes:
        found = sorted({n.op_type for n in model.graph.node})
        raise ValueError(f"expected LSTM or RNN nodes in the graph, found {found or 'none'}")
    if any(n.op_type == "GRU" for n in nodes):
        raise ValueError("the graph has GRU nodes; GRUs are not supported yet")
    if len({n.op_type for n in nodes}) > 1:
        raise ValueError("the graph mixes LSTM and RNN nodes; expected one kind of stack")
    constants = _constants(onnx, model.graph)
    read = [_layer(onnx, node, constants) for node in nodes]
    if len({nonlinearity for _, nonlinearity in read}) > 1:
        raise ValueError("the RNN nodes mix Tanh and Relu; expected one activation")
    return Network(
        "lstm" if nodes[0].op_type == "LSTM" else "rnn",
        [layer for layer, _ in read],
        nonlinearity="relu" if read[0][1] == "relu" else "tanh",
        source=f"{path} (ONNX model, {len(nodes)} {nodes[0].op_type} node(s))",
        metadata={"nodes": ", ".join(n.name or n.output[0] for n in nodes)},
    )
