"""Where a window's input sequence comes from when it is not the model's default: the
command line's ``--inputs``/``--text``/``--text-file``/``--tokens`` and ``--h0``/``--c0``,
or File ▸ Load inputs…, read by the same engine readers ``lstm-sim trace`` uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.sentence import read_tokens

# The readers come with every model reader's module, which a start on the demo does not
# need: they are imported when a file is read.

SequenceKind = Literal["inputs", "text", "text_file", "tokens"]

SEQUENCE_FLAGS: dict[SequenceKind, str] = {
    "inputs": "--inputs",
    "text": "--text",
    "text_file": "--text-file",
    "tokens": "--tokens",
}


@dataclass(frozen=True)
class InputSource:
    """A sequence (``kind`` and ``value``: a path, or the text itself for "text"; none:
    keep the sequence there is) and the files of the initial states h0 and c0."""

    kind: SequenceKind | None = None
    value: str = ""
    h0: str | None = None
    c0: str | None = None

    def describe(self) -> str:
        """What was given, as the command line would say it."""
        parts = [] if self.kind is None else [f"{SEQUENCE_FLAGS[self.kind]} {self.value}"]
        parts += [f"--{name} {path}" for name, path in (("h0", self.h0), ("c0", self.c0)) if path]
        return " ".join(parts)


@dataclass(frozen=True)
class ReadInputs:
    """An :class:`InputSource` read for one network: the sequence (None: unchanged)
    and the initial states (None: unchanged)."""

    sequence: np.ndarray | list[str] | None
    h0: np.ndarray | None
    c0: np.ndarray | None


def sequence_file(path: str, network: Network) -> InputSource:
    """An :class:`InputSource` for a file picked in a dialog, its kind told by its suffix
    and, for .npy, its contents: 1-D integers are token ids for a model that reads tokens,
    anything else is inputs; .txt is text for a model with a vocabulary."""
    from lstm_sim.engine.formats.errors import InputFileError
    from lstm_sim.engine.formats.inputs import read_array

    suffix = Path(path).suffix.lower()
    if suffix == ".txt":
        return InputSource("text_file", path)
    if suffix == ".npy" and network.num_tokens is not None:
        array = read_array(path, "inputs or token ids")
        if array.ndim == 1 and array.dtype.kind in "iu":
            return InputSource("tokens", path)
    if suffix not in (".npy", ".csv"):
        raise InputFileError(
            f"{path}: expected inputs (.npy, .csv), token ids (.npy) or text (.txt), "
            f"found {suffix or 'no suffix'}"
        )
    return InputSource("inputs", path)


def read_source(network: Network, source: InputSource) -> ReadInputs:
    """Read every file ``source`` names for ``network``; a bad one raises InputFileError."""
    from lstm_sim.engine.formats.inputs import (
        read_initial_state,
        read_inputs,
        read_text_file,
        read_token_ids,
        tokens_of_text,
    )

    sequence: np.ndarray | list[str] | None = None
    if source.kind == "inputs":
        sequence = read_inputs(source.value)
    elif source.kind == "tokens":
        sequence = read_token_ids(network, source.value)
    elif source.kind == "text":
        sequence = tokens_of_text(network, source.value, "--text")
    elif source.kind == "text_file":
        sequence = read_text_file(network, source.value)
    if isinstance(sequence, list) and network.vocab is not None:
        _check_known(network.vocab, sequence, source)
    h0 = None if source.h0 is None else read_initial_state(network, source.h0, "h0")
    c0 = None if source.c0 is None else read_initial_state(network, source.c0, "c0")
    return ReadInputs(sequence, h0, c0)


def _check_known(vocab: Vocabulary, tokens: list[str], source: InputSource) -> None:
    """Raise InputFileError listing every unknown token with the nearest allowed ones."""
    from lstm_sim.engine.formats.errors import InputFileError

    problem = read_tokens(vocab, tokens).problem()
    if problem:
        where = "--text" if source.kind == "text" else source.value
        raise InputFileError(f"{where}: {problem}")
