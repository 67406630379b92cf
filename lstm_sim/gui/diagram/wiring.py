"""What each part of the diagram means: which quantity a wire carries, which phase of
the step computes a node or a strip, and in what order a phase's values flow.

A phase's flow runs in stages: its inputs travel first (stage 0), then what it computed
travels on towards the next node; a strip fills when the stage that carries its value
ends. Phases come from :mod:`lstm_sim.model.phases`, the single list of what each phase
computes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from lstm_sim.engine.network import Kind
from lstm_sim.model.phases import phases_for

Scale = Literal["gate", "signed"]


@dataclass(frozen=True)
class Wire:
    """A line in the diagram; during ``phase`` the values of ``carries`` flow along it."""

    name: str
    carries: tuple[str, ...]  # StepRecord fields, concatenated as the vector moves
    phase: str
    stage: int


@dataclass(frozen=True)
class Quantity:
    """A vector shown as a strip of cells: a StepRecord field, its label, its scale."""

    field: str
    label: str  # rich text, subscripts as <sub>
    scale: Scale
    stage: int  # the stage of its phase's flow after which the strip is filled


@dataclass(frozen=True)
class Wiring:
    kind: Kind
    wires: tuple[Wire, ...]
    quantities: tuple[Quantity, ...]
    node_phases: dict[str, str]  # node name -> key of the phase that computes it
    node_captions: dict[str, str]  # node name -> rich text saying what the node is
    # What wires carry that the trace does not record: products derived for display
    # (:mod:`lstm_sim.model.gru_terms`).
    derived: tuple[Quantity, ...] = ()
    # Strips a phase shows beyond what :mod:`lstm_sim.model.phases` lists: field -> phase
    # (an LSTM projection's m_t, computed in the hidden-state phase).
    extra_phases: tuple[tuple[str, str], ...] = ()

    def phase_index(self, key: str) -> int:
        """Position of phase ``key`` in the step, 0 for the first."""
        return [p.key for p in phases_for(self.kind)].index(key)

    def quantity_phase(self, field: str) -> str:
        """Key of the phase that computes StepRecord field ``field``."""
        for extra, key in self.extra_phases:
            if extra == field:
                return key
        for phase in phases_for(self.kind):
            if field in phase.computes:
                return phase.key
        raise ValueError(f"no {self.kind} phase computes {field!r}")

    def stage_count(self, phase_key: str) -> int:
        """How many stages the flow of ``phase_key`` has (at least 1)."""
        stages = [w.stage for w in self.wires if w.phase == phase_key]
        return max(stages, default=0) + 1

    def quantity(self, field: str) -> Quantity:
        """A strip's quantity, or a product the wires carry (``derived``)."""
        for quantity in (*self.quantities, *self.derived):
            if quantity.field == field:
                return quantity
        raise ValueError(f"the {self.kind} diagram shows no quantity {field!r}")


_INPUTS = ("h_prev", "x")

LSTM_WIRING = Wiring(
    kind="lstm",
    wires=(
        Wire("c_prev", ("c_prev",), "arrive", 0),
        Wire("h_prev", ("h_prev",), "arrive", 0),
        Wire("x", ("x",), "arrive", 0),
        Wire("bus_f", _INPUTS, "forget", 0),
        Wire("f", ("f",), "forget", 1),
        Wire("bus_i", _INPUTS, "input", 0),
        Wire("bus_g", _INPUTS, "input", 0),
        Wire("i", ("i",), "input", 1),
        Wire("g", ("g",), "input", 1),
        Wire("fc", ("fc",), "cell", 0),
        Wire("ig", ("ig",), "cell", 0),
        Wire("c", ("c",), "cell", 1),
        Wire("c_out", ("c",), "cell", 1),
        Wire("bus_o", _INPUTS, "output", 0),
        Wire("o", ("o",), "output", 1),
        Wire("c_to_tanh", ("c",), "hidden", 0),
        Wire("tanh_c", ("tanh_c",), "hidden", 1),
        Wire("h", ("h",), "hidden", 2),
        Wire("h_out", ("h",), "hidden", 2),
        Wire("h_up", ("h",), "hidden", 2),
    ),
    quantities=(
        Quantity("c_prev", "C<sub>t−1</sub>", "signed", 0),
        Quantity("h_prev", "h<sub>t−1</sub>", "signed", 0),
        Quantity("x", "x<sub>t</sub>", "signed", 0),
        Quantity("f", "f<sub>t</sub>", "gate", 1),
        Quantity("i", "i<sub>t</sub>", "gate", 1),
        Quantity("g", "g<sub>t</sub>", "signed", 1),
        Quantity("fc", "f<sub>t</sub> ⊙ C<sub>t−1</sub>", "signed", 0),
        Quantity("ig", "i<sub>t</sub> ⊙ g<sub>t</sub>", "signed", 0),
        Quantity("c", "C<sub>t</sub>", "signed", 1),
        Quantity("o", "o<sub>t</sub>", "gate", 1),
        Quantity("tanh_c", "tanh C<sub>t</sub>", "signed", 1),
        Quantity("h", "h<sub>t</sub>", "signed", 2),
    ),
    node_phases={
        "forget_layer": "forget",
        "input_layer": "input",
        "candidate_layer": "input",
        "forget_mul": "cell",
        "input_mul": "cell",
        "cell_add": "cell",
        "output_layer": "output",
        "cell_tanh": "hidden",
        "output_mul": "hidden",
    },
    node_captions={
        "forget_layer": "forget gate",
        "input_layer": "input gate",
        "candidate_layer": "candidate",
        "output_layer": "output gate",
    },
)

RNN_WIRING = Wiring(
    kind="rnn",
    wires=(
        Wire("h_prev", ("h_prev",), "arrive", 0),
        Wire("x", ("x",), "arrive", 0),
        Wire("bus", _INPUTS, "hidden", 0),
        Wire("h", ("h",), "hidden", 1),
        Wire("h_up", ("h",), "hidden", 2),
        Wire("loop", ("h",), "hidden", 2),
    ),
    quantities=(
        Quantity("h_prev", "h<sub>t−1</sub>", "signed", 0),
        Quantity("x", "x<sub>t</sub>", "signed", 0),
        Quantity("pre", "a<sub>t</sub>", "signed", 0),
        Quantity("h", "h<sub>t</sub>", "signed", 1),
    ),
    node_phases={"rnn_layer": "hidden"},
    node_captions={
        "rnn_layer": (
            "h<sub>t</sub> = tanh(W<sub>ih</sub> x<sub>t</sub> + "
            "W<sub>hh</sub> h<sub>t−1</sub> + b)"
        )
    },
)


def gru_wiring(reset_after: bool = True) -> Wiring:
    """The GRU's wiring. The candidate's flow runs h_{t-1} into the branch, then through
    the branch's two nodes in the convention's order (the recurrent layer W_hn·+b_hn then
    the reset ×, or the × then the layer), then n up to the mix."""
    hn_stage, reset_stage = (1, 2) if reset_after else (2, 1)
    reset_term = (
        "r<sub>t</sub> ⊙ (W<sub>hn</sub> h<sub>t−1</sub> + b<sub>hn</sub>)"
        if reset_after
        else "r<sub>t</sub> ⊙ h<sub>t−1</sub>"
    )
    recurrent_term = (
        "hn<sub>t</sub> = W<sub>hn</sub> (r<sub>t</sub> ⊙ h<sub>t−1</sub>) + b<sub>hn</sub>"
    )
    return Wiring(
        kind="gru",
        wires=(
            Wire("h_prev", ("h_prev",), "arrive", 0),
            Wire("x", ("x",), "arrive", 0),
            Wire("h_down", ("h_prev",), "arrive", 0),
            Wire("bus_r", _INPUTS, "reset", 0),
            Wire("r", ("r",), "reset", 1),
            Wire("bus_z", _INPUTS, "update", 0),
            Wire("z", ("z",), "update", 1),
            Wire("z_to_one", ("z",), "update", 1),
            Wire("h_reset", ("h_prev",), "candidate", 0),
            Wire("bus_n", ("x",), "candidate", 0),
            Wire("hn", ("hn",), "candidate", hn_stage),
            Wire("reset", ("reset",), "candidate", reset_stage),
            Wire("n", ("n",), "candidate", 3),
            Wire("h_keep", ("h_prev",), "hidden", 0),
            Wire("one_minus_z", ("one_minus_z",), "hidden", 0),
            Wire("keep", ("keep",), "hidden", 1),
            Wire("mix", ("mix",), "hidden", 1),
            Wire("h", ("h",), "hidden", 2),
            Wire("h_out", ("h",), "hidden", 2),
            Wire("h_up", ("h",), "hidden", 2),
        ),
        quantities=(
            Quantity("h_prev", "h<sub>t−1</sub>", "signed", 0),
            Quantity("x", "x<sub>t</sub>", "signed", 0),
            Quantity("r", "r<sub>t</sub>", "gate", 1),
            Quantity("z", "z<sub>t</sub>", "gate", 1),
            Quantity("hn", "hn<sub>t</sub>", "signed", hn_stage),
            Quantity("n", "n<sub>t</sub>", "signed", 3),
            Quantity("h", "h<sub>t</sub>", "signed", 2),
        ),
        node_phases={
            "reset_layer": "reset",
            "update_layer": "update",
            "hn_layer": "candidate",
            "reset_mul": "candidate",
            "candidate_layer": "candidate",
            "one_minus": "hidden",
            "keep_mul": "hidden",
            "mix_mul": "hidden",
            "hidden_add": "hidden",
        },
        node_captions={
            "reset_layer": "reset gate",
            "update_layer": "update gate",
            "candidate_layer": "candidate",
            # The formula of the reset branch, on the node where it ends.
            ("reset_mul" if reset_after else "hn_layer"): (
                reset_term if reset_after else recurrent_term
            ),
            "keep": "z<sub>t</sub> ⊙ h<sub>t−1</sub>: what is kept",
            "mix_mul": "(1 − z<sub>t</sub>) ⊙ n<sub>t</sub>",
        },
        derived=(
            Quantity("reset", reset_term, "signed", reset_stage),
            Quantity("one_minus_z", "1 − z<sub>t</sub>", "gate", 0),
            Quantity("keep", "z<sub>t</sub> ⊙ h<sub>t−1</sub>", "signed", 1),
            Quantity("mix", "(1 − z<sub>t</sub>) ⊙ n<sub>t</sub>", "signed", 1),
        ),
    )


def wiring_for(kind: Kind, nonlinearity: str = "tanh", reset_after: bool = True) -> Wiring:
    """The wiring of a ``kind`` network's diagram; a simple RNN names its nonlinearity, a
    GRU its reset convention."""
    if kind not in ("lstm", "rnn", "gru"):
        raise ValueError(f"kind must be 'lstm', 'gru' or 'rnn', got {kind!r}")
    if kind == "lstm":
        return LSTM_WIRING
    if kind == "gru":
        return gru_wiring(reset_after)
    if nonlinearity == "relu":
        caption = RNN_WIRING.node_captions["rnn_layer"].replace("tanh(", "ReLU(")
        return replace(RNN_WIRING, node_captions={"rnn_layer": caption})
    return RNN_WIRING


PREVIOUS = "t−1"
"""The index the labels give the state a step reads: the step before, in a forward pass."""


def relabelled(wiring: Wiring, previous: str) -> Wiring:
    """``wiring`` with its labels naming the state a step reads ``previous`` (``"t+1"``
    in a reverse pass, which comes to step t from step t+1)."""
    if previous == PREVIOUS:
        return wiring

    def label(quantity: Quantity) -> Quantity:
        return replace(quantity, label=quantity.label.replace(PREVIOUS, previous))

    return replace(
        wiring,
        quantities=tuple(label(q) for q in wiring.quantities),
        derived=tuple(label(q) for q in wiring.derived),
        node_captions={
            name: html.replace(PREVIOUS, previous) for name, html in wiring.node_captions.items()
        },
    )
