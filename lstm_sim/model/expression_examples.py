"""What the debugger's entry fields suggest, by cell kind: a watch, a breakpoint's condition
and a clamp written with the quantities the model has (a GRU has no f or c to name)."""

from __future__ import annotations

from dataclasses import dataclass

from lstm_sim.engine.expressions import names_for_kind
from lstm_sim.engine.network import Kind


@dataclass(frozen=True)
class Examples:
    watch: str
    condition: str
    clamp: str | None  # None: the engine cannot clamp this kind yet


EXAMPLES: dict[Kind, Examples] = {
    "lstm": Examples(
        "f[3], norm(c) or abs(c - prev.c)[0:4]",
        "f[3] > 0.99 or norm(c) > 10",
        "f[3] = 1 @ 5:10",
    ),
    "gru": Examples(
        "z[3], norm(h) or abs(h - prev.h)[0:4]",
        "z[3] < 0.01 or norm(h) > 3",
        None,
    ),
    "rnn": Examples(
        "h[3], norm(h) or abs(a)[0:4]", "h[3] > 0.99 or norm(h) > 10", "h[7] = 0 @ 5:10"
    ),
}


def watch_placeholder(kind: Kind) -> str:
    return f"expression, e.g. {EXAMPLES[kind].watch} (names: {' '.join(names_for_kind(kind))})"


def condition_placeholder(kind: Kind) -> str:
    return f"condition, e.g. {EXAMPLES[kind].condition}"


def clamp_placeholder(kind: Kind) -> str:
    clamp = EXAMPLES[kind].clamp
    return "clamps on a GRU are not supported yet" if clamp is None else f"clamp, e.g. {clamp}"
