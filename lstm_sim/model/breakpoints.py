"""Breakpoints, Qt-free: conditions over one step (see :mod:`lstm_sim.engine.expressions`),
each enabled or not and looking at one layer or all, and the search for the next or
previous step where any enabled one holds.

"Break on the first non-finite value" is there, enabled, from the start; it follows the
network's kind (an RNN has no cell state to look at).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from psygnal import Signal

from lstm_sim.engine.expressions import (
    NON_FINITE_LSTM,
    NON_FINITE_RNN,
    Expression,
    ExpressionError,
    HitIndex,
    index_hits,
    next_hit,
    next_indexed_hit,
    parse_expression,
    truth,
)
from lstm_sim.engine.trace import Trace
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
    units that make it hold (empty for a condition on the whole step)."""

    t: int
    layer: int
    text: str
    units: tuple[int, ...]

    def describe(self) -> str:
        units = f", units {', '.join(map(str, self.units[:8]))}" if self.units else ""
        more = "…" if len(self.units) > 8 else ""
        return f"t={self.t} layer {self.layer}: {self.text}{units}{more}"


REVERSE_REFUSAL = "breakpoints do not search models with reverse or bidirectional layers yet"


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


def check_on(expression: Expression, trace: Trace) -> None:
    """ExpressionError if ``expression`` cannot be evaluated on ``trace`` (a name it lacks,
    a layer it does not have, numbers where a truth value is needed): one step of each
    layer it looks at is evaluated."""
    if expression.layer is not None and expression.layer >= trace.num_layers:
        raise ExpressionError(
            f"layer {expression.layer} does not exist: the model has {trace.num_layers} "
            "(layers are numbered from 0) (column 1)"
        )
    layers = range(trace.num_layers) if expression.layer is None else [expression.layer]
    for layer in layers:
        truth(expression, trace, layer, 0, 1)


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
        self.changed.emit()

    # -- searching -------------------------------------------------------------------------
    def _enabled(self) -> list[tuple[Breakpoint, Expression]]:
        """The enabled breakpoints that evaluate on the trace; records the others' errors."""
        self.errors = {}
        result = []
        trace = self.session.trace
        for index, breakpoint in enumerate(self.items):
            if not breakpoint.enabled:
                continue
            if trace.directions:
                # A search runs forward through the forward arrays; a reverse pass's steps
                # run the other way, so such a model is refused rather than half searched.
                self.errors[index] = REVERSE_REFUSAL
                continue
            try:
                expression = compile_breakpoint(breakpoint)
                check_on(expression, trace)
            except ExpressionError as err:
                self.errors[index] = str(err)
                continue
            result.append((breakpoint, expression))
        return result

    def _fresh_index(self) -> HitIndex:
        """Where each enabled breakpoint holds: evaluated over every step once per edit of
        the list, and from the first recomputed step on when the trace changes."""
        trace = self.session.trace
        if self._index is None:
            self._indexed = self._enabled()
            self._index = index_hits([expression for _, expression in self._indexed], trace)
        elif self._changed_from is not None:
            self._index = self._index.refreshed(trace, self._changed_from)
        self._changed_from = None
        return self._index

    def hit_steps(self) -> np.ndarray:
        """Every step where an enabled breakpoint holds, ascending (what the plots mark)."""
        return self._fresh_index().every

    def find(self, backward: bool = False, after: int | None = None) -> BreakHit | None:
        """The nearest step after ``after`` (the cursor's step by default; before it,
        ``backward``) where an enabled breakpoint holds; None when none does. The cursor
        does not move."""
        session = self.session
        after = session.t if after is None else after
        if self._index is not None:
            # The plots asked for every hit already: a binary search finds the step.
            index = self._fresh_index()
            enabled = self._indexed
            found = next_indexed_hit(index, session.trace, after, backward=backward)
        else:
            # Nothing evaluated yet: search outward from the cursor, chunk by chunk.
            enabled = self._enabled()
            expressions = [expression for _, expression in enabled]
            found = next_hit(expressions, session.trace, after, backward=backward)
        if found is None:
            return None
        hit, expression = found
        text = next(b.text for b, e in enabled if e is expression)
        return BreakHit(hit.t, hit.layer, text, hit.units)

    def find_at(self, t: int) -> BreakHit | None:
        """What holds at step ``t`` (None: no enabled breakpoint does)."""
        hit = self.find(after=t - 1)
        return hit if hit is not None and hit.t == t else None

    def run_to(self, backward: bool = False) -> BreakHit | None:
        """Move the cursor to the first phase of the next (previous) step where an enabled
        breakpoint holds, select its layer and first holding unit, and return the hit;
        None (the cursor stays) when there is none."""
        hit = self.find(backward)
        if hit is None:
            return None
        session = self.session
        session.select_layer(hit.layer)
        if hit.units:
            session.select_unit(hit.units[0])
        session.seek(hit.t, 0)
        return hit
