"""Watches, Qt-free: expressions that give a number or a vector per step, evaluated over the
whole trace on the session's selected layer (or the one their ``layer L:`` names), so a
view can show the value at the cursor and the curve over time."""

from __future__ import annotations

import numpy as np
from psygnal import Signal

from lstm_sim.engine.expressions import (
    Expression,
    ExpressionError,
    check_layer,
    evaluate,
    parse_expression,
)
from lstm_sim.engine.pass_order import pass_trace
from lstm_sim.model.pass_view import layer_passes, shown_pass
from lstm_sim.model.session import Session


class Watches:
    """The watched expressions, in order. ``changed`` fires when the list changes or their
    values do (a new trace, layer or followed pass); :meth:`values` is computed once per
    change. A layer with a reverse pass is watched in the pass its text names (``reverse:``)
    or else the one the window shows, its ``prev`` being the step that pass read before."""

    changed = Signal()

    def __init__(self, session: Session) -> None:
        self.session = session
        self.texts: list[str] = []
        self._expressions: list[Expression] = []
        self._values: list[np.ndarray | str] | None = None
        session.network_changed.connect(self._on_values_stale)
        session.trace_changed.connect(self._on_values_stale)
        session.layer_changed.connect(self._on_values_stale)
        session.pass_changed.connect(self._on_values_stale)

    def detach(self) -> None:
        for signal in (
            self.session.network_changed,
            self.session.trace_changed,
            self.session.layer_changed,
            self.session.pass_changed,
        ):
            signal.disconnect(self._on_values_stale)

    def add(self, text: str) -> None:
        """Watch ``text``; ExpressionError (with the column) if it does not parse."""
        self._expressions.append(parse_expression(text.strip()))
        self.texts.append(text.strip())
        self._on_values_stale()

    def remove(self, index: int) -> None:
        del self.texts[index], self._expressions[index]
        self._on_values_stale()

    def replace_all(self, texts: list[str]) -> None:
        expressions = [parse_expression(text.strip()) for text in texts]
        self.texts, self._expressions = [text.strip() for text in texts], expressions
        self._on_values_stale()

    def _on_values_stale(self, *_: object) -> None:
        self._values = None
        self.changed.emit()

    def values(self) -> list[np.ndarray | str]:
        """Per watch, its (T, k) values (k = 1 for a number per step), or the message
        saying why it cannot be evaluated on this trace."""
        if self._values is None:
            session = self.session
            result: list[np.ndarray | str] = []
            for expression in self._expressions:
                layer = session.layer if expression.layer is None else expression.layer
                try:
                    check_layer(layer, session.network.num_layers)
                except ExpressionError as err:
                    result.append(str(err))
                    continue
                # The pass the text names, else the followed one: what the window shows.
                shown = expression.direction or shown_pass(session.network, layer, session.followed)
                if shown not in layer_passes(session.network, layer):
                    result.append(f"layer {layer} has no {shown} pass (column 1)")
                    continue
                try:
                    # Evaluated in the order the pass ran (a reverse pass's prev is step
                    # t+1), then put back in time order.
                    value = evaluate(expression, pass_trace(session.trace, shown), layer)
                    if shown == "reverse":
                        value = np.flip(value, 0)
                    result.append(np.asarray(value, dtype=float))
                except ExpressionError as err:
                    result.append(str(err))
            self._values = result
        return self._values

    def value_text(self, index: int, t: int | None = None) -> str:
        """The watch's value at step ``t`` (the cursor's by default), as a short text."""
        value = self.values()[index]
        if isinstance(value, str):
            return value
        row = value[self.session.t if t is None else t]
        if row.size == 1:
            return f"{float(row[0]):.4g}"
        shown = ", ".join(f"{v:.3g}" for v in row[:6])
        return f"[{shown}{', …' if row.size > 6 else ''}]"
