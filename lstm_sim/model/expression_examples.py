"""What the debugger's entry fields suggest, by cell kind: a watch, a breakpoint's condition
and a clamp written with the quantities the model has (a GRU has no f or c to name)."""

from __future__ import annotations

from dataclasses import dataclass

from lstm_sim.engine.expressions import names_for_kind
from lstm_sim.engine.network import Kind, Network


@dataclass(frozen=True)
class Examples:
    watch: str
    condition: str
    clamp: str


EXAMPLES: dict[Kind, Examples] = {
    "lstm": Examples(
        "f[3], norm(c) or abs(c - prev.c)[0:4]",
        "f[3] > 0.99 or norm(c) > 10",
        "f[3] = 1 @ 5:10",
    ),
    "gru": Examples(
        "z[3], norm(h) or abs(h - prev.h)[0:4]",
        "z[3] < 0.01 or norm(h) > 3",
        "z[3] = 1 @ 5:10",
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
    return f"clamp, e.g. {EXAMPLES[kind].clamp}"


def pass_hint(network: Network) -> str:
    """What a placeholder adds for a model with reverse passes: an expression without a
    pass prefix looks at both passes (a watch: the shown one)."""
    if all(layer.direction == "forward" for layer in network.layers):
        return ""
    return "; 'reverse:' or 'forward:' for one pass"
