"""The products inside one GRU step that the trace does not record, for showing them.

A GRU's trace records r, z, n, the candidate's recurrent term hn and h, but not the
pointwise products between them; the window draws and writes those products (the LSTM's
trace records its own, f⊙c_{t-1} and i⊙g). They are derived here, once, from the recorded
arrays, with the engine's own equations (:mod:`lstm_sim.engine.gru`)::

    reset       r_t ⊙ hn_t           reset after the product (PyTorch, Keras default)
                r_t ⊙ h_{t-1}        reset before it (Keras reset_after=False, ONNX 0)
    one_minus_z 1 - z_t
    keep        z_t ⊙ h_{t-1}        what survives of the old state
    mix         (1 - z_t) ⊙ n_t      what the candidate writes
    h_t = keep + mix                 (up to rounding: the engine computes n + z(h - n))
"""

from __future__ import annotations

import numpy as np

from lstm_sim.engine.trace import StepRecord

GRU_TERMS = ("reset", "one_minus_z", "keep", "mix")
"""The derived products, by the names the diagram's wires and the equations use."""


def gru_term(record: StepRecord, name: str, reset_after: bool) -> np.ndarray:
    """The product ``name`` (one of :data:`GRU_TERMS`) of a GRU step, (H,)."""
    r, z, n, hn = record.r, record.z, record.n, record.hn
    if r is None or z is None or n is None or hn is None:
        raise ValueError("only a GRU step has the products r⊙hn, 1 - z, z⊙h and (1 - z)⊙n")
    if name == "reset":
        return np.asarray(r * (hn if reset_after else record.h_prev))
    if name == "one_minus_z":
        return np.asarray(1.0 - z)
    if name == "keep":
        return np.asarray(z * record.h_prev)
    if name == "mix":
        return np.asarray((1.0 - z) * n)
    raise ValueError(f"no GRU product {name!r}; the products are {', '.join(GRU_TERMS)}")
