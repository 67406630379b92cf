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

Each node's directions, peepholes, ``clip``, ``input_forget`` and activations become its
layer's options (:mod:`.onnx_recurrent`, which also says what is refused: ``sequence_lens``,
a stored non-zero initial state, weights computed at run time or given as graph inputs).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from lstm_sim.engine.formats.limits import check_array, read_regular_range, regular_file_size
from lstm_sim.engine.formats.onnx_recurrent import GraphValues, node_layer
from lstm_sim.engine.network import Kind, Network

_KINDS: dict[str, Kind] = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
# Nodes that only move or reshape values (the exporter's plumbing around each layer; a
# bidirectional node's Y [T, 2, B, H] is transposed and reshaped into [T, B, 2H]).
_SHAPE_ONLY = {"Squeeze", "Unsqueeze", "Reshape", "Identity", "Dropout", "Flatten", "Transpose"}
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

    producers = {out: node for node in graph.node for out in node.output if out}
    values = GraphValues(constants, graph_inputs, producers, read_tensor)
    read = [node_layer(onnx, node, names[k], values) for k, node in indexed]
    if len({node.nonlinearity for node in read}) > 1:
        raise ValueError("the RNN nodes mix Tanh and Relu; expected one activation")
    if len({node.reset_after for node in read}) > 1:
        raise ValueError("the GRU nodes mix linear_before_reset 0 and 1; expected one")
    others = sorted({n.op_type for n in graph.node} - _PLUMBING - set(_KINDS))
    notes = [note for node in read for note in node.notes]
    if others:
        notes.append(
            f"only the {nodes[0].op_type} nodes are read: the graph's other nodes "
            f"({', '.join(others)}) are not run, so there is no readout"
        )
    return Network(
        _KINDS[nodes[0].op_type],
        [node.layer for node in read],
        nonlinearity="relu" if read[0].nonlinearity == "relu" else "tanh",
        source=f"{path} (ONNX model, {len(nodes)} {nodes[0].op_type} node(s))",
        metadata={"nodes": ", ".join(names[k] for k, _ in indexed)},
        notes=tuple(notes),
        reset_after=read[0].reset_after,
    )
