"""Finding where a run first produced NaN or infinity, so that it is reported, not
written out silently.

The search is vectorised: each quantity is reduced over its units with NumPy to the
first bad step per layer, and only those few candidates are compared in Python. "First"
follows the order of computation: the earliest step; within a step, the lower layer;
within a layer, the order the cell computes its quantities (pre-activations, gates,
f ⊙ c_prev, i ⊙ g, c, tanh c, h); the readout after the top layer. Backpropagation runs
backwards in time, so a gradient's first bad value is at the latest step it reaches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lstm_sim.engine.finite_rows import rows_all_finite
from lstm_sim.engine.gates import GATE_ORDER, GATES

if TYPE_CHECKING:  # the window imports this at start; it needs neither module's code
    from lstm_sim.engine.backprop import Gradients
    from lstm_sim.engine.trace import Trace

READOUT_LAYER = 1 << 30
"""Sorts the readout (logits, probs) after every layer of its step."""


@dataclass(frozen=True)
class NonFinite:
    """Where a NaN or infinity first appeared: ``step`` t, ``layer`` (None for an array
    that is per sequence, such as the readout or a parameter's gradient), the
    ``quantity``'s name as the trace file spells it, its ``unit`` (the column index), and
    the ``value`` found there."""

    step: int | None
    layer: int | None
    quantity: str
    unit: int
    value: float

    def describe(self) -> str:
        """'step 82, layer 0, h unit 3 = nan' (the parts that apply)."""
        where = [] if self.step is None else [f"step {self.step}"]
        if self.layer is not None:
            where.append(f"layer {self.layer}")
        where.append(f"{self.quantity} unit {self.unit} = {self.value}")
        return ", ".join(where)


def _first_bad_step(values: np.ndarray, reverse: bool = False) -> tuple[int, int] | None:
    """(t, column) of the first non-finite entry of a (T, W) array, by step then column;
    with ``reverse`` the latest step comes first."""
    # Row sums stream the array once, with no (T, W) mask written and read back: the
    # window searches its whole trace as it opens, 255 MB at T = 10k and H = 256.
    rows = np.flatnonzero(~rows_all_finite(values))
    if rows.size == 0:
        return None
    t = int(rows[-1] if reverse else rows[0])
    return t, int(np.argmax(~np.isfinite(values[t])))


def _candidates(
    quantities: Iterable[tuple[str, np.ndarray]], reverse: bool = False
) -> list[tuple[int, int, int, NonFinite]]:
    """One candidate per (quantity, layer) that holds a bad value, keyed for sorting by
    (step, layer, order of computation); ``quantities`` are (name, (L, T, W)) arrays,
    or (T, W) arrays for the readout."""
    found = []
    for order, (name, values) in enumerate(quantities):
        per_layer = values[None] if values.ndim == 2 else values
        for layer, layer_values in enumerate(per_layer):
            hit = _first_bad_step(layer_values, reverse)
            if hit is None:
                continue
            t, column = hit
            on_layer = None if values.ndim == 2 else layer
            record = NonFinite(t, on_layer, name, column, float(layer_values[t, column]))
            depth = READOUT_LAYER if on_layer is None else layer
            # Backwards, the latest step and the top layer are computed first.
            key = (-t, -depth, order) if reverse else (t, depth, order)
            found.append((*key, record))
    return found


def _pre_quantity(record: NonFinite, kind: str, hidden: int) -> NonFinite:
    """An LSTM's or GRU's pre-activation column named by its gate block: pre_f unit 3."""
    if record.quantity != "pre" or kind == "rnn":
        return record
    gate, unit = divmod(record.unit, hidden)
    name = GATE_ORDER[kind][gate]
    return NonFinite(record.step, record.layer, f"pre_{name}", unit, record.value)


def first_nonfinite(trace: Trace, start: int = 0) -> NonFinite | None:
    """The first NaN or infinity a forward run computed at step ``start`` or later (an
    edit that reran from ``start`` need not search the steps before it), or None."""
    if not 0 <= start <= trace.num_steps:
        raise ValueError(f"start {start} is out of range for a sequence of {trace.num_steps}")
    pre_name = "a" if trace.kind == "rnn" else "pre"
    quantities: list[tuple[str, np.ndarray]] = [(pre_name, trace.pre)]
    if trace.kind == "gru":
        assert trace.hn is not None
        quantities += [(gate, trace.gate(gate)) for gate in "rz"]
        quantities += [("hn", trace.hn), ("n", trace.gate("n"))]
    if trace.kind == "lstm":
        assert trace.fc is not None and trace.ig is not None and trace.c is not None
        assert trace.tanh_c is not None
        quantities += [(gate, trace.gate(gate)) for gate in GATES]
        quantities += [("fc", trace.fc), ("ig", trace.ig), ("c", trace.c)]
        quantities.append(("tanh_c", trace.tanh_c))
    if trace.m is not None:
        quantities.append(("m", trace.m))
    quantities.append(("h", trace.h))
    quantities += _reverse_quantities(trace)
    # (L, T, W) per layer; the readout's (T, V) has no layer axis
    later = [(name, values[:, start:]) for name, values in quantities]
    for name, readout in (("logits", trace.logits), ("probs", trace.probs)):
        if readout is not None:
            later.append((name, readout[start:]))
    found = _candidates(later)
    if not found:
        return None
    first = min(found, key=lambda candidate: candidate[:3])[3]
    first = dataclasses.replace(first, step=start + (first.step or 0))
    return _pre_quantity(first, trace.kind, trace.cell_size)


def _reverse_quantities(trace: Trace) -> list[tuple[str, np.ndarray]]:
    """The reverse passes' quantities as the trace file names them, (L, T, W) in time
    order (the pass computed the later steps first; they are searched by time here)."""
    if not trace.directions:
        return []
    steps, found = trace.num_steps, []
    for name, values in trace.reverse_arrays().items():
        base = name.removesuffix("_reverse").replace("_all", "")
        values = values[:, :steps] if name.endswith("all_reverse") else values
        found.append((f"{'a' if base == 'pre' and trace.kind == 'rnn' else base}_reverse", values))
    return found


def first_nonfinite_gradient(grads: Gradients) -> NonFinite | None:
    """The first NaN or infinity of a backward pass: the earliest step's loss; else the
    latest step of dh (and dc) that backpropagation reached; else the first parameter
    gradient, by name, with ``unit`` its row. None when all is finite."""
    losses = _first_bad_step(grads.step_loss.reshape(-1, 1))
    if losses is not None:
        t = losses[0]
        return NonFinite(t, None, "step_loss", 0, float(grads.step_loss[t]))
    states = [("dh", grads.dh)] + ([("dc", grads.dc)] if grads.dc is not None else [])
    for name, values in (("dh_reverse", grads.dh_reverse), ("dc_reverse", grads.dc_reverse)):
        if values is not None:
            states.append((name, values))
    found = _candidates(states, reverse=True)
    if found:
        return min(found, key=lambda candidate: candidate[:3])[3]
    for name, values in grads.params.items():
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            index = np.unravel_index(int(bad[0]), values.shape)
            return NonFinite(None, None, f"grad.{name}", int(index[0]), float(values[index]))
    return None
