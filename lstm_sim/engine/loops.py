"""Which implementation runs the loops of a minibatch's forward and backward pass.

The recurrences over time are the part of training that cannot be one vectorised NumPy
call, and so is the gradient of one-hot inputs' weights (a sum per token over steps).
:func:`lstm_sim.engine.batch.forward` and :func:`lstm_sim.engine.backprop.backward` run
NumPy's loops (``loops=None``), the reference every other implementation is tested
against, or a :class:`Loops` with the same contract: the compiled loops of
:mod:`lstm_sim.engine.fast`, which need numba. They cover LSTM and simple RNN layers; a
GRU's loops are always NumPy's (:func:`lstm_sim.engine.gru.gru_recurrence`). Only
training asks for the compiled ones, through :func:`compiled_if_available`; the window
and ``lstm-sim trace`` never import numba.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass

DISABLE_VARIABLE = "LSTM_SIM_NO_NUMBA"
"""Set to 1 to train with the NumPy loops even when numba is installed."""


@dataclass(frozen=True)
class Loops:
    """The loops; each has the signature and the outputs of its NumPy original.

    lstm_forward, rnn_forward: as :func:`lstm_sim.engine.cells.lstm_layer_forward` and
    :func:`~lstm_sim.engine.cells.rnn_layer_forward`. lstm_backward, rnn_backward,
    one_hot_weight_gradient: as :func:`~lstm_sim.engine.backprop.lstm_layer_backward`,
    :func:`~lstm_sim.engine.backprop.rnn_layer_backward` and
    :func:`~lstm_sim.engine.backprop.one_hot_weight_gradient`.
    """

    name: str
    lstm_forward: Callable[..., None]
    rnn_forward: Callable[..., None]
    lstm_backward: Callable[..., None]
    rnn_backward: Callable[..., None]
    one_hot_weight_gradient: Callable[..., None]


def compiled_if_available() -> Loops | None:
    """The compiled loops when numba is importable (and not disabled by
    ``LSTM_SIM_NO_NUMBA=1``), else None: NumPy's loops."""
    if os.environ.get(DISABLE_VARIABLE, "") not in ("", "0"):
        return None
    if importlib.util.find_spec("numba") is None:
        return None
    from lstm_sim.engine.fast import COMPILED

    return COMPILED
