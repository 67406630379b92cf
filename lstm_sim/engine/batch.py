"""The forward pass over a minibatch, keeping what backpropagation needs.

A :class:`ForwardCache` holds the same quantities as a :class:`~lstm_sim.engine.trace.Trace`
with a batch axis after time, (L, T, B, ...), in arrays allocated once and reused for
every minibatch of the same shape. The recurrence itself is the simulator's own
(``lstm_layer_forward`` / ``rnn_layer_forward`` / ``gru_recurrence``), so training and
stepping run the same code. :func:`cache_from_trace` views a recorded trace as a batch of
one, so a single sequence and a minibatch go through the same backward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.cells import lstm_layer_forward, rnn_layer_forward, softmax
from lstm_sim.engine.gru import gru_recurrence
from lstm_sim.engine.head import head_forward
from lstm_sim.engine.loops import Loops
from lstm_sim.engine.network import Network
from lstm_sim.engine.recorded import RecordedArrays
from lstm_sim.engine.trace import Trace, gru_layer, gru_record


@dataclass(kw_only=True)
class ForwardCache(RecordedArrays):
    """A minibatch's forward pass through every layer: the arrays of
    :class:`~lstm_sim.engine.recorded.RecordedArrays` with a batch axis after time.

    inputs: (T, B) token ids (one-hot encoded implicitly) or (T, B, D) numbers.
    h_all, c_all: (L, T+1, B, H), index 0 the initial state. pre, act: (L, T, B, G*H);
    fc, ig, tanh_c: (L, T, B, H); logits, probs: (T, B, V) with a readout.
    ``c_all``, ``act``, ``fc``, ``ig`` and ``tanh_c`` are None for a simple RNN; a GRU
    has ``act`` (r, z, n) and ``hn`` (L, T, B, H), and no cell state.
    """

    inputs: np.ndarray
    nonlinearity: str = "tanh"
    embedding_ids: np.ndarray | None = None  # (T, B): which embedding row each x_t is

    @property
    def batch_size(self) -> int:
        return int(self.h_all.shape[2])

    @property
    def token_ids(self) -> bool:
        """True when layer 0 reads token ids rather than an input array."""
        return self.inputs.ndim == 2

    def layer_input(self, layer: int) -> np.ndarray:
        """What ``layer`` reads at each step: (T, B) ids or (T, B, D) for layer 0,
        (T, B, H) above it."""
        return self.inputs if layer == 0 else self.h_all[layer - 1, 1:]

    def output(self) -> np.ndarray:
        """What a loss compares with the targets, (T, B, K): the probabilities of a
        softmax readout, the logits of a linear one, else the last layer's h."""
        if self.probs is not None:
            return self.probs
        if self.logits is not None:
            return self.logits
        return self.h_all[-1, 1:]

    @classmethod
    def allocate(cls, network: Network, steps: int, batch: int, token_ids: bool) -> ForwardCache:
        """Zeroed arrays for minibatches of ``batch`` sequences of ``steps`` steps."""
        network.refuse_variants("training on minibatches")
        if steps < 1 or batch < 1:
            raise ValueError(f"steps and batch must be positive, got {steps} and {batch}")
        if network.embedding is not None:
            # Minibatches would need the embedding's rows gathered and trained; a single
            # recorded sequence (cache_from_trace) is supported.
            raise ValueError(
                "training a model with an input embedding is not supported yet; "
                f"embedding.weight has shape {network.embedding.shape}"
            )
        inputs_shape = (steps, batch) if token_ids else (steps, batch, network.input_size)
        return cls.allocate_for(
            network,
            steps,
            (batch,),
            inputs=np.zeros(inputs_shape, np.intp if token_ids else network.dtype),
            nonlinearity=network.nonlinearity,
        )


def cache_from_trace(trace: Trace, nonlinearity: str = "tanh") -> ForwardCache:
    """A batch-of-one view of a recorded trace (no copy): every array gains B = 1."""

    def batched(array: np.ndarray | None, axis: int) -> np.ndarray | None:
        return None if array is None else np.expand_dims(array, axis)

    return ForwardCache(
        kind=trace.kind,
        inputs=trace.x[:, None, :],
        h_all=trace.h_all[:, :, None, :],
        pre=trace.pre[:, :, None, :],
        c_all=batched(trace.c_all, 2),
        act=batched(trace.act, 2),
        fc=batched(trace.fc, 2),
        ig=batched(trace.ig, 2),
        tanh_c=batched(trace.tanh_c, 2),
        hn=batched(trace.hn, 2),
        logits=batched(trace.logits, 1),
        probs=batched(trace.probs, 1),
        nonlinearity=nonlinearity,
        embedding_ids=batched(trace.token_ids, 1),
    )


def forward(
    network: Network,
    cache: ForwardCache,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    loops: Loops | None = None,
) -> None:
    """Run ``cache.inputs`` through ``network``, writing every intermediate into ``cache``.

    Fill ``cache.inputs`` first. h0, c0: (L, B, H) initial states, zeros when omitted.
    loops: what runs the loops over steps, NumPy when None.
    """
    lstm_loop = lstm_layer_forward if loops is None else loops.lstm_forward
    rnn_loop = rnn_layer_forward if loops is None else loops.rnn_forward
    steps, batch = cache.num_steps, cache.batch_size
    state_shape = (network.num_layers, batch, network.hidden_size)
    for name, value, target in (("h0", h0, cache.h_all), ("c0", c0, cache.c_all)):
        if target is None:
            continue
        if value is None:
            target[:, 0] = 0.0
        elif value.shape != state_shape:
            raise ValueError(f"{name} has shape {value.shape}, expected {state_shape}")
        else:
            target[:, 0] = value
    flat = steps * batch
    for k, layer in enumerate(network.layers):
        # The input projection is written straight into pre, which the loops accept as
        # their xw: no (T, B, G*H) buffer is allocated per minibatch.
        xw = cache.pre[k]
        xw_flat = xw.reshape(flat, -1)
        # A GRU's b_hn sits inside the reset product, so its recurrence adds b_hh itself.
        bias = layer.bias_ih if network.kind == "gru" else layer.bias_ih + layer.bias_hh
        if k == 0 and cache.token_ids:
            _gather_columns(layer.weight_ih, bias, cache.inputs, xw_flat)
        else:
            np.matmul(cache.layer_input(k).reshape(flat, -1), layer.weight_ih.T, out=xw_flat)
            xw += bias
        if network.kind == "gru":
            gru_recurrence(gru_layer(network, k), gru_record(cache, cache.layer_input(k), k))
        elif network.kind == "lstm":
            assert cache.c_all is not None and cache.act is not None
            assert cache.fc is not None and cache.ig is not None and cache.tanh_c is not None
            lstm_loop(
                xw,
                layer.weight_hh,
                cache.h_all[k],
                cache.c_all[k],
                cache.pre[k],
                cache.act[k],
                cache.fc[k],
                cache.ig[k],
                cache.tanh_c[k],
            )
        else:
            rnn_loop(xw, layer.weight_hh, cache.h_all[k], cache.pre[k], network.nonlinearity)
    if network.readout is not None:
        assert cache.logits is not None
        readout = network.readout
        outputs = readout.weight.shape[0]
        np.matmul(
            head_forward(network.head, cache.h_all[-1, 1:].reshape(flat, -1))[-1],
            readout.weight.T,
            out=cache.logits.reshape(flat, outputs),
        )
        cache.logits += readout.bias
        if cache.probs is not None:
            _softmax(cache.logits, cache.probs)


def _gather_columns(
    weight_ih: np.ndarray, bias: np.ndarray, ids: np.ndarray, out: np.ndarray
) -> None:
    """out (T·B, G*H) = W_ih·x_t + bias for one-hot x_t: column ids[t, b] of W_ih plus
    the bias, picked from a (D, G*H) table that holds the bias already."""
    if ids.size and (ids.min() < 0 or ids.max() >= weight_ih.shape[1]):
        raise ValueError(
            f"inputs of shape {ids.shape} hold ids {ids.min()}..{ids.max()}, expected "
            f"0..{weight_ih.shape[1] - 1} (weight_ih_l0 has shape {weight_ih.shape})"
        )
    table = weight_ih.T + bias  # the same sum per row as W_ih·x_t + b, bit for bit
    # mode="clip" skips the buffered copy that the default mode makes with out= (5x
    # slower); the ids were checked above.
    np.take(table, ids.ravel(), axis=0, out=out, mode="clip")


def _softmax(logits: np.ndarray, out: np.ndarray) -> None:
    """Softmax over the last axis of logits (..., K), into ``out``.

    When every logit lies within ±log(max)/2 of zero, e^z can neither overflow nor
    underflow, so the per-row maximum (the slowest part: a reduction over short rows)
    is not needed; otherwise this is :func:`~lstm_sim.engine.cells.softmax`.
    """
    bound = 0.5 * np.log(np.finfo(logits.dtype).max)
    if logits.size == 0 or not (-bound <= logits.min() and logits.max() <= bound):
        softmax(logits, out=out)
        return
    np.exp(logits, out=out)
    total = out.sum(axis=-1, keepdims=True)
    np.reciprocal(total, out=total)
    out *= total
