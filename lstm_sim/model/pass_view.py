"""One pass of a network with reverse or bidirectional layers, seen as the window shows it.

The window follows one direction at a time: ``"forward"`` or ``"reverse"``. A layer that
runs one pass only is always shown in that pass; a bidirectional layer in the followed one.
:func:`followed_trace` gives a :class:`~lstm_sim.engine.trace.Trace` whose plain arrays
hold the shown pass of every layer **in time order** (index t is the step that read x_t,
as the recorded ``_reverse`` arrays are kept), so every plot and heatmap reads it as it
reads a forward trace. Only the step's recurrence differs: the reverse pass reads x_t
after x_{t+1}, so its h_{prev} at step t is the state after step t+1 (the zeros it starts
from at t = T-1); :class:`PassTrace` ``step`` says so. :func:`followed_network` gives the
matching weights (a bidirectional layer's reverse pass's own), so the equations split the
shown pre-activations term by term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.engine.pass_order import Pass as Pass  # the model and the window name it here
from lstm_sim.engine.pass_order import direction_passes, pass_index
from lstm_sim.engine.trace import StepRecord, Trace, record

PASS_ARRAYS = ("pre", "act", "fc", "ig", "tanh_c", "hn", "m")
"""The per-step arrays, (L, T, ...), a reverse pass keeps under ``<name>_reverse``."""


def layer_passes(network: Network, layer: int) -> tuple[Pass, ...]:
    """The passes ``layer`` runs, in the order the next layer reads them."""
    return direction_passes(network.layers[layer].direction)


def shown_pass(network: Network, layer: int, followed: Pass) -> Pass:
    """The pass the window shows for ``layer`` while it follows ``followed``."""
    passes = layer_passes(network, layer)
    return followed if followed in passes else passes[0]


def pass_caption(shown: Pass) -> str:
    """One line telling which way the shown pass reads time."""
    if shown == "reverse":
        return "reverse pass: reads x_t after x_{t+1}"
    return "forward pass: reads x_t after x_{t-1}"


@dataclass(kw_only=True)
class PassTrace(Trace):
    """A trace of the shown passes, in time order; ``source`` is the recorded trace.

    For a layer shown in its reverse pass, ``h_all[layer, t + 1]`` (and ``c_all``) is the
    state after the step that read x_t, and ``h_all[layer, 0]`` the zeros the pass starts
    from before x_{T-1}; :meth:`step` gives each step its true previous state.
    """

    source: Trace
    passes: tuple[Pass, ...] = field(default=())

    def layer_input(self, layer: int) -> np.ndarray:
        """What the layer reads, from the recorded trace: below a bidirectional layer the
        concatenation [forward, reverse] the next layer reads."""
        return self.source.layer_input(layer)

    def step(self, layer: int, t: int) -> StepRecord:
        record = super().step(layer, t)
        if self.passes[layer] == "forward":
            return record
        # The reverse pass came to x_t from step t+1, whose state sits at index t+2; the
        # last step starts from the initial state at index 0.
        before = 0 if t == self.num_steps - 1 else t + 2
        h_prev = self.h_all[layer, before]
        c_prev = None if self.c_all is None else self.c_all[layer, before]
        return replace(record, h_prev=h_prev, c_prev=c_prev)


def followed_trace(network: Network, trace: Trace, followed: Pass) -> Trace:
    """``trace`` itself when every layer runs forward only; else a :class:`PassTrace` of
    each layer's shown pass (copies: rebuild it after the trace changes)."""
    if not trace.directions:
        return trace
    passes = tuple(shown_pass(network, k, followed) for k in range(trace.num_layers))
    plain = {f.name: getattr(trace, f.name) for f in fields(Trace) if f.init}
    shown = PassTrace(**plain, source=trace, passes=passes)
    for name in ("h_all", "c_all", *PASS_ARRAYS):
        array = getattr(trace, name)
        if array is None:
            continue
        array = array.copy()
        reverse = getattr(trace, name + "_reverse")
        for k, shown_k in enumerate(passes):
            if shown_k == "forward":
                continue
            if name in ("h_all", "c_all"):
                # Time order with the initial state first: index t+1 after reading x_t.
                array[k, 0] = reverse[k, -1]
                array[k, 1:] = reverse[k, :-1]
            else:
                array[k] = reverse[k]
        setattr(shown, name, array)
    return shown


def followed_network(network: Network, followed: Pass) -> Network:
    """``network`` with each bidirectional layer's shown pass's weights as its own (the
    two passes swapped): the weights the shown trace's pre-activations were made with."""
    if followed == "forward":
        return network
    layers = [
        layer.with_weights(layer.reverse, layer.weights()) if layer.reverse is not None else layer
        for layer in network.layers
    ]
    return replace(network, layers=layers)


def first_step(num_steps: int, shown: Pass) -> int:
    """Where the shown pass starts: step 0 forward, the last step in reverse."""
    return pass_index(num_steps, shown, 0)


def later_step(t: int, shown: Pass) -> int:
    """The step the shown pass computes after ``t`` (may fall outside 0..T-1)."""
    return t - 1 if shown == "reverse" else t + 1


def record_passes(
    network: Network,
    inputs: np.ndarray | Sequence[str],
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> Trace:
    """:func:`~lstm_sim.engine.trace.record`, for a session that carries h0 and c0 along
    with every sequence: a network with reverse passes starts every pass from zeros and
    takes no h0 or c0, so zeros are passed on as None (non-zero values still raise)."""
    if any(layer.direction != "forward" for layer in network.layers):
        h0 = None if h0 is None or not np.any(h0) else h0
        c0 = None if c0 is None or not np.any(c0) else c0
    return record(network, inputs, h0, c0)
