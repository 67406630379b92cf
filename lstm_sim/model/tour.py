"""The lecture tour: the lecture's points in its order, each a stop that says what to open,
where to put the cursor, what to light up and what to say.

A stop names a scenario (or the code reader) and the phase to show; its step and unit
are found in the opened model's own run by a rule (the step where the named unit's
forget gate is lowest, the first pronoun after it, ...), so a retrained model is toured
at the steps where *it* does the thing, not at numbers written down for another one.
Nothing here imports Qt; the window's tour controller applies a stop to the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace

View = Literal["cell", "unrolled", "gradient", "code-reader"]
StepRule = Callable[[Trace, int], int]
"""(the opened run, the unit) -> the step to show."""

PRONOUNS = frozenset({"he", "she", "his", "her", "him", "hers"})


def first_step(trace: Trace, unit: int) -> int:
    return 0


def deepest_forget(trace: Trace, unit: int) -> int:
    """Where the unit's forget gate is lowest (after the first step, whose c_{t-1} is 0):
    the model wiping what the unit held."""
    f = trace.gate("f")[0, 1:, unit]
    return 1 + int(np.argmin(f))


def widest_open_forget(trace: Trace, unit: int) -> int:
    """Where the unit's forget gate is nearest 1 and its write smallest: the belt carrying
    the cell state through unchanged."""
    f, i, g = (trace.gate(name)[0, 1:, unit] for name in "fig")
    return 1 + int(np.argmax(f - np.abs(i * g)))


def before_first_pronoun(trace: Trace, unit: int) -> int:
    """The step just before the first pronoun after the deepest forget: the model
    predicts the next token, so this is where the stored gender must reach h to pick
    "he" or "she" (the deepest forget itself when no pronoun follows)."""
    start = deepest_forget(trace, unit)
    tokens = trace.tokens or ()
    later = [t for t in range(start + 1, len(tokens)) if tokens[t] in PRONOUNS]
    return later[0] - 1 if later else start


def last_step(trace: Trace, unit: int) -> int:
    return trace.num_steps - 1


MIN_RUN = 3
"""Characters a string or comment must span to be shown: not an empty '' or a lone #."""


def inside(pattern: str) -> StepRule:
    """For a character model of code: a quarter into the first string literal or comment
    (``pattern`` ``in_string`` or ``in_comment``) of at least :data:`MIN_RUN` characters
    in the text it read, where the unit that tracks it should be lit (and near enough to
    its start that the quote or the hash shows beside it); the first step when the text
    has none."""

    def rule(trace: Trace, unit: int) -> int:
        from lstm_sim.model.scenarios.python_code import label_source

        tokens = trace.tokens or ()
        if len(tokens) != trace.num_steps or any(len(token) != 1 for token in tokens):
            return 0  # not one character per step: no text to label
        labels = np.asarray(label_source("".join(tokens))[pattern], dtype=bool)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], labels.astype(np.int8), [0]))))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            if stop - start >= MIN_RUN:
                return int(start + max(1, (stop - start) // 4))
        return 0

    return rule


@dataclass(frozen=True)
class Stop:
    """One stop of the tour."""

    key: str
    """What ``lstm-sim --tour KEY`` names."""
    title: str
    opens: str
    """The scenario to open (``code-reader`` for the code reader)."""
    view: View
    phase: str
    """The phase to show, by key (``arrive``, ``forget``, ``input``, ``cell``, ...)."""
    highlight: tuple[str, ...]
    """Diagram parts to light up: ``belt``, ``forget``, ``input``, ``candidate``,
    ``output``, ``hidden``, ``recurrence``."""
    narration: str
    step: StepRule = first_step
    unit_pattern: str | None = None
    """For the code reader: which named unit (``in_string``, ``in_comment``, ``indent``)."""

    def locate(self, network: Network, trace: Trace) -> tuple[int, int | None]:
        """(step, unit) of this stop in the opened model's run: the unit its metadata names
        and the step its rule finds for it; (0, None) when the model names no such unit,
        which the tour then says instead of showing an arbitrary one."""
        unit = named_unit(network, self.unit_pattern)
        if unit is None:
            return 0, None
        return self.step(trace, unit), unit


def named_unit(network: Network, pattern: str | None = None) -> int | None:
    """The unit a model's metadata names: ``unit`` for a scenario model, the entry of
    ``units`` with ``pattern`` for the code reader; None when it names none."""
    if pattern is None:
        candidates: list[object] = [network.metadata.get("unit")]
    else:
        import json  # only the code reader's models list units: not loaded at every start

        try:
            units = json.loads(network.metadata.get("units", "[]"))
        except json.JSONDecodeError:
            units = []
        candidates = [
            entry.get("unit")
            for entry in (units if isinstance(units, list) else [])
            if isinstance(entry, dict) and entry.get("pattern") == pattern
        ]
    for value in candidates:
        if isinstance(value, int | str) and str(value).isdigit():
            unit = int(value)
            if unit < network.hidden_size:
                return unit
    return None


STOPS: tuple[Stop, ...] = (
    Stop(
        "rnn",
        "A simple RNN",
        "simple-rnn",
        "cell",
        "hidden",
        ("recurrence", "hidden"),
        "Before any gates: one tanh layer reads the new input together with its own "
        "previous output. That fed-back h is the network's only memory, and here it is "
        "already enough to guess where a noisy wave goes next.",
    ),
    Stop(
        "rnn-unrolled",
        "The RNN unrolled in time",
        "simple-rnn",
        "unrolled",
        "hidden",
        ("recurrence",),
        "Drawn once per step, the loop becomes a chain of copies of the same cell, each "
        "handing its h to the next. Training sends the error back along this chain, "
        "through every copy in turn.",
        step=lambda trace, unit: min(3, trace.num_steps - 1),
    ),
    Stop(
        "vanishing",
        "The vanishing gradient",
        "long-lag",
        "gradient",
        "hidden",
        (),
        "Both networks must recall the first symbol fifty steps later. The plot shows how "
        "much of the error signal survives each step back in time: for the RNN it fades "
        "towards nothing, for the LSTM it stays.",
        step=last_step,
    ),
    Stop(
        "lstm",
        "Four layers, two states",
        "subject-gender",
        "cell",
        "arrive",
        ("forget", "input", "candidate", "output"),
        "The LSTM keeps two vectors: the cell state on the belt at the top, and the hidden "
        "state it shows to the world at the bottom. Four small layers, three sigmoids and "
        "one tanh, decide what happens to them at every step.",
    ),
    Stop(
        "belt",
        "The conveyor belt",
        "subject-gender",
        "cell",
        "cell",
        ("belt",),
        "Along the top runs the cell state. At this step the forget gate of the watched "
        "unit is close to one and almost nothing is written, so its value rides through "
        "the step unchanged.",
        step=widest_open_forget,
    ),
    Stop(
        "forget",
        "The forget gate",
        "subject-gender",
        "cell",
        "forget",
        ("forget",),
        "A new person has just been named. The forget gate of the unit that holds the "
        "last subject's gender drops towards zero, and the old value is wiped from the "
        "belt.",
        step=deepest_forget,
    ),
    Stop(
        "input",
        "Input gate and candidate",
        "subject-gender",
        "cell",
        "input",
        ("input", "candidate"),
        "The tanh layer proposes a value for the new person, positive for one gender and "
        "negative for the other. The input gate decides how much of that proposal may be "
        "written.",
        step=deepest_forget,
    ),
    Stop(
        "update",
        "The cell update",
        "subject-gender",
        "cell",
        "cell",
        ("belt", "forget", "input"),
        "First the belt is multiplied by the forget gate, then the gated proposal is "
        "added: c = f * c_prev + i * g. The unit now carries the new subject's gender.",
        step=deepest_forget,
    ),
    Stop(
        "output",
        "The output gate",
        "subject-gender",
        "cell",
        "output",
        ("output", "hidden"),
        "A pronoun comes next. The output gate is open on the unit, so the stored gender, "
        "squashed by tanh, reaches h, and the readout can choose between he and she. The "
        "gate decides, unit by unit, how much of the memory shows in the output.",
        step=before_first_pronoun,
    ),
    Stop(
        "gender",
        "The gender example, end to end",
        "subject-gender",
        "cell",
        "hidden",
        ("belt", "forget", "input", "output"),
        "Forget when a new person appears, store at the name, read before the pronoun: step "
        "through the story and watch the same unit do all three. Its value on the belt "
        "flips sign with each new subject.",
        step=before_first_pronoun,
    ),
    Stop(
        "quotes",
        "A cell that knows it is inside a string",
        "code-reader",
        "code-reader",
        "hidden",
        (),
        "A character-level model read Python's standard library. Colour the code by unit "
        "156 and it lights up between quotes, in code it never read too. Unit 156 was shaped "
        "by an auxiliary training signal: after training, a loss pulled it up inside "
        "strings and down outside them.",
        step=inside("in_string"),
        unit_pattern="in_string",
    ),
    Stop(
        "comments",
        "A cell for comments",
        "code-reader",
        "code-reader",
        "hidden",
        (),
        "Another unit switches on at a hash sign and off at the end of the line. It "
        "tracks comments, and keeps the prose of comments apart from docstrings. Unit 82 was "
        "shaped the same way: an auxiliary training signal pulled it up inside comments.",
        step=inside("in_comment"),
        unit_pattern="in_comment",
    ),
    Stop(
        "indentation",
        "A cell for indentation",
        "code-reader",
        "code-reader",
        "hidden",
        (),
        "Unit 210 follows how deeply each line is indented: colour the code by its hidden "
        "state and the colour moves a step with every level of a block, and steps back as "
        "the code returns. Like the string and comment units, this unit was shaped by an "
        "auxiliary training signal: after training, a loss pulled it towards the depth of "
        "each line.",
        unit_pattern="indent",
    ),
)
"""The tour, in the lecture's order."""


def stop(key: str) -> Stop:
    """The stop called ``key``; ValueError listing the keys otherwise."""
    for candidate in STOPS:
        if candidate.key == key:
            return candidate
    raise ValueError(f"no tour stop {key!r}; the stops are {', '.join(s.key for s in STOPS)}")


def chapter_lines() -> list[str]:
    """One line per stop, numbered from 1, for ``lstm-sim tour``."""
    width = max(len(s.key) for s in STOPS)
    return [f"{n:2d}. {s.key:<{width}}  {s.title}" for n, s in enumerate(STOPS, start=1)]
