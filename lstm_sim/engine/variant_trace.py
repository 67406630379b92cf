"""Recording a network whose layers use variants: reverse and bidirectional passes,
projections, peepholes, coupled gates, clips, other activations, and Keras's input mask.

The kernels are those of :mod:`lstm_sim.engine.lstm_variants`, :mod:`lstm_sim.engine.gru`
and :mod:`lstm_sim.engine.rnn_variants`; each pass's record is a set of views into the
trace's arrays, so the kernels write straight into the trace. A reverse pass's arrays are
kept in time order (see :class:`~lstm_sim.engine.recorded.RecordedArrays`) and handed to
the kernel flipped, as views in the order the pass ran; step k of that run read x_{T-1-k}.

What a rerun from step ``start`` recomputes: a forward pass from ``start`` on; a reverse
pass all of it (an edit of x_start reaches only its steps that read x_start .. x_0, but a
rerun from ``start`` may follow any change at step ``start`` or later, a clamp for one,
and those reach a reverse pass's earlier time steps too); and, above a layer with a
reverse pass, every step of every later layer.
"""

from __future__ import annotations

import numpy as np

from lstm_sim.engine.gru import GruLayer, GruParameters, GruRecord, gru_layer_forward
from lstm_sim.engine.lstm_variants import LstmLayer, LstmParameters, LstmRecord
from lstm_sim.engine.lstm_variants import lstm_layer_forward as variant_lstm_forward
from lstm_sim.engine.network import DirectionWeights, Network
from lstm_sim.engine.recorded import RecordedArrays
from lstm_sim.engine.rnn_variants import RnnLayer, RnnRecord, rnn_record_forward

KernelLayer = LstmLayer | GruLayer | RnnLayer
PassRecord = LstmRecord | GruRecord | RnnRecord


def kernel_layer(network: Network, k: int, reverse: bool = False) -> KernelLayer:
    """Layer ``k``'s forward pass (or, with ``reverse``, its second pass's weights) as the
    kernels take it."""
    layer = network.layers[k]
    weights: DirectionWeights = layer.weights()
    if reverse and layer.reverse is not None:
        weights = layer.reverse
    arrays = (weights.weight_ih, weights.weight_hh, weights.bias_ih, weights.bias_hh)
    if network.kind == "lstm":
        return LstmLayer(
            LstmParameters(*arrays, weight_hr=weights.weight_hr, peephole=weights.peephole),
            coupling=layer.coupling,
            clip=layer.clip,
            gate=layer.gate_activation,
            candidate=layer.candidate_activation,
            cell_output=layer.cell_activation,
        )
    if network.kind == "gru":
        return GruLayer(
            GruParameters(*arrays),
            reset_after=network.reset_after,
            gate=layer.gate_activation,
            candidate=layer.candidate_activation,
            clip=layer.clip,
        )
    return RnnLayer(*arrays, nonlinearity=network.nonlinearity)


def input_mask(network: Network, x: np.ndarray) -> np.ndarray | None:
    """(T, ...) True at the steps Keras's ``Masking`` lets through: those whose features
    are not all ``network.mask_value``; None without a mask value."""
    if network.mask_value is None:
        return None
    return np.any(x != network.mask_value, axis=-1)  # type: ignore[no-any-return]


def _flipped(array: np.ndarray | None, k: int) -> np.ndarray | None:
    return None if array is None else np.flip(array[k], 0)


def pass_record(trace: RecordedArrays, k: int, inputs: np.ndarray, reverse: bool) -> PassRecord:
    """The record of layer ``k``'s forward pass (or its reverse pass, in the order it ran)
    as views of the trace's arrays; ``inputs`` (T, ..., D) what the layer reads."""
    zero_masked = trace.direction(k) == "bidirectional"
    if not reverse:
        h, pre, c, act, cell_out, m, hn = (
            trace.h_all[k],
            trace.pre[k],
            None if trace.c_all is None else trace.c_all[k],
            None if trace.act is None else trace.act[k],
            None if trace.tanh_c is None else trace.tanh_c[k],
            None if trace.m is None else trace.m[k],
            None if trace.hn is None else trace.hn[k],
        )
        x, mask = inputs, trace.mask
    else:
        assert trace.h_all_reverse is not None and trace.pre_reverse is not None
        h, pre = np.flip(trace.h_all_reverse[k], 0), np.flip(trace.pre_reverse[k], 0)
        c, act = _flipped(trace.c_all_reverse, k), _flipped(trace.act_reverse, k)
        cell_out, m = _flipped(trace.tanh_c_reverse, k), _flipped(trace.m_reverse, k)
        hn = _flipped(trace.hn_reverse, k)
        x = np.flip(inputs, 0)
        mask = None if trace.mask is None else np.flip(trace.mask, 0)
    if trace.kind == "lstm":
        assert c is not None and act is not None and cell_out is not None
        return LstmRecord(x, h, c, pre, act, cell_out, m, mask, zero_masked)
    if trace.kind == "gru":
        assert act is not None and hn is not None
        return GruRecord(x, h, pre, act, hn, mask, zero_masked)
    return RnnRecord(x, h, pre, mask, zero_masked)


def run_pass(layer: KernelLayer, record: PassRecord, start: int) -> None:
    """Steps ``start``.. of one pass, in the order it runs."""
    if isinstance(layer, LstmLayer):
        assert isinstance(record, LstmRecord)
        variant_lstm_forward(layer, record, start)
    elif isinstance(layer, GruLayer):
        assert isinstance(record, GruRecord)
        gru_layer_forward(layer, record, start)
    else:
        assert isinstance(record, RnnRecord)
        rnn_record_forward(layer, record, start)


def _products(trace: RecordedArrays, k: int, reverse: bool) -> None:
    """An LSTM pass's f ⊙ c_{t-1} and i ⊙ g at every step, from its recorded gates."""
    act = trace.act_reverse if reverse else trace.act
    c_all = trace.c_all_reverse if reverse else trace.c_all
    fc = trace.fc_reverse if reverse else trace.fc
    ig = trace.ig_reverse if reverse else trace.ig
    if act is None or c_all is None or fc is None or ig is None:
        return
    hidden = trace.cell_size
    i, f, g = (act[k, ..., j * hidden : (j + 1) * hidden] for j in range(3))
    # c_{t-1}: index t in a forward pass; in time order a reverse pass's is index t+1
    c_prev = c_all[k, 1:] if reverse else c_all[k, :-1]
    np.multiply(f, c_prev, out=fc[k])
    np.multiply(i, g, out=ig[k])


def rerun_variant_layers(network: Network, trace: RecordedArrays, x: np.ndarray, start: int) -> int:
    """Recompute every pass of every layer from where an edit at step ``start`` reaches
    (module docstring); returns the first step whose top-layer output may have changed."""
    if trace.mask is not None:
        mask = input_mask(network, x)
        assert mask is not None
        if not np.array_equal(mask, trace.mask):
            # A new array, not written in place: what was worked out from the old mask
            # (the read steps, :mod:`lstm_sim.model.masked_steps`) is keyed on it.
            trace.mask = mask
    for k in range(network.num_layers):
        inputs = x if k == 0 else trace.layer_output(k - 1)
        direction = trace.direction(k)
        if direction != "reverse":
            run_pass(kernel_layer(network, k), pass_record(trace, k, inputs, False), start)
            _products(trace, k, reverse=False)
        if direction != "forward":
            record = pass_record(trace, k, inputs, True)
            run_pass(kernel_layer(network, k, reverse=True), record, 0)
            _products(trace, k, reverse=True)
            start = 0  # the reverse pass may have changed every step's output
    return start
