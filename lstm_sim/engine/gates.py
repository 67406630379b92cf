"""Where each gate's block lies in a layer's stacked rows: the one place that slices them.

A layer stacks its gates' weights, biases, pre-activations and activations in blocks of H
along one axis, in one order per cell kind: PyTorch's i, f, g, o for an LSTM, r, z, n for
a GRU, and a single block a (the pre-activation) for a simple RNN. Every other module asks
here for a block instead of writing ``k * hidden : (k + 1) * hidden`` itself, so the order
lives once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the network module imports this one
    from lstm_sim.engine.network import Kind

GATES = ("i", "f", "g", "o")
"""LSTM gate blocks in PyTorch's order, the order of rows in ``weight_ih``."""

GATE_ORDER: dict[str, tuple[str, ...]] = {"lstm": GATES, "gru": ("r", "z", "n"), "rnn": ("a",)}
"""The blocks of each cell kind, in the order of a layer's rows."""


def gate_index(name: str, kind: Kind = "lstm") -> int:
    """Position of block ``name`` among the blocks of ``kind`` (LSTM: i, f, g, o)."""
    order = GATE_ORDER[kind]
    if name not in order:
        raise ValueError(f"gate must be one of {', '.join(order)}, got {name!r}")
    return order.index(name)


def gate_slices(kind: Kind, hidden: int) -> tuple[slice, ...]:
    """One slice of H rows per block of ``kind``, in the layer's order."""
    return tuple(slice(k * hidden, (k + 1) * hidden) for k in range(len(GATE_ORDER[kind])))


def gate_slice(name: str, hidden: int, kind: Kind = "lstm") -> slice:
    """The H rows of block ``name``."""
    return gate_slices(kind, hidden)[gate_index(name, kind)]


def split_gates(array: np.ndarray, kind: Kind = "lstm", axis: int = -1) -> tuple[np.ndarray, ...]:
    """Views of ``array``'s blocks along ``axis`` (G*H long), in the layer's order: for an
    LSTM ``i, f, g, o = split_gates(act)``."""
    blocks = len(GATE_ORDER[kind])
    rows = array.shape[axis]
    if rows % blocks:
        raise ValueError(
            f"array of shape {array.shape} has {rows} rows along axis {axis}, "
            f"not {blocks} blocks of equal size for an {kind.upper()}"
        )
    index: list[slice] = [slice(None)] * array.ndim
    views = []
    for rows_of_block in gate_slices(kind, rows // blocks):
        index[axis] = rows_of_block
        views.append(array[tuple(index)])
    return tuple(views)
