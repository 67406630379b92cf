"""Where two recorded runs part: the first step, layer, quantity and unit that differ.

Both runs are lstm-sim trace arrays by name (``h c i f g o fc ig tanh_c``, ``a`` for a
simple RNN, ``dh dc`` with gradients, the same with ``_reverse`` for reverse passes), each
(L, T, H): a trace file written by
``lstm-sim trace`` or by another tool in the same format (e.g. PyTorch forward hooks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

_FORWARD = ("a", "r", "z", "hn", "n", "i", "f", "g", "o", "fc", "ig", "c", "tanh_c", "m", "h")
COMPARED = (
    *_FORWARD,
    *(f"{name}_reverse" for name in _FORWARD),
    "dh",
    "dc",
    "dh_reverse",
    "dc_reverse",
)
"""Per-unit quantities in the order a step computes them: at one step and layer, the
earliest quantity that differs is named, since every later one follows from it. A
bidirectional run's reverse pass (``_reverse``, in time order) comes after its forward
pass; ``m`` is a projected LSTM's o ⊙ tanh(c_t)."""


@dataclass(frozen=True)
class Difference:
    """The first place two runs differ by more than the tolerance."""

    t: int
    layer: int
    quantity: str
    unit: int
    a: float
    b: float

    @property
    def size(self) -> float:
        return abs(self.a - self.b)

    def __str__(self) -> str:
        return (
            f"first difference: t={self.t} layer={self.layer} quantity={self.quantity} "
            f"unit={self.unit} |a-b|={self.size:.6g}"
        )


def compared_quantities(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> list[str]:
    """The per-unit quantities both runs hold, in computation order; ValueError when none
    is shared or a shared one has different shapes."""
    shared = [name for name in COMPARED if name in a and name in b]
    if not shared:
        raise ValueError(
            f"the runs share no per-unit quantity: expected some of {', '.join(COMPARED)}"
        )
    for name in shared:
        if a[name].shape != b[name].shape or a[name].ndim != 3:
            raise ValueError(
                f"{name} has shape {a[name].shape} in one run and {b[name].shape} in the "
                "other: expected the same (L, T, H)"
            )
    return shared


def differs(a: np.ndarray, b: np.ndarray, tolerance: float) -> np.ndarray:
    """Where |a - b| > tolerance; equal infinities and NaN against NaN count as agreeing,
    a NaN against a number as differing."""
    with np.errstate(invalid="ignore"):
        agree: np.ndarray = (a == b) | (np.abs(a - b) <= tolerance) | (np.isnan(a) & np.isnan(b))
    disagree: np.ndarray = ~agree
    return disagree


def difference_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| per layer, step and unit, (L, T, H); NaN where exactly one side is NaN."""
    with np.errstate(invalid="ignore"):
        size = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
    size[np.isnan(a) & np.isnan(b)] = 0.0
    return size


def first_difference(
    a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray], tolerance: float = 1e-6
) -> Difference | None:
    """The earliest step where the runs differ by more than ``tolerance``; at that step
    the lowest layer, then the earliest quantity in computation order, then the lowest
    unit. None when they agree everywhere."""
    if not tolerance >= 0:
        raise ValueError(f"the tolerance must be >= 0, got {tolerance}")
    best: tuple[int, int, int, int] | None = None
    for rank, name in enumerate(compared_quantities(a, b)):
        mask = differs(a[name], b[name], tolerance)  # (L, T, H)
        per_step = mask.any(axis=(0, 2))
        if not per_step.any():
            continue
        t = int(np.argmax(per_step))
        layer = int(np.argmax(mask[:, t].any(axis=1)))
        unit = int(np.argmax(mask[layer, t]))
        candidate = (t, layer, rank, unit)
        if best is None or candidate < best:
            best = candidate
    if best is None:
        return None
    t, layer, rank, unit = best
    name = [n for n in COMPARED if n in a and n in b][rank]
    return Difference(
        t, layer, name, unit, float(a[name][layer, t, unit]), float(b[name][layer, t, unit])
    )
