"""What-if runs: clamp or shift a quantity of some units over a range of steps, inside the
cell, and let everything downstream follow.

A clamp is written ``[layer L:] QUANTITY[UNITS] OP VALUE @ STEPS``: ``f[3] = 1 @ 5:10``,
``h[7] = 0 @ all``, ``i = 0 @ 12``, ``layer 1: c[2] += 0.5 @ 4``. QUANTITY is one of
``i f g o c h`` for an LSTM, ``r z n h`` for a GRU, ``a h`` for a simple RNN; UNITS is
``[u]``, ``[a:b]`` or absent for every unit; OP is ``=``, ``+=`` or ``*=``; STEPS is
``t``, ``a:b`` (half-open) or ``all``. Without a layer part a clamp acts on layer 0.

A clamp acts where the quantity is computed: a clamped forget gate is the f that
multiplies c_{t-1}, so c_t, h_t, every later step and every layer above follow from it.
The recorded pre-activations stay what the cell computed before the clamp, except a GRU's
a_n: it is computed after the reset gate, so a clamped r changes it (and W_hn (r ⊙ h_{t-1})
+ b_hn in the reset-before convention) and the candidate n with it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from lstm_sim.engine.activations import clipped
from lstm_sim.engine.blocked_products import project_inputs
from lstm_sim.engine.cells import lstm_layer_forward, rnn_layer_forward, sigmoid
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import (
    Trace,
    check_network_fits,
    gru_layer,
    gru_record,
    rerun_from,
    rerun_readout,
)

if TYPE_CHECKING:
    from lstm_sim.engine.gru import GruLayer, GruRecord

Operation = Literal["=", "+=", "*="]

LSTM_CLAMPABLE = ("i", "f", "g", "o", "c", "h")
GRU_CLAMPABLE = ("r", "z", "n", "h")
RNN_CLAMPABLE = ("a", "h")
CLAMPABLE = {"lstm": LSTM_CLAMPABLE, "gru": GRU_CLAMPABLE, "rnn": RNN_CLAMPABLE}

_SPEC = (  # a pattern, compiled (and cached by re) with the first clamp, not at import
    r"""\s*(?:layer\s+(?P<layer>\d+)\s*:\s*)?
    (?P<quantity>[a-z_]+)\s*
    (?:\[\s*(?P<units>-?\d+\s*(?::\s*-?\d*)?|:\s*-?\d*)\s*\])?\s*
    (?P<op>\+=|\*=|=)\s*
    (?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*
    @\s*(?P<steps>all|\d+\s*(?::\s*\d+)?)\s*$"""
)


class ClampError(ValueError):
    """A clamp that cannot be parsed or does not fit the model."""


@dataclass(frozen=True)
class Clamp:
    """One intervention: ``quantity[units] op value`` on ``layer`` at steps start..stop-1."""

    text: str
    layer: int
    quantity: str
    units: slice
    op: Operation
    value: float
    start: int
    stop: int | None
    """None: to the end of the sequence (``@ all``)."""

    def steps(self, num_steps: int) -> range:
        stop = num_steps if self.stop is None else min(self.stop, num_steps)
        return range(min(self.start, num_steps), stop)

    def apply(self, values: np.ndarray) -> None:
        """Clamp the units of ``values`` (one step's (H,) vector) in place."""
        chosen = values[self.units]
        if self.op == "=":
            chosen[...] = self.value
        elif self.op == "+=":
            chosen += self.value
        else:
            chosen *= self.value
        values[self.units] = chosen


def parse_clamp(text: str) -> Clamp:
    """``text`` as a :class:`Clamp`; ClampError says what did not fit the syntax."""
    if len(text) > 200:
        raise ClampError("a clamp has at most 200 characters")
    match = re.match(_SPEC, text, re.VERBOSE)
    if match is None:
        raise ClampError(
            f"'{text}' is not a clamp: expected [layer L:] QUANTITY[UNITS] OP VALUE @ STEPS, "
            "as in 'f[3] = 1 @ 5:10' or 'h[7] = 0 @ all'"
        )
    quantity = match["quantity"]
    if quantity not in (*LSTM_CLAMPABLE, *GRU_CLAMPABLE, *RNN_CLAMPABLE):
        raise ClampError(
            f"'{quantity}' cannot be clamped: expected one of {', '.join(LSTM_CLAMPABLE)} "
            f"(LSTM), {', '.join(GRU_CLAMPABLE)} (GRU) or {', '.join(RNN_CLAMPABLE)} (RNN)"
        )
    units = slice(None)
    if match["units"] is not None:
        parts = [p.strip() for p in match["units"].split(":")]
        if len(parts) == 1:
            unit = int(parts[0])
            units = slice(unit, unit + 1 if unit != -1 else None)
        else:
            units = slice(int(parts[0]) if parts[0] else None, int(parts[1]) if parts[1] else None)
    steps = match["steps"]
    if steps == "all":
        start, stop = 0, None
    elif ":" in steps:
        start, stop = (int(p) for p in steps.split(":"))
        if stop <= start:
            raise ClampError(f"the steps {start}:{stop} are empty: write a:b with a < b")
    else:
        start = int(steps)
        stop = start + 1
    value = float(match["value"])
    if not np.isfinite(value):
        raise ClampError(f"the clamp value {match['value']} is not a finite number")
    return Clamp(
        text=text.strip(),
        layer=int(match["layer"] or 0),
        quantity=quantity,
        units=units,
        op=match["op"],  # type: ignore[arg-type]
        value=value,
        start=start,
        stop=stop,
    )


def check_clamps(network: Network, clamps: Sequence[Clamp]) -> None:
    """ClampError naming the first clamp that does not fit ``network``."""
    if clamps and not network.is_plain:
        raise ClampError(
            f"'{clamps[0].text}': clamps are not supported on this model yet "
            f"({network.variants()[0]}); record it without --clamp"
        )
    allowed = CLAMPABLE[network.kind]
    hidden = network.hidden_size
    for clamp in clamps:
        if clamp.quantity not in allowed:
            raise ClampError(
                f"'{clamp.text}': a {network.kind.upper()} has no clamp on '{clamp.quantity}'; "
                f"expected one of {', '.join(allowed)}"
            )
        if clamp.layer >= network.num_layers:
            raise ClampError(
                f"'{clamp.text}': layer {clamp.layer} does not exist in a "
                f"{network.num_layers}-layer model (layers are numbered from 0)"
            )
        if len(range(hidden)[clamp.units]) == 0:
            raise ClampError(f"'{clamp.text}': its units pick none of the model's {hidden}")


def copy_trace(trace: Trace) -> Trace:
    """A trace with its own copies of every array, to run a what-if beside the original."""
    return copy.deepcopy(trace)


def first_affected_step(clamps: Sequence[Clamp], num_steps: int) -> int | None:
    """The earliest step any clamp changes; None when none acts within the sequence."""
    starts = [clamp.start for clamp in clamps if len(clamp.steps(num_steps))]
    return min(starts) if starts else None


def rerun_with_clamps(
    network: Network,
    trace: Trace,
    clamps: Sequence[Clamp],
    start: int,
    first_layer: int = 0,
) -> None:
    """Recompute steps ``start``..T-1 of every layer from ``first_layer`` up (and the
    readout) in place, with ``clamps`` applied inside the cell; steps before ``start`` and
    the layers below ``first_layer`` (which a change of clamps on higher layers does not
    reach) are not touched.

    Stretches of a layer that no clamp touches run in the engine's fused loop; a clamped
    step runs there too and then recomputes what follows the clamped quantity.
    """
    check_network_fits(network, trace)
    check_clamps(network, clamps)
    steps = trace.num_steps
    if not 0 <= start < steps:
        raise ValueError(f"start {start} is out of range for a sequence of {steps}")
    if not 0 <= first_layer < network.num_layers:
        raise ValueError(f"layer {first_layer} is out of range for {network.num_layers} layers")
    if not network.is_plain:  # without clamps: check_clamps refuses them on a variant
        rerun_from(network, trace, start)
        return
    if network.kind == "gru":
        for k in range(first_layer, network.num_layers):
            _rerun_gru_layer(network, trace, k, [c for c in clamps if c.layer == k], start)
        rerun_readout(network, trace, start)
        return
    for k, layer in enumerate(network.layers):
        if k < first_layer:
            continue
        # Steps start..T-1 only: a clamp near the end of a long run allocates what it reruns.
        xw = np.empty((steps - start, layer.bias_ih.shape[0]), trace.x.dtype)
        project_inputs(layer.weight_ih, trace.layer_input(k), xw, start)
        xw += layer.bias_ih + layer.bias_hh
        mine = [clamp for clamp in clamps if clamp.layer == k]
        clamped = np.zeros(steps, bool)
        for clamp in mine:
            clamped[clamp.steps(steps)] = True
        # W_hh^T for the clamped steps, transposed once rather than once per step.
        w_hh_t = np.ascontiguousarray(layer.weight_hh.T) if clamped[start:].any() else None
        t = start
        while t < steps:
            # The longest stretch from t on that is all clamped or all free.
            change = np.flatnonzero(clamped[t:] != clamped[t])
            stop = steps if change.size == 0 else t + int(change[0])
            if not clamped[t]:
                _run_layer(network, trace, k, xw, start, t, stop)
            else:
                assert w_hh_t is not None
                for step in range(t, stop):
                    active = [c for c in mine if step in c.steps(steps)]
                    _clamped_step(network, trace, k, xw[step - start], w_hh_t, step, active)
            t = stop
    rerun_readout(network, trace, start)  # a head too, exactly as an unclamped run


def _run_layer(
    network: Network, trace: Trace, k: int, xw: np.ndarray, offset: int, start: int, stop: int
) -> None:
    """Steps start..stop-1 of layer ``k`` through the engine's own loop; ``xw`` holds the
    input projections of the steps from ``offset`` on. The trace's arrays are handed from
    ``offset`` on and cut at ``stop``, so the loop ends there."""
    weight_hh = network.layers[k].weight_hh
    first, last = start - offset, stop - offset
    if network.kind == "rnn":
        rnn_layer_forward(
            xw[:last],
            weight_hh,
            trace.h_all[k, offset : stop + 1],
            trace.pre[k, offset:stop],
            network.nonlinearity,
            first,
        )
        return
    assert trace.c_all is not None and trace.act is not None and trace.fc is not None
    assert trace.ig is not None and trace.tanh_c is not None
    lstm_layer_forward(
        xw[:last],
        weight_hh,
        trace.h_all[k, offset : stop + 1],
        trace.c_all[k, offset : stop + 1],
        trace.pre[k, offset:stop],
        trace.act[k, offset:stop],
        trace.fc[k, offset:stop],
        trace.ig[k, offset:stop],
        trace.tanh_c[k, offset:stop],
        first,
    )


def _clamped_step(
    network: Network,
    trace: Trace,
    k: int,
    xw_t: np.ndarray,
    w_hh_t: np.ndarray,
    t: int,
    active: Sequence[Clamp],
) -> None:
    """Step ``t`` of layer ``k`` written out one equation per line, then clamped by
    ``active``: a clamped step is a step of its own, not worth the fused loop's set-up."""
    a = trace.pre[k, t]
    np.dot(trace.h_all[k, t], w_hh_t, out=a)
    a += xw_t  # a_t = W_ih x_t + b_ih + b_hh + W_hh h_{t-1}
    h = trace.h_all[k, t + 1]
    if network.kind == "rnn":
        if network.nonlinearity == "relu":
            np.maximum(a, 0.0, out=h)  # h_t = relu(a_t)
        else:
            np.tanh(a, out=h)  # h_t = tanh(a_t)
    else:
        assert trace.act is not None and trace.c_all is not None and trace.fc is not None
        assert trace.ig is not None and trace.tanh_c is not None
        a_i, a_f, a_g, a_o = np.split(a, 4)  # views of the blocks i, f, g, o
        i, f, g, o = np.split(trace.act[k, t], 4)
        sigmoid(a_i, out=i)
        sigmoid(a_f, out=f)
        np.tanh(a_g, out=g)
        sigmoid(a_o, out=o)
        np.multiply(f, trace.c_all[k, t], out=trace.fc[k, t])  # f ⊙ c_{t-1}
        np.multiply(i, g, out=trace.ig[k, t])  # i ⊙ g
        np.add(trace.fc[k, t], trace.ig[k, t], out=trace.c_all[k, t + 1])
        np.tanh(trace.c_all[k, t + 1], out=trace.tanh_c[k, t])
        np.multiply(o, trace.tanh_c[k, t], out=h)  # h_t = o ⊙ tanh(c_t)
    _apply_at(network, trace, k, t, active)


def _apply_at(network: Network, trace: Trace, k: int, t: int, active: Sequence[Clamp]) -> None:
    """Apply ``active`` clamps to layer ``k``'s step ``t`` and recompute what follows each
    clamped quantity, in the order the step computes them."""
    h = trace.h_all[k, t + 1]
    if network.kind == "rnn":
        a = trace.pre[k, t]
        for clamp in (c for c in active if c.quantity == "a"):
            clamp.apply(a)
            if network.nonlinearity == "relu":
                np.maximum(a, 0.0, out=h)  # h_t = relu(a_t)
            else:
                np.tanh(a, out=h)  # h_t = tanh(a_t)
        for clamp in (c for c in active if c.quantity == "h"):
            clamp.apply(h)
        return
    assert trace.c_all is not None and trace.fc is not None and trace.ig is not None
    assert trace.tanh_c is not None
    i, f, g, o = (trace.gate(name)[k, t] for name in "ifgo")
    c_prev, c = trace.c_all[k, t], trace.c_all[k, t + 1]
    fc, ig, tanh_c = trace.fc[k, t], trace.ig[k, t], trace.tanh_c[k, t]
    gates = {"i": i, "f": f, "g": g, "o": o}
    for clamp in (c for c in active if c.quantity in gates):
        clamp.apply(gates[clamp.quantity])
    if any(clamp.quantity in "ifg" for clamp in active):
        np.multiply(f, c_prev, out=fc)  # f ⊙ c_{t-1}
        np.multiply(i, g, out=ig)  # i ⊙ g
        np.add(fc, ig, out=c)  # c_t = f⊙c_{t-1} + i⊙g
    for clamp in (c for c in active if c.quantity == "c"):
        clamp.apply(c)
    np.tanh(c, out=tanh_c)
    np.multiply(o, tanh_c, out=h)  # h_t = o ⊙ tanh(c_t)
    for clamp in (c for c in active if c.quantity == "h"):
        clamp.apply(h)


def _rerun_gru_layer(
    network: Network, trace: Trace, k: int, mine: Sequence[Clamp], start: int
) -> None:
    """Steps ``start``..T-1 of GRU layer ``k`` with its clamps ``mine``: the input terms of
    every step at once (in blocks from step 0, as a whole run makes them), the GRU's own
    loop over free stretches, and a clamped step through that loop and then
    :func:`_apply_gru_clamps`."""
    from lstm_sim.engine.gru import gru_recurrence  # loaded with the first GRU, as in trace.py

    layer, steps = gru_layer(network, k), trace.num_steps
    run = gru_record(trace, trace.layer_input(k), k)
    dtype = run.x.dtype
    project_inputs(layer.params.weight_ih.astype(dtype, copy=False), run.x, run.pre[start:], start)
    run.pre[start:] += layer.params.bias_ih.astype(dtype, copy=False)  # W_ih x_t + b_ih
    clamped = np.zeros(steps, bool)
    for clamp in mine:
        clamped[clamp.steps(steps)] = True
    t = start
    while t < steps:
        if clamped[t]:
            inputs_t = run.pre[t].copy()  # a clamped r recomputes a_n from these
            gru_recurrence(layer, run, t, t + 1)
            _apply_gru_clamps(layer, run, t, inputs_t, [c for c in mine if t in c.steps(steps)])
            t += 1
            continue
        change = np.flatnonzero(clamped[t:])
        stop = steps if change.size == 0 else t + int(change[0])
        gru_recurrence(layer, run, t, stop)
        t = stop


def _apply_gru_clamps(
    layer: GruLayer, run: GruRecord, t: int, inputs_t: np.ndarray, active: Sequence[Clamp]
) -> None:
    """Apply ``active`` clamps to step ``t`` of a GRU layer the loop has just computed and
    recompute what follows each clamped quantity, in the order the step computes them:
    r, then the candidate's pre-activation and n, then z, then h. ``inputs_t`` is the step's
    W_ih x_t + b_ih."""
    hidden = layer.hidden_size
    cand = slice(2 * hidden, 3 * hidden)
    act, h_prev, h = run.act[t], run.h[t], run.h[t + 1]
    r, z, n = act[:hidden], act[hidden : 2 * hidden], act[cand]
    a_n = run.pre[t, cand]
    reset = [c for c in active if c.quantity == "r"]
    for clamp in reset:
        clamp.apply(r)
    if reset:
        if not layer.reset_after:  # W_hn (r ⊙ h_{t-1}) + b_hn
            params = layer.params
            weight_hn = np.ascontiguousarray(params.weight_hh[cand].T.astype(h.dtype))
            run.hn[t] = (r * h_prev) @ weight_hn + params.bias_hh[cand].astype(h.dtype)
            np.add(inputs_t[cand], run.hn[t], out=a_n)
        else:
            np.add(inputs_t[cand], r * run.hn[t], out=a_n)  # r ⊙ (W_hn h_{t-1} + b_hn)
        n[...] = layer.candidate(clipped(a_n, layer.clip))
    for clamp in (c for c in active if c.quantity == "n"):
        clamp.apply(n)
    updates = [c for c in active if c.quantity == "z"]
    for clamp in updates:
        clamp.apply(z)
    if any(c.quantity in "rzn" for c in active):
        h[...] = n + z * (h_prev - n)  # the loop's own form, so unclamped units keep its bits
        for clamp in updates:
            # n + z (h_{t-1} - n) can round away from h_{t-1} at z = 1; the interpolation
            # (1 - z) n + z h_{t-1} keeps h_{t-1} exactly there (and n at z = 0), so a
            # clamped update gate does exactly what it says.
            u = clamp.units
            h[u] = (1 - z[u]) * n[u] + z[u] * h_prev[u]
    for clamp in (c for c in active if c.quantity == "h"):
        clamp.apply(h)


def intervened(network: Network, trace: Trace, clamps: Sequence[Clamp]) -> Trace:
    """A new trace: ``trace``'s run with ``clamps`` applied, computed from the first step
    they affect (earlier steps are copies of the original's)."""
    result = copy_trace(trace)
    first = first_affected_step(clamps, trace.num_steps)
    if first is not None:
        rerun_with_clamps(network, result, clamps, first, lowest_layer(clamps))
    return result


def lowest_layer(clamps: Sequence[Clamp]) -> int:
    """The lowest layer ``clamps`` act on: the layers below it run as without them."""
    return min((clamp.layer for clamp in clamps), default=0)
