"""Keras models: ``.keras`` (Keras 3's zip) and legacy whole-model ``.h5``, via h5py.

The model's config says which layers there are and their activations; the weights file
holds the arrays. A Keras LSTM keeps ``kernel`` (D, 4H), ``recurrent_kernel`` (H, 4H) and
one ``bias`` (4H,), gate blocks in the order i, f, c, o, which is PyTorch's i, f, g, o
(c is the candidate g). So ``weight_ih = kernel.T``, ``weight_hh = recurrent_kernel.T``,
``bias_ih = bias`` and ``bias_hh = 0``. A SimpleRNN is the same with H columns; a Dense
after the last recurrent layer becomes the readout (``weight = kernel.T``).

A Keras GRU stacks its blocks z, r, h (h the candidate), the engine r, z, n
(:mod:`lstm_sim.engine.gate_orders`). With ``reset_after=True`` (Keras 3's default, and
PyTorch's convention) its ``bias`` is (2, 3H), the input and the recurrent biases, and the
reset gate scales ``h_{t-1} @ recurrent_kernel + recurrent_bias``; with
``reset_after=False`` the bias is (3H,), on the input only, and h_{t-1} is reset before
the product (``Network.reset_after`` False).

Where the arrays are:

- ``.keras``: a zip with ``config.json`` and ``model.weights.h5``, in which a layer's
  arrays sit at ``layers/<group>/cell/vars/0, 1, 2`` (recurrent) or
  ``layers/<group>/vars/0, 1`` (Dense). The group is named after the layer's class
  (``lstm``, ``lstm_1``...); ``layers/<group>/vars`` carries the layer's own name.
- legacy ``.h5`` (``model.save("m.h5")``): the config is the ``model_config`` attribute,
  and ``model_weights`` lists its layers in the ``layer_names`` attribute and each
  layer's arrays in its ``weight_names`` attribute; they are read in that order.

The HDF5 part is read in a guarded child process (:mod:`.hdf5_guard`): links, external
storage, virtual datasets and unusual filters are refused, time and memory are bounded.

Supported: an optional ``Embedding`` (its ``embeddings`` (V, D) become the input encoder:
token ids in, x_t = row), LSTM, GRU or SimpleRNN layers of one size (stacked), then a head of
``Dense`` layers (activations linear, relu, tanh, gelu, sigmoid; softmax on the last one)
and ``LayerNormalization`` (its own epsilon) computed exactly; InputLayer/Dropout are
skipped. Anything else before the recurrent layers raises a ValueError naming the layer;
anything else after them leaves the head out, with a note naming the layer.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from lstm_sim.engine.formats.hdf5_guard import (
    Extracted,
    looks_like_hdf5,
    read_attribute,
    read_dataset,
    read_guarded,
)
from lstm_sim.engine.formats.keras_recurrent import (
    BIDIRECTIONAL,
    RECURRENT,
    KerasRecurrent,
    activation_name,
    keras_dialect,
    recurrent_layer,
)
from lstm_sim.engine.formats.limits import read_member
from lstm_sim.engine.head import Activation, ActivationName, Dense, HeadStage, LayerNorm
from lstm_sim.engine.network import Network, Readout

_SKIPPED = {"InputLayer", "Dropout"}
_HEAD_ACTIVATIONS: dict[str, ActivationName] = {
    "relu": "relu",
    "tanh": "tanh",
    "gelu": "gelu",
    "sigmoid": "sigmoid",
}


def _h5py() -> Any:
    try:
        import h5py
    except ImportError:
        raise ValueError(
            "reading Keras files needs h5py, which is not installed (pip install 'lstm-sim[keras]')"
        ) from None
    return h5py


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _vars(group: Any, budget: int) -> list[np.ndarray]:
    """Datasets ``0, 1, 2...`` of a Keras 3 ``vars`` group, in numeric order."""
    arrays = []
    for key in sorted(group, key=int):
        arrays.append(read_dataset(group[key], budget))
        budget -= arrays[-1].nbytes
    return arrays


def keras3_weights(h5: Any, budget: int) -> Extracted:
    """The arrays of a Keras 3 ``model.weights.h5`` by layer name (run in the HDF5 child)."""
    if "layers" not in h5:
        raise ValueError(f"expected a 'layers' group in model.weights.h5, found {list(h5)}")
    weights: dict[str, list[np.ndarray]] = {}
    for group_name, group in h5["layers"].items():
        own = group.get("vars")
        label = read_attribute(own, "name") if own is not None else None
        name = group_name if label is None else _text(label)
        if "cell" in group:
            weights[name] = _vars(group["cell"]["vars"], budget)
        elif "forward_layer" in group and "backward_layer" in group:  # Bidirectional
            weights[name] = [
                array
                for part in ("forward_layer", "backward_layer")
                for array in _vars(group[part]["cell"]["vars"], budget)
            ]
        elif "layer" in group and "vars" in group["layer"]:  # TimeDistributed
            weights[name] = _vars(group["layer"]["vars"], budget)
        elif own is not None:
            weights[name] = _vars(own, budget)
        budget -= sum(a.nbytes for a in weights.get(name, []))
    return None, weights


def legacy_weights(h5: Any, budget: int) -> Extracted:
    """The config and arrays of a legacy whole-model ``.h5`` (run in the HDF5 child); the
    text is JSON holding the ``model_config`` text and the ``keras_version`` that wrote it."""
    config = read_attribute(h5, "model_config")
    version = read_attribute(h5, "keras_version")
    if config is None:
        raise ValueError(
            "expected a whole model saved with model.save (a model_config attribute), "
            "found none: weights alone do not say the layers' sizes and activations"
        )
    root = h5.get("model_weights", h5)
    weights = {}
    layer_names = read_attribute(root, "layer_names")
    for layer in [] if layer_names is None else layer_names:
        layer_name = _text(layer)
        group = root[layer_name]
        names = read_attribute(group, "weight_names")
        arrays = []
        for weight in [] if names is None else names:
            arrays.append(read_dataset(group[_text(weight)], budget))
            budget -= arrays[-1].nbytes
        weights[layer_name] = arrays
    envelope = {"model_config": _text(config), "keras_version": version and _text(version)}
    return json.dumps(envelope), weights


Contents = tuple[Any, dict[str, list[np.ndarray]], str | None]
"""A Keras file's config, its arrays by layer name and the Keras version that wrote it."""


def _read_keras_zip(data: bytes, budget: int) -> Contents:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError("expected a .keras zip archive, found something else") from None
    with archive:
        names = archive.namelist()
        for needed in ("config.json", "model.weights.h5"):
            if needed not in names:
                raise ValueError(f"expected {needed} in the .keras zip, found {', '.join(names)}")
        config = json.loads(read_member(archive, "config.json", len(data), budget))
        version = None
        if "metadata.json" in names:
            metadata = json.loads(read_member(archive, "metadata.json", len(data), budget))
            version = metadata.get("keras_version") if isinstance(metadata, dict) else None
        # The weights file stays in memory: never extracted next to anything.
        weights_file = read_member(archive, "model.weights.h5", len(data), budget)
    _h5py()
    _, weights = read_guarded(weights_file, keras3_weights, budget)
    return config, weights, None if version is None else str(version)


def _read_legacy_h5(data: bytes, budget: int) -> Contents:
    _h5py()
    if not looks_like_hdf5(data):
        raise ValueError("expected an HDF5 file, found something else")
    text, weights = read_guarded(data, legacy_weights, budget)
    envelope = json.loads(text or "{}")
    return json.loads(envelope["model_config"]), weights, envelope["keras_version"]


def _layers_of(config: dict[str, Any]) -> list[dict[str, Any]]:
    inner = config.get("config", {})
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list):
        raise ValueError(
            f"expected a Sequential or functional model config with a list of layers, "
            f"found a {config.get('class_name', 'config without a class_name')}"
        )
    return layers


_SOFTMAX = "softmax"


def _head_stage(
    class_name: str, name: str, cfg: dict[str, Any], arrays: list[np.ndarray]
) -> list[HeadStage | str] | str:
    """The stages of one layer after the recurrent ones (``"softmax"`` standing for a
    softmax after a Dense), or why it cannot be read."""
    if class_name == "Dense":
        if not 1 <= len(arrays) <= 2 or arrays[0].ndim != 2:
            return f"Dense layer {name!r} has {len(arrays)} arrays, expected a kernel and a bias"
        kernel = arrays[0]
        bias = arrays[1] if len(arrays) > 1 else np.zeros(kernel.shape[1], kernel.dtype)
        stages: list[HeadStage | str] = [Dense(np.ascontiguousarray(kernel.T), bias)]
        activation = activation_name(cfg)
        if activation in _HEAD_ACTIVATIONS:
            stages.append(Activation(_HEAD_ACTIVATIONS[activation]))
        elif activation == _SOFTMAX:
            stages.append(_SOFTMAX)
        elif activation != "linear":
            return f"Dense layer {name!r} uses {activation!r}"
        return stages
    if class_name == "TimeDistributed":  # the same layer at every step: what a head does
        inner = cfg.get("layer", {})
        inner_cfg = inner.get("config", {}) if isinstance(inner, dict) else {}
        inner_cfg = inner_cfg if isinstance(inner_cfg, dict) else {}
        inner_class = inner.get("class_name", "?") if isinstance(inner, dict) else "?"
        if inner_class in _SKIPPED:
            return []
        return _head_stage(inner_class, name, inner_cfg, arrays)
    if class_name == "LayerNormalization":
        axis = cfg.get("axis", -1)
        if axis not in (-1, [-1]) or not cfg.get("scale", True) or not cfg.get("center", True):
            return f"LayerNormalization {name!r} has axis {axis} or no scale/center"
        if len(arrays) != 2:
            return f"LayerNormalization {name!r} has {len(arrays)} arrays, expected gamma, beta"
        return [LayerNorm(arrays[0], arrays[1], float(cfg.get("epsilon", 1e-3)))]
    if class_name == "Activation" and activation_name(cfg) in _HEAD_ACTIVATIONS:
        return [Activation(_HEAD_ACTIVATIONS[activation_name(cfg)])]
    return f"layer {name!r} is a {class_name}"


def _split_head(found: list[HeadStage | str]) -> tuple[list[HeadStage], Readout] | str:
    """The stages before the last Dense, and that Dense as the readout."""
    softmax = bool(found) and found[-1] == _SOFTMAX
    stages = [s for s in (found[:-1] if softmax else found) if not isinstance(s, str)]
    if len(stages) != len(found) - softmax:
        return "a softmax sits inside the head, not after its last Dense"
    if not stages or not isinstance(stages[-1], Dense):
        return "the head does not end in a Dense layer"
    last = stages[-1]
    return stages[:-1], Readout(last.weight, last.bias, "softmax" if softmax else "linear")


def _inbound_args(entry: dict[str, Any]) -> list[Any]:
    """The positional arguments of a functional model's layer's first call, or []."""
    nodes = entry.get("inbound_nodes")
    first = nodes[0] if isinstance(nodes, list) and nodes else None
    args = first.get("args") if isinstance(first, dict) else None
    return args if isinstance(args, list) else []


def _source(argument: Any) -> Any:
    """The layer a serialised Keras tensor comes from (its ``keras_history``), or None."""
    config = argument.get("config") if isinstance(argument, dict) else None
    history = config.get("keras_history") if isinstance(config, dict) else None
    return history[0] if isinstance(history, list) and history else None


def _mask_ops(entries: list[Any]) -> set[str]:
    """The names of the layers a functional model adds to compute a Masking layer's mask,
    any(x != mask_value) as ``NotEqual`` then ``Any``: the mask is ``Network.mask_value``."""
    layers = [e for e in entries if isinstance(e, dict) and isinstance(e.get("config"), dict)]
    values = [
        e["config"].get("mask_value", 0.0) for e in layers if e.get("class_name") == "Masking"
    ]
    found: set[str] = set()
    for entry in layers:
        args, name = _inbound_args(entry), entry["config"].get("name")
        compares = entry.get("class_name") == "NotEqual" and len(args) == 2 and args[1] in values
        reduces = entry.get("class_name") == "Any" and len(args) == 1 and _source(args[0]) in found
        if (compares or reduces) and isinstance(name, str):
            found.add(name)
    return found


def _in_time_order(layers: list[KerasRecurrent], names: list[str], masked: bool) -> bool:
    """Set each lone layer's direction in place; True when the last one hands on its
    outputs last step first.

    A Keras layer with ``go_backwards`` lists its outputs in the order it ran, last step
    first, and the next layer reads them in that order. A layer that reads a reversed
    sequence forwards runs backwards in time, and one that reads it backwards runs forwards,
    so each lone layer's direction in time is its own go_backwards xor the order it reads.
    """
    reversed_order = False
    for k, (read, name) in enumerate(zip(layers, names, strict=True)):
        if read.layer.direction == "bidirectional":
            if reversed_order:
                raise ValueError(
                    f"Bidirectional layer {name!r} reads the outputs of a go_backwards layer "
                    "last step first; lstm-sim reads a Bidirectional layer in time order only"
                )
            continue
        if read.go_backwards and masked and k + 1 < len(layers):
            raise ValueError(
                f"layer {name!r} runs backwards (go_backwards) under a Masking layer and "
                "another recurrent layer reads it: Keras hands that layer the mask in time "
                "order but the outputs last step first; not supported"
            )
        reversed_order = read.go_backwards != reversed_order
        read.layer.direction = "reverse" if reversed_order else "forward"
    return reversed_order


def network_from_keras(
    config: dict[str, Any],
    weights: dict[str, list[np.ndarray]],
    source: str,
    keras_version: str | None = None,
) -> Network:
    """The network described by a Keras model ``config`` with ``weights`` by layer name,
    written by ``keras_version`` (None when the file does not say)."""
    dialect = keras_dialect(keras_version)
    if dialect is not None and dialect < 2:  # separate W_i, U_i, b_i... and other names
        raise ValueError(f"the file was written by Keras {keras_version}; expected Keras 2 or 3")
    recurrent: list[KerasRecurrent] = []
    names: list[str] = []
    embedding: np.ndarray | None = None
    mask_value: float | None = None
    notes: list[str] = []
    stages: list[HeadStage | str] = []
    left_out: str | None = None
    metadata: dict[str, str] = {}
    entries = _layers_of(config)
    mask_ops = _mask_ops(entries)
    for position, entry in enumerate(entries):
        cfg = entry.get("config", {}) if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(cfg, dict):
            raise ValueError(f"layer {position} of the model config is not a layer object")
        class_name = entry.get("class_name", "?")
        name = cfg.get("name", "?")
        if class_name in _SKIPPED or name in mask_ops:
            continue
        readable = class_name in RECURRENT or class_name == BIDIRECTIONAL
        if readable and not stages and left_out is None:
            if name not in weights:
                raise ValueError(f"expected weights for layer {name!r}, found {sorted(weights)}")
            recurrent.append(recurrent_layer(class_name, name, cfg, weights[name], dialect))
            names.append(name)
        elif class_name == "Masking" and not recurrent and mask_value is None:
            if embedding is not None:
                raise ValueError(f"Masking layer {name!r} after an Embedding; not supported")
            mask_value = cfg.get("mask_value", 0.0)
            if isinstance(mask_value, bool) or not isinstance(mask_value, int | float):
                raise ValueError(f"Masking layer {name!r} has mask_value {mask_value!r}")
            mask_value = float(mask_value)
        elif class_name == "Embedding" and not recurrent and embedding is None:
            if mask_value is not None:
                raise ValueError(f"Embedding layer {name!r} after a Masking; not supported")
            arrays = weights.get(name, [])
            if len(arrays) != 1 or arrays[0].ndim != 2:
                raise ValueError(
                    f"layer {name!r} is a {class_name} with {len(arrays)} arrays, "
                    "expected one (V, D) table"
                )
            embedding = arrays[0]
            metadata["embedding_module"] = name
            if cfg.get("mask_zero"):
                notes.append(
                    f"Embedding {name!r} has mask_zero: Keras skips the steps whose token is 0, "
                    "lstm-sim runs every step"
                )
        elif not recurrent:
            raise ValueError(
                f"layer {name!r} is a {class_name}; lstm-sim reads an optional Embedding or "
                "Masking, then LSTM, GRU or SimpleRNN layers (or Bidirectional ones), then a "
                "Dense head, not this yet"
            )
        elif left_out is None:
            found = _head_stage(class_name, name, cfg, weights.get(name, []))
            if isinstance(found, str):
                left_out = found
            else:
                stages += found
    if not recurrent:
        raise ValueError("expected an LSTM, GRU or SimpleRNN layer in the model, found none")
    if len({(r.kind, r.nonlinearity) for r in recurrent}) > 1:
        raise ValueError(
            "the recurrent layers mix LSTM, GRU and SimpleRNN, or tanh and relu; not supported"
        )
    reset_after = {r.reset_after for r in recurrent if r.reset_after is not None}
    if len(reset_after) > 1:
        raise ValueError("the GRU layers mix reset_after True and False; expected one")
    for read, name in zip(recurrent, names, strict=True):
        if mask_value is not None and read.zero_output_for_mask and read.layer.directions == 1:
            raise ValueError(
                f"layer {name!r} sets zero_output_for_mask; lstm-sim repeats the last output "
                "at a masked step, as Keras does by default"
            )
    notes += dict.fromkeys(note for r in recurrent for note in r.notes)
    if _in_time_order(recurrent, names, mask_value is not None):
        backwards = ", ".join(
            repr(n) for r, n in zip(recurrent, names, strict=True) if r.go_backwards
        )
        notes.append(
            f"Keras lists this model's outputs last step first (go_backwards on {backwards}); "
            "lstm-sim shows each output at the time step it read"
        )
    layers = [r.layer for r in recurrent]
    sizes = {layer.weight_hh.shape[1] for layer in layers}
    if len(sizes) > 1:
        raise ValueError(f"the recurrent layers have different sizes {sorted(sizes)}; expected one")
    readout = None
    head: list[HeadStage] = []
    if not recurrent[-1].return_sequences and (stages or left_out):
        notes.append(
            f"layer {names[-1]!r} returns only its last step to the head; lstm-sim "
            "shows the head's output at every step, as if the sequence ended there"
        )
    if left_out is not None:
        notes.append(f"no readout: {left_out}, which lstm-sim does not compute; head left out")
    elif stages:
        split = _split_head(stages)
        if isinstance(split, str):
            notes.append(f"no readout: {split}; head left out")
        else:
            head, readout = split
    dtype = np.dtype(np.float64 if layers[0].weight_ih.dtype == np.float64 else np.float32)
    return Network(
        recurrent[0].kind,
        layers,
        readout=readout,
        nonlinearity="relu" if recurrent[0].nonlinearity == "relu" else "tanh",
        source=source,
        metadata=metadata,
        embedding=None if embedding is None else np.ascontiguousarray(embedding, dtype),
        head=tuple(head),
        notes=tuple(notes),
        reset_after=reset_after.pop() if reset_after else True,
        mask_value=mask_value,
    )


def read_keras(path: Path, data: bytes, budget: int) -> Network:
    """The network in a ``.keras`` or legacy ``.h5`` Keras model file (``path``, whose bytes
    are ``data``), its HDF5 part read by :mod:`.hdf5_guard`."""
    keras_zip = path.suffix.lower() == ".keras"
    config, weights, version = (_read_keras_zip if keras_zip else _read_legacy_h5)(data, budget)
    if not isinstance(config, dict):
        raise ValueError(f"expected a Keras model config object, found a {type(config).__name__}")
    description = "Keras .keras model" if keras_zip else "Keras legacy .h5 model"
    return network_from_keras(config, weights, f"{path} ({description})", version)
