"""The phases of one time step, in the order the simulator walks through them.

Each phase names the quantities it computes, so a view can tell what is already known
at a cursor (t, phase) and what is still empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from lstm_sim.engine.network import Kind


@dataclass(frozen=True)
class Phase:
    key: str
    title: str
    computes: tuple[str, ...]  # names of StepRecord fields that this phase fills
    caption: str  # one sentence a lecturer can read aloud


LSTM_PHASES: tuple[Phase, ...] = (
    Phase(
        "arrive",
        "Inputs arrive",
        ("x", "h_prev", "c_prev"),
        "The new input x_t joins the previous hidden state h_{t-1}; every gate below reads "
        "this pair, while the old cell state C_{t-1} waits on the belt above.",
    ),
    Phase(
        "forget",
        "Forget gate",
        ("f",),
        "A sigmoid layer looks at h_{t-1} and x_t and gives each cell unit a number between "
        "0 (wipe it) and 1 (keep it as it is).",
    ),
    Phase(
        "input",
        "Input gate and candidate",
        ("i", "g"),
        "A tanh layer proposes new values between -1 and 1, and a second sigmoid decides "
        "how much of each proposal may be written.",
    ),
    Phase(
        "cell",
        "Cell update",
        ("fc", "ig", "c"),
        "The belt moves on: the old cell state is scaled by the forget gate, then the "
        "gated proposals are added to it.",
    ),
    Phase(
        "output",
        "Output gate",
        ("o",),
        "A third sigmoid decides which parts of the memory should show in this step's output.",
    ),
    Phase(
        "hidden",
        "Hidden state",
        ("tanh_c", "h"),
        "The cell state is squashed by tanh and filtered by the output gate; the result "
        "h_t is this step's output and the next step's h_{t-1}.",
    ),
)

RNN_PHASES: tuple[Phase, ...] = (
    Phase(
        "arrive",
        "Inputs arrive",
        ("x", "h_prev"),
        "The new input x_t joins the hidden state h_{t-1} fed back from the step before.",
    ),
    Phase(
        "hidden",
        "Hidden state",
        ("pre", "h"),
        "One tanh layer mixes them into the new hidden state h_t, which is both the output "
        "and what the next step remembers.",
    ),
)


GRU_PHASES: tuple[Phase, ...] = (
    Phase(
        "arrive",
        "Inputs arrive",
        ("x", "h_prev"),
        "The new input x_t joins the previous hidden state h_{t-1}; a GRU has no separate "
        "cell state, so h_{t-1} is all the memory it carries.",
    ),
    Phase(
        "reset",
        "Reset gate",
        ("r",),
        "A sigmoid layer looks at h_{t-1} and x_t and decides, unit by unit, how much of "
        "the old memory the new proposal may see: 0 hides it, 1 shows all of it.",
    ),
    Phase(
        "update",
        "Update gate",
        ("z",),
        "A second sigmoid decides how much of each unit to keep: 1 keeps h_{t-1} as it "
        "is, 0 replaces it with the new proposal.",
    ),
    Phase(
        "candidate",
        "Candidate",
        ("hn", "n"),
        "A tanh layer proposes new values between -1 and 1 from x_t and the part of "
        "h_{t-1} the reset gate lets through.",
    ),
    Phase(
        "hidden",
        "Hidden state",
        ("h",),
        "The new hidden state slides between the old one and the proposal: h_t is z times "
        "h_{t-1} plus (1 - z) times the candidate, this step's output and the next step's "
        "memory.",
    ),
)

_PHASES: dict[str, tuple[Phase, ...]] = {"lstm": LSTM_PHASES, "gru": GRU_PHASES, "rnn": RNN_PHASES}


def phases_for(kind: Kind) -> tuple[Phase, ...]:
    """The phases of one step of a ``kind`` network."""
    return _PHASES[kind]


def computed_fields(kind: Kind, phase: int) -> frozenset[str]:
    """The StepRecord fields known once ``phase`` of a step has run."""
    done: set[str] = set()
    for p in phases_for(kind)[: phase + 1]:
        done.update(p.computes)
    if kind == "lstm" and phase >= 1:
        # Every gate's pre-activation is ready as soon as the first gate runs.
        done.add("pre")
    if kind == "gru" and "n" in done:
        # a_n reads r, so a GRU's pre-activations are complete with the candidate.
        done.add("pre")
    return frozenset(done)
