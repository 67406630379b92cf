"""The reverse passes of a recorded trace in the order they ran, for expressions.

A trace keeps a reverse pass's arrays in time order (index t is the step that read x_t,
see :class:`~lstm_sim.engine.recorded.RecordedArrays`). A condition speaks of a pass's
steps as that pass ran them: ``prev.h`` is the state the step read, which for a reverse
pass is the one after step t+1. :func:`reverse_pass` gives views of the reverse arrays,
flipped, so that index s is the s-th step the pass ran (it read x_{T-1-s}) and
``h_all[layer, 0]`` the state it started from: the expressions of
:mod:`lstm_sim.engine.expressions` then read ``prev`` right, and :meth:`Trace.step_times`
turns s back into t. Nothing is copied.

:func:`pass_index` is that mapping for one step, and :func:`direction_passes` says which
passes a layer runs: the one place each is worked out, for the engine and the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

from lstm_sim.engine.trace import Trace

Pass = Literal["forward", "reverse"]


def direction_passes(direction: str) -> tuple[Pass, ...]:
    """The passes a layer running ``direction`` runs, forward first (the order the next
    layer reads them)."""
    if direction == "bidirectional":
        return ("forward", "reverse")
    return ("reverse",) if direction == "reverse" else ("forward",)


@overload
def pass_index(num_steps: int, pass_: Pass, t: int) -> int: ...
@overload
def pass_index(num_steps: int, pass_: Pass, t: np.ndarray) -> np.ndarray: ...
def pass_index(num_steps: int, pass_: Pass, t: int | np.ndarray) -> int | np.ndarray:
    """How many steps ``pass_`` ran before time step ``t`` (its index there): t forward,
    T-1-t in reverse. The mapping is its own inverse: it also turns an index back into t."""
    return num_steps - 1 - t if pass_ == "reverse" else t


@dataclass(kw_only=True)
class ReversePassTrace(Trace):
    """The reverse passes of ``source``, in the order they ran (module docstring); the
    arrays of a layer with no reverse pass are its zeros."""

    source: Trace

    def layer_input(self, layer: int) -> np.ndarray:
        """What the layer's reverse pass read at each of its steps, (T, D)."""
        return np.flip(self.source.layer_input(layer), 0)

    def step_times(self, steps: np.ndarray) -> np.ndarray:
        """The time step t of the pass's s-th step: T-1-s."""
        return pass_index(self.num_steps, "reverse", steps)


def _flipped(array: np.ndarray | None) -> np.ndarray | None:
    return None if array is None else np.flip(array, 1)


def reverse_pass(trace: Trace) -> ReversePassTrace:
    """The reverse passes of ``trace`` (ValueError when no layer has one)."""
    if trace.h_all_reverse is None or trace.pre_reverse is None:
        raise ValueError("the trace has no reverse pass: every layer runs forward")
    tokens = None if trace.tokens is None else trace.tokens[::-1]
    return ReversePassTrace(
        kind=trace.kind,
        h_all=np.flip(trace.h_all_reverse, 1),
        pre=np.flip(trace.pre_reverse, 1),
        c_all=_flipped(trace.c_all_reverse),
        act=_flipped(trace.act_reverse),
        fc=_flipped(trace.fc_reverse),
        ig=_flipped(trace.ig_reverse),
        tanh_c=_flipped(trace.tanh_c_reverse),
        hn=_flipped(trace.hn_reverse),
        m=_flipped(trace.m_reverse),
        mask=None if trace.mask is None else np.flip(trace.mask, 0),
        directions=trace.directions,
        x=np.flip(trace.x, 0),
        tokens=tokens,
        token_ids=None if trace.token_ids is None else np.flip(trace.token_ids, 0),
        source=trace,
    )


def pass_trace(trace: Trace, shown: Pass) -> Trace:
    """``trace``'s arrays of the pass ``shown`` in the order it ran."""
    return reverse_pass(trace) if shown == "reverse" else trace


def layer_passes_of(trace: Trace, layer: int) -> tuple[Pass, ...]:
    """The passes ``layer`` of ``trace`` runs, forward first."""
    return direction_passes(trace.direction(layer))


def model_passes(trace: Trace) -> tuple[Pass, ...]:
    """The passes the trace's layers run, forward first."""
    found = {p for k in range(trace.num_layers) for p in layer_passes_of(trace, k)}
    return tuple(p for p in ("forward", "reverse") if p in found)
