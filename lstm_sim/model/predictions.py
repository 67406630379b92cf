"""What a model's head predicts, in words the Predictions dock shows: Qt-free, so the
CLI, tests and any view agree on it.

- **tokens**: the outputs line up with the model's vocabulary (a language model); the
  dock ranks the next tokens. A linear readout's logits are ranked through a softmax.
- **classes**: a softmax readout without a vocabulary for its outputs; the dock ranks
  class indices by probability at each step.
- **values**: a linear readout (a regression, or logits a state_dict cannot tell from
  one); the dock plots every output over time.
- **none**: no readout, with the reader's reason when it left a head out.

A target is drawn beside the outputs only when targets were given, or when the model
declares itself a next-step predictor (its metadata ``predicts`` is ``"next input"``, as
for the shipped sine and simple-RNN scenarios): never "the next input" by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from lstm_sim.engine.network import Network

PredictionKind = Literal["tokens", "classes", "values", "none"]
NEXT_INPUT: Final = "next input"
NEXT_INPUT_SCENARIOS = ("sine", "simple-rnn")
"""The shipped scenarios trained to predict their next input (their files predate the
``predicts`` metadata key)."""


@dataclass(frozen=True)
class PredictionsDescription:
    kind: PredictionKind
    title: str
    """One line saying what the head is and what is shown."""
    target: Literal["next input", "given", "none"]
    """What the outputs are compared with."""
    softmax_of_logits: bool = False
    """True when probabilities are a softmax the dock takes of a linear readout's logits."""


def predicts_next_input(network: Network) -> bool:
    """Whether the model says it was trained to predict its next input."""
    metadata = network.metadata
    return (
        metadata.get("predicts") == NEXT_INPUT or metadata.get("scenario") in NEXT_INPUT_SCENARIOS
    )


def _why_no_readout(network: Network) -> str:
    reasons = [note for note in network.notes if note.startswith("no readout")]
    if reasons:
        return "; ".join(reasons)
    return "This model has no readout: its output is h of the last layer."


def describe_predictions(
    network: Network, *, targets_given: bool = False
) -> PredictionsDescription:
    """How the Predictions dock presents ``network``'s readout."""
    readout = network.readout
    if readout is None:
        return PredictionsDescription("none", _why_no_readout(network), "none")
    outputs = network.output_size
    head = "" if not network.head else f" after a {len(network.head)}-stage head"
    vocab_outputs = network.vocab is not None and len(network.vocab) == outputs
    if vocab_outputs or (readout.kind == "linear" and outputs == network.num_tokens):
        from_logits = readout.kind == "linear"
        how = " (softmax of its logits)" if from_logits else ""
        return PredictionsDescription(
            "tokens",
            f"Language-model readout{head}: the most probable next tokens{how}",
            "none",
            softmax_of_logits=from_logits,
        )
    if readout.kind == "softmax":
        return PredictionsDescription(
            "classes", f"Classifier head{head} over {outputs} classes: top classes per step", "none"
        )
    target: Literal["next input", "given", "none"] = "none"
    if targets_given:
        target = "given"
    elif predicts_next_input(network) and outputs == network.input_size:
        target = NEXT_INPUT
    return PredictionsDescription(
        "values", f"Linear readout{head}: all {outputs} output(s) over time", target
    )
