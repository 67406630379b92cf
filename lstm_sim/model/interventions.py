"""Interventions, Qt-free: the clamps acting on the session's run, edited as undoable
session edits (:meth:`Session.set_clamps`), so Ctrl+Z takes a clamp back like any edit.

The session keeps the run without them (``session.original``) and reruns only from the
first step a change affects; this object adds and removes clamps by their text and says
what they do to the cursor's step.
"""

from __future__ import annotations

from lstm_sim.engine.interventions import CLAMPABLE, Clamp, parse_clamp
from lstm_sim.model.session import Session


class Interventions:
    """A view of ``session.clamps``; every change goes through the session's history."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def clamps(self) -> tuple[Clamp, ...]:
        return self.session.clamps

    def add(self, text: str) -> Clamp:
        """Clamp as ``text`` says (``f[3] = 1 @ 5:10``); ClampError if it does not parse or
        fit the model."""
        clamp = parse_clamp(text)
        self.session.set_clamps((*self.session.clamps, clamp))
        return clamp

    def remove(self, index: int) -> None:
        clamps = list(self.session.clamps)
        del clamps[index]
        self.session.set_clamps(clamps)

    def clear(self) -> None:
        self.session.set_clamps(())

    def acting_at(self, layer: int, t: int) -> tuple[Clamp, ...]:
        """The clamps that act on ``layer`` at step ``t``."""
        steps = self.session.num_steps
        return tuple(c for c in self.clamps if c.layer == layer and t in c.steps(steps))


def clamp_from_here(
    quantity: str, unit: int, value: float, t: int, num_steps: int, layer: int = 0
) -> str:
    """The text of a clamp of ``quantity[unit]`` to ``value`` from step ``t`` to the last
    (``num_steps`` - 1), as the diagram's context menu offers it."""
    prefix = f"layer {layer}: " if layer else ""
    return f"{prefix}{quantity}[{unit}] = {value:g} @ {t}:{max(num_steps, t + 1)}"


def was_values(session: Session) -> list[tuple[str, float, float]]:
    """(quantity, now, was) of the selected unit at the cursor's step and layer for each
    quantity the clamps changed there; empty when no clamp acts or nothing changed."""
    original, unit = session.original, session.unit
    if original is None or unit < 0:
        return []
    now, was = session.trace.step(session.layer, session.t), original.step(session.layer, session.t)
    names = CLAMPABLE[session.network.kind] if session.network.kind != "rnn" else ("h",)
    changed = []
    for name in names:
        a, b = float(getattr(now, name)[unit]), float(getattr(was, name)[unit])
        if a != b and not (a != a and b != b):  # NaN on both sides counts as unchanged
            changed.append((name, a, b))
    return changed
