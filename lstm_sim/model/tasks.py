"""Tiny built-in training tasks for ``lstm-sim train --task NAME``: data made on the spot
from a seed, small enough to learn in seconds, each needing memory across steps."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.scenarios.long_lag import long_lag_sequences
from lstm_sim.model.scenarios.sine import sine_sequences
from lstm_sim.model.training import SequenceData


def recall_task(rng: np.random.Generator) -> SequenceData:
    """Name the first of a sequence's symbols when the query '?' arrives 10 steps later
    (Hochreiter & Schmidhuber's long-time-lag task); only the query step has a target."""
    data = long_lag_sequences(rng, 256, lag=10, num_classes=2, num_distractors=4)
    return SequenceData(data.tokens, data.targets, Vocabulary(data.vocabulary))


def sine_task(rng: np.random.Generator) -> SequenceData:
    """Predict the next value of a noisy sine wave of one of three frequencies."""
    data = sine_sequences(rng, 128, length=48)
    return SequenceData(data.x, data.y)


TASKS: dict[str, Callable[[np.random.Generator], SequenceData]] = {
    "recall": recall_task,
    "sine": sine_task,
}
"""Built-in tasks by name."""


def make_task(name: str, rng: np.random.Generator) -> SequenceData:
    """The data of task ``name``, drawn with ``rng``."""
    if name not in TASKS:
        raise ValueError(f"no task {name!r}; the tasks are {', '.join(TASKS)}")
    return TASKS[name](rng)
