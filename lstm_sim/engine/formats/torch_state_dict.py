"""A PyTorch state_dict (names → arrays) turned into a :class:`Network`.

Both PyTorch file readers (``.pt`` and ``.safetensors``) end here. The state_dict may be
a bare recurrent module's (``weight_ih_l0``...) or a whole model's, where the recurrent
module's keys carry a prefix (``encoder.lstm.weight_ih_l0``). Supported:

- ``nn.LSTM``, ``nn.GRU`` and ``nn.RNN`` with any number of layers: ``weight_ih_l{k}``
  (G·H, D), ``weight_hh_l{k}`` (G·H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (G·H,), with
  G = 4 gate blocks (i, f, g, o) for an LSTM, 3 (r, z, n) for a GRU and 1 for an RNN; a
  GRU's ``bias_hh`` is kept apart from ``bias_ih``, as its n block sits inside the reset
  product (PyTorch's convention, ``reset_after``);
- ``nn.LSTMCell``, ``nn.GRUCell`` and ``nn.RNNCell``: the same names without the
  ``_l{k}`` suffix;
- ``bias=False``: both bias keys absent, read as zeros;
- an input embedding and a head (one Linear, or an exact MLP head), by the rules of
  :mod:`lstm_sim.engine.formats.torch_surroundings`; what cannot be read exactly is left
  out with a note.

- ``bidirectional=True``: every layer's second pass under the same names with
  ``_reverse`` (``weight_ih_l0_reverse``...), for LSTM, GRU and RNN; a layer above reads
  2P features;
- an LSTM's ``proj_size > 0``: ``weight_hr_l{k}`` (P, H) (and ``weight_hr_l{k}_reverse``),
  with ``weight_hh_l{k}`` then (4H, P).

A state_dict does not store an RNN's nonlinearity: it is tanh unless the caller says relu
(or a whole-module file's records say it), and the assumption is noted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.formats.module_tree import ModuleRecord
from lstm_sim.engine.formats.torch_surroundings import find_surroundings
from lstm_sim.engine.head import describe_stage, stage_arrays, stage_astype
from lstm_sim.engine.network import DirectionWeights, Kind, Layer, Network, Readout

_SUFFIX_STACKED = "weight_ih_l0"
_SUFFIX_CELL = "weight_ih"


def find_recurrent_modules(keys: list[str]) -> list[str]:
    """The prefixes (``""``, ``"encoder.lstm."``...) of every recurrent module in ``keys``."""
    prefixes = []
    for key in keys:
        for suffix in (_SUFFIX_STACKED, _SUFFIX_CELL):
            head = key[: -len(suffix)]
            if key.endswith(suffix) and (head == "" or head.endswith(".")):
                prefixes.append(head)
    return sorted(set(prefixes))


@dataclass(frozen=True)
class RecurrentModule:
    """One recurrent module of a state_dict, as a chooser lists it."""

    prefix: str
    """Its key prefix without the trailing dot (``"encoder.lstm"``; ``""`` at the top)."""
    kind: str
    """``"LSTM"``, ``"RNN"``, ``"GRU"``, or the cell forms ``"LSTMCell"``..."""
    num_layers: int
    hidden_size: int
    input_size: int

    def describe(self) -> str:
        where = repr(self.prefix) if self.prefix else "the top level"
        return (
            f"{where}: {self.kind}, {self.num_layers} layer(s), "
            f"H={self.hidden_size}, D={self.input_size}"
        )


def recurrent_modules(arrays: Mapping[str, np.ndarray]) -> list[RecurrentModule]:
    """Every recurrent module in ``arrays`` with its kind and sizes, for a chooser."""
    out = []
    for prefix in find_recurrent_modules(list(arrays)):
        cell = prefix + _SUFFIX_STACKED not in arrays
        first = (
            (prefix + "weight_ih", prefix + "weight_hh")
            if cell
            else (prefix + "weight_ih_l0", prefix + "weight_hh_l0")
        )
        w_ih, w_hh = arrays.get(first[0]), arrays.get(first[1])
        if w_ih is None or w_hh is None or w_ih.ndim != 2 or w_hh.ndim != 2 or not w_hh.shape[1]:
            continue
        blocks = w_hh.shape[0] // w_hh.shape[1]
        kind = {4: "LSTM", 3: "GRU", 1: "RNN"}.get(blocks, f"{blocks}-block")
        layers = 1 if cell else len(_layer_names(arrays, prefix))
        out.append(
            RecurrentModule(
                prefix[:-1], kind + ("Cell" if cell else ""), layers, w_hh.shape[1], w_ih.shape[1]
            )
        )
    return out


def _describe(prefix: str) -> str:
    return repr(prefix[:-1]) if prefix else "the top level (no prefix)"


def choose_module(keys: list[str], prefix: str | None) -> str:
    """The prefix of the one recurrent module to load; ``prefix`` picks among several."""
    candidates = find_recurrent_modules(keys)
    if not candidates:
        shown = ", ".join(keys[:12]) + (", ..." if len(keys) > 12 else "")
        raise ValueError(
            "expected a recurrent layer's keys (weight_ih_l0 or weight_ih, with any prefix), "
            f"found none among {len(keys)} keys: {shown or 'no keys at all'}"
        )
    if prefix is not None:
        wanted = prefix if prefix == "" or prefix.endswith(".") else prefix + "."
        if wanted not in candidates:
            listed = ", ".join(_describe(c) for c in candidates)
            raise ValueError(f"prefix {prefix!r} names no recurrent module; found {listed}")
        return wanted
    if len(candidates) > 1:
        listed = ", ".join(_describe(c) for c in candidates)
        raise ValueError(
            f"found {len(candidates)} recurrent modules: {listed}; choose one with a prefix"
        )
    return candidates[0]


def _as_float(name: str, array: np.ndarray) -> np.ndarray:
    if array.dtype.kind != "f":
        raise ValueError(f"{name} has dtype {array.dtype}, expected floating point weights")
    return array


def _layer_names(arrays: Mapping[str, np.ndarray], prefix: str) -> list[tuple[str, ...]]:
    """(weight_ih, weight_hh, bias_ih, bias_hh) key names of each layer, in order."""
    if prefix + _SUFFIX_STACKED not in arrays:
        return [tuple(prefix + n for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))]
    names = []
    k = 0
    while f"{prefix}weight_ih_l{k}" in arrays:
        names.append(
            tuple(f"{prefix}{n}_l{k}" for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        )
        k += 1
    pattern = re.compile(re.escape(prefix) + r"weight_ih_l(\d+)")
    stray = sorted(key for key in arrays if (m := pattern.fullmatch(key)) and int(m[1]) >= k)
    if stray:
        raise ValueError(
            f"expected the key {prefix}weight_ih_l{k} before {stray[0]}, it is missing"
        )
    return names


def _variant_names(
    arrays: Mapping[str, np.ndarray], prefix: str, names: list[tuple[str, ...]]
) -> tuple[list[tuple[str, ...]] | None, list[str] | None]:
    """The ``_reverse`` key names of every layer (None when the module is not
    bidirectional) and the ``weight_hr_l{k}`` names (None without a projection); a layer
    that lacks what the others have is named."""
    own = [k[len(prefix) :] for k in arrays if k.startswith(prefix)]
    stacked = prefix + _SUFFIX_STACKED in arrays
    reverse = None
    if stacked and any(k.endswith("_reverse") for k in own):
        reverse = [tuple(n + "_reverse" for n in layer) for layer in names]
        for layer in reverse:
            if layer[0] not in arrays or layer[1] not in arrays:
                missing = layer[0] if layer[0] not in arrays else layer[1]
                raise ValueError(
                    f"module {_describe(prefix)} is bidirectional (it has _reverse keys) "
                    f"but the key {missing} is missing"
                )
    projections = None
    if stacked and any(re.fullmatch(r"weight_hr_l\d+", k) for k in own):
        projections = [f"{prefix}weight_hr_l{k}" for k in range(len(names))]
        for name in projections + [n + "_reverse" for n in projections if reverse]:
            if name not in arrays:
                raise ValueError(
                    f"module {_describe(prefix)} has weight_hr_l* keys (proj_size > 0) but "
                    f"the key {name} is missing"
                )
            if arrays[name].ndim != 2:
                raise ValueError(f"{name} has shape {arrays[name].shape}, expected (P, H)")
    return reverse, projections


def _read_layer(arrays: Mapping[str, np.ndarray], names: tuple[str, ...]) -> list[np.ndarray]:
    w_ih_name, w_hh_name, b_ih_name, b_hh_name = names
    for name in (w_ih_name, w_hh_name):
        if name not in arrays:
            raise ValueError(f"expected the key {name}, it is missing")
        if arrays[name].ndim != 2:
            raise ValueError(f"{name} has shape {arrays[name].shape}, expected a 2-D matrix")
    w_ih = _as_float(w_ih_name, arrays[w_ih_name])
    w_hh = _as_float(w_hh_name, arrays[w_hh_name])
    has_bias = (b_ih_name in arrays, b_hh_name in arrays)
    if has_bias == (False, False):  # bias=False: PyTorch stores no bias at all
        zeros = np.zeros(w_hh.shape[0], w_hh.dtype)
        return [w_ih, w_hh, zeros, zeros.copy()]
    if has_bias != (True, True):
        missing = b_hh_name if has_bias[0] else b_ih_name
        raise ValueError(f"expected the key {missing} beside its partner bias, it is missing")
    return [
        w_ih,
        w_hh,
        _as_float(b_ih_name, arrays[b_ih_name]),
        _as_float(b_hh_name, arrays[b_hh_name]),
    ]


def _kind_of(name: str, weight_hh: np.ndarray, hidden: int) -> Kind:
    rows = weight_hh.shape[0]
    blocks = rows // hidden if hidden and rows % hidden == 0 else 0
    if blocks == 4:
        return "lstm"
    if blocks == 1:
        return "rnn"
    if blocks == 3:
        return "gru"
    raise ValueError(
        f"{name} has shape {weight_hh.shape}, expected (4H, H) for an LSTM, (3H, H) for a GRU "
        "or (H, H) for an RNN (H = weight_hr's columns with a projection)"
    )


def _common_dtype(arrays: list[np.ndarray]) -> np.dtype:
    """float64 when any weight is float64; float32 otherwise (float16/bfloat16 widen)."""
    wide = any(a.dtype == np.float64 for a in arrays)
    return np.dtype(np.float64 if wide else np.float32)


def _recorded_options(modules: Sequence[ModuleRecord] | None, path: str) -> Mapping[str, object]:
    """The options a whole-module file recorded for the module at ``path`` (none for a
    bare state_dict)."""
    found = [record for record in modules or () if record.path == path]
    return found[0].options if len(found) == 1 else {}


def _settle_nonlinearity(given: str | None, recorded: object) -> str | None:
    """The caller's nonlinearity, else the one the file recorded; a contradiction is an
    error rather than a silent choice."""
    if recorded not in ("tanh", "relu"):
        return given
    if given is not None and given != recorded:
        raise ValueError(f"nonlinearity {given!r} was asked for, but the file records {recorded!r}")
    return str(recorded)


def _narrow_note(
    arrays: Mapping[str, np.ndarray], names: list[str], dtype: np.dtype, bfloat16: Collection[str]
) -> str | None:
    narrow = sorted(
        {"bfloat16" if n in bfloat16 else str(arrays[n].dtype) for n in names}
        - {"float32", "float64"}
    )
    if not narrow:
        return None
    return f"weights stored as {', '.join(narrow)} are computed in {dtype} (upcast)"


def _add_variants(
    layers: list[Layer],
    reverse: list[list[np.ndarray]],
    projections: list[np.ndarray],
    cast: Callable[[np.ndarray], np.ndarray],
) -> None:
    """Give ``layers`` their reverse passes and projections as read (in place)."""
    count = len(layers)
    for k, layer in enumerate(layers):
        own_hr = cast(projections[k]) if projections else None
        second = None
        if reverse:
            reverse_hr = cast(projections[count + k]) if projections else None
            w_ih, w_hh, b_ih, b_hh = reverse[k]
            second = DirectionWeights(w_ih, w_hh, b_ih, b_hh, weight_hr=reverse_hr)
            layer.direction = "bidirectional"
        own = layer.weights()
        own.weight_hr = own_hr
        layers[k] = layer.with_weights(own, second)


def _variant_param_names(
    reverse: list[tuple[str, ...]] | None, projections: list[str] | None
) -> dict[str, str]:
    """state_dict name → the file's name, for the reverse passes and the projections."""
    found = {}
    parts = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    for k, layer_names in enumerate(reverse or []):
        for part, name in zip(parts, layer_names, strict=True):
            found[f"{part}_l{k}_reverse"] = name
    for k, name in enumerate(projections or []):
        found[f"weight_hr_l{k}"] = name
        if reverse:
            found[f"weight_hr_l{k}_reverse"] = name + "_reverse"
    return found


def network_from_state_dict(
    arrays: Mapping[str, np.ndarray],
    *,
    source: str,
    prefix: str | None = None,
    nonlinearity: str | None = None,
    modules: tuple[ModuleRecord, ...] | None = None,
    bfloat16: Collection[str] = (),
) -> Network:
    """The network stored in ``arrays`` under PyTorch's names.

    ``prefix`` picks the recurrent module when there are several (``"encoder.lstm"``);
    ``nonlinearity`` ('tanh' or 'relu') says what an RNN used, tanh when omitted.
    ``modules``: a whole-module file's records, which say the module types, the order of
    a head and its activations, the nonlinearity an RNN was built with and
    ``batch_first`` (noted in the metadata); None for a bare state_dict. ``bfloat16``:
    the keys the file stored as bfloat16 (read as float32), for the note on the upcast.
    ``source`` says where the arrays came from; the module's name is added to it.
    Raises ValueError saying what was expected and what was found.
    """
    module = choose_module(list(arrays), prefix)
    recorded = _recorded_options(modules, module[:-1])
    names = _layer_names(arrays, module)
    reverse_names, projection_names = _variant_names(arrays, module, names)
    layer_arrays = [_read_layer(arrays, layer_names) for layer_names in names]
    reverse_arrays = [_read_layer(arrays, n) for n in reverse_names or []]
    projections = [
        _as_float(name, arrays[name])
        for name in (projection_names or [])
        + [n + "_reverse" for n in projection_names or [] if reverse_names]
    ]
    hidden = int(
        (layer_arrays[0][1] if not projections else projections[0]).shape[1]
    )  # H: the columns of weight_hh, or of weight_hr with a projection
    kind = _kind_of(names[0][1], layer_arrays[0][1], hidden)
    if projections and kind != "lstm":
        raise ValueError(f"weight_hr_l0 belongs to an LSTM, but this is an {kind.upper()}")
    if nonlinearity not in (None, "tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    if kind != "rnn" and nonlinearity == "relu":
        raise ValueError(
            f"nonlinearity 'relu' applies to a simple RNN, but this is an {kind.upper()}"
        )
    notes: list[str] = []
    settled = _settle_nonlinearity(nonlinearity, recorded.get("nonlinearity"))
    if kind == "rnn" and settled is None:
        notes.append("RNN nonlinearity assumed tanh (a state_dict does not record it)")
    nonlinearity = settled
    # the width the head reads: P (H without a projection), twice that when bidirectional
    top = int(layer_arrays[0][1].shape[1]) * (2 if reverse_names else 1)
    found = find_surroundings(
        arrays, module, int(layer_arrays[0][0].shape[1]), top, modules=modules
    )
    others = [c for c in find_recurrent_modules(list(arrays)) if c != module]
    if others:
        listed = ", ".join(_describe(c) for c in others)
        notes.append(f"other recurrent modules not run: {listed} (give their state as --h0/--c0)")
    notes += found.notes
    used = [n for layer_names in names + (reverse_names or []) for n in layer_names]
    used = [n for n in used if n in arrays] + (projection_names or [])
    used += [found.names[k] for k in found.names]
    everything = [a for layer in layer_arrays + reverse_arrays for a in layer] + projections
    if found.embedding is not None:
        everything.append(found.embedding)
    if found.readout is not None:
        everything += [found.readout.weight, found.readout.bias]
    dtype = _common_dtype(everything + [a for st in found.stages for a in stage_arrays(st)])
    narrow = _narrow_note(arrays, [n for n in used if n in arrays], dtype, bfloat16)
    if narrow:
        notes.append(narrow)

    def cast(array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(array, dtype)

    layers = [Layer(*(cast(a) for a in layer)) for layer in layer_arrays]
    _add_variants(layers, [[cast(a) for a in layer] for layer in reverse_arrays], projections, cast)
    metadata = {"module": module[:-1]} if module else {}
    metadata.update(found.metadata)
    readout = None
    if found.readout is not None:
        readout = Readout(
            cast(found.readout.weight),
            cast(found.readout.bias),
            "softmax" if found.readout_softmax else "linear",
        )
        metadata["readout_module"] = str(found.readout_name)
    if found.stages:
        metadata["head"] = " → ".join(describe_stage(st) for st in found.stages)
    if found.embedding_name is not None:
        metadata["embedding_module"] = found.embedding_name
    if kind == "rnn":
        metadata["nonlinearity"] = (
            nonlinearity if nonlinearity else "tanh (assumed: a state_dict does not store it)"
        )
    if isinstance(recorded.get("batch_first"), bool):
        metadata["batch_first"] = str(recorded["batch_first"])
    param_names = {
        f"{part}_l{k}": layer_names[j]
        for k, layer_names in enumerate(names)
        for j, part in enumerate(("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        if layer_names[j] in arrays
    }
    param_names.update(_variant_param_names(reverse_names, projection_names))
    param_names.update(found.names)
    if module:
        source = f"{source}, module {module[:-1]!r}"
    return Network(
        kind,
        layers,
        readout=readout,
        nonlinearity="relu" if nonlinearity == "relu" else "tanh",
        source=source,
        metadata=metadata,
        embedding=None if found.embedding is None else cast(found.embedding),
        head=tuple(stage_astype(st, dtype) for st in found.stages),
        notes=tuple(notes),
        param_names=param_names,
    )
