"""Layers that read a sequence backwards, alone or beside a forward one.

A reverse layer is the same cell stepped from x_{T-1} down to x_0, from its own initial
state. Its record is kept in the order it ran: step k read x_{T-1-k}, so index 0 of its
``h`` is the initial state and a rerun from step k works as for a forward layer;
``np.flip(record.h, 0)`` puts it in time order, where index t is the state after reading
x_t and index T the initial state.

What each framework hands on (the ``output`` of this module's records):

- PyTorch ``bidirectional=True``, Keras ``Bidirectional`` (``merge_mode="concat"``), ONNX
  ``direction="bidirectional"``: at time t, [h_t of the forward pass, h of the reverse
  pass after reading x_t], 2P wide; ONNX keeps the two on a direction axis,
  Y (T, 2, B, H), which is the same numbers before the concatenation.
- ONNX ``direction="reverse"``: the reverse pass's h in time order, like the reverse half
  above.
- Keras ``go_backwards=True`` on a layer of its own: the outputs in the order the layer
  ran, the first being the one after reading x_{T-1} (:attr:`ReverseRecord.ran_output`);
  ``Bidirectional`` flips them back into time order before concatenating.

A mask (T, ...) (Keras ``Masking``) is flipped with the input, so a masked step is skipped
by both directions, and a bidirectional layer outputs zeros there in both halves, as
Keras's ``Bidirectional`` does (see :mod:`lstm_sim.engine.sequence_mask`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.gru import GruLayer, GruRecord, gru_forward, gru_layer_backward
from lstm_sim.engine.lstm_variants import (
    LstmLayer,
    LstmRecord,
    lstm_forward,
    lstm_layer_backward,
)

RecurrentLayer = GruLayer | LstmLayer
LayerRecord = GruRecord | LstmRecord
State = tuple[np.ndarray, ...]
"""A layer's initial or final state: (h,) for a GRU, (h, c) for an LSTM."""

REVERSE_SUFFIX = "_reverse"
"""PyTorch's suffix for the reverse direction's parameters (``weight_ih_l0_reverse``)."""


@dataclass(frozen=True)
class LayerGradients:
    """dx (T, ..., D) in the order x was given, the initial state's gradients, and the
    parameters' gradients by name."""

    dx: np.ndarray
    dstate0: State
    params: dict[str, np.ndarray]


def layer_forward(
    layer: RecurrentLayer,
    x: np.ndarray,
    state0: State | None = None,
    mask: np.ndarray | None = None,
    zero_masked_outputs: bool = False,
) -> LayerRecord:
    """Run a GRU or LSTM layer forwards over x (T, ..., D) from ``state0`` (zeros if None)."""
    if isinstance(layer, GruLayer):
        h0 = None if state0 is None else state0[0]
        return gru_forward(layer, x, h0, mask, zero_masked_outputs)
    h0, c0 = (None, None) if state0 is None else state0
    return lstm_forward(layer, x, h0, c0, mask, zero_masked_outputs)


def layer_backward(
    layer: RecurrentLayer,
    record: LayerRecord,
    doutput: np.ndarray,
    dstate_last: State | None = None,
) -> LayerGradients:
    """Backpropagation through a layer run by :func:`layer_forward`."""
    if isinstance(layer, GruLayer):
        if not isinstance(record, GruRecord):
            raise ValueError("a GRU layer's backward needs a GruRecord")
        dh_last = None if dstate_last is None else dstate_last[0]
        gru = gru_layer_backward(layer, record, doutput, dh_last)
        return LayerGradients(gru.dx, (gru.dh0,), gru.params)
    if not isinstance(record, LstmRecord):
        raise ValueError("an LSTM layer's backward needs an LstmRecord")
    dh_last, dc_last = (None, None) if dstate_last is None else dstate_last
    lstm = lstm_layer_backward(layer, record, doutput, dh_last, dc_last)
    return LayerGradients(lstm.dx, (lstm.dh0, lstm.dc0), lstm.params)


def final_state(record: LayerRecord) -> State:
    """The state after the last step the layer ran (h_n, and c_n for an LSTM)."""
    if isinstance(record, GruRecord):
        return (record.h[-1],)
    return (record.h[-1], record.c[-1])


# -- reverse -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReverseRecord:
    """A layer run from the last step to the first; ``ran`` is its record in the order it
    ran (step k read x_{T-1-k})."""

    ran: LayerRecord

    @property
    def output(self) -> np.ndarray:
        """(T, ..., P) in time order: index t is the output after reading x_t (ONNX
        ``reverse``, the reverse half of a bidirectional layer)."""
        return np.flip(self.ran.output, 0)

    @property
    def ran_output(self) -> np.ndarray:
        """(T, ..., P) in the order the layer ran (Keras ``go_backwards`` on its own)."""
        return self.ran.output


def reverse_forward(
    layer: RecurrentLayer,
    x: np.ndarray,
    state0: State | None = None,
    mask: np.ndarray | None = None,
    zero_masked_outputs: bool = False,
) -> ReverseRecord:
    """Run the layer over x (T, ..., D) from x_{T-1} down to x_0."""
    flipped_mask = None if mask is None else np.flip(mask, 0)
    return ReverseRecord(
        layer_forward(layer, np.flip(x, 0), state0, flipped_mask, zero_masked_outputs)
    )


def reverse_backward(
    layer: RecurrentLayer,
    record: ReverseRecord,
    doutput: np.ndarray,
    dstate_last: State | None = None,
) -> LayerGradients:
    """Backward through a reverse run; doutput (T, ..., P) in time order, as
    :attr:`ReverseRecord.output`; dx comes back in time order too."""
    grads = layer_backward(layer, record.ran, np.flip(doutput, 0), dstate_last)
    return LayerGradients(np.flip(grads.dx, 0), grads.dstate0, grads.params)


# -- bidirectional -------------------------------------------------------------------------


@dataclass(frozen=True)
class BidirectionalLayer:
    """Two layers of one kind over the same input: ``forward`` from x_0, ``reverse`` from
    x_{T-1} (PyTorch's ``..._reverse`` parameters, Keras's ``backward_layer``, ONNX's
    second direction)."""

    forward: RecurrentLayer
    reverse: RecurrentLayer

    def __post_init__(self) -> None:
        if type(self.forward) is not type(self.reverse):
            raise ValueError(
                f"the two directions must be one cell kind, got {type(self.forward).__name__} "
                f"and {type(self.reverse).__name__}"
            )


@dataclass(frozen=True)
class BidirectionalRecord:
    """The forward run and the reverse run of a bidirectional layer."""

    forward: LayerRecord
    reverse: ReverseRecord

    @property
    def output(self) -> np.ndarray:
        """(T, ..., 2P): [forward h_t, reverse h after reading x_t], what the next layer
        reads."""
        return np.concatenate([self.forward.output, self.reverse.output], axis=-1)

    @property
    def final_states(self) -> tuple[State, State]:
        """(forward's state after x_{T-1}, reverse's state after x_0): PyTorch's h_n
        (and c_n) rows 0 and 1 of this layer."""
        return final_state(self.forward), final_state(self.reverse.ran)


@dataclass(frozen=True)
class BidirectionalGradients:
    """dx (T, ..., D), each direction's initial-state gradients, and every parameter's
    gradient, the reverse direction's under PyTorch's ``_reverse`` suffix."""

    dx: np.ndarray
    dstate0_forward: State
    dstate0_reverse: State
    params: dict[str, np.ndarray]


def bidirectional_forward(
    layer: BidirectionalLayer,
    x: np.ndarray,
    state0_forward: State | None = None,
    state0_reverse: State | None = None,
    mask: np.ndarray | None = None,
) -> BidirectionalRecord:
    """Run both directions over x (T, ..., D); masked steps output zeros in both halves,
    as Keras's ``Bidirectional`` makes its layers do."""
    return BidirectionalRecord(
        layer_forward(layer.forward, x, state0_forward, mask, zero_masked_outputs=True),
        reverse_forward(layer.reverse, x, state0_reverse, mask, zero_masked_outputs=True),
    )


def bidirectional_backward(
    layer: BidirectionalLayer,
    record: BidirectionalRecord,
    doutput: np.ndarray,
    dstate_last_forward: State | None = None,
    dstate_last_reverse: State | None = None,
) -> BidirectionalGradients:
    """Backward through both directions; doutput (T, ..., 2P) as
    :attr:`BidirectionalRecord.output`. The input's gradient is the sum of both."""
    width = record.forward.output.shape[-1]
    if doutput.shape[-1] != 2 * width:
        raise ValueError(f"doutput has shape {doutput.shape}, expected (..., {2 * width})")
    forward = layer_backward(
        layer.forward, record.forward, doutput[..., :width], dstate_last_forward
    )
    reverse = reverse_backward(
        layer.reverse, record.reverse, doutput[..., width:], dstate_last_reverse
    )
    params = dict(forward.params)
    params.update({name + REVERSE_SUFFIX: value for name, value in reverse.params.items()})
    return BidirectionalGradients(forward.dx + reverse.dx, forward.dstate0, reverse.dstate0, params)
