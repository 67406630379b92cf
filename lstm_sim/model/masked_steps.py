"""Keras's input mask as the window shows it: which steps are masked, what the cell has
there, and the sentence that says so.

At a step whose input features all equal the network's ``mask_value`` (Keras
``Masking``), every layer skips the step: h_t = h_{t-1} and c_t = c_{t-1}, carried through
unchanged (:mod:`lstm_sim.engine.sequence_mask`). The engine's kernels compute the gates
of such a step with the others and then discard them, so the trace holds numbers the
model never used; the window shows only :data:`MASKED_STEP_FIELDS` there and says the
step is masked. What the layer hands on at a masked step is its carried h, or zeros:
before its pass has read any step, and at every masked step of a bidirectional layer
(Keras's ``Bidirectional`` sets ``zero_output_for_mask``).
"""

from __future__ import annotations

import weakref

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.engine.sequence_mask import MASKED_STEP_FIELDS as MASKED_STEP_FIELDS
from lstm_sim.engine.trace import Trace
from lstm_sim.model.pass_view import Pass


def step_is_masked(trace: Trace, t: int) -> bool:
    """Whether step ``t`` is skipped by Keras's input mask (False without a mask)."""
    return trace.mask is not None and not bool(trace.mask[t])


def masked_steps(trace: Trace) -> np.ndarray | None:
    """(T,) True at every step Keras's input mask skips, for views over all steps at once
    (:func:`step_is_masked` asks of one step); None without a mask."""
    return None if trace.mask is None else ~np.asarray(trace.mask, dtype=bool)


def masked_legend(network: Network) -> str:
    """What a view over time says its masked steps are: ``"masked step (Keras mask value
    0): h, c carried through"``; "" for a network without a mask."""
    if network.mask_value is None:
        return ""
    carried = "h, c" if network.kind == "lstm" else "h"
    return f"masked step (Keras mask value {network.mask_value:g}): {carried} carried through"


def masked_output_legend(network: Network) -> str:
    """What a view of a bidirectional layer's output says its masked steps are: ``"masked
    step (Keras mask value 0): the layer hands on zeros"`` (Keras's ``Bidirectional`` sets
    ``zero_output_for_mask``, so the output there is not the carried h); "" without a
    mask."""
    if network.mask_value is None:
        return ""
    return f"masked step (Keras mask value {network.mask_value:g}): the layer hands on zeros"


def read_span(mask: np.ndarray) -> tuple[int, int]:
    """The first and the last step ``mask`` (T,) reads ((T, -1) when it reads none),
    worked out once per mask array: the engine puts a new array in the trace when an edit
    changes the mask, so a cursor move costs no pass over the steps."""
    if _last_span and _last_span[0][0]() is mask:
        return _last_span[0][1]
    span = first_and_last_read(mask)
    _last_span[:] = [(weakref.ref(mask), span)]
    return span


def first_and_last_read(mask: np.ndarray) -> tuple[int, int]:
    """:func:`read_span` worked out, O(T)."""
    read = np.flatnonzero(mask)
    return (int(read[0]), int(read[-1])) if read.size else (mask.shape[0], -1)


_last_span: list[tuple[weakref.ref[np.ndarray], tuple[int, int]]] = []
"""The last mask :func:`read_span` saw and its span (the views ask of one trace's)."""


def hands_on_zeros(network: Network, trace: Trace, layer: int, shown: Pass, t: int) -> bool:
    """Whether ``layer``'s shown pass outputs zeros at masked step ``t`` instead of its
    carried h (the layer above, or the readout, reads those zeros)."""
    if not step_is_masked(trace, t):
        return False
    if network.layers[layer].direction == "bidirectional":
        return True  # Keras's zero_output_for_mask: zeros at every masked step
    assert trace.mask is not None
    # Else only before the pass's first read step: a reverse pass starts from the last.
    first, last = read_span(trace.mask)
    return t < first if shown == "forward" else t > last


def masked_caption(network: Network, trace: Trace, layer: int, shown: Pass, t: int) -> str:
    """Sentences to read aloud at masked step ``t`` ("" when it is not masked), written for
    a forward pass (h_{t-1}; the window renames it for a reverse pass)."""
    if not step_is_masked(trace, t):
        return ""
    assert network.mask_value is not None
    carried = "h_{t-1} and c_{t-1}" if network.kind == "lstm" else "h_{t-1}"
    text = (
        f"Step {t} is masked: every feature of the model's input x_{t} equals the mask value "
        f"{network.mask_value:g}, so the layer skips it. It computes no gate and carries "
        f"{carried} through unchanged."
    )
    if hands_on_zeros(network, trace, layer, shown, t):
        why = (
            "at every masked step of a bidirectional layer"
            if network.layers[layer].direction == "bidirectional"
            else "until its pass has read a step"
        )
        text += f" What it hands on here is zeros, as Keras outputs {why}."
    return text
