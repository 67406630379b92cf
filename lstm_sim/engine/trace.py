"""Recording a whole sequence: every quantity of every layer at every step.

A :class:`Trace` owns preallocated arrays with a leading layer axis (L, T, ...), so a
step is a set of views and stepping back never recomputes anything. Editing an input,
the initial state or a weight reruns from the earliest step it affects
(:func:`rerun_from`); earlier steps stay exactly as they were.

A network with variant layers (reverse or bidirectional passes, a projection, peepholes and
the other options of :mod:`lstm_sim.engine.network`) is recorded by
:mod:`lstm_sim.engine.variant_trace`. A reverse pass's arrays carry the suffix
``_reverse`` and are kept in **time order**, not in the order the pass ran: index t of
``pre_reverse`` is the step that read x_t, and ``h_all_reverse`` holds the state after
reading x_t at index t, the pass's initial state at index T. So every array, forward or
reverse, lines up with ``x`` index for index, and what a bidirectional layer hands on at
step t is [h_all[t+1], h_all_reverse[t]] (:meth:`Trace.layer_output`). The trace files
keep the same order and names (:mod:`lstm_sim.engine.formats.trace_files`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lstm_sim.engine.blocked_products import PRODUCT_BLOCK, project_inputs
from lstm_sim.engine.cells import lstm_layer_forward, rnn_layer_forward, softmax
from lstm_sim.engine.gates import gate_slice
from lstm_sim.engine.head import head_forward
from lstm_sim.engine.network import Kind, Network, check_array, gate_rows
from lstm_sim.engine.recorded import RecordedArrays

if TYPE_CHECKING:
    from lstm_sim.engine.gru import GruLayer, GruRecord


@dataclass(frozen=True)
class StepRecord:
    """Everything one layer computed at one step; the arrays are views into the trace.

    For a simple RNN only ``x``, ``h_prev``, ``pre`` and ``h`` are set; ``pre`` is then
    the pre-activation a_t, and for an LSTM it is (4H,) in gate order i, f, g, o. A GRU
    sets ``r``, ``z``, ``n`` and ``hn`` (W_hn h_{t-1} + b_hn) besides, with ``pre`` (3H,)
    in blocks r, z, n, and no cell state.
    """

    layer: int
    t: int
    x: np.ndarray  # the layer's input: x_t for layer 0, h_t of layer l-1 above it
    h_prev: np.ndarray
    pre: np.ndarray
    h: np.ndarray
    c_prev: np.ndarray | None = None
    i: np.ndarray | None = None
    f: np.ndarray | None = None
    g: np.ndarray | None = None
    o: np.ndarray | None = None
    fc: np.ndarray | None = None  # f ⊙ c_prev
    ig: np.ndarray | None = None  # i ⊙ g
    c: np.ndarray | None = None
    tanh_c: np.ndarray | None = None
    r: np.ndarray | None = None
    z: np.ndarray | None = None
    n: np.ndarray | None = None
    hn: np.ndarray | None = None
    m: np.ndarray | None = None  # o ⊙ tanh(c_t), (H,), when a projection makes h_t = W_hr m_t

    def pre_gate(self, gate: str) -> np.ndarray:
        """The pre-activation of one gate (LSTM 'i', 'f', 'g', 'o'; GRU 'r', 'z', 'n'),
        shape (H,)."""
        kind: Kind = "gru" if self.r is not None else "lstm"
        return self.pre[gate_slice(gate, self.pre.shape[-1] // gate_rows(kind), kind)]


@dataclass(kw_only=True)
class Trace(RecordedArrays):
    """The recorded forward pass of one sequence through a network: the arrays of
    :class:`~lstm_sim.engine.recorded.RecordedArrays` with no batch axis.

    Shapes: x (T, D); h_all, c_all (L, T+1, H) with the initial state at index 0;
    pre (L, T, G*H); act (L, T, 4H) for an LSTM, (L, T, 3H) r, z, n for a GRU; fc, ig,
    tanh_c (L, T, H) for an LSTM, hn (L, T, H) for a GRU;
    logits and probs (T, V) when the network has a readout (probs only for softmax).
    """

    x: np.ndarray
    tokens: tuple[str, ...] | None = None
    token_ids: np.ndarray | None = None  # (T,) when the inputs were token ids

    def layer_input(self, layer: int) -> np.ndarray:
        """What layer ``layer`` reads at each step, (T, D) or (T, H) (2P below a
        bidirectional layer)."""
        return self.x if layer == 0 else self.layer_output(layer - 1)

    def step_times(self, steps: np.ndarray) -> np.ndarray:
        """The time step t of each index ``steps`` of the arrays' time axis: the index
        itself (a pass kept in the order it ran from the last step maps it back)."""
        return steps

    def step(self, layer: int, t: int) -> StepRecord:
        """Views of everything ``layer`` computed at step ``t``."""
        if not 0 <= layer < self.num_layers:
            raise ValueError(f"layer {layer} is out of range for {self.num_layers} layers")
        if not 0 <= t < self.num_steps:
            raise ValueError(f"step {t} is out of range for a sequence of {self.num_steps}")
        common = dict(
            layer=layer,
            t=t,
            x=self.layer_input(layer)[t],
            h_prev=self.h_all[layer, t],
            pre=self.pre[layer, t],
            h=self.h_all[layer, t + 1],
        )
        if self.kind == "rnn":
            return StepRecord(**common)
        if self.kind == "gru":
            assert self.hn is not None
            r, z, n = (self.gate(name)[layer, t] for name in "rzn")
            return StepRecord(**common, r=r, z=z, n=n, hn=self.hn[layer, t])
        assert self.c_all is not None and self.fc is not None and self.ig is not None
        assert self.tanh_c is not None
        i, f, g, o = (self.gate(name)[layer, t] for name in "ifgo")
        return StepRecord(
            **common,
            c_prev=self.c_all[layer, t],
            i=i,
            f=f,
            g=g,
            o=o,
            fc=self.fc[layer, t],
            ig=self.ig[layer, t],
            c=self.c_all[layer, t + 1],
            tanh_c=self.tanh_c[layer, t],
            m=None if self.m is None else self.m[layer, t],
        )


def as_tokens(inputs: np.ndarray | Sequence[str] | Sequence[float]) -> tuple[str, ...] | None:
    """``inputs`` as a tuple of tokens when it is a non-empty sequence of strings, else None."""
    if isinstance(inputs, np.ndarray) or len(inputs) == 0:
        return None
    if all(isinstance(token, str) for token in inputs):
        return tuple(inputs)  # type: ignore[arg-type]
    return None


def token_ids_of(
    network: Network, inputs: np.ndarray | Sequence[str] | Sequence[float]
) -> np.ndarray | None:
    """The (T,) token ids ``inputs`` stand for, or None when they are feature vectors.

    Tokens (strings) go through the vocabulary; a 1-D integer array is taken as ids when
    the network reads tokens (an embedding or a vocabulary). Ids out of range raise.
    """
    tokens = as_tokens(inputs)
    if tokens is not None:
        if network.vocab is None:
            raise ValueError("tokens were given but the network has no vocabulary")
        return network.vocab.indices(tokens)
    count = network.num_tokens
    if count is None or not isinstance(inputs, np.ndarray) or inputs.dtype.kind not in "iu":
        return None
    if inputs.ndim != 1 or inputs.size == 0:
        raise ValueError(f"token ids have shape {inputs.shape}, expected (T,) with T >= 1")
    if inputs.min() < 0 or inputs.max() >= count:
        raise ValueError(
            f"token ids of shape {inputs.shape} hold {inputs.min()}..{inputs.max()}, "
            f"expected 0..{count - 1}"
        )
    return inputs.astype(np.intp)


def encode_inputs(
    network: Network, inputs: np.ndarray | Sequence[str] | Sequence[float]
) -> np.ndarray:
    """The (T, D) input array for ``inputs``, always a new array the trace owns: numbers
    copied into the network's dtype; tokens or token ids as the embedding's rows, or one-hot
    encoded when there is no embedding."""
    ids = token_ids_of(network, inputs)
    x: np.ndarray
    if ids is not None:
        if network.embedding is not None:
            x = network.embedding[ids].astype(network.dtype)  # x_t = E[id_t], (T, D)
        else:
            x = np.zeros((ids.shape[0], network.input_size), network.dtype)
            x[np.arange(ids.shape[0]), ids] = 1.0
    else:
        try:
            x = np.array(inputs, dtype=network.dtype)
        except (TypeError, ValueError) as err:
            raise ValueError(f"inputs x cannot be read as numbers: {err}") from None
        if x.ndim == 1 and network.input_size == 1:
            x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(
            f"inputs x has shape {x.shape}, expected (T, {network.input_size}) with T >= 1"
        )
    check_array("inputs x", x, (x.shape[0], network.input_size))
    return x


def record(
    network: Network,
    inputs: np.ndarray | Sequence[str] | Sequence[float],
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> Trace:
    """Run ``inputs`` through ``network`` and record everything; the trace has the
    network's dtype.

    inputs: (T, D) numbers (T numbers when D = 1), a sequence of tokens when the network
    has a vocabulary, or (T,) integer token ids when it has an embedding or a vocabulary.
    h0, c0: (L, H) initial states, zeros when omitted.
    """
    x = encode_inputs(network, inputs)
    ids = token_ids_of(network, inputs)
    tokens = as_tokens(inputs)
    if tokens is None and ids is not None and network.vocab is not None:
        tokens = tuple(network.vocab.tokens[i] for i in ids)
    trace = Trace.allocate_for(network, x.shape[0], (), x=x, tokens=tokens, token_ids=ids)
    set_initial_state(trace, h0, c0)
    rerun_from(network, trace, 0)
    return trace


def set_initial_state(trace: Trace, h0: np.ndarray | None, c0: np.ndarray | None) -> None:
    """Write h0 (L, P) and c0 (L, H), each None for zeros; the caller reruns from step 0.
    A network with reverse passes starts every pass from zeros: h0 and c0 are refused."""
    if trace.directions and (h0 is not None or c0 is not None):
        raise ValueError(
            "h0 and c0 cannot be given to a network with reverse or bidirectional layers: "
            "every pass starts from zeros"
        )
    for name, value, target in (("h0", h0, trace.h_all), ("c0", c0, trace.c_all)):
        shape = (trace.num_layers, trace.hidden_size if target is None else target.shape[-1])
        if value is None:
            if target is not None:
                target[:, 0] = 0.0
            continue
        if target is None:
            kind = "GRU" if trace.kind == "gru" else "simple RNN"
            raise ValueError(f"c0 was given but a {kind} has no cell state")
        value = np.asarray(value, dtype=target.dtype)
        if value.shape == shape[1:] and shape[0] == 1:
            value = value[None]
        check_array(name, value, shape)
        target[:, 0] = value


def check_network_fits(network: Network, trace: Trace) -> None:
    """Raise ValueError unless ``network`` has the topology ``trace`` was recorded with."""
    recorded = (
        f"{trace.num_layers}-layer {trace.kind} with D={trace.x.shape[1]}, H={trace.hidden_size}"
    )
    given = (
        f"{network.num_layers}-layer {network.kind} with D={network.input_size}, H={network.h_size}"
    )
    if recorded != given:
        raise ValueError(f"the trace is of a {recorded}, the network a {given}")
    directions = tuple(trace.direction(k) for k in range(trace.num_layers))
    if directions != tuple(layer.direction for layer in network.layers):
        raise ValueError(f"the trace's layers ran {', '.join(directions)}, the network's differ")
    if (trace.mask is None) != (network.mask_value is None) or (
        (trace.m is None) != (network.proj_size == 0)
    ):
        raise ValueError("the trace and the network disagree on an input mask or a projection")
    outputs = None if trace.logits is None else trace.logits.shape[1]
    if network.output_size != outputs:
        raise ValueError(
            f"the trace has readout outputs {outputs}, the network {network.output_size}"
        )
    wants_probs = network.readout is not None and network.readout.kind == "softmax"
    if wants_probs != (trace.probs is not None):
        raise ValueError("the trace and the network disagree on whether the readout is a softmax")


def rerun_from(network: Network, trace: Trace, start: int) -> None:
    """Recompute every layer's steps ``start``..T-1 (and the readout) in place.

    Steps before ``start`` are not touched: call this after editing ``trace.x[start]``,
    with ``start=0`` after editing the initial state or any parameter.
    """
    if not 0 <= start < trace.num_steps:
        raise ValueError(f"start {start} is out of range for a sequence of {trace.num_steps}")
    check_network_fits(network, trace)
    if not network.is_plain:
        # The GRU's and the variants' kernels load with the first network that needs
        # them: a plain LSTM's start does not pay for their modules.
        from lstm_sim.engine.variant_trace import rerun_variant_layers

        rerun_readout(network, trace, rerun_variant_layers(network, trace, trace.x, start))
        return
    if network.kind == "gru":
        rerun_gru_layers(network, trace, start)
        rerun_readout(network, trace, start)
        return
    for k, layer in enumerate(network.layers):
        # The input projection goes straight into pre[start:], which the layer's loop
        # reads as it overwrites it: no (T, 4H) buffer beside the trace. Every array is
        # passed from ``start`` on, so the loop's step 0 is step ``start``.
        xw = trace.pre[k, start:]
        project_inputs(layer.weight_ih, trace.layer_input(k), xw, start)
        xw += layer.bias_ih + layer.bias_hh
        if network.kind == "lstm":
            assert trace.c_all is not None and trace.act is not None
            assert trace.fc is not None and trace.ig is not None and trace.tanh_c is not None
            lstm_layer_forward(
                xw,
                layer.weight_hh,
                trace.h_all[k, start:],
                trace.c_all[k, start:],
                xw,
                trace.act[k, start:],
                trace.fc[k, start:],
                trace.ig[k, start:],
                trace.tanh_c[k, start:],
            )
        else:
            rnn_layer_forward(xw, layer.weight_hh, trace.h_all[k, start:], xw, network.nonlinearity)
    rerun_readout(network, trace, start)


def gru_layer(network: Network, k: int) -> GruLayer:
    """Layer ``k`` of a GRU network as the kernels of :mod:`lstm_sim.engine.gru` take it."""
    from lstm_sim.engine.gru import GruLayer, GruParameters

    layer = network.layers[k]
    params = GruParameters(layer.weight_ih, layer.weight_hh, layer.bias_ih, layer.bias_hh)
    return GruLayer(params, reset_after=network.reset_after)


def gru_record(trace: RecordedArrays, inputs: np.ndarray, k: int) -> GruRecord:
    """Layer ``k``'s arrays of a GRU trace (or minibatch cache) as views, no copy."""
    from lstm_sim.engine.gru import GruRecord

    assert trace.act is not None and trace.hn is not None
    return GruRecord(inputs, trace.h_all[k], trace.pre[k], trace.act[k], trace.hn[k])


def rerun_gru_layers(network: Network, trace: Trace, start: int) -> None:
    """Steps ``start``..T-1 of every GRU layer, written into the trace's arrays."""
    from lstm_sim.engine.gru import gru_layer_forward

    for k in range(network.num_layers):
        gru_layer_forward(gru_layer(network, k), gru_record(trace, trace.layer_input(k), k), start)


def rerun_readout(network: Network, trace: Trace, start: int) -> None:
    """Recompute the head and readout of steps ``start``..T-1 from the top layer's h."""
    if network.readout is None:
        return
    assert trace.logits is not None
    readout = network.readout
    # From the start of the block ``start`` falls in: the rows before it come out as
    # they were, and every row gets the bits a whole run gave it (see PRODUCT_BLOCK).
    first = start - start % PRODUCT_BLOCK
    top = trace.layer_output(trace.num_layers - 1)
    for lo in range(first, trace.num_steps, PRODUCT_BLOCK):
        hi = min(lo + PRODUCT_BLOCK, trace.num_steps)
        features = head_forward(network.head, top[lo:hi])[-1]
        np.matmul(features, readout.weight.T, out=trace.logits[lo:hi])
    trace.logits[first:] += readout.bias
    if trace.probs is not None:
        softmax(trace.logits[first:], out=trace.probs[first:])
