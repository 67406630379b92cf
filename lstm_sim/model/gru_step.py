"""One step of a recorded GRU in numbers, for a view that shows a GRU without its cell
diagram (the comparison window, beside the drawn LSTM and RNN). Qt-free: every number is
read from the trace the engine recorded, never recomputed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace

TOP_OUTPUTS = 3
"""How many of the most probable outputs a step lists."""


@dataclass(frozen=True)
class GruStepNumbers:
    """GRU layer 0 at step t, for one unit.

    token: what step t reads (None for values); r, z, n: the unit's reset gate, update
    gate and candidate; h_prev, h: its state before and after the step, with
    h = (1 - z) n + z h_prev; mean_z: the update gate over all units, the share of h_{t-1}
    the layer keeps; top: the most probable outputs at step t as (label, probability),
    empty without a softmax readout.
    """

    t: int
    unit: int
    token: str | None
    r: float
    z: float
    n: float
    h_prev: float
    h: float
    mean_z: float
    top: tuple[tuple[str, float], ...]


def gru_step_numbers(network: Network, trace: Trace, t: int, unit: int) -> GruStepNumbers:
    """The numbers of step ``t`` for ``unit`` of a GRU trace of ``network``; ValueError
    for another kind or a step or unit out of range."""
    if network.kind != "gru" or trace.kind != "gru":
        raise ValueError(f"expected a GRU and its trace, got a {network.kind} and a {trace.kind}")
    if not 0 <= t < trace.num_steps:
        raise ValueError(f"step {t} is out of range for a sequence of {trace.num_steps}")
    if not 0 <= unit < trace.hidden_size:
        raise ValueError(f"unit {unit} is out of range for H = {trace.hidden_size}")
    r, z, n = (float(trace.gate(name)[0, t, unit]) for name in ("r", "z", "n"))
    top: tuple[tuple[str, float], ...] = ()
    if trace.probs is not None:
        order = np.argsort(-trace.probs[t], kind="stable")[:TOP_OUTPUTS]
        vocab = network.vocab
        same = vocab is not None and len(vocab) == trace.probs.shape[-1]
        top = tuple(
            (
                vocab.tokens[k] if same and vocab is not None else f"class {k}",
                float(trace.probs[t, k]),
            )
            for k in order
        )
    return GruStepNumbers(
        t=t,
        unit=unit,
        token=None if trace.tokens is None else trace.tokens[t],
        r=r,
        z=z,
        n=n,
        h_prev=float(trace.h_all[0, t, unit]),
        h=float(trace.h_all[0, t + 1, unit]),
        mean_z=float(trace.gate("z")[0, t].mean()),
        top=top,
    )
