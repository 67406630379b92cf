"""How each framework stacks a recurrent layer's gate blocks, and the reordering into the
engine's order.

The engine keeps PyTorch's order for every cell kind: LSTM i, f, g, o (g the candidate
C̃_t) and GRU r, z, n (n the candidate). The frameworks store the same blocks of H rows
(or columns) in their own orders and letters:

| kind | PyTorch | Keras | ONNX |
|---|---|---|---|
| LSTM | i, f, g, o | i, f, c, o | i, o, f, c |
| GRU | r, z, n | z, r, h | z, r, h |
| LSTM peepholes | (none) | (none) | P: i, o, f |

Keras's c and h, ONNX's c and h, are the engine's g and n. The orders below are written in
the engine's letters, so a reader maps a file's blocks by name, not by position.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

CellKind = Literal["lstm", "gru"]
Framework = Literal["pytorch", "keras", "onnx"]

ENGINE_ORDER: dict[CellKind, tuple[str, ...]] = {
    "lstm": ("i", "f", "g", "o"),
    "gru": ("r", "z", "n"),
}
"""The blocks of each cell kind in the engine's stacked arrays (PyTorch's order)."""

FRAMEWORK_ORDER: dict[tuple[CellKind, Framework], tuple[str, ...]] = {
    ("lstm", "pytorch"): ("i", "f", "g", "o"),
    ("lstm", "keras"): ("i", "f", "g", "o"),
    ("lstm", "onnx"): ("i", "o", "f", "g"),
    ("gru", "pytorch"): ("r", "z", "n"),
    ("gru", "keras"): ("z", "r", "n"),
    ("gru", "onnx"): ("z", "r", "n"),
}
"""The blocks as each framework stacks them, in the engine's letters."""

PEEPHOLE_ORDER = ("i", "f", "o")
"""The engine's peephole vectors: p_i and p_f read c_{t-1}, p_o reads c_t."""

ONNX_PEEPHOLE_ORDER = ("i", "o", "f")
"""ONNX's ``P`` [dirs, 3H] blocks."""


def reorder_blocks(
    array: np.ndarray, source: tuple[str, ...], target: tuple[str, ...], axis: int = 0
) -> np.ndarray:
    """``array``'s equal blocks along ``axis``, stacked in order ``source``, restacked in
    order ``target`` (a new array)."""
    if sorted(source) != sorted(target):
        raise ValueError(f"block orders {source} and {target} name different blocks")
    rows = array.shape[axis]
    if rows % len(source):
        raise ValueError(
            f"array of shape {array.shape} has {rows} rows along axis {axis}, "
            f"not {len(source)} blocks of equal size"
        )
    blocks = np.split(array, len(source), axis=axis)
    by_name = dict(zip(source, blocks, strict=True))
    return np.concatenate([by_name[name] for name in target], axis=axis)


def to_engine_order(
    array: np.ndarray, kind: CellKind, framework: Framework, axis: int = 0
) -> np.ndarray:
    """A framework's stacked gate blocks along ``axis`` in the engine's order: for an
    ONNX GRU ``W`` [3H, D] (z, r, h), ``to_engine_order(W, "gru", "onnx")`` is (r, z, n)."""
    return reorder_blocks(array, FRAMEWORK_ORDER[kind, framework], ENGINE_ORDER[kind], axis)
