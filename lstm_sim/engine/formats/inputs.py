"""A user's input files: the sequence (``--inputs`` .npy/.csv, ``--tokens`` ids,
``--text-file``), and the initial states ``--h0``/``--c0``.

Every reader raises :class:`InputFileError` naming the file, what was expected and what
was found; nothing is unpickled. The CLI and the window read through these functions, so
a file means the same to both.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lstm_sim.engine.formats.errors import InputFileError
from lstm_sim.engine.network import Network

PathLike = str | os.PathLike[str]


def read_npy(path: PathLike, what: str) -> np.ndarray:
    """A numeric array from a .npy file, never unpickling it; ``what`` names its use."""
    if not Path(path).is_file():
        raise InputFileError(f"{path}: no such {what} file")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise InputFileError(
            f"{path}: expected a .npy array of numbers for {what}: {err}"
        ) from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        found = type(array).__name__ if not isinstance(array, np.ndarray) else array.dtype
        raise InputFileError(f"{path}: expected a .npy array of numbers for {what}, found {found}")
    return array


def read_inputs(path: PathLike) -> np.ndarray:
    """The (T, D) inputs in a .npy or a comma-separated .csv file ('#' starts a comment)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        return read_npy(path, "inputs")
    if suffix != ".csv":
        raise InputFileError(
            f"{path}: expected inputs in a .npy or .csv file, found {suffix or 'no suffix'}"
        )
    if not Path(path).is_file():
        raise InputFileError(f"{path}: no such inputs file")
    try:
        return np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as err:
        raise InputFileError(
            f"{path}: expected comma-separated numbers, one row per step: {err}"
        ) from None


def read_token_ids(network: Network, path: PathLike) -> np.ndarray:
    """The (T,) token ids in ``path``; the engine checks them against the model."""
    if network.num_tokens is None:
        raise InputFileError(
            f"{path}: this model reads feature vectors (no embedding or vocabulary), "
            "so it takes inputs, not token ids"
        )
    ids = read_npy(path, "token ids")
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


def read_text_file(network: Network, path: PathLike) -> list[str]:
    """The tokens of the UTF-8 text file ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputFileError(f"{path}: cannot read it as UTF-8 text: {err}") from None
    return tokens_of_text(network, text, str(path))


def read_initial_state(network: Network, path: PathLike, which: str) -> np.ndarray:
    """The (L, H) initial state ``which`` ('h0' or 'c0') of ``network`` in ``path``."""
    if which == "c0" and network.kind != "lstm":
        raise InputFileError(f"{path}: c0 was given but a simple RNN has no cell state")
    array = read_npy(path, which)
    expected = (network.num_layers, network.hidden_size)
    if array.shape != expected:
        raise InputFileError(
            f"{path}: {which} has shape {array.shape}, expected (L, H) = {expected}"
        )
    return array
