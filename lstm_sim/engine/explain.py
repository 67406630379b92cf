"""The terms of a pre-activation, for showing an equation with its numbers.

The trace records each gate's pre-activation a_t = W_ih·x_t + W_hh·h_{t-1} + b_ih + b_hh
as one sum. A lecturer wants the sum written out term by term, so this module splits it
into the part that comes from the input, the part that comes from the previous hidden
state and the bias (and, for an LSTM with peepholes, the part that comes from the cell
state), using the same parameters and recorded inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.gates import GATE_ORDER, GATES, gate_slice
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import StepRecord, Trace

GRU_GATES = GATE_ORDER["gru"]


@dataclass(frozen=True)
class PreactivationTerms:
    """a = x_part + h_part + bias (+ peephole) for every unit of one gate, each (H,).

    ``peephole`` is an LSTM gate's p ⊙ c term (c_{t-1} for i and f, c_t for o), None
    without peepholes and for the candidate g.
    """

    x_part: np.ndarray  # W_i?[u, :]·x_t for each unit u
    h_part: np.ndarray  # W_h?[u, :]·h_{t-1}
    bias: np.ndarray  # b_i?[u] + b_h?[u]
    peephole: np.ndarray | None = None  # p_?[u]·c[u]

    @property
    def total(self) -> np.ndarray:
        """The pre-activation the terms add up to, (H,)."""
        total = self.x_part + self.h_part + self.bias
        return np.asarray(total if self.peephole is None else total + self.peephole)


def gate_block(network: Network, gate: str | None) -> slice:
    """The rows of ``weight_ih``/``weight_hh`` that belong to ``gate``.

    An LSTM has the blocks i, f, g, o, a GRU r, z, n; a simple RNN has one block, asked
    for with ``gate=None``.
    """
    hidden = network.hidden_size
    if network.kind == "rnn":
        if gate is not None:
            raise ValueError(f"a simple RNN has no gate {gate!r}; pass gate=None")
        return gate_slice("a", hidden, "rnn")
    if network.kind == "gru":
        if gate not in GRU_GATES:
            raise ValueError(f"gate must be one of r, z, n for a GRU, got {gate!r}")
        return gate_slice(gate, hidden, "gru")
    if gate not in GATES:
        raise ValueError(f"gate must be one of {', '.join(GATES)} for an LSTM, got {gate!r}")
    return gate_slice(gate, hidden)


def preactivation_terms(
    network: Network, trace: Trace, layer: int, t: int, gate: str | None
) -> PreactivationTerms:
    """Split the pre-activation of ``gate`` of ``layer`` at step ``t`` into its terms.

    The sum of the terms equals the recorded ``trace.pre`` up to rounding. A GRU's
    candidate ``n`` is split by :func:`candidate_terms` instead: its recurrent term passes
    through the reset gate.
    """
    if gate == "n":
        raise ValueError("a GRU's candidate is split by candidate_terms, not term by term")
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
        peephole=peephole_term(network, record, gate),
    )


PEEPHOLE_GATES = ("i", "f", "o")
"""The blocks of a layer's ``peephole`` (3H,), in order; i and f peek at c_{t-1}, o at c_t."""


def peephole_term(network: Network, record: StepRecord, gate: str | None) -> np.ndarray | None:
    """p_gate ⊙ c for an LSTM layer with peepholes, (H,); None for the candidate g and
    for a layer without peepholes."""
    peephole = network.layers[record.layer].peephole
    if network.kind != "lstm" or peephole is None or gate not in PEEPHOLE_GATES:
        return None
    hidden = network.hidden_size
    k = PEEPHOLE_GATES.index(gate)
    cell = record.c if gate == "o" else record.c_prev
    assert cell is not None
    return np.asarray(peephole[k * hidden : (k + 1) * hidden] * cell)


@dataclass(frozen=True)
class CandidateTerms:
    """A GRU's candidate pre-activation a_n = x_part + bias + reset_part, each (H,).

    hn = hn_product + hn_bias is the recorded recurrent term: W_hn h_{t-1} + b_hn when the
    reset acts after the product (reset_part = r ⊙ hn), W_hn (r ⊙ h_{t-1}) + b_hn when it
    acts before (reset_part = hn).
    """

    x_part: np.ndarray  # W_in[u, :]·x_t
    bias: np.ndarray  # b_in[u]
    hn_product: np.ndarray  # W_hn[u, :]·h_{t-1}, or W_hn[u, :]·(r ⊙ h_{t-1})
    hn_bias: np.ndarray  # b_hn[u]
    reset_part: np.ndarray  # what a_n adds from the recurrent side

    @property
    def total(self) -> np.ndarray:
        """The pre-activation a_n the terms add up to, (H,)."""
        return np.asarray(self.x_part + self.bias + self.reset_part)


def candidate_terms(network: Network, trace: Trace, layer: int, t: int) -> CandidateTerms:
    """Split a GRU's candidate pre-activation of ``layer`` at step ``t`` into its terms;
    ``total`` equals the recorded a_n up to rounding."""
    if network.kind != "gru" or trace.kind != "gru":
        raise ValueError(f"only a GRU has a reset candidate, got a {network.kind} network")
    record = trace.step(layer, t)
    assert record.r is not None and record.hn is not None
    params = network.layers[layer]
    rows = gate_slice("n", network.hidden_size, "gru")
    reset_after = network.reset_after
    # n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) after, tanh(W_in x + b_in + W_hn (r ⊙ h)
    # + b_hn) before: the engine's two conventions (lstm_sim.engine.gru).
    seen = record.h_prev if reset_after else record.r * record.h_prev
    return CandidateTerms(
        x_part=params.weight_ih[rows] @ record.x,
        bias=params.bias_ih[rows].copy(),
        hn_product=params.weight_hh[rows] @ seen,
        hn_bias=params.bias_hh[rows].copy(),
        reset_part=record.r * record.hn if reset_after else record.hn.copy(),
    )
