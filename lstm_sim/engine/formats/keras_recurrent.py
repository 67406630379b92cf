"""One Keras recurrent layer, from its config and arrays, as a :class:`Layer`.

``LSTM``, ``GRU`` and ``SimpleRNN`` are read alone or inside ``Bidirectional``. Keras
multiplies ``x @ kernel``, PyTorch ``W_ih @ x``, so the weights are transposes, and the
gate blocks are restacked into the engine's order (:mod:`lstm_sim.engine.gate_orders`:
Keras LSTM i, f, c, o is already PyTorch's i, f, g, o; GRU z, r, h becomes r, z, n). Keras
keeps one bias where PyTorch keeps two, so ``bias_hh`` is zero, except a GRU with
``reset_after=True`` (bias (2, 3H): input and recurrent rows).

Activations come from the config: ``recurrent_activation`` is the gates' function (i, f, o
or r, z), ``activation`` the candidate's (g or n) and, for an LSTM, the one applied to
c_t in h_t = o_t ⊙ act(c_t) (:func:`lstm_sim.engine.activations.keras_activation`).
``hard_sigmoid`` is the one function the Keras versions disagree on: Keras 3's is
relu6(a + 3) / 6, slope 1/6, Keras 2's clip(0.2·a + 0.5, 0, 1), slope 0.2 (the default
``recurrent_activation`` of Keras 2.0-2.2 LSTMs and GRUs). The version the file records
picks one; a file that records none is read as Keras 3's, with a note. A SimpleRNN's tanh
or relu is the network's ``nonlinearity``.

``Bidirectional`` runs a forward copy of its layer and a backward one, and with
``merge_mode="concat"`` hands on [forward h_t, backward h after reading x_t], which is a
bidirectional :class:`Layer`; the other merge modes are refused by name. Keras saves the
two copies' arrays one after the other, forward first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from lstm_sim.engine.activations import SIGMOID, TANH, Activation, keras_activation
from lstm_sim.engine.gru import GruParameters
from lstm_sim.engine.lstm_variants import LstmParameters
from lstm_sim.engine.network import DirectionWeights, Layer

RecurrentKind = Literal["lstm", "gru", "rnn"]
RECURRENT: dict[str, RecurrentKind] = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}
BIDIRECTIONAL = "Bidirectional"


@dataclass(frozen=True)
class KerasRecurrent:
    """A Keras recurrent layer read: the layer (forward, or bidirectional for a
    ``Bidirectional``) and what the network around it needs to know."""

    kind: RecurrentKind
    layer: Layer
    nonlinearity: str  # a SimpleRNN's activation; "tanh" for the gated kinds
    reset_after: bool | None  # a GRU's convention, None for the other kinds
    go_backwards: bool  # a lone layer that reads the sequence from its end
    return_sequences: bool
    zero_output_for_mask: bool
    notes: tuple[str, ...] = ()


KERAS2_HARD_SIGMOID = Activation("HardSigmoid", 0.2, 0.5)
"""Keras 2's hard_sigmoid, clip(0.2·a + 0.5, 0, 1) (``keras.backend.hard_sigmoid``)."""


def keras_dialect(version: str | None) -> int | None:
    """The major version of the Keras that wrote a file (``"2.15.0"`` → 2), None when the
    file does not say or says something else."""
    head = (version or "").split(".")[0]
    return int(head) if head.isdigit() else None


def flag(name: str, cfg: dict[str, Any], key: str, default: bool) -> bool:
    """A true/false option of layer ``name``'s config: a file that says something else
    is refused rather than guessed at."""
    value = cfg.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"layer {name!r} has {key} {value!r}, expected true or false")
    return value


def activation_name(cfg: dict[str, Any], key: str = "activation", default: str = "linear") -> str:
    """The name of an activation in a config (Keras 3 may serialise a dict)."""
    activation = cfg.get(key, default)
    if isinstance(activation, dict):
        activation = activation.get("config", {}).get("name", activation.get("class_name"))
    return str(activation or default)


def _keras_function(
    name: str, cfg: dict[str, Any], key: str, default: str, major: int | None
) -> tuple[Activation, str | None]:
    """The function ``cfg[key]`` names, and a note when it is read on an assumption."""
    activation = activation_name(cfg, key, default)
    if activation == "hard_sigmoid" and major is not None and major < 3:
        return KERAS2_HARD_SIGMOID, None
    try:
        function = keras_activation(activation)
    except ValueError:
        raise ValueError(
            f"layer {name!r} uses {key} {activation!r}; lstm-sim knows sigmoid, tanh, "
            "relu, hard_sigmoid, linear, softsign, softplus and elu"
        ) from None
    note = None
    if activation == "hard_sigmoid" and major is None:
        note = (
            "the file does not say which Keras wrote it: hard_sigmoid is read as Keras 3's "
            "relu6(a + 3) / 6, not Keras 2's clip(0.2·a + 0.5, 0, 1)"
        )
    return function, note


def _reset_after(name: str, cfg: dict[str, Any], bias: np.ndarray | None) -> bool:
    """Whether a Keras GRU resets after the recurrent product. Its config says so; a config
    without the key (older Keras defaulted to False, Keras 3 to True) is settled by the
    bias: two rows (input, recurrent) only exist with ``reset_after=True``."""
    if "reset_after" in cfg:
        reset_after = flag(name, cfg, "reset_after", True)
        if bias is not None and (bias.ndim == 2) != reset_after:
            raise ValueError(
                f"GRU layer {name!r} has reset_after={reset_after} but a bias of shape "
                f"{bias.shape}, expected {'(2, 3H)' if reset_after else '(3H,)'}"
            )
        return reset_after
    if bias is None:
        raise ValueError(f"GRU layer {name!r} has no bias and its config no reset_after")
    return bool(bias.ndim == 2)


def _weights(
    kind: RecurrentKind, name: str, cfg: dict[str, Any], arrays: list[np.ndarray]
) -> DirectionWeights:
    """One pass's arrays in PyTorch's layout and the engine's block order."""
    use_bias = flag(name, cfg, "use_bias", True)
    if len(arrays) != (3 if use_bias else 2):
        raise ValueError(
            f"expected {3 if use_bias else 2} arrays for layer {name!r} (kernel, "
            f"recurrent_kernel{', bias' if use_bias else ''}), found {len(arrays)}"
        )
    kernel, recurrent = arrays[0], arrays[1]
    if kernel.ndim != 2 or recurrent.ndim != 2:
        raise ValueError(
            f"layer {name!r} has kernel {kernel.shape} and recurrent_kernel "
            f"{recurrent.shape}, expected (D, G·H) and (H, G·H)"
        )
    bias = arrays[2] if use_bias else None
    params: GruParameters | LstmParameters
    try:
        if kind == "gru":
            params = GruParameters.from_keras(kernel, recurrent, bias)
        elif kind == "lstm":
            params = LstmParameters.from_keras(kernel, recurrent, bias)
        else:
            b = np.zeros(kernel.shape[1], kernel.dtype) if bias is None else bias
            return DirectionWeights(kernel.T, recurrent.T, b, np.zeros_like(b))
    except ValueError as err:
        raise ValueError(f"{kind.upper()} layer {name!r}: {err}") from None
    return DirectionWeights(params.weight_ih, params.weight_hh, params.bias_ih, params.bias_hh)


def _contiguous(weights: DirectionWeights) -> DirectionWeights:
    return DirectionWeights(*(np.ascontiguousarray(a) for a in weights.named().values()))


def _one_direction(
    class_name: str, name: str, cfg: dict[str, Any], arrays: list[np.ndarray], major: int | None
) -> KerasRecurrent:
    kind = RECURRENT[class_name]
    nonlinearity = "tanh"
    gate, candidate, cell = SIGMOID, TANH, TANH
    notes: tuple[str | None, ...] = ()
    if kind == "rnn":
        nonlinearity = activation_name(cfg, default="tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"SimpleRNN layer {name!r} uses {nonlinearity!r}, expected tanh or relu"
            )
    else:
        gate, gate_note = _keras_function(name, cfg, "recurrent_activation", "sigmoid", major)
        candidate, candidate_note = _keras_function(name, cfg, "activation", "tanh", major)
        notes = (gate_note, candidate_note)
        cell = candidate if kind == "lstm" else TANH  # Keras's h_t = o_t ⊙ activation(c_t)
    weights = _contiguous(_weights(kind, name, cfg, arrays))
    layer = Layer(
        weights.weight_ih,
        weights.weight_hh,
        weights.bias_ih,
        weights.bias_hh,
        gate_activation=gate,
        candidate_activation=candidate,
        cell_activation=cell,
    )
    return KerasRecurrent(
        kind,
        layer,
        nonlinearity,
        _reset_after(name, cfg, arrays[2] if len(arrays) > 2 else None) if kind == "gru" else None,
        flag(name, cfg, "go_backwards", False),
        flag(name, cfg, "return_sequences", False),
        flag(name, cfg, "zero_output_for_mask", False),
        tuple(dict.fromkeys(note for note in notes if note is not None)),
    )


def _wrapped(cfg: dict[str, Any], key: str) -> tuple[str, dict[str, Any]] | None:
    entry = cfg.get(key)
    if not isinstance(entry, dict):
        return None
    inner = entry.get("config", {})
    return str(entry.get("class_name", "?")), inner if isinstance(inner, dict) else {}


def _bidirectional(
    name: str, cfg: dict[str, Any], arrays: list[np.ndarray], major: int | None
) -> KerasRecurrent:
    merge_mode = cfg.get("merge_mode", "concat")
    if merge_mode != "concat":
        raise ValueError(
            f"Bidirectional layer {name!r} merges its directions with merge_mode "
            f"{merge_mode!r}; lstm-sim reads only 'concat'"
        )
    forward = _wrapped(cfg, "layer")
    if forward is None or forward[0] not in RECURRENT:
        found = "nothing" if forward is None else f"a {forward[0]}"
        raise ValueError(f"Bidirectional layer {name!r} wraps {found}, not LSTM, GRU or SimpleRNN")
    backward = _wrapped(cfg, "backward_layer") or forward
    if backward[0] != forward[0]:
        raise ValueError(
            f"Bidirectional layer {name!r} runs a {forward[0]} forwards and a {backward[0]} "
            "backwards; expected one kind"
        )
    if len(arrays) % 2:
        raise ValueError(
            f"Bidirectional layer {name!r} has {len(arrays)} arrays, expected two sets"
        )
    half = len(arrays) // 2
    ahead = _one_direction(forward[0], name, forward[1], arrays[:half], major)
    backward_cfg = {**backward[1], "go_backwards": False}  # it runs backwards by design
    behind = _one_direction(backward[0], name, backward_cfg, arrays[half:], major)
    same = ("nonlinearity", "reset_after")
    options = ("gate_activation", "candidate_activation", "cell_activation")
    if any(getattr(ahead, k) != getattr(behind, k) for k in same) or any(
        getattr(ahead.layer, k) != getattr(behind.layer, k) for k in options
    ):
        raise ValueError(
            f"Bidirectional layer {name!r} gives its two directions different activations "
            "or reset_after; lstm-sim runs both with one set"
        )
    if ahead.go_backwards:
        raise ValueError(f"Bidirectional layer {name!r} wraps a layer with go_backwards")
    layer = replace(ahead.layer, direction="bidirectional", reverse=behind.layer.weights())
    return KerasRecurrent(
        ahead.kind,
        layer,
        ahead.nonlinearity,
        ahead.reset_after,
        False,
        ahead.return_sequences,
        True,  # Keras's Bidirectional sets zero_output_for_mask on both its layers
        ahead.notes,
    )


def recurrent_layer(
    class_name: str,
    name: str,
    cfg: dict[str, Any],
    arrays: list[np.ndarray],
    major: int | None,
) -> KerasRecurrent:
    """The layer named ``name`` of class ``class_name`` (a key of :data:`RECURRENT` or
    ``"Bidirectional"``) with its config and arrays, written by Keras ``major`` (see
    :func:`keras_dialect`; None when the file does not say)."""
    if class_name == BIDIRECTIONAL:
        return _bidirectional(name, cfg, arrays, major)
    return _one_direction(class_name, name, cfg, arrays, major)
