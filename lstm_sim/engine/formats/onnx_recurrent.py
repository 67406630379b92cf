"""One ONNX ``LSTM``, ``GRU`` or ``RNN`` node, from its attributes and initializers, as a
:class:`Layer`.

The node's tensors hold one slice per direction: ``W`` [dirs, G·H, D], ``R`` [dirs, G·H, H],
``B`` [dirs, 2·G·H] = [Wb, Rb] and, for an LSTM, the peepholes ``P`` [dirs, 3H] (blocks
i, o, f). Their gate blocks (LSTM i, o, f, c; GRU z, r, h) are restacked into the engine's
order by name (:mod:`lstm_sim.engine.gate_orders`). What each attribute becomes:

- ``direction``: ``forward``, ``reverse`` (the reverse pass's Y in time order) or
  ``bidirectional`` (slice 1 is the reverse pass): the layer's ``direction``;
- ``linear_before_reset`` (GRU, default 0: h_{t-1} is reset before ``R_h``):
  ``Network.reset_after``;
- ``clip``: the bound on every gate's pre-activation, ``Layer.clip``;
- ``input_forget`` (LSTM): f_t = 1 - i_t, ONNX Runtime's reading of "couple the input and
  forget gates", ``Layer.coupling = "forget_from_input"``;
- ``activations`` with ``activation_alpha`` / ``activation_beta``: f (the gates), g (the
  candidate) and, for an LSTM, h (the function of c_t), listed per direction
  (:func:`lstm_sim.engine.activations.onnx_activation_list`). Both directions of a
  bidirectional node must use the same functions; an RNN node's one function must be Tanh
  or Relu (the network's ``nonlinearity``).

Refused by name: ``sequence_lens`` (lstm-sim runs every step of one sequence, so lengths
that stop some sequences early have no meaning for it, and it does not guess that they
equal T), a stored initial state that is not zeros, and weights computed at run time or
given as graph inputs. An initial state the graph takes as an input is noted: lstm-sim
starts from zeros.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_sim.engine.activations import Activation, onnx_activation_list
from lstm_sim.engine.gru import GruParameters
from lstm_sim.engine.lstm_variants import LstmParameters
from lstm_sim.engine.network import DIRECTIONS, DirectionWeights, Layer

_FUNCTIONS_PER_DIRECTION = {"LSTM": 3, "GRU": 2, "RNN": 1}
_DEFAULT_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}
_INITIAL_STATES = {5: "initial_h", 6: "initial_c"}
# The operators' attributes and their types (onnx.AttributeProto's names).
_ATTRIBUTE_TYPES = {
    "direction": "STRING",
    "clip": "FLOAT",
    "input_forget": "INT",
    "activations": "STRINGS",
    "activation_alpha": "FLOATS",
    "activation_beta": "FLOATS",
    "hidden_size": "INT",
    "linear_before_reset": "INT",
    "layout": "INT",
}
_FLAGS = ("input_forget", "linear_before_reset", "layout")
# Nodes that pass a constant on unchanged in value (an exporter's zeros of the batch's shape).
_SAME_VALUES = {"Expand", "Identity", "Cast"}


@dataclass(frozen=True)
class NodeLayer:
    """A node read: its layer, an RNN's nonlinearity, a GRU's reset convention, notes."""

    layer: Layer
    nonlinearity: str
    reset_after: bool
    notes: tuple[str, ...]


@dataclass(frozen=True)
class GraphValues:
    """What a node may read besides its own attributes: the tensors known before the graph
    runs (protobuf messages), the graph's inputs, each value's producing node, and how to
    turn a tensor into an array (within the file's budget)."""

    constants: dict[str, Any]
    inputs: set[str]
    producers: dict[str, Any]
    read: Callable[[Any], np.ndarray]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _stored(node: Any, name: str, role: str, key: str, values: GraphValues) -> np.ndarray | None:
    """Input ``role`` of the node (``key`` its value's name) as an array, None when absent."""
    if not key:
        return None
    if key not in values.constants:
        where = (
            f"takes its {role} from the graph input {key!r}"
            if key in values.inputs
            else f"computes its {role} at run time"
        )
        raise ValueError(f"{node.op_type} node {name!r} {where}; expected a stored initializer")
    return values.read(values.constants[key])


def _initial_state_note(node: Any, name: str, index: int, values: GraphValues) -> str | None:
    """None when the node's initial state ``index`` is absent or stored zeros; a note when
    the graph takes it as an input; an error for anything else."""
    key = (list(node.input) + [""] * 8)[index]
    role = _INITIAL_STATES[index]
    while key in values.producers and values.producers[key].op_type in _SAME_VALUES:
        key = values.producers[key].input[0]
    if not key:
        return None
    if key in values.constants:
        if np.any(values.read(values.constants[key])):
            raise ValueError(
                f"{node.op_type} node {name!r} starts from a stored non-zero {role}; "
                "lstm-sim starts every layer from zeros"
            )
        return None
    if key in values.inputs:
        return (
            f"{node.op_type} node {name!r} takes its {role} as the graph input {key!r}; "
            "lstm-sim starts from zeros"
        )
    raise ValueError(
        f"{node.op_type} node {name!r} computes its {role} at run time; lstm-sim starts "
        "every layer from zeros"
    )


def _activations(node: Any, name: str, attrs: dict[str, Any], directions: int) -> list[Activation]:
    """The functions of one direction (f, g[, h]); both directions must share them."""
    per = _FUNCTIONS_PER_DIRECTION[node.op_type]
    names = [_text(a) for a in attrs.get("activations", [])]
    if not names:
        names = _DEFAULT_ACTIVATIONS.get(node.op_type, ["Tanh"]) * directions
    if len(names) != per * directions:
        raise ValueError(
            f"{node.op_type} node {name!r} lists {len(names)} activations, expected "
            f"{per} per direction for {directions} direction(s)"
        )
    alphas = [float(a) for a in attrs.get("activation_alpha", [])]
    betas = [float(b) for b in attrs.get("activation_beta", [])]
    functions = onnx_activation_list(names, alphas, betas)
    if directions == 2 and functions[:per] != functions[per:]:
        raise ValueError(
            f"{node.op_type} node {name!r} runs its two directions with different activations "
            f"({', '.join(names)}); lstm-sim runs both with one set"
        )
    return functions[:per]


def _direction_weights(
    op: str, w: np.ndarray, r: np.ndarray, b: np.ndarray | None, p: np.ndarray | None
) -> DirectionWeights:
    """One direction's slices in PyTorch's layout and the engine's block order."""
    if op == "LSTM":
        lstm = LstmParameters.from_onnx(w, r, b, p)
        arrays = [lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh]
        peephole = lstm.peephole
    elif op == "GRU":
        gru = GruParameters.from_onnx(w, r, b)
        arrays, peephole = [gru.weight_ih, gru.weight_hh, gru.bias_ih, gru.bias_hh], None
    else:
        rows = w.shape[0]
        bias = np.zeros(2 * rows, w.dtype) if b is None else b
        arrays, peephole = [w, r, bias[:rows], bias[rows:]], None
    weight_ih, weight_hh, bias_ih, bias_hh = (np.ascontiguousarray(a) for a in arrays)
    return DirectionWeights(
        weight_ih,
        weight_hh,
        bias_ih,
        bias_hh,
        peephole=None if peephole is None else np.ascontiguousarray(peephole),
    )


def _attributes(onnx: Any, node: Any, name: str) -> dict[str, Any]:
    """The node's attributes by name, each of the type the operator defines."""
    attrs = {}
    for attribute in node.attribute:
        expected = _ATTRIBUTE_TYPES.get(attribute.name)
        if expected is not None and attribute.type != getattr(onnx.AttributeProto, expected):
            found = onnx.AttributeProto.AttributeType.Name(attribute.type)
            raise ValueError(
                f"{node.op_type} node {name!r} has {attribute.name} of type {found}, "
                f"expected {expected}"
            )
        attrs[attribute.name] = onnx.helper.get_attribute_value(attribute)
    for key in _FLAGS:
        if attrs.get(key, 0) not in (0, 1):
            raise ValueError(
                f"{node.op_type} node {name!r} has {key} {attrs[key]}, expected 0 or 1"
            )
    return attrs


def node_layer(onnx: Any, node: Any, name: str, values: GraphValues) -> NodeLayer:
    """The node's directions, options and weights as one layer."""
    op = node.op_type
    attrs = _attributes(onnx, node, name)
    direction = _text(attrs.get("direction", b"forward"))
    if direction not in DIRECTIONS:
        raise ValueError(f"{op} node {name!r} has direction {direction!r}, not an ONNX one")
    directions = 2 if direction == "bidirectional" else 1
    inputs = list(node.input) + [""] * 8
    if inputs[4]:
        raise ValueError(
            f"{op} node {name!r} takes sequence_lens (a length per sequence); lstm-sim runs "
            "every step of one sequence and does not read it"
        )
    notes = tuple(
        note
        for index in _INITIAL_STATES
        if (index < 6 or op == "LSTM")
        and (note := _initial_state_note(node, name, index, values)) is not None
    )
    functions = _activations(node, name, attrs, directions)
    clip = attrs.get("clip")
    if op == "RNN" and (clip is not None or functions[0].name not in ("Tanh", "Relu")):
        raise ValueError(
            f"RNN node {name!r} uses {functions[0].name}{' and clip' if clip else ''}; "
            "expected Tanh or Relu without clip"
        )
    w = _stored(node, name, "W", inputs[1], values)
    r = _stored(node, name, "R", inputs[2], values)
    b = _stored(node, name, "B", inputs[3], values)
    p = _stored(node, name, "P", inputs[7], values) if op == "LSTM" else None
    if w is None or r is None:
        raise ValueError(f"{op} node {name!r} lacks its W or R input")
    shapes = {"W": (w, 3), "R": (r, 3), "B": (b, 2), "P": (p, 2)}
    for role, (array, ndim) in shapes.items():
        if array is not None and (array.ndim != ndim or array.shape[0] != directions):
            raise ValueError(
                f"{op} node {name!r} has {role} {array.shape}, expected {directions} "
                f"direction(s) first and {ndim} axes"
            )
    hidden = int(attrs.get("hidden_size") or r.shape[-1])
    if r.shape[-1] != hidden:
        raise ValueError(f"{op} node {name!r} has R {r.shape} but hidden_size {hidden}")
    try:
        passes = [
            _direction_weights(
                op, w[d], r[d], None if b is None else b[d], None if p is None else p[d]
            )
            for d in range(directions)
        ]
    except ValueError as err:
        raise ValueError(f"{op} node {name!r}: {err}") from None
    own = passes[0]
    options: dict[str, Any] = {}
    if op != "RNN":
        options = {
            "clip": None if clip is None else float(clip),
            "gate_activation": functions[0],
            "candidate_activation": functions[1],
        }
    if op == "LSTM":
        options["cell_activation"] = functions[2]
        # ONNX Runtime computes f = 1 - i for input_forget=1 (the specification only says
        # "couple the input and forget gates").
        options["coupling"] = "forget_from_input" if attrs.get("input_forget") else "none"
    layer = Layer(
        own.weight_ih,
        own.weight_hh,
        own.bias_ih,
        own.bias_hh,
        peephole=own.peephole,
        direction=direction,
        reverse=passes[1] if directions == 2 else None,
        **options,
    )
    # ONNX's default linear_before_reset=0 resets h_{t-1} before R_h; 1 is PyTorch's way.
    reset_after = bool(attrs.get("linear_before_reset", 0))
    nonlinearity = functions[0].name.lower() if op == "RNN" else "tanh"
    return NodeLayer(layer, nonlinearity, reset_after, notes)
