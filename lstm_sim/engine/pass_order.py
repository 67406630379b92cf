"""The reverse passes of a recorded trace in the order they ran, for expressions.

A trace keeps a reverse pass's arrays in time order (index t is the step that read x_t,
see :class:`~lstm_sim.engine.recorded.RecordedArrays`). A condition speaks of a pass's
steps as that pass ran them: ``prev.h`` is the state the step read, which for a reverse
pass is the one after step t+1. :func:`reverse_pass` gives views of the reverse arrays,
flipped, so that index s is the s-th step the pass ran (it read x_{T-1-s}) and
``h_all[layer, 0]`` the state it started from: the expressions of
:mod:`lstm_sim.engine.expressions` then read ``prev`` right, and :meth:`Trace.step_times`
turns s back into t. Nothing is copied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.trace import Trace


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
        return self.num_steps - 1 - steps


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


def runs_pass(trace: Trace, layer: int, reverse: bool) -> bool:
    """Whether ``layer`` of ``trace`` runs the reverse pass (``reverse``) or the forward one."""
    return trace.direction(layer) != ("forward" if reverse else "reverse")
