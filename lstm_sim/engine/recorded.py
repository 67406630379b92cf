"""The arrays a forward pass records, shared by a single sequence and a minibatch.

A :class:`~lstm_sim.engine.trace.Trace` (one sequence, for the simulator) and a
:class:`~lstm_sim.engine.batch.ForwardCache` (a minibatch, for training) record the same
quantities; they differ only in what they were fed and in a batch axis after time. Every
array has the layer axis first and time second, and the unit axis last:
(L, T, H) for a trace, (L, T, B, H) for a minibatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from lstm_sim.engine.gates import gate_slice
from lstm_sim.engine.network import Kind, Network, gate_rows


@dataclass
class RecordedArrays:
    """Every intermediate of a forward pass.

    h_all, c_all: (L, T+1, ..., H), the initial state at index 0; pre: (L, T, ..., G*H)
    the pre-activations; act: (L, T, ..., 4H) the gate activations i, f, g, o; fc, ig,
    tanh_c: (L, T, ..., H) for f⊙c_prev, i⊙g and tanh(c); logits and probs: (T, ..., V)
    when the network has a readout (probs only for a softmax one). ``c_all``, ``act``,
    ``fc``, ``ig`` and ``tanh_c`` are None for a simple RNN.

    A GRU records ``pre`` and ``act`` (L, T, ..., 3H) in blocks r, z, n (pre-activations
    a_r, a_z, a_n and the activations r, z, n) and ``hn`` (L, T, ..., H), the candidate's
    recurrent term W_hn h_{t-1} + b_hn; no cell state, so ``c_all``, ``fc``, ``ig`` and
    ``tanh_c`` are None. ``hn`` is None for the other kinds.
    """

    kind: Kind
    h_all: np.ndarray
    pre: np.ndarray
    c_all: np.ndarray | None = None
    act: np.ndarray | None = None
    fc: np.ndarray | None = None
    ig: np.ndarray | None = None
    tanh_c: np.ndarray | None = None
    logits: np.ndarray | None = None
    probs: np.ndarray | None = None
    hn: np.ndarray | None = None

    @classmethod
    def allocate_for(
        cls, network: Network, steps: int, batch: tuple[int, ...], **fields: Any
    ) -> Self:
        """Zeroed arrays for ``steps`` steps of ``network`` with the batch axes ``batch``
        (``()`` for one sequence); ``fields`` are the subclass's own."""
        layers, hidden, dtype = network.num_layers, network.hidden_size, network.dtype
        rows = gate_rows(network.kind) * hidden
        recorded = cls(
            kind=network.kind,
            h_all=np.zeros((layers, steps + 1, *batch, hidden), dtype),
            pre=np.zeros((layers, steps, *batch, rows), dtype),
            **fields,
        )
        if network.kind == "lstm":
            recorded.c_all = np.zeros((layers, steps + 1, *batch, hidden), dtype)
            recorded.act = np.zeros((layers, steps, *batch, rows), dtype)
            recorded.fc, recorded.ig, recorded.tanh_c = (
                np.zeros((layers, steps, *batch, hidden), dtype) for _ in range(3)
            )
        if network.kind == "gru":
            recorded.act = np.zeros((layers, steps, *batch, rows), dtype)
            recorded.hn = np.zeros((layers, steps, *batch, hidden), dtype)
        if network.readout is not None:
            outputs = network.readout.weight.shape[0]
            recorded.logits = np.zeros((steps, *batch, outputs), dtype)
            if network.readout.kind == "softmax":
                recorded.probs = np.zeros((steps, *batch, outputs), dtype)
        return recorded

    @property
    def num_steps(self) -> int:
        return int(self.h_all.shape[1] - 1)

    @property
    def num_layers(self) -> int:
        return int(self.h_all.shape[0])

    @property
    def hidden_size(self) -> int:
        return int(self.h_all.shape[-1])

    @property
    def h(self) -> np.ndarray:
        """h_t for every layer and step, (L, T, ..., H)."""
        return self.h_all[:, 1:]

    @property
    def c(self) -> np.ndarray | None:
        """c_t for every layer and step, (L, T, ..., H); None for a simple RNN."""
        return None if self.c_all is None else self.c_all[:, 1:]

    def gate(self, name: str) -> np.ndarray:
        """One gate's activation for every layer and step, (L, T, ..., H): an LSTM's i, f,
        g or o, a GRU's r, z or n."""
        if self.act is None:
            raise ValueError("a simple RNN has no gates; only an LSTM or GRU trace does")
        return self.act[..., gate_slice(name, self.hidden_size, self.kind)]
