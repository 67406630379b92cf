"""Keras's ``Masking``: which steps a recurrent layer skips and what it outputs there.

A mask (T, ...) is True where a step is read. At a masked step Keras 3 carries every
state through unchanged (h_t = h_{t-1}, c_t = c_{t-1}) and outputs its previous output:
the last read step's h, or zeros while no step has been read yet, even when the initial
state h_0 is not zero (keras/src/backend/*/rnn.py, ``zero_output_for_mask=False``, the
default of LSTM and GRU). With ``zero_output_for_mask=True``, which Keras's
``Bidirectional`` forces on both its layers when they return sequences, the output is zeros
at every masked step instead. A layer that runs backwards reads the mask flipped with its
input.
"""

from __future__ import annotations

import numpy as np

MASKED_STEP_FIELDS = frozenset({"x", "h_prev", "c_prev", "h", "c"})
"""What a masked step has that is the model's: its input, and the state it carries through
unchanged. The kernels compute the rest (the gates, the pre-activations) and the model
discards it."""


def check_mask(mask: np.ndarray | None, x: np.ndarray) -> np.ndarray | None:
    """``mask`` as a boolean (T, ...) matching x (T, ..., D) without its features."""
    if mask is None:
        return None
    if mask.shape != x.shape[:-1]:
        raise ValueError(f"mask of shape {mask.shape} does not match x of shape {x.shape}")
    return np.asarray(mask, dtype=bool)


def before_first_read(mask: np.ndarray) -> np.ndarray:
    """(T, ...) True at the masked steps that come before any read step: Keras outputs
    zeros there."""
    return ~np.logical_or.accumulate(mask, axis=0)


def zeroed_steps(mask: np.ndarray, zero_masked: bool) -> np.ndarray:
    """(T, ...) True where the output is zeros: every masked step with ``zero_masked``
    (``zero_output_for_mask``), else the masked steps before the first read one."""
    return ~mask if zero_masked else before_first_read(mask)


def masked_outputs(
    h_all: np.ndarray, mask: np.ndarray | None, zero_masked: bool = False
) -> np.ndarray:
    """What a layer outputs at each step, (T, ..., H), from its states h_all (T+1, ..., H)
    with the initial state at index 0: h_t, or zeros where :func:`zeroed_steps` says."""
    if mask is None:
        return h_all[1:]
    return np.where(zeroed_steps(mask, zero_masked)[..., None], 0, h_all[1:])


def output_gradient(
    dy: np.ndarray, mask: np.ndarray | None, zero_masked: bool = False
) -> np.ndarray:
    """dL/dh_t from dL/d output_t: none reaches h from an output held at zeros."""
    if mask is None:
        return dy
    return np.where(zeroed_steps(mask, zero_masked)[..., None], 0, dy)
