"""What sits around the recurrent module of a PyTorch model: an input embedding in front,
a head behind, read exactly or left out with a note saying why.

The rules, for the modules outside the recurrent one (a module is the keys sharing the
part of their name before the last dot):

**Embedding.** A module of one 2-D ``weight`` (V, D) and no bias, whose D is the first
recurrent layer's input size, is the embedding that feeds it: token id v becomes x_t =
row v. With module records (a whole-module file, a live module) it must be an
``Embedding``. A bare state_dict does not record module types, so the reading is an
assumption and is noted (a bias-free ``Linear`` of that shape would look the same); when
several modules fit and none is named ``*embed*``, none is taken.

**Head.** The stages between h (H,) and the output: ``Linear``, ``LayerNorm`` and, with
module records, the activations ``ReLU``, ``Tanh``, ``GELU`` (exact or tanh), ``Sigmoid``
(``Dropout``/``Identity`` do nothing at evaluation). The last ``Linear`` is the readout.

- With module records the order is the modules' registration order (Sequential order,
  or the order the attributes were assigned), as a whole-module file stores no
  ``forward``; that order is noted. Any other module after the recurrent one (attention,
  pooling, a convolution, a second RNN) leaves the whole head out, named in a note.
- In a bare state_dict the order is the only one in which the shapes chain from H to the
  output using every Linear and LayerNorm outside the recurrent and embedding modules;
  none or several orders, or any other parameter module, leave the head out with a note.
  A state_dict records no activation, so a head of two or more Linears is left out too
  (which nonlinearity sits between them is unknown); one Linear (with LayerNorms) is read,
  noting that nothing parameter-free between h and it can be seen. A LayerNorm's eps is
  not stored either: 1e-5, PyTorch's default, is assumed and noted.

Tied weights (the readout's weight equal to the embedding's, the word-LM layout) are
recognised and reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import permutations

import numpy as np

from lstm_sim.engine.formats.module_tree import ModuleRecord
from lstm_sim.engine.head import Activation, ActivationName, Dense, HeadStage, LayerNorm

_ACTIVATION_TYPES: dict[str, ActivationName] = {
    "ReLU": "relu",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "GELU": "gelu",
}
_INERT_TYPES = {"Dropout", "Identity"}
_CONTAINER_TYPES = {"Sequential", "ModuleList", "ModuleDict"}
_RECURRENT_TYPES = {"LSTM", "RNN", "GRU", "LSTMCell", "RNNCell", "GRUCell"}
_DEFAULT_EPS = 1e-5
_MAX_ORDERED = 6  # modules a bare state_dict's head may have: 6! orders are still cheap


@dataclass
class Surroundings:
    """The embedding and head found around one recurrent module, and what was assumed."""

    embedding: np.ndarray | None = None
    embedding_name: str | None = None
    stages: list[HeadStage] = field(default_factory=list)
    readout: Dense | None = None
    readout_name: str | None = None
    readout_softmax: bool = False
    names: dict[str, str] = field(default_factory=dict)
    """lstm-sim name (``head.1.weight``, ``readout.bias``) → the file's key."""
    notes: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


def _modules_of(arrays: Mapping[str, np.ndarray], exclude: str) -> dict[str, dict[str, np.ndarray]]:
    """Keys outside ``exclude`` grouped by module: {module: {param: array}}."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, array in arrays.items():
        if exclude and key.startswith(exclude):
            continue
        module, _, param = key.rpartition(".")
        out.setdefault(module, {})[param] = array
    return out


def _is_matrix_module(params: Mapping[str, np.ndarray], with_bias: bool) -> bool:
    weight = params.get("weight")
    if weight is None or weight.ndim != 2 or weight.dtype.kind != "f":
        return False
    if set(params) == {"weight"}:
        return True
    bias = params.get("bias")
    return (
        with_bias
        and set(params) == {"weight", "bias"}
        and bias is not None
        and bias.shape == (weight.shape[0],)
    )


def _is_norm_module(params: Mapping[str, np.ndarray]) -> bool:
    weight = params.get("weight")
    if weight is None or weight.ndim != 1 or set(params) - {"weight", "bias"}:
        return False
    bias = params.get("bias")
    return bias is None or bias.shape == weight.shape


def _shown(module: str, params: Mapping[str, np.ndarray]) -> str:
    if "weight_ih_l0" in params or "weight_ih" in params:
        return f"{module} (a recurrent module)"
    shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in sorted(params.items()))
    return f"{module or '(top level)'} ({shapes})"


def _leaf_order(records: tuple[ModuleRecord, ...]) -> list[ModuleRecord]:
    """Leaf modules depth first in registration order (a Sequential's forward order).

    A user's own class and torch's containers are opened; any other torch module (an
    LSTM, a MultiheadAttention with its out_proj inside) counts as one leaf."""
    by_path = {r.path: r for r in records}
    out: list[ModuleRecord] = []

    def visit(path: str) -> None:
        record = by_path.get(path)
        if record is None:
            return
        opened = record.type_name in _CONTAINER_TYPES or not record.qualified_name.startswith(
            "torch."
        )
        if not record.children or not (opened or path == ""):
            out.append(record)
            return
        for child in record.children:
            visit(f"{path}.{child}" if path else child)

    visit("")
    return out


def _find_embedding(
    modules: dict[str, dict[str, np.ndarray]],
    input_size: int,
    records: tuple[ModuleRecord, ...] | None,
    recurrent: str,
    found: Surroundings,
) -> None:
    fits = [
        name
        for name, params in modules.items()
        if set(params) == {"weight"}
        and params["weight"].ndim == 2
        and params["weight"].shape[1] == input_size
        and params["weight"].dtype.kind == "f"
    ]
    if records is not None:
        # The embedding is the module just before the recurrent one (dropout aside).
        before = []
        for record in _leaf_order(records):
            if record.path == recurrent:
                break
            if record.type_name not in (*_INERT_TYPES, *_CONTAINER_TYPES):
                before.append(record)
        last = before[-1] if before else None
        fits = [last.path] if last and last.type_name == "Embedding" and last.path in fits else []
    elif len(fits) > 1:
        named = [name for name in fits if "embed" in name.lower()]
        if len(named) != 1:
            found.notes.append(
                f"no input embedding taken: {', '.join(fits)} all fit (V, {input_size})"
            )
            for name in named:  # said here; not again as a module left out
                modules.pop(name)
        fits = named
    if len(fits) != 1:
        return
    name = fits[0]
    found.embedding = modules.pop(name)["weight"]
    found.embedding_name = name
    found.names["embedding.weight"] = f"{name}.weight" if name else "weight"
    if records is None:
        found.notes.append(
            f"{name}.weight {found.embedding.shape} read as an nn.Embedding feeding the "
            "recurrent layer (a state_dict does not record module types)"
        )


def _add_stage(found: Surroundings, module: str, stage: HeadStage) -> None:
    k = len(found.stages)
    found.stages.append(stage)
    if not isinstance(stage, Activation):
        found.names[f"head.{k}.weight"] = f"{module}.weight"
        found.names[f"head.{k}.bias"] = f"{module}.bias"


def _finish(found: Surroundings, modules: Mapping[str, Mapping[str, np.ndarray]]) -> None:
    """Make the last stage the readout; drop names of biases the file does not have."""
    last = found.stages.pop()
    assert isinstance(last, Dense)
    k = len(found.stages)
    module = found.names.pop(f"head.{k}.weight")[: -len(".weight")]
    found.names.pop(f"head.{k}.bias")
    found.readout, found.readout_name = last, module
    found.names["readout.weight"] = f"{module}.weight"
    found.names["readout.bias"] = f"{module}.bias"
    found.names = {
        ours: theirs
        for ours, theirs in found.names.items()
        if ours == "embedding.weight"
        or theirs.rpartition(".")[2] in modules[theirs.rpartition(".")[0]]
    }


def _dense(params: Mapping[str, np.ndarray]) -> Dense:
    weight = params["weight"]
    bias = params.get("bias")
    return Dense(weight, np.zeros(weight.shape[0], weight.dtype) if bias is None else bias)


def _norm(params: Mapping[str, np.ndarray], eps: float) -> LayerNorm:
    weight = params["weight"]
    bias = params.get("bias")
    return LayerNorm(weight, np.zeros_like(weight) if bias is None else bias, eps)


def _head_from_records(
    modules: dict[str, dict[str, np.ndarray]],
    records: tuple[ModuleRecord, ...],
    recurrent: str,
    found: Surroundings,
) -> None:
    leaves = _leaf_order(records)
    position = next((k for k, r in enumerate(leaves) if r.path == recurrent), None)
    if position is None:
        found.notes.append(f"no readout: the module records do not list {recurrent!r}")
        return
    after = [r for r in leaves[position + 1 :] if r.type_name not in _CONTAINER_TYPES]
    other = [
        r
        for r in after
        if r.type_name not in (*_ACTIVATION_TYPES, *_INERT_TYPES, "Linear", "LayerNorm", "Softmax")
    ]
    if other:
        listed = ", ".join(f"{r.path} ({r.type_name})" for r in other)
        found.notes.append(
            f"no readout: left out the modules after {recurrent!r}: {listed}; lstm-sim reads "
            "Linear, LayerNorm, ReLU, Tanh, GELU, Sigmoid, Dropout heads only"
        )
        return
    for record in after:
        params = modules.get(record.path, {})
        if record.type_name == "Linear":
            _add_stage(found, record.path, _dense(params))
        elif record.type_name == "LayerNorm":
            eps = record.options.get("eps", _DEFAULT_EPS)
            if not isinstance(eps, int | float) or not params:
                found.notes.append(f"no readout: LayerNorm {record.path!r} has no affine weight")
                found.stages.clear()
                return
            _add_stage(found, record.path, _norm(params, float(eps)))
        elif record.type_name == "Softmax":
            if record is not after[-1]:
                found.notes.append(f"no readout: Softmax {record.path!r} sits inside the head")
                found.stages.clear()
                return
            found.readout_softmax = True
        elif record.type_name in _ACTIVATION_TYPES:
            name = _ACTIVATION_TYPES[record.type_name]
            if name == "gelu" and record.options.get("approximate") == "tanh":
                name = "gelu_tanh"
            found.stages.append(Activation(name))
    if found.stages and isinstance(found.stages[-1], Activation):
        found.notes.append(
            f"no readout: the head ends in {found.stages[-1].name} after its last Linear, "
            "which lstm-sim's readout (logits) does not apply"
        )
        found.stages.clear()
        return
    if not found.stages:
        return
    if not isinstance(found.stages[-1], Dense):
        found.notes.append("no readout: the head does not end in a Linear")
        found.stages.clear()
        return
    used = {r.path for r in after}
    if len(found.stages) > 1:
        found.notes.append(
            "head order taken from module registration order (a saved module keeps no "
            f"forward): {' → '.join(r.path for r in after)}"
        )
    _finish(found, {k: v for k, v in modules.items() if k in used})


def _chains(candidates: dict[str, dict[str, np.ndarray]], features: int) -> list[tuple[str, ...]]:
    """Every order of all ``candidates`` whose shapes chain from ``features`` and end in a
    Linear (no two LayerNorms in a row)."""
    out = []
    for order in permutations(candidates):
        width, previous_norm, fits = features, False, True
        for name in order:
            weight = candidates[name]["weight"]
            if weight.ndim == 1:
                fits = weight.shape[0] == width and not previous_norm
                previous_norm = True
            else:
                fits = weight.shape[1] == width
                width, previous_norm = int(weight.shape[0]), False
            if not fits:
                break
        if fits and candidates[order[-1]]["weight"].ndim == 2:
            out.append(order)
    return out


def _head_from_shapes(
    modules: dict[str, dict[str, np.ndarray]], hidden: int, found: Surroundings
) -> None:
    candidates = {
        name: params
        for name, params in modules.items()
        if "embed" not in name.lower()  # an embedding (V, D) is read by index, not by h
        and (_is_matrix_module(params, with_bias=True) or _is_norm_module(params))
    }
    others = {name: p for name, p in modules.items() if name not in candidates}
    for name, params in others.items():
        if "embed" in name.lower():
            found.notes.append(f"left out {_shown(name, params)}: an embedding not feeding it")
    blockers = {n: p for n, p in others.items() if "embed" not in n.lower()}
    if not candidates:
        return
    if blockers:
        listed = "; ".join(_shown(n, p) for n, p in blockers.items())
        found.notes.append(
            f"no readout: other modules with weights sit beside the recurrent one ({listed}); "
            "a state_dict does not say how they are wired, so no head is guessed"
        )
        return
    if len(candidates) > _MAX_ORDERED:
        found.notes.append(f"no readout: {len(candidates)} head modules are too many to order")
        return
    chains = _chains(candidates, hidden)
    listed = "; ".join(_shown(n, p) for n, p in candidates.items())
    if len(chains) != 1:
        why = "no order of" if not chains else f"{len(chains)} orders of"
        found.notes.append(
            f"no readout: {why} the modules {listed} chain from h ({hidden}) to an output"
        )
        return
    chain = chains[0]
    linears = [n for n in chain if candidates[n]["weight"].ndim == 2]
    if len(linears) > 1:
        found.notes.append(
            f"no readout: the head {' → '.join(chain)} has {len(linears)} Linears, and a "
            "state_dict does not record the activation between them (open the whole-module "
            "file, torch.save(model), to read it exactly)"
        )
        return
    for name in chain:
        params = candidates[name]
        if params["weight"].ndim == 2:
            _add_stage(found, name, _dense(params))
        else:
            _add_stage(found, name, _norm(params, _DEFAULT_EPS))
            found.notes.append(f"LayerNorm {name!r}: eps assumed 1e-5 (a state_dict omits it)")
    found.notes.append(
        f"readout {' → '.join(chain)} assumed to read h directly (a state_dict records no "
        "activation or dropout between modules)"
    )
    _finish(found, candidates)


def find_surroundings(
    arrays: Mapping[str, np.ndarray],
    recurrent_prefix: str,
    input_size: int,
    hidden: int,
    modules: tuple[ModuleRecord, ...] | None = None,
) -> Surroundings:
    """The embedding feeding the recurrent module at ``recurrent_prefix`` (``"rnn."``, or
    ``""`` at the top level) and the head reading its h, by the rules above."""
    found = Surroundings()
    grouped = _modules_of(arrays, recurrent_prefix)
    if not recurrent_prefix:
        # A bare recurrent module: its own keys have no dot, nothing else is around it.
        grouped.pop("", None)
    recurrent = recurrent_prefix[:-1]
    _find_embedding(grouped, input_size, modules, recurrent, found)
    if modules is not None:
        _head_from_records(grouped, modules, recurrent, found)
    else:
        _head_from_shapes(grouped, hidden, found)
    if (
        found.embedding is not None
        and found.readout is not None
        and found.readout.weight.shape == found.embedding.shape
        and np.array_equal(found.readout.weight, found.embedding)
    ):
        found.metadata["tied_weights"] = (
            f"{found.readout_name}.weight is {found.embedding_name}.weight (tied)"
        )
    return found
