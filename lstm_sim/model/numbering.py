"""One numbering convention for every view: steps, layers and units count from 0, as in
the engine and in PyTorch's names (``weight_ih_l0``), and an index is shown with the
range it lies in, so "t = 11 of 0–11" and "T = 12" say the same thing."""

from __future__ import annotations


def index_range(count: int) -> str:
    """``of 0–11`` for 12 things (``of 0`` for one)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    return "of 0" if count == 1 else f"of 0–{count - 1}"
