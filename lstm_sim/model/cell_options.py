"""What an LSTM or GRU layer does beyond PyTorch's plain cell, in the words the window shows.

The diagram and the equations read one :class:`CellOptions` per layer: whether the gates
peek at the cell state, which gate a coupling derives from the other, the clip bound, and
the name of each activation ("hard σ" for a hard sigmoid), so that what is drawn and what
is written always name the same function. A GRU has the clip and the activations (of r
and z, and of its candidate n); a simple RNN none of them (its function is the network's
``nonlinearity``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lstm_sim.engine.activations import Activation
from lstm_sim.engine.network import Network

_SYMBOLS = {
    "Sigmoid": "σ",
    "Tanh": "tanh",
    "Relu": "relu",
    "HardSigmoid": "hard σ",
    "LeakyRelu": "leaky relu",
    "ThresholdedRelu": "thr. relu",
    "ScaledTanh": "scaled tanh",
    "Affine": "affine",
    "Elu": "elu",
    "Softsign": "softsign",
    "Softplus": "softplus",
}

_DEFINITIONS = {
    "HardSigmoid": "hard σ(a) = clip({alpha:.4g}·a + {beta:.4g}, 0, 1)",
    "LeakyRelu": "leaky relu(a) = a for a ≥ 0, {alpha:.4g}·a below",
    "ThresholdedRelu": "thr. relu(a) = a for a > {alpha:.4g}, 0 otherwise",
    "ScaledTanh": "scaled tanh(a) = {alpha:.4g}·tanh({beta:.4g}·a)",
    "Affine": "affine(a) = {alpha:.4g}·a + {beta:.4g}",
    "Elu": "elu(a) = a for a ≥ 0, {alpha:.4g}·(eᵃ − 1) below",
}
"""The activations whose name alone does not say their constants."""


def activation_symbol(activation: Activation) -> str:
    """The short name the diagram's boxes and the equations use: σ, tanh, hard σ, relu…"""
    return _SYMBOLS[activation.name]


def activation_definition(activation: Activation) -> str | None:
    """One line defining an activation with its constants (each framework's hard sigmoid
    has its own slope), or None when its name says it all."""
    template = _DEFINITIONS.get(activation.name)
    if template is None:
        return None
    return template.format(alpha=activation.alpha, beta=activation.beta)


@dataclass(frozen=True)
class CellOptions:
    """One LSTM layer's options as the window shows them (all defaults: the plain cell).

    ``derived_gate`` is the gate a coupling computes as 1 minus the other ("i" or "f"),
    None without coupling; ``clip`` bounds every gate's pre-activation; ``projection`` is
    P when h_t = W_hr (o_t ⊙ tanh c_t) is P wide.
    """

    peephole: bool = False
    derived_gate: str | None = None
    clip: float | None = None
    gate: str = "σ"
    candidate: str = "tanh"
    cell_output: str = "tanh"
    definitions: tuple[str, ...] = ()
    projection: int | None = None  # P, the width of h_t = W_hr m_t

    @property
    def source_gate(self) -> str | None:
        """The gate the derived one is 1 minus (f for a derived i, i for a derived f)."""
        if self.derived_gate is None:
            return None
        return "f" if self.derived_gate == "i" else "i"

    def function(self, gate: str) -> str:
        """The activation of gate ``gate`` (i, f, g or o; a GRU's r, z or n)."""
        return self.candidate if gate in ("g", "n") else self.gate


def cell_options(network: Network, layer: int) -> CellOptions:
    """The options of ``network``'s layer ``layer`` (the plain cell for a simple RNN)."""
    if network.kind == "rnn":
        return CellOptions()
    spec = network.layers[layer]
    derived = {"none": None, "input_from_forget": "i", "forget_from_input": "f"}[spec.coupling]
    activations = (spec.gate_activation, spec.candidate_activation, spec.cell_activation)
    definitions = []
    for activation in activations:
        definition = activation_definition(activation)
        if definition is not None and definition not in definitions:
            definitions.append(definition)
    return CellOptions(
        peephole=spec.peephole is not None,
        derived_gate=derived,
        clip=spec.clip,
        gate=activation_symbol(spec.gate_activation),
        candidate=activation_symbol(spec.candidate_activation),
        cell_output=activation_symbol(spec.cell_activation),
        definitions=tuple(definitions),
        projection=None if spec.weight_hr is None else int(spec.weight_hr.shape[0]),
    )


def option_caption(options: CellOptions, phase: str) -> str:
    """Sentences to read aloud after a phase's caption, saying what this layer's options
    change in it ("" for the plain cell)."""
    sentences = []
    gates_here = {
        "forget": ("f",),
        "input": ("i", "g"),
        "output": ("o",),
        "reset": ("r",),
        "update": ("z",),
        "candidate": ("n",),
    }.get(phase, ())
    derived = options.derived_gate
    if derived in gates_here:
        source = options.source_gate
        what = "writes exactly what it forgets" if derived == "i" else "forgets what it writes"
        sentences.append(
            f"Coupled gates: this layer {what}, so {derived}_t = 1 - {source}_t is not "
            "computed from weights of its own."
        )
    peeking = [gate for gate in gates_here if gate in ("f", "i", "o") and gate != derived]
    if options.peephole and peeking:
        cell = "the new cell state C_t" if phase == "output" else "the old cell state C_{t-1}"
        sentences.append(f"Through its peephole the gate also looks at {cell}.")
    own_gates = peeking or [gate for gate in gates_here if gate in ("r", "z")]
    if own_gates and options.gate != "σ":
        sentences.append(f"This layer's gates use {options.gate} instead of the sigmoid.")
    if {"g", "n"} & set(gates_here) and options.candidate != "tanh":
        sentences.append(f"Its candidate uses {options.candidate} instead of tanh.")
    if options.clip is not None and gates_here:
        sentences.append(f"The sum each gate squashes is first clipped to ±{options.clip:g}.")
    if phase == "hidden" and options.cell_output != "tanh":
        sentences.append(f"This layer squashes the cell state with {options.cell_output}.")
    if phase == "hidden" and options.projection is not None:
        sentences.append(
            f"Here that result is m_t = o_t ⊙ {options.cell_output} C_t, and a projection "
            f"layer maps it to the {options.projection} numbers of h_t: h_t = W_hr m_t."
        )
    return " ".join(sentences)
