"""lstm-sim's own model file: a NumPy ``.npz`` that loads without pickle.

Every string is a 0-d or 1-d fixed-width unicode array, so ``np.load(allow_pickle=False)``
reads the whole file. The keys:

==================  ==========================  ============================================
key                 array                       meaning
==================  ==========================  ============================================
``format``          0-d unicode                 always ``"lstm-sim-model"``
``format_version``  0-d int64                   ``4``; a newer number is refused
``kind``            0-d unicode                 ``"lstm"``, ``"gru"`` or ``"rnn"``
``nonlinearity``    0-d unicode                 ``"tanh"`` or ``"relu"`` (a simple RNN's)
``weight_ih_l{k}``  (G·H, D) float32/float64    layer k's input weights, PyTorch's layout:
                                                G = 4 blocks i, f, g, o for an LSTM, 3
                                                blocks r, z, n for a GRU, 1 for an RNN;
                                                D = H for k > 0
``weight_hh_l{k}``  (G·H, H)                    layer k's recurrent weights
``bias_ih_l{k}``    (G·H,)                      the two biases add, as in PyTorch (a GRU's
``bias_hh_l{k}``    (G·H,)                      n blocks do not: b_hn is inside the reset)
``reset_after``     0-d bool                    version 3, only for a GRU: True for
                                                PyTorch's convention (see ``Network``)
``readout_kind``    0-d unicode                 ``"none"``, ``"linear"`` or ``"softmax"``
``readout.weight``  (V, H)                      only with a readout: logits = W h + b
``readout.bias``    (V,)
``vocab``           (V_in,) unicode             only with a vocabulary: the token of each
                                                one-hot input column (V_in = D)
``tokenizer``       0-d unicode                 only with a vocabulary: ``"char"``/``"word"``
``metadata``        0-d unicode                 a JSON object of strings (description,
                                                provenance...)
``embedding.weight``  (V, D)                    version 2, only with an input embedding:
                                                token id v reads row v
``head_layout``     0-d unicode                 version 2, only with a head: a JSON list,
                                                one entry per stage before the readout:
                                                ``"dense"``, ``"layernorm:<eps>"`` or an
                                                activation name
``head.{k}.weight``   (F_out, F_in) or (F,)     stage k's parameters (dense, layernorm)
``head.{k}.bias``     (F_out,) or (F,)
``notes``           (N,) unicode                version 2, only with notes: what the reader
                                                of the original file assumed
``weight_hr_l{k}``  (P, H)                      version 4, only for an LSTM with a
                                                projection (then weight_hh is (4H, P))
``peephole_l{k}``   (3H,)                       version 4, only with peepholes: p_i, p_f,
                                                p_o
``..._l{k}_reverse``  as above                  version 4, a bidirectional layer's reverse
                                                pass, PyTorch's names with ``_reverse``
``layer_options``   0-d unicode                 version 4, only when a layer has an option:
                                                a JSON list, per layer, of ``direction``,
                                                ``coupling``, ``clip`` (or null) and the
                                                ``gate``, ``candidate`` and
                                                ``cell_output`` activations as
                                                [name, alpha, beta] (see ``Network``)
``mask_value``      0-d float64                 version 4, only with Keras ``Masking``
==================  ==========================  ============================================

Layers are numbered from 0 without gaps; all weights share one dtype. Version 1 files
(no embedding, head or notes), version 2 files (no GRU) and version 3 files (no layer
options) read as before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from lstm_sim.engine.activations import Activation as CellActivation
from lstm_sim.engine.atomic_write import atomic_write
from lstm_sim.engine.formats.npy import NpzMembers
from lstm_sim.engine.head import ACTIVATIONS, Activation, Dense, HeadStage, LayerNorm
from lstm_sim.engine.network import DirectionWeights, Layer, Network, Readout
from lstm_sim.engine.vocab import Vocabulary

FORMAT_NAME = "lstm-sim-model"
FORMAT_VERSION = 4
_LAYER_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_ACTIVATION_ROLES = ("gate_activation", "candidate_activation", "cell_activation")


def _text(value: str) -> np.ndarray:
    return np.array(value, dtype=np.str_)


def native_arrays(network: Network) -> dict[str, np.ndarray]:
    """The arrays :func:`save_native` writes, by key."""
    arrays: dict[str, np.ndarray] = {
        "format": _text(FORMAT_NAME),
        "format_version": np.array(FORMAT_VERSION, dtype=np.int64),
        "kind": _text(network.kind),
        "nonlinearity": _text(network.nonlinearity),
        "readout_kind": _text("none" if network.readout is None else network.readout.kind),
        "metadata": _text(json.dumps(network.metadata, sort_keys=True)),
    }
    arrays.update(network.state_dict())
    if network.kind == "gru":
        arrays["reset_after"] = np.array(network.reset_after)
    if network.head:
        arrays["head_layout"] = _text(json.dumps([_layout(stage) for stage in network.head]))
    if network.notes:
        arrays["notes"] = np.array(network.notes, dtype=np.str_)
    if any(layer.variants() for layer in network.layers):
        arrays["layer_options"] = _text(json.dumps([_options(layer) for layer in network.layers]))
    if network.mask_value is not None:
        arrays["mask_value"] = np.array(network.mask_value, dtype=np.float64)
    if network.vocab is not None:
        arrays["vocab"] = np.array(network.vocab.tokens, dtype=np.str_)
        arrays["tokenizer"] = _text(network.vocab.tokenizer)
    return arrays


def _options(layer: Layer) -> dict[str, object]:
    """A layer's options as ``layer_options`` stores them."""
    options: dict[str, object] = {
        "direction": layer.direction,
        "coupling": layer.coupling,
        "clip": layer.clip,
    }
    for role in _ACTIVATION_ROLES:
        activation: CellActivation = getattr(layer, role)
        options[role] = [activation.name, activation.alpha, activation.beta]
    return options


def _layers_with_options(arrays: Mapping[str, np.ndarray], layers: list[Layer]) -> list[Layer]:
    """``layers`` with the options, reverse passes, projections and peepholes a version 4
    file stores; ValueError naming what is malformed."""
    options: list[object] = [{} for _ in layers]
    if "layer_options" in arrays:
        try:
            options = json.loads(_scalar_text(arrays, "layer_options"))
        except json.JSONDecodeError as err:
            raise ValueError(f"layer_options is not valid JSON: {err}") from None
        if not isinstance(options, list) or len(options) != len(layers):
            raise ValueError(f"layer_options is not a JSON list of {len(layers)} layers")
    found = []
    for k, (layer, entry) in enumerate(zip(layers, options, strict=True)):
        if not isinstance(entry, dict):
            raise ValueError(f"layer_options entry {k} is not a JSON object")
        changes: dict[str, object] = {}
        for key in ("direction", "coupling"):
            if key in entry:
                changes[key] = str(entry[key])
        clip = entry.get("clip")
        if clip is not None and not isinstance(clip, (int, float)):
            raise ValueError(f"layer_options entry {k} has clip {clip!r}, expected a number")
        changes["clip"] = None if clip is None else float(clip)
        for role in _ACTIVATION_ROLES:
            if role in entry:
                changes[role] = _activation(entry[role], f"layer_options entry {k} {role}")
        layer = replace(layer, **changes)  # type: ignore[arg-type]
        own = layer.weights()
        own.weight_hr = _optional(arrays, f"weight_hr_l{k}")
        own.peephole = _optional(arrays, f"peephole_l{k}")
        reverse = None
        if f"weight_ih_l{k}_reverse" in arrays:
            w_ih, w_hh, b_ih, b_hh = (_weights(arrays, f"{n}_l{k}_reverse") for n in _LAYER_KEYS)
            reverse = DirectionWeights(
                w_ih,
                w_hh,
                b_ih,
                b_hh,
                weight_hr=_optional(arrays, f"weight_hr_l{k}_reverse"),
                peephole=_optional(arrays, f"peephole_l{k}_reverse"),
            )
        found.append(layer.with_weights(own, reverse))
    return found


def _optional(arrays: Mapping[str, np.ndarray], key: str) -> np.ndarray | None:
    return _weights(arrays, key) if key in arrays else None


def _activation(value: object, where: str) -> CellActivation:
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not isinstance(value[0], str)
        or not all(isinstance(v, (int, float)) for v in value[1:])
    ):
        raise ValueError(f"{where} is {value!r}, expected [name, alpha, beta]")
    return CellActivation(value[0], float(value[1]), float(value[2]))


def _layout(stage: HeadStage) -> str:
    if isinstance(stage, Dense):
        return "dense"
    if isinstance(stage, LayerNorm):
        return f"layernorm:{stage.eps!r}"
    return stage.name


def _head(arrays: Mapping[str, np.ndarray]) -> tuple[HeadStage, ...]:
    """The head stages ``head_layout`` lists, with their arrays."""
    try:
        layout = json.loads(_scalar_text(arrays, "head_layout"))
    except json.JSONDecodeError as err:
        raise ValueError(f"head_layout is not valid JSON: {err}") from None
    if not isinstance(layout, list) or not all(isinstance(entry, str) for entry in layout):
        raise ValueError("head_layout is not a JSON list of stage names")
    stages: list[HeadStage] = []
    for k, entry in enumerate(layout):
        if entry in ACTIVATIONS:
            stages.append(Activation(entry))
            continue
        weight, bias = _weights(arrays, f"head.{k}.weight"), _weights(arrays, f"head.{k}.bias")
        if entry == "dense":
            stages.append(Dense(weight, bias))
        elif entry.startswith("layernorm:"):
            try:
                eps = float(entry.split(":", 1)[1])
            except ValueError:
                raise ValueError(f"head_layout entry {entry!r} has no number for eps") from None
            stages.append(LayerNorm(weight, bias, eps))
        else:
            raise ValueError(f"head_layout entry {entry!r} is not a stage lstm-sim knows")
    return tuple(stages)


def save_native(network: Network, path: str | os.PathLike[str]) -> Path:
    """Write ``network`` to ``path`` (which must end in .npz) and return the path.

    Written by :func:`~lstm_sim.engine.atomic_write.atomic_write`, so a failed or killed
    save never leaves a half-written model where a good one was.
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"a native model file must end in .npz, got {path.name!r}")
    if network.vocab is not None and any(t.endswith("\0") for t in network.vocab.tokens):
        raise ValueError("vocabulary tokens ending in NUL cannot be stored as fixed-width text")
    arrays = native_arrays(network)
    with atomic_write(path) as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
    return path


def _scalar_text(arrays: Mapping[str, np.ndarray], key: str) -> str:
    value = _require(arrays, key)
    if value.dtype.kind != "U" or value.ndim != 0:
        raise ValueError(f"{key} has dtype {value.dtype} and shape {value.shape}, expected text")
    return str(value)


def _require(arrays: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    if key not in arrays:
        raise ValueError(f"expected the key {key!r} of an lstm-sim model, it is missing")
    return arrays[key]


def _weights(arrays: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    value = _require(arrays, key)
    if value.dtype not in (np.float32, np.float64):
        raise ValueError(f"{key} has dtype {value.dtype}, expected float32 or float64")
    return value


def read_native(path: Path, data: bytes, budget: int) -> Network:
    """The network saved in ``path`` (whose bytes are ``data``); ValueError naming what is
    missing or wrong. Only the keys this format names are inflated, each checked against
    ``budget`` bytes first."""
    arrays = NpzMembers(data, budget)
    try:
        return _network_from_members(path, arrays)
    finally:
        arrays.close()


def _network_from_members(path: Path, arrays: Mapping[str, np.ndarray]) -> Network:
    if "format" not in arrays:
        raise ValueError(
            f"expected an lstm-sim model (a 'format' key saying {FORMAT_NAME!r}), "
            f"found the keys {', '.join(sorted(arrays)) or 'none'}"
        )
    name = _scalar_text(arrays, "format")
    if name != FORMAT_NAME:
        raise ValueError(f"format is {name!r}, expected {FORMAT_NAME!r}")
    version = _require(arrays, "format_version")
    if version.shape != () or version.dtype.kind not in "iu":
        raise ValueError(f"format_version has shape {version.shape}, expected an integer")
    if int(version) > FORMAT_VERSION:
        raise ValueError(
            f"format_version is {int(version)}, this lstm-sim reads up to {FORMAT_VERSION}; "
            "a newer lstm-sim wrote it"
        )
    num_layers = 0
    while f"weight_ih_l{num_layers}" in arrays:
        num_layers += 1
    if num_layers == 0:
        raise ValueError("expected the key 'weight_ih_l0' of an lstm-sim model, it is missing")
    layers = [
        Layer(*(_weights(arrays, f"{name}_l{k}") for name in _LAYER_KEYS))
        for k in range(num_layers)
    ]
    readout_kind = _scalar_text(arrays, "readout_kind")
    readout = None
    if readout_kind != "none":
        weight, bias = _weights(arrays, "readout.weight"), _weights(arrays, "readout.bias")
        readout = Readout(weight, bias, readout_kind)  # type: ignore[arg-type]
    vocab = None
    if "vocab" in arrays:
        tokens = _require(arrays, "vocab")
        if tokens.dtype.kind != "U" or tokens.ndim != 1:
            raise ValueError(
                f"vocab has dtype {tokens.dtype}, shape {tokens.shape}, expected (V,) text"
            )
        vocab = Vocabulary(tuple(str(t) for t in tokens), _scalar_text(arrays, "tokenizer"))  # type: ignore[arg-type]
    try:
        metadata = json.loads(_scalar_text(arrays, "metadata"))
    except json.JSONDecodeError as err:
        raise ValueError(f"metadata is not valid JSON: {err}") from None
    if not isinstance(metadata, dict):
        raise ValueError(f"metadata is a JSON {type(metadata).__name__}, expected an object")
    embedding = _weights(arrays, "embedding.weight") if "embedding.weight" in arrays else None
    head = _head(arrays) if "head_layout" in arrays else ()
    notes = tuple(str(n) for n in arrays["notes"]) if "notes" in arrays else ()
    kind = _scalar_text(arrays, "kind")
    reset_after = True
    if kind == "gru":
        flag = _require(arrays, "reset_after")
        if flag.shape != () or flag.dtype != np.bool_:
            raise ValueError(
                f"reset_after has dtype {flag.dtype}, shape {flag.shape}, expected a bool"
            )
        reset_after = bool(flag)
    layers = _layers_with_options(arrays, layers)
    mask_value = None
    if "mask_value" in arrays:
        value = _require(arrays, "mask_value")
        if value.shape != () or value.dtype.kind != "f":
            raise ValueError(f"mask_value has shape {value.shape}, expected a number")
        mask_value = float(value)
    dtypes = {a.dtype for layer in layers for a in layer.named().values()}
    if len(dtypes) > 1:
        raise ValueError(f"weights mix the dtypes {sorted(map(str, dtypes))}, expected one")
    return Network(
        kind,  # type: ignore[arg-type]
        layers,
        vocab=vocab,
        readout=readout,
        nonlinearity=_scalar_text(arrays, "nonlinearity"),  # type: ignore[arg-type]
        source=f"{path} (lstm-sim .npz, format version {int(version)})",
        metadata={str(k): str(v) for k, v in metadata.items()},
        embedding=embedding,
        head=head,
        notes=notes,
        reset_after=reset_after,
        mask_value=mask_value,
    )
