"""A PyTorch state_dict (names → arrays) turned into a :class:`Network`.

Both PyTorch file readers (``.pt`` and ``.safetensors``) end here. The state_dict may be
a bare recurrent module's (``weight_ih_l0``...) or a whole model's, where the recurrent
module's keys carry a prefix (``encoder.lstm.weight_ih_l0``). Supported:

- ``nn.LSTM`` and ``nn.RNN`` with any number of layers: ``weight_ih_l{k}`` (G·H, D),
  ``weight_hh_l{k}`` (G·H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (G·H,), with G = 4 gate
  blocks (i, f, g, o) for an LSTM and G = 1 for an RNN;
- ``nn.LSTMCell`` and ``nn.RNNCell``: the same names without the ``_l{k}`` suffix;
- ``bias=False``: both bias keys absent, read as zeros;
- a readout: when exactly one other 2-D ``<name>.weight`` has H columns (a ``nn.Linear``
  reading h), it becomes a linear readout, its ``<name>.bias`` or zeros the bias.

A state_dict does not store an RNN's nonlinearity: it is tanh unless the caller says relu.
Bidirectional layers (``_reverse`` keys), projections (``weight_hr_l{k}``, proj_size > 0)
and GRUs (3H rows) raise a ValueError saying they are not supported yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from lstm_sim.engine.formats.module_tree import ModuleRecord
from lstm_sim.engine.network import Kind, Layer, Network, Readout

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


def _reject_unsupported(arrays: Mapping[str, np.ndarray], prefix: str) -> None:
    own = [k[len(prefix) :] for k in arrays if k.startswith(prefix)]
    if any(k.endswith("_reverse") for k in own):
        raise ValueError(
            f"module {_describe(prefix)} is bidirectional (it has _reverse keys); "
            "bidirectional layers are not supported yet"
        )
    if any(re.fullmatch(r"weight_hr_l\d+", k) for k in own):
        raise ValueError(
            f"module {_describe(prefix)} has weight_hr_l* keys (an LSTM with proj_size > 0); "
            "projections are not supported yet"
        )


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


def _kind_of(name: str, weight_hh: np.ndarray) -> Kind:
    rows, hidden = weight_hh.shape
    blocks = rows // hidden if hidden and rows % hidden == 0 else 0
    if blocks == 4:
        return "lstm"
    if blocks == 1:
        return "rnn"
    if blocks == 3:
        raise ValueError(
            f"{name} has shape {weight_hh.shape} (3H rows, a GRU); GRUs are not supported yet"
        )
    raise ValueError(
        f"{name} has shape {weight_hh.shape}, expected (4H, H) for an LSTM or (H, H) for an RNN"
    )


def _find_readout(
    arrays: Mapping[str, np.ndarray], prefix: str, hidden: int
) -> tuple[str, Readout] | None:
    """The one Linear layer that reads h, as (its module name, readout), if there is one."""
    candidates = [
        key[: -len(".weight")]
        for key, value in arrays.items()
        if key.endswith(".weight")
        and not key.startswith(prefix)
        and "embed" not in key.lower()  # an embedding (V, D) is read by index, not by h
        and value.ndim == 2
        and value.shape[1] == hidden
        and value.dtype.kind == "f"
    ]
    if len(candidates) != 1:
        return None
    name = candidates[0]
    weight = arrays[name + ".weight"]
    bias = arrays.get(name + ".bias")
    if bias is None:
        bias = np.zeros(weight.shape[0], weight.dtype)
    elif bias.shape != (weight.shape[0],):
        return None
    return name, Readout(weight, bias, "linear")


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


def network_from_state_dict(
    arrays: Mapping[str, np.ndarray],
    *,
    source: str,
    prefix: str | None = None,
    nonlinearity: str | None = None,
    modules: Sequence[ModuleRecord] | None = None,
) -> Network:
    """The network stored in ``arrays`` under PyTorch's names.

    ``prefix`` picks the recurrent module when there are several (``"encoder.lstm"``);
    ``nonlinearity`` ('tanh' or 'relu') says what an RNN used, tanh when omitted.
    ``modules`` is a whole-module file's tree: the recurrent module's record supplies
    the nonlinearity it was built with (and ``batch_first``, noted in the metadata).
    ``source`` says where the arrays came from; the module's name is added to it.
    Raises ValueError saying what was expected and what was found.
    """
    module = choose_module(list(arrays), prefix)
    recorded = _recorded_options(modules, module[:-1])
    nonlinearity = _settle_nonlinearity(nonlinearity, recorded.get("nonlinearity"))
    _reject_unsupported(arrays, module)
    layer_arrays = [_read_layer(arrays, names) for names in _layer_names(arrays, module)]
    first_hh_name = _layer_names(arrays, module)[0][1]
    kind = _kind_of(first_hh_name, layer_arrays[0][1])
    if nonlinearity not in (None, "tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    if kind == "lstm" and nonlinearity == "relu":
        raise ValueError("nonlinearity 'relu' applies to a simple RNN, but this is an LSTM")
    hidden = int(layer_arrays[0][1].shape[1])
    found = _find_readout(arrays, module, hidden)
    everything = [a for layer in layer_arrays for a in layer]
    if found is not None:
        everything += [found[1].weight, found[1].bias]
    dtype = _common_dtype(everything)
    layers = [Layer(*(np.ascontiguousarray(a, dtype) for a in layer)) for layer in layer_arrays]
    metadata = {"module": module[:-1]} if module else {}
    readout = None
    if found is not None:
        name, linear = found
        readout = Readout(
            np.ascontiguousarray(linear.weight, dtype),
            np.ascontiguousarray(linear.bias, dtype),
            "linear",
        )
        metadata["readout_module"] = name
    if kind == "rnn":
        metadata["nonlinearity"] = (
            nonlinearity if nonlinearity else "tanh (assumed: a state_dict does not store it)"
        )
    if isinstance(recorded.get("batch_first"), bool):
        metadata["batch_first"] = str(recorded["batch_first"])
    if module:
        source = f"{source}, module {module[:-1]!r}"
    return Network(
        kind,
        layers,
        readout=readout,
        nonlinearity="relu" if nonlinearity == "relu" else "tanh",
        source=source,
        metadata=metadata,
    )
