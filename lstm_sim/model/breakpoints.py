"""Breakpoints, Qt-free: conditions over one step (see :mod:`lstm_sim.engine.expressions`),
each enabled or not and looking at one layer or all, and the search for the next or
previous step where any enabled one holds.

A model with reverse or bidirectional layers runs two passes. A condition looks at the
pass its prefix names (``reverse: f[0] > 0.9``) or, without one, at both; each pass is
searched in the order it ran (:mod:`lstm_sim.engine.pass_order`), and the hit says which
pass and its t. "Next" counts steps into a pass: the forward pass's step t and the reverse
pass's step T-1-t are both its step number t or T-1-t, and at equal step numbers the
forward pass comes first; the search starts from the cursor's step in the pass the window
shows.

"Break on the first non-finite value" is there, enabled, from the start; it follows the
network's kind (an RNN has no cell state to look at).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from psygnal import Signal

from lstm_sim.engine.expressions import (
    NON_FINITE_LSTM,
    NON_FINITE_RNN,
    Expression,
    ExpressionError,
    HitIndex,
    check_layer,
    hit_steps,
    hits,
    index_hits,
    layers_looked_at,
    next_hit,
    next_indexed_hit,
    parse_expression,
    truth,
)
from lstm_sim.engine.pass_order import (
    layer_passes_of,
    model_passes,
    pass_index,
    pass_trace,
)
from lstm_sim.engine.trace import Trace
from lstm_sim.model.both_passes import pass_steps, runs_both_ways
from lstm_sim.model.pass_view import Pass
from lstm_sim.model.session import Session

NON_FINITE_TEXTS = (NON_FINITE_LSTM, NON_FINITE_RNN)


@dataclass(frozen=True)
class Breakpoint:
    """A condition's text, whether it is on, and the layer it looks at (None: every layer,
    or the one its own ``layer L:`` prefix names)."""

    text: str
    enabled: bool = True
    layer: int | None = None


@dataclass(frozen=True)
class BreakHit:
    """Where a search stopped: the step, the layer, the condition that holds there and the
    units that make it hold (empty for a condition on the whole step); ``pass_`` is the
    pass it holds in, for a model with reverse passes (None without)."""

    t: int
    layer: int
    text: str
    units: tuple[int, ...]
    pass_: Pass | None = None

    def describe(self) -> str:
        units = f", units {', '.join(map(str, self.units[:8]))}" if self.units else ""
        more = "…" if len(self.units) > 8 else ""
        where = f"layer {self.layer}" + ("" if self.pass_ is None else f" {self.pass_} pass")
        return f"t={self.t} {where}: {self.text}{units}{more}"


PASS_RANK: dict[Pass, int] = {"forward": 0, "reverse": 1}
"""At equal step numbers the forward pass's step comes first."""


def compile_breakpoint(breakpoint: Breakpoint) -> Expression:
    """The breakpoint's expression, its layer chooser applied; ExpressionError (with the
    column) if the text does not parse or names a layer twice."""
    expression = parse_expression(breakpoint.text)
    if breakpoint.layer is None:
        return expression
    if expression.layer is not None and expression.layer != breakpoint.layer:
        raise ExpressionError(
            f"the text says layer {expression.layer} but the breakpoint is set on layer "
            f"{breakpoint.layer} (column 1)"
        )
    return replace(expression, layer=breakpoint.layer)


def check_on(
    expression: Expression,
    trace: Trace,
    gradients: Mapping[Pass, dict[str, np.ndarray]] | None = None,
) -> tuple[Pass, ...]:
    """The passes of ``trace`` that ``expression`` looks at; ExpressionError if it cannot be
    evaluated there (a name it lacks, a layer or pass the model does not have, numbers
    where a truth value is needed): one step of each layer it looks at is evaluated.
    ``gradients``: each pass's recorded ``dh``/``dc`` in the order it ran (``lstm-sim trace
    --grad``), so a condition on them checks."""
    if expression.layer is not None:
        # Before the layer's passes are looked up; layers_looked_at would say the same.
        check_layer(expression.layer, trace.num_layers)
    named = expression.direction
    if named is not None:
        passes: tuple[Pass, ...] = ("reverse",) if named == "reverse" else ("forward",)
    elif expression.layer is not None:
        passes = layer_passes_of(trace, expression.layer)
    else:
        passes = model_passes(trace)
    for shown in passes:
        # A model without reverse passes has no reverse arrays: on its forward ones
        # layers_looked_at refuses a 'reverse:' prefix.
        arrays = pass_trace(trace, shown) if trace.directions else trace
        recorded = None if gradients is None else gradients.get(shown)
        for layer in layers_looked_at(expression, arrays):
            truth(expression, arrays, layer, 0, 1, recorded)
    return passes


class Breakpoints:
    """The session's breakpoints, in order. ``changed`` fires on every edit of the list;
    ``errors`` maps the index of a breakpoint that cannot be evaluated on this session's
    trace to its one-line message (such a breakpoint is skipped by the search)."""

    changed = Signal()

    def __init__(self, session: Session) -> None:
        self.session = session
        self.items: list[Breakpoint] = [Breakpoint(self._non_finite_text())]
        self._indexed: list[tuple[Breakpoint, Expression]] = []
        self._index: HitIndex | None = None
        self._changed_from: int | None = None
        """The trace was recomputed from this step on since ``_index`` was made."""
        self._pass_steps: np.ndarray | None = None
        """With reverse passes: the steps where any holds, until the list or trace changes."""
        self.errors: dict[int, str] = {}
        session.network_changed.connect(self._on_network_changed)
        session.trace_changed.connect(self._on_trace_changed)

    def detach(self) -> None:
        self.session.network_changed.disconnect(self._on_network_changed)
        self.session.trace_changed.disconnect(self._on_trace_changed)

    def _non_finite_text(self) -> str:
        return NON_FINITE_LSTM if self.session.network.kind == "lstm" else NON_FINITE_RNN

    # -- editing ---------------------------------------------------------------------------
    def add(self, text: str, layer: int | None = None, enabled: bool = True) -> None:
        """Append a breakpoint; ExpressionError (with the column) if it does not parse."""
        breakpoint = Breakpoint(text.strip(), enabled, layer)
        compile_breakpoint(breakpoint)
        self.items.append(breakpoint)
        self._edited()

    def edit(self, index: int, text: str, layer: int | None) -> None:
        """Replace the text and layer of breakpoint ``index`` (it stays enabled or not)."""
        breakpoint = replace(self.items[index], text=text.strip(), layer=layer)
        compile_breakpoint(breakpoint)
        self.items[index] = breakpoint
        self._edited()

    def set_enabled(self, index: int, enabled: bool) -> None:
        if self.items[index].enabled != bool(enabled):
            self.items[index] = replace(self.items[index], enabled=bool(enabled))
            self._edited()

    def remove(self, index: int) -> None:
        del self.items[index]
        self._edited()

    def replace_all(self, items: list[Breakpoint]) -> None:
        """Make ``items`` the list (a saved session's); each must parse."""
        for breakpoint in items:
            compile_breakpoint(breakpoint)
        self.items = list(items)
        self._edited()

    def _edited(self) -> None:
        self._index = None
        self._pass_steps = None
        self.changed.emit()

    # -- following the session --------------------------------------------------------------
    def _on_network_changed(self) -> None:
        # The default condition follows the network's kind.
        wanted = self._non_finite_text()
        self.items = [
            replace(b, text=wanted) if b.text in NON_FINITE_TEXTS else b for b in self.items
        ]
        self._edited()

    def _on_trace_changed(self, start: int) -> None:
        if self._changed_from is None or start < self._changed_from:
            self._changed_from = start
        # A rerun from any step may change every step of a reverse pass.
        self._pass_steps = None
        self.changed.emit()

    # -- searching -------------------------------------------------------------------------
    def _enabled(self) -> list[tuple[Breakpoint, Expression, tuple[Pass, ...]]]:
        """The enabled breakpoints that evaluate on the trace, with the passes each looks
        at; records the others' errors."""
        self.errors = {}
        result = []
        trace = self.session.trace
        for index, breakpoint in enumerate(self.items):
            if not breakpoint.enabled:
                continue
            try:
                expression = compile_breakpoint(breakpoint)
                passes = check_on(expression, trace)
            except ExpressionError as err:
                self.errors[index] = str(err)
                continue
            result.append((breakpoint, expression, passes))
        return result

    def _fresh_index(self) -> HitIndex:
        """Where each enabled breakpoint holds: evaluated over every step once per edit of
        the list, and from the first recomputed step on when the trace changes."""
        trace = self.session.trace
        if self._index is None:
            self._indexed = [(b, e) for b, e, _ in self._enabled()]
            self._index = index_hits([expression for _, expression in self._indexed], trace)
        elif self._changed_from is not None:
            self._index = self._index.refreshed(trace, self._changed_from)
        self._changed_from = None
        return self._index

    def _by_pass(self) -> dict[Pass, list[tuple[str, Expression]]]:
        """For a model with reverse passes: each pass's enabled conditions, by text."""
        found: dict[Pass, list[tuple[str, Expression]]] = {}
        for breakpoint, expression, passes in self._enabled():
            for shown in passes:
                found.setdefault(shown, []).append((breakpoint.text, expression))
        return found

    def hit_steps(self) -> np.ndarray:
        """Every step where an enabled breakpoint holds, ascending (what the plots mark):
        in either pass of a model with reverse passes."""
        trace = self.session.trace
        if not trace.directions:
            return self._fresh_index().every
        if self._pass_steps is None:
            found = [np.zeros(0, np.intp)]
            for shown, entries in self._by_pass().items():
                arrays = pass_trace(trace, shown)
                found += [arrays.step_times(hit_steps(e, arrays)) for _, e in entries]
            self._pass_steps = np.unique(np.concatenate(found))
        return self._pass_steps

    def find(self, backward: bool = False, after: int | None = None) -> BreakHit | None:
        """The nearest step after ``after`` (the cursor's step by default; before it,
        ``backward``) where an enabled breakpoint holds; None when none does. The cursor
        does not move. With reverse passes, "after" counts steps into a pass (module
        docstring)."""
        session = self.session
        after = session.t if after is None else after
        if session.trace.directions:
            return self._find_in_passes(after, backward)
        if self._index is not None:
            # The plots asked for every hit already: a binary search finds the step.
            index = self._fresh_index()
            enabled = self._indexed
            found = next_indexed_hit(index, session.trace, after, backward=backward)
        else:
            # Nothing evaluated yet: search outward from the cursor, chunk by chunk.
            enabled = [(b, e) for b, e, _ in self._enabled()]
            expressions = [expression for _, expression in enabled]
            found = next_hit(expressions, session.trace, after, backward=backward)
        if found is None:
            return None
        hit, expression = found
        text = next(b.text for b, e in enabled if e is expression)
        return BreakHit(hit.t, hit.layer, text, hit.units)

    def _find_in_passes(self, after: int, backward: bool) -> BreakHit | None:
        """:meth:`find` over both passes: the nearest (step number, pass) past the cursor's
        in the pass the window shows."""
        session, trace = self.session, self.session.trace
        steps, followed = trace.num_steps, session.shown_pass
        cursor = (pass_index(steps, followed, after), PASS_RANK[followed])
        best: tuple[tuple[int, int], BreakHit] | None = None
        for shown, entries in self._by_pass().items():
            rank = PASS_RANK[shown]
            # Past the cursor's (step, pass): at its step number only in a later pass.
            if backward:
                bound = cursor[0] + 1 if rank < cursor[1] else cursor[0]
            else:
                bound = cursor[0] - 1 if rank > cursor[1] else cursor[0]
            arrays = pass_trace(trace, shown)
            found = next_hit([e for _, e in entries], arrays, bound, backward=backward)
            if found is None:
                continue
            hit, expression = found
            key = (hit.t, rank)
            if best is None or (key > best[0] if backward else key < best[0]):
                text = next(text for text, e in entries if e is expression)
                t = int(arrays.step_times(np.array(hit.t)))
                best = (key, BreakHit(t, hit.layer, text, hit.units, shown))
        return None if best is None else best[1]

    def find_at(self, t: int) -> BreakHit | None:
        """What holds at step ``t`` (None: no enabled breakpoint does); with reverse passes
        the shown pass's hit first."""
        trace = self.session.trace
        if not trace.directions:
            hit = self.find(after=t - 1)
            return hit if hit is not None and hit.t == t else None
        by_pass = self._by_pass()
        followed = self.session.shown_pass
        for shown in sorted(by_pass, key=lambda p: p != followed):
            hit = self._hit_in_pass(by_pass[shown], shown, t)
            if hit is not None:
                return hit
        return None

    def find_playing(self, t: int) -> BreakHit | None:
        """What playback stops for when the shown pass reaches step ``t`` (None: nothing
        holds). With reverse passes the two passes take their steps together, so the other
        pass is then at its own step T-1-t (:func:`~lstm_sim.model.both_passes.pass_steps`)
        and is checked there, not at t; the shown pass's hit first."""
        trace = self.session.trace
        if not trace.directions:
            return self.find_at(t)
        by_pass = self._by_pass()
        for shown, step in pass_steps(trace.num_steps, self.session.shown_pass, t).items():
            hit = self._hit_in_pass(by_pass.get(shown, []), shown, step)
            if hit is not None:
                return hit
        return None

    def _hit_in_pass(
        self, entries: list[tuple[str, Expression]], shown: Pass, t: int
    ) -> BreakHit | None:
        """The first of ``entries`` that holds in the pass ``shown`` at time step ``t``."""
        trace = self.session.trace
        arrays = pass_trace(trace, shown)
        at = pass_index(trace.num_steps, shown, t)
        for text, expression in entries:
            for found in hits(expression, arrays, at, at + 1):
                return BreakHit(t, found.layer, text, found.units, shown)
        return None

    def run_to(self, backward: bool = False) -> BreakHit | None:
        """Move the cursor to the first phase of the next (previous) step where an enabled
        breakpoint holds, in the pass it holds in, select its layer and first holding unit,
        and return the hit; None (the cursor stays) when there is none."""
        hit = self.find(backward)
        if hit is not None:
            self.go_to(hit)
        return hit

    def go_to(self, hit: BreakHit) -> None:
        """Show ``hit``: its layer, its first holding unit and the first phase of its step, in
        its pass. Only a bidirectional layer's hit changes the followed pass (which every
        bidirectional layer shows); a layer that runs one pass shows it whatever is
        followed."""
        session = self.session
        if hit.pass_ is not None and runs_both_ways(session.network, hit.layer):
            session.follow(hit.pass_)
        session.select_layer(hit.layer)
        if hit.units:
            session.select_unit(hit.units[0])
        session.seek(hit.t, 0)
