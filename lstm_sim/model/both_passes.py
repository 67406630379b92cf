"""Both passes of a bidirectional layer at once, as the plots and heatmaps show them.

The stepper follows one pass (:mod:`lstm_sim.model.pass_view`); the views over time show
the two side by side, each **in time order** (index t is the step that read x_t), so a
column t holds what the next layer reads at t: [h→_t ‖ h←_t].

The two passes take their steps together, as the frameworks run them: after k + 1 steps
the forward pass has read x_0 .. x_k and the reverse pass x_{T-1} .. x_{T-1-k}. So while
one pass is at step t the other is at step T-1-t (:func:`pass_steps`).
"""

from __future__ import annotations

import numpy as np

from lstm_sim.engine.gates import gate_slice
from lstm_sim.engine.network import Network
from lstm_sim.engine.pass_order import pass_index
from lstm_sim.engine.trace import Trace
from lstm_sim.model.pass_view import Pass, layer_passes

PASS_ARROWS: dict[Pass, str] = {"forward": "→", "reverse": "←"}
"""How a title names a pass in one character: the way it walks time."""


def runs_both_ways(network: Network, layer: int) -> bool:
    """Whether ``layer`` is bidirectional: the views show its two passes at once."""
    return len(layer_passes(network, layer)) == 2


def pass_series(trace: Trace, layer: int, shown: Pass, key: str) -> np.ndarray:
    """One pass's ``key`` of ``layer`` in time order, (T, H) (a view, not a copy): ``"h"``,
    ``"c"`` or a gate's name (an LSTM's i f g o, a GRU's r z n). ValueError for another
    key, a pass the layer did not run, or c of a cell without one."""
    if shown not in PASS_ARROWS:
        raise ValueError(f"the passes are 'forward' and 'reverse', not {shown!r}")
    direction = trace.direction(layer)
    if direction != "bidirectional" and direction != shown:
        raise ValueError(f"layer {layer} runs {direction} only: it has no {shown} pass")
    if shown == "forward":
        h, c, act = trace.h, trace.c, trace.act
    else:
        assert trace.h_all_reverse is not None
        # The reverse arrays keep the state after reading x_t at index t (see Trace).
        h = trace.h_all_reverse[:, :-1]
        c = None if trace.c_all_reverse is None else trace.c_all_reverse[:, :-1]
        act = trace.act_reverse
    series: np.ndarray
    if key == "h":
        series = h[layer]
    elif key == "c":
        if c is None:
            raise ValueError(f"a {trace.kind.upper()} has no cell state c")
        series = c[layer]
    elif act is None:
        raise ValueError(f"a {trace.kind.upper()} has no gate {key!r}")
    else:
        series = act[layer, :, gate_slice(key, trace.cell_size, trace.kind)]
    return series


def other_pass(followed: Pass) -> Pass:
    """The pass a bidirectional layer runs beside ``followed``."""
    return "reverse" if followed == "forward" else "forward"


def pass_steps(num_steps: int, followed: Pass, t: int) -> dict[Pass, int]:
    """The step each pass of a bidirectional layer is at while ``followed`` is at ``t``:
    the other pass has taken as many steps from its own end, so it is at T-1-t."""
    if not 0 <= t < num_steps:
        raise ValueError(f"step {t} is outside 0..{num_steps - 1}")
    taken = pass_index(num_steps, followed, t)
    other = other_pass(followed)
    return {followed: t, other: pass_index(num_steps, other, taken)}


def steps_caption(num_steps: int, followed: Pass, t: int) -> str:
    """Where the pass that is not followed is, in words: ``"reverse at t = 8"``."""
    other = other_pass(followed)
    return f"{other} at t = {pass_steps(num_steps, followed, t)[other]}"


def both_steps_caption(num_steps: int, followed: Pass, t: int) -> str:
    """Where both passes are, in words: ``"forward at t = 3 · reverse at t = 8 · step 4
    of 12"`` (the passes' 4th step each)."""
    steps = pass_steps(num_steps, followed, t)
    taken = pass_index(num_steps, followed, t) + 1
    return (
        f"forward at t = {steps['forward']} · reverse at t = {steps['reverse']} · "
        f"step {taken} of {num_steps}"
    )


def output_reader(network: Network, layer: int) -> str:
    """Who reads ``layer``'s output [h→_t ‖ h←_t]: the next layer, the readout, or (the
    last layer of a model without one) the model's caller."""
    if layer + 1 < network.num_layers:
        return f"layer {layer + 1}"
    return "the readout" if network.readout is not None else "the model's output"
