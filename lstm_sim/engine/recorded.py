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
from lstm_sim.engine.sequence_mask import masked_outputs


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

    A network with variant layers (see :mod:`lstm_sim.engine.network`) records more:
    ``m`` (L, T, ..., H), o ⊙ tanh(c_t) before an LSTM's projection, whose h is then P wide
    (h_all is (L, T+1, ..., P), c_all stays H wide); ``mask`` (T, ...) True at the steps
    the layers read (Keras ``Masking``); ``directions``, each layer's direction (empty when
    every layer runs forward). A reverse or bidirectional layer's reverse pass has its own
    arrays, the same names with ``_reverse``, in **time order**: index t of
    ``pre_reverse`` is the step that read x_t, index t of ``h_all_reverse`` the state after
    reading x_t, and its initial state sits at index T (the pass starts there). A layer's
    unused pass (the reverse arrays of a forward layer, the forward arrays of a reverse
    one) stays zeros.
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
    m: np.ndarray | None = None
    mask: np.ndarray | None = None
    directions: tuple[str, ...] = ()
    h_all_reverse: np.ndarray | None = None
    c_all_reverse: np.ndarray | None = None
    pre_reverse: np.ndarray | None = None
    act_reverse: np.ndarray | None = None
    fc_reverse: np.ndarray | None = None
    ig_reverse: np.ndarray | None = None
    tanh_c_reverse: np.ndarray | None = None
    hn_reverse: np.ndarray | None = None
    m_reverse: np.ndarray | None = None

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
            h_all=np.zeros((layers, steps + 1, *batch, network.h_size), dtype),
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
        if not network.is_plain:
            allocate_variant_arrays(recorded, network, steps, batch)
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

    @property
    def cell_size(self) -> int:
        """H, the size of each gate (of h too, unless an LSTM projects it to P)."""
        return int(self.pre.shape[-1] // gate_rows(self.kind))

    def gate(self, name: str) -> np.ndarray:
        """One gate's activation for every layer and step, (L, T, ..., H): an LSTM's i, f,
        g or o, a GRU's r, z or n."""
        if self.act is None:
            raise ValueError("a simple RNN has no gates; only an LSTM or GRU trace does")
        return self.act[..., gate_slice(name, self.cell_size, self.kind)]

    def direction(self, layer: int) -> str:
        """``"forward"``, ``"reverse"`` or ``"bidirectional"``: how ``layer`` ran."""
        return self.directions[layer] if self.directions else "forward"

    def layer_output(self, layer: int) -> np.ndarray:
        """What ``layer`` hands on at each step, (T, ..., P), or (T, ..., 2P) [forward,
        reverse] for a bidirectional layer; zeros where the mask says (see
        :mod:`lstm_sim.engine.sequence_mask`; a bidirectional layer zeros every masked
        step, as Keras's ``Bidirectional`` does). A view for a plain layer."""
        direction = self.direction(layer)
        zero_masked = direction == "bidirectional"
        parts = []
        if direction != "reverse":
            parts.append(masked_outputs(self.h_all[layer], self.mask, zero_masked))
        if direction != "forward":
            assert self.h_all_reverse is not None
            ran = np.flip(self.h_all_reverse[layer], 0)  # in the order the pass ran
            mask = None if self.mask is None else np.flip(self.mask, 0)
            parts.append(np.flip(masked_outputs(ran, mask, zero_masked), 0))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)

    def reverse_arrays(self) -> dict[str, np.ndarray]:
        """The reverse passes' arrays by their field names (``h_all_reverse``, ...), the
        ones this record has."""
        names = (
            "h_all_reverse",
            "c_all_reverse",
            "pre_reverse",
            "act_reverse",
            "fc_reverse",
            "ig_reverse",
            "tanh_c_reverse",
            "hn_reverse",
            "m_reverse",
        )
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


def allocate_variant_arrays(
    recorded: RecordedArrays, network: Network, steps: int, batch: tuple[int, ...]
) -> None:
    """Zeroed ``m``, ``mask`` and ``_reverse`` arrays, the ones ``network`` needs, beside
    the arrays ``recorded`` already has (shaped alike)."""
    hidden, dtype = network.hidden_size, network.dtype
    cells = (network.num_layers, steps, *batch, hidden)
    if network.proj_size:
        recorded.m = np.zeros(cells, dtype)
    if network.mask_value is not None:
        recorded.mask = np.ones((steps, *batch), bool)
    directions = tuple(layer.direction for layer in network.layers)
    if all(direction == "forward" for direction in directions):
        return
    recorded.directions = directions
    for name in ("h_all", "c_all", "pre", "act", "fc", "ig", "tanh_c", "hn", "m"):
        array = getattr(recorded, name)
        if array is not None:
            setattr(recorded, name + "_reverse", np.zeros_like(array))
