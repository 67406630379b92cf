"""ONNX models: the recurrent layers of a graph's ``LSTM``, ``GRU`` or ``RNN`` nodes
(needs onnx).

An ONNX ``LSTM`` node reads ``W`` [dirs, 4H, D], ``R`` [dirs, 4H, H] and an optional
``B`` [dirs, 8H] = [Wb, Rb], gate blocks in the order i, o, f, c. PyTorch's order is
i, f, g, o (c is the candidate g), so the blocks are taken as (0, 2, 3, 1). A ``GRU``
node's blocks are z, r, h (3H rows, ``B`` [dirs, 6H]), the engine's r, z, n
(:mod:`lstm_sim.engine.gate_orders`); its ``linear_before_reset`` (default 0: h_{t-1} is
reset before ``R_h``; 1: after, PyTorch's way) becomes ``Network.reset_after``. An ``RNN``
node has one block and a Tanh or Relu activation. Stacked layers are exported as one node
per layer, in graph order: node k+1 must read node k's Y (through shape-only nodes such
as the exporter's Squeeze) and nothing else may read the same input; a graph whose nodes
do not form one such stack is refused, naming the nodes. Only the recurrent layers are
read: lstm-sim does not trace the rest of a graph, so there is no readout, and the other
compute nodes are named in a note. A node without a name is called by its op and its
position in the graph (``LSTM #21``).

Tensors kept in external files are refused unless the caller allows them
(``--allow-external-data``), and even then only regular files beside the model are read.

Refused with a ValueError: bidirectional or reverse direction, peepholes (``P``), ``clip``,
``input_forget``, activations other than PyTorch's, and weights computed at run time (or
given as a graph input).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from lstm_sim.engine.formats.limits import check_array, read_regular_range, regular_file_size
from lstm_sim.engine.gate_orders import to_engine_order
from lstm_sim.engine.gates import gate_slices
from lstm_sim.engine.network import Kind, Layer, Network

# ONNX gate blocks i, o, f, c, listed in PyTorch's order i, f, g(=c), o.
_LSTM_BLOCKS = (0, 2, 3, 1)
_DEFAULT_ACTIVATIONS = {
    "LSTM": ["Sigmoid", "Tanh", "Tanh"],
    "GRU": ["Sigmoid", "Tanh"],
    "RNN": ["Tanh"],
}
_KINDS: dict[str, Kind] = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
# Nodes that only move or reshape values (the exporter's plumbing around each layer).
_SHAPE_ONLY = {"Squeeze", "Unsqueeze", "Reshape", "Identity", "Dropout", "Flatten"}
_PLUMBING = _SHAPE_ONLY | {
    "Constant", "Shape", "Gather", "Concat", "Expand", "Cast", "Slice", "ConstantOfShape",
}  # fmt: skip


def node_name(node: Any, position: int) -> str:
    """The node's own name, or its op and position in the graph when it has none."""
    return str(node.name) if node.name else f"{node.op_type} #{position}"


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ValueError(
            "reading ONNX files needs the onnx package, which is not installed "
            "(pip install 'lstm-sim[onnx]')"
        ) from None
    return onnx


def _constants(graph: Any) -> dict[str, Any]:
    """Every tensor known before the graph runs, by name: initializers and Constant nodes.
    Still protobuf messages: only those an LSTM or RNN node reads become arrays."""
    tensors = {init.name: init for init in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            tensors[node.output[0]] = node.attribute[0].t
    return tensors


def _stored_values(tensor: Any, itemsize: int) -> int:
    """How many values ``tensor`` really holds, raw or in its typed fields."""
    if tensor.raw_data:
        return len(tensor.raw_data) // itemsize
    fields = ("float_data", "double_data", "int32_data", "int64_data", "uint64_data")
    return max(len(getattr(tensor, field)) for field in fields)


def _external_bytes(tensor: Any, folder: Path, itemsize: int, budget: int) -> bytes:
    """The bytes an external-data tensor names, from a regular file in ``folder`` only."""
    entries = {entry.key: entry.value for entry in tensor.external_data}
    location = entries.get("location", "")
    if not location or Path(location).name != location or location in (".", ".."):
        raise ValueError(
            f"tensor {tensor.name!r} keeps its data in {location!r}; expected a file name "
            "beside the model, with no folder"
        )
    file = folder / location
    size = regular_file_size(file, f"external data file {location}")
    offset, length = int(entries.get("offset", 0)), entries.get("length")
    if offset < 0:
        raise ValueError(f"tensor {tensor.name!r} has the negative offset {offset}")
    nbytes = check_array(
        f"tensor {tensor.name!r}", tensor.dims, itemsize, max(size - offset, 0), budget
    )
    if length is not None and int(length) != nbytes:
        raise ValueError(f"tensor {tensor.name!r} declares {length} bytes, its shape {nbytes}")
    return read_regular_range(file, offset, nbytes, f"external data file {location}")


def _array(
    onnx: Any, tensor: Any, budget: int, folder: Path, allow_external_data: bool
) -> np.ndarray:
    """``tensor`` as an array, its declared shape checked against the values it holds and
    ``budget`` before any array is made."""
    what = f"tensor {tensor.name!r}"
    try:
        itemsize = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type)).itemsize
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{what} has the unknown data type {tensor.data_type}") from None
    if tensor.data_location == onnx.TensorProto.EXTERNAL:
        if not allow_external_data:
            raise ValueError(
                f"{what} keeps its data in another file; refused (a model file may not make "
                "lstm-sim read other files) unless you pass --allow-external-data"
            )
        copy = onnx.TensorProto()
        copy.CopyFrom(tensor)
        copy.raw_data = _external_bytes(tensor, folder, itemsize, budget)
        copy.data_location = onnx.TensorProto.DEFAULT
        del copy.external_data[:]
        tensor = copy
    stored = _stored_values(tensor, itemsize)
    check_array(what, tensor.dims, itemsize, stored * itemsize, budget)
    return np.asarray(onnx.numpy_helper.to_array(tensor))


def _reorder(array: np.ndarray, hidden: int, blocks: tuple[int, ...]) -> np.ndarray:
    """Gate blocks of H rows (along axis 0) rearranged into ``blocks`` order."""
    rows = gate_slices("lstm", hidden)
    return np.concatenate([array[rows[k]] for k in blocks])


def _layer(
    onnx: Any,
    node: Any,
    name: str,
    constants: dict[str, Any],
    graph_inputs: set[str],
    read: Callable[[Any], np.ndarray],
) -> tuple[Layer, str, bool]:
    """One node as a PyTorch-layout layer, its nonlinearity and (a GRU's) whether it resets
    after the recurrent product; ``read`` turns one of the ``constants`` into an array."""
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
    if node.op_type in ("LSTM", "GRU") and activations != _DEFAULT_ACTIVATIONS[node.op_type]:
        raise ValueError(
            f"{node.op_type} node {name!r} uses activations {activations}; only Sigmoid, Tanh"
        )
    if node.op_type == "RNN" and activations not in (["Tanh"], ["Relu"]):
        raise ValueError(f"RNN node {name!r} uses activations {activations}; expected Tanh or Relu")
    inputs = list(node.input) + [""] * 8
    if node.op_type == "LSTM" and inputs[7]:
        raise ValueError(f"LSTM node {name!r} has peephole weights P; not supported yet")
    arrays = []
    for role, key in (("W", inputs[1]), ("R", inputs[2]), ("B", inputs[3])):
        if key and key not in constants:
            where = (
                f"takes its {role} from the graph input {key!r}"
                if key in graph_inputs
                else f"computes its {role} at run time"
            )
            raise ValueError(f"{node.op_type} node {name!r} {where}; expected a stored initializer")
        arrays.append(read(constants[key]) if key else None)
    w, r, b = arrays
    if w is None or r is None:
        raise ValueError(f"{node.op_type} node {name!r} lacks its W or R input")
    if w.ndim != 3 or w.shape[0] != 1 or r.ndim != 3:
        raise ValueError(f"{node.op_type} node {name!r} has W {w.shape}, expected [1, G·H, D]")
    hidden = int(attrs.get("hidden_size") or r.shape[2])
    weight_ih, weight_hh = w[0], r[0]
    rows = weight_ih.shape[0]
    if b is not None and b.size != 2 * rows:
        raise ValueError(f"{node.op_type} node {name!r} has B {b.shape}, expected [1, {2 * rows}]")
    bias = np.zeros(2 * rows, weight_ih.dtype) if b is None else b.reshape(-1)
    bias_ih, bias_hh = bias[:rows], bias[rows:]
    if node.op_type == "LSTM":
        weight_ih, weight_hh, bias_ih, bias_hh = (
            _reorder(a, hidden, _LSTM_BLOCKS) for a in (weight_ih, weight_hh, bias_ih, bias_hh)
        )
    elif node.op_type == "GRU":  # blocks z, r, h → r, z, n
        weight_ih, weight_hh, bias_ih, bias_hh = (
            to_engine_order(a, "gru", "onnx") for a in (weight_ih, weight_hh, bias_ih, bias_hh)
        )
    layer = Layer(*(np.ascontiguousarray(a) for a in (weight_ih, weight_hh, bias_ih, bias_hh)))
    # ONNX's default linear_before_reset=0 resets h_{t-1} before R_h; 1 is PyTorch's way.
    return layer, activations[-1].lower(), bool(attrs.get("linear_before_reset", 0))


def _check_stack(graph: Any, nodes: list[tuple[int, Any]], names: dict[int, str]) -> None:
    """Raise unless each recurrent node reads the previous one's Y and no two read one input."""
    producer = {out: (k, n) for k, n in enumerate(graph.node) for out in n.output if out}

    def source(value: str) -> str:
        """``value`` traced back through shape-only nodes to where it was computed."""
        while value in producer and producer[value][1].op_type in _SHAPE_ONLY:
            value = producer[value][1].input[0]
        return value

    readers: dict[str, list[str]] = {}
    for k, node in nodes:
        readers.setdefault(source(node.input[0]), []).append(names[k])
    shared = next((r for r in readers.values() if len(r) > 1), None)
    if shared:
        raise ValueError(
            f"the recurrent nodes {', '.join(map(repr, shared))} read the same input, so "
            "they do not form one stack; lstm-sim runs a single stack of layers"
        )
    for (j, before), (k, node) in pairwise(nodes):
        fed = source(node.input[0])
        if fed != before.output[0]:
            origin = producer.get(fed)
            what = f"the output of {node_name(origin[1], origin[0])!r}" if origin else repr(fed)
            raise ValueError(
                f"{node.op_type} node {names[k]!r} reads {what}, not the Y of the node before "
                f"it, {names[j]!r}; expected one stack"
            )


def read_onnx(
    path: Path, data: bytes, budget: int, *, allow_external_data: bool = False
) -> Network:
    """The recurrent layers of the ONNX model in ``path``, whose bytes are ``data``.

    Tensors kept in external files are refused unless ``allow_external_data``; then only
    regular files in the model's own folder are read, within ``budget`` bytes.
    """
    onnx = _onnx()
    try:
        model = onnx.load_model_from_string(data)
    except Exception as err:  # protobuf raises its own DecodeError for a file that is not ONNX
        raise ValueError(f"expected an ONNX model, could not read it: {err}") from None
    graph = model.graph
    indexed = [(k, n) for k, n in enumerate(graph.node) if n.op_type in ("LSTM", "RNN", "GRU")]
    nodes = [n for _, n in indexed]
    if not nodes:
        found = sorted({n.op_type for n in model.graph.node})
        raise ValueError(f"expected LSTM, GRU or RNN nodes in the graph, found {found or 'none'}")
    if len({n.op_type for n in nodes}) > 1:
        raise ValueError("the graph mixes LSTM, GRU and RNN nodes; expected one kind of stack")
    names = {k: node_name(n, k) for k, n in indexed}
    _check_stack(graph, indexed, names)
    constants = _constants(graph)
    graph_inputs = {value.name for value in graph.input} - set(constants)
    left = [budget]

    def read_tensor(tensor: Any) -> np.ndarray:
        array = _array(onnx, tensor, left[0], path.parent, allow_external_data)
        left[0] -= array.nbytes
        return array

    read = [
        _layer(onnx, node, names[k], constants, graph_inputs, read_tensor) for k, node in indexed
    ]
    if len({nonlinearity for _, nonlinearity, _ in read}) > 1:
        raise ValueError("the RNN nodes mix Tanh and Relu; expected one activation")
    if len({reset_after for _, _, reset_after in read}) > 1:
        raise ValueError("the GRU nodes mix linear_before_reset 0 and 1; expected one")
    others = sorted({n.op_type for n in graph.node} - _PLUMBING - set(_KINDS))
    notes = []
    if others:
        notes.append(
            f"only the {nodes[0].op_type} nodes are read: the graph's other nodes "
            f"({', '.join(others)}) are not run, so there is no readout"
        )
    return Network(
        _KINDS[nodes[0].op_type],
        [layer for layer, _, _ in read],
        nonlinearity="relu" if read[0][1] == "relu" else "tanh",
        source=f"{path} (ONNX model, {len(nodes)} {nodes[0].op_type} node(s))",
        metadata={"nodes": ", ".join(names[k] for k, _ in indexed)},
        notes=tuple(notes),
        reset_after=read[0][2],
    )
