"""``lstm-sim trace --break``: where each condition holds in the recorded run, one line per
(step, layer), on every model the window's breakpoints evaluate.

A model with reverse or bidirectional layers runs two passes. A condition looks at the
pass its prefix names (``reverse: f[0] > 0.9``) or, without one, at every pass its layers
run, as a breakpoint does (:mod:`lstm_sim.model.breakpoints`), and each line names its
pass: ``break: t=8 layer=0 pass=reverse f[0] > 0.9``. Those lines come in the order the
run meets them, as the window's "run to next breakpoint" from the first step finds them:
by step number into a pass (the reverse pass's step t is its step T-1-t), the forward
pass first at equal numbers, then by layer and by condition. A model with forward passes
only prints its lines by step, then layer, then condition, with no pass.

A condition that cannot be evaluated on the model (a pass or layer it lacks, a name the
cell does not have) is refused with the window's message, before any file is written.
"""

from __future__ import annotations

import numpy as np

from lstm_sim.cli import CommandError
from lstm_sim.engine.backprop import Gradients
from lstm_sim.engine.expressions import Expression, ExpressionError, hits
from lstm_sim.engine.pass_order import pass_trace
from lstm_sim.engine.trace import Trace
from lstm_sim.model.breakpoints import PASS_RANK, check_on
from lstm_sim.model.pass_view import Pass


def pass_gradients(
    trace: Trace, grads: Gradients | None
) -> dict[Pass, dict[str, np.ndarray]] | None:
    """Each pass's recorded ``dh`` (and ``dc``) in the order the pass ran, as conditions
    read them (None without ``--grad``)."""
    if grads is None:
        return None
    found: dict[Pass, dict[str, np.ndarray]] = {
        "forward": {"dh": grads.dh} | ({} if grads.dc is None else {"dc": grads.dc})
    }
    if trace.directions and grads.dh_reverse is not None:
        # Kept in time order (see Gradients); a reverse pass's s-th step read x_{T-1-s}.
        reverse = {"dh": np.flip(grads.dh_reverse, 1)}
        if grads.dc_reverse is not None:
            reverse["dc"] = np.flip(grads.dc_reverse, 1)
        found["reverse"] = reverse
    return found


def check_conditions(
    conditions: list[Expression], trace: Trace, grads: Gradients | None
) -> list[tuple[Pass, ...]]:
    """The passes each condition looks at; CommandError naming the first condition that
    cannot be evaluated on ``trace``, with the breakpoint's message."""
    recorded = pass_gradients(trace, grads)
    passes = []
    for condition in conditions:
        try:
            passes.append(check_on(condition, trace, recorded))
        except ExpressionError as err:
            raise CommandError(f"--break {condition.text!r}: {err}") from None
    return passes


def break_lines(
    conditions: list[Expression], trace: Trace, grads: Gradients | None, first_only: bool
) -> list[str]:
    """One ``break:`` line per (step, layer, pass) where a condition holds, in the order the
    run meets them (module docstring); only the first with ``first_only``."""
    recorded = pass_gradients(trace, grads)
    checked = check_conditions(conditions, trace, grads)
    found: list[tuple[int, int, int, int, int, Pass]] = []
    for index, (condition, passes) in enumerate(zip(conditions, checked, strict=True)):
        for shown in passes:
            arrays = pass_trace(trace, shown)
            given = None if recorded is None else recorded.get(shown)
            for hit in hits(condition, arrays, gradients=given):
                # hit.t counts steps into the pass: the order the run meets them.
                t = int(arrays.step_times(np.array(hit.t)))
                found.append((hit.t, PASS_RANK[shown], hit.layer, index, t, shown))
    found.sort()
    lines = []
    for _, _, layer, index, t, shown in found[:1] if first_only else found:
        where = f" pass={shown}" if trace.directions else ""
        lines.append(f"break: t={t} layer={layer}{where} {conditions[index].text}")
    return lines
