"""The user's own data files: inputs, targets, token ids, text, h0/c0 and training data.

The command line and the window read them here, under the same contract as model files:
only a regular file within the size cap (:mod:`.limits`) is opened, an array's header is
checked before its data is read, nothing is unpickled, and anything wrong raises
:class:`InputFileError` (one line naming the file, what was expected and what was found)
and nothing else.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from lstm_sim.engine.formats import limits
from lstm_sim.engine.formats.errors import InputFileError, describe_failure
from lstm_sim.engine.formats.npy import NpzMembers, read_npy
from lstm_sim.engine.network import Network

T = TypeVar("T")
INPUT_SUFFIXES = (".npy", ".csv")
_NUMERIC_KINDS = "biuf"


def input_boundary(path: Path, read: Callable[[], T]) -> T:
    """``read()``, with any exception it raises turned into one InputFileError line."""
    try:
        return read()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:
        raise InputFileError(describe_failure(path, err)) from None


def _bytes(path: Path, what: str) -> bytes:
    return limits.read_regular_file(path, limits.max_bytes(), f"{what} file")


def _numeric(array: np.ndarray, what: str) -> np.ndarray:
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"expected an array of numbers for {what}, found {array.dtype}")
    return array


def _read_npy(path: Path, what: str) -> np.ndarray:
    data = _bytes(path, what)
    array = read_npy(io.BytesIO(data), len(data), limits.max_bytes(), f"the {what} array")
    return _numeric(array, what)


def read_array(path: str | os.PathLike[str], what: str) -> np.ndarray:
    """The numeric array in the .npy file ``path`` (``what`` it holds, e.g. "targets")."""
    file = Path(path)
    return input_boundary(file, lambda: _read_npy(file, what))


def _read_csv(path: Path) -> np.ndarray:
    text = _bytes(path, "inputs").decode("utf-8")
    try:
        return np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as err:
        raise ValueError(f"expected comma-separated numbers, one row per step: {err}") from None


def read_inputs(path: str | os.PathLike[str]) -> np.ndarray:
    """The (T, D) inputs in a .npy or a comma-separated .csv file ('#' starts a comment)."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".npy":
        return read_array(file, "inputs")
    if suffix != ".csv":
        raise InputFileError(
            f"{file}: expected inputs in a .npy or .csv file, found {suffix or 'no suffix'}"
        )
    return input_boundary(file, lambda: _read_csv(file))


def read_text(path: str | os.PathLike[str], what: str = "text", errors: str = "strict") -> str:
    """The UTF-8 text in ``path``; ``errors="replace"`` reads undecodable bytes as U+FFFD."""
    file = Path(path)
    return input_boundary(file, lambda: _bytes(file, what).decode("utf-8", errors))


def _read_sequences(path: Path) -> tuple[np.ndarray, np.ndarray]:
    members = NpzMembers(_bytes(path, "training data"), limits.max_bytes())
    try:
        missing = {"x", "y"} - set(members)
        if missing:
            raise ValueError(
                f"holds {', '.join(sorted(members)) or 'no arrays'}; expected x (N, T, D) and "
                f"y (N, T, K) (missing {', '.join(sorted(missing))})"
            )
        return _numeric(members["x"], "x"), _numeric(members["y"], "y")
    finally:
        members.close()


def read_sequences(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """The arrays ``x`` (N, T, D) and ``y`` (N, T, K) of a training-data .npz; other keys
    are never inflated."""
    file = Path(path)
    return input_boundary(file, lambda: _read_sequences(file))


def read_token_ids(network: Network, path: str | os.PathLike[str]) -> np.ndarray:
    """The (T,) token ids in ``path``; the engine checks them against the model."""
    if network.num_tokens is None:
        raise InputFileError(
            f"{path}: this model reads feature vectors (no embedding or vocabulary), "
            "so it takes inputs, not token ids"
        )
    ids = read_array(path, "token ids")
    if ids.dtype.kind not in "iu" or ids.ndim != 1:
        raise InputFileError(
            f"{path}: expected (T,) integer token ids, found {ids.dtype} of shape {ids.shape}"
        )
    return ids


def tokens_of_text(network: Network, text: str, where: str = "the text") -> list[str]:
    """``text`` cut into the model's tokens; unknown tokens are reported by the engine."""
    if network.vocab is None:
        raise InputFileError(
            f"{where}: this model has no vocabulary, so it reads --inputs (numbers) or token "
            "ids, not text"
        )
    tokens = network.vocab.tokenize(text)
    if not tokens:
        raise InputFileError(f"{where}: the text is empty: give at least one token")
    return tokens


def read_text_file(network: Network, path: str | os.PathLike[str]) -> list[str]:
    """The tokens of the UTF-8 text file ``path``."""
    return tokens_of_text(network, read_text(path), str(path))


def read_initial_state(network: Network, path: str | os.PathLike[str], which: str) -> np.ndarray:
    """The (L, H) initial state ``which`` ('h0' or 'c0') of ``network`` in ``path``
    (h0 is (L, P) for a projected LSTM)."""
    if which == "c0" and network.kind != "lstm":
        raise InputFileError(f"{path}: c0 was given but a simple RNN has no cell state")
    array = read_array(path, which)
    width = network.h_size if which == "h0" else network.hidden_size
    expected = (network.num_layers, width)
    if array.shape != expected:
        raise InputFileError(
            f"{path}: {which} has shape {array.shape}, expected (L, H) = {expected}"
        )
    return array
