"""The terms of a pre-activation, for showing an equation with its numbers.

The trace records each gate's pre-activation a_t = W_ih·x_t + W_hh·h_{t-1} + b_ih + b_hh
as one sum. A lecturer wants the sum written out term by term, so this module splits it
into the part that comes from the input, the part that comes from the previous hidden
state and the bias, using the same parameters and recorded inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.gates import GATES, gate_slice
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace


@dataclass(frozen=True)
class PreactivationTerms:
    """a = x_part + h_part + bias for every unit of one gate, each of shape (H,)."""

    x_part: np.ndarray  # W_i?[u, :]·x_t for each unit u
    h_part: np.ndarray  # W_h?[u, :]·h_{t-1}
    bias: np.ndarray  # b_i?[u] + b_h?[u]

    @property
    def total(self) -> np.ndarray:
        """The pre-activation the terms add up to, (H,)."""
        return np.asarray(self.x_part + self.h_part + self.bias)


def gate_block(network: Network, gate: str | None) -> slice:
    """The rows of ``weight_ih``/``weight_hh`` that belong to ``gate``.

    An LSTM has the blocks i, f, g, o; a simple RNN has one block, asked for with
    ``gate=None``.
    """
    hidden = network.hidden_size
    if network.kind == "rnn":
        if gate is not None:
            raise ValueError(f"a simple RNN has no gate {gate!r}; pass gate=None")
        return gate_slice("a", hidden, "rnn")
    if gate not in GATES:
        raise ValueError(f"gate must be one of {', '.join(GATES)} for an LSTM, got {gate!r}")
    return gate_slice(gate, hidden)


def preactivation_terms(
    network: Network, trace: Trace, layer: int, t: int, gate: str | None
) -> PreactivationTerms:
    """Split the pre-activation of ``gate`` of ``layer`` at step ``t`` into its terms.

    The sum of the terms equals the recorded ``trace.pre`` up to rounding.
    """
    if network.kind != trace.kind or network.num_layers != trace.num_layers:
        raise ValueError(
            f"trace is of a {trace.num_layers}-layer {trace.kind}, the network a "
            f"{network.num_layers}-layer {network.kind}"
        )
    record = trace.step(layer, t)  # validates layer and t
    params = network.layers[layer]
    rows = gate_block(network, gate)
    return PreactivationTerms(
        x_part=params.weight_ih[rows] @ record.x,
        h_part=params.weight_hh[rows] @ record.h_prev,
        bias=params.bias_ih[rows] + params.bias_hh[rows],
    )
