"""Model files in and out: each format's reader turns a file into a :class:`Network`.

``load_model(path)`` picks the reader by the file's suffix:

=======================  ===========================================================
suffix                   reader
=======================  ===========================================================
``.npz``                 lstm-sim's own format (:mod:`.native`), written by
                         :func:`save_native`
``.pt``, ``.pth``        ``torch.save`` of a state_dict or a whole model, or
                         ``torch.jit.save``, read without torch and without running
                         their pickle or code (:mod:`.torch_pickle`)
``.safetensors``         a PyTorch state_dict saved with safetensors
``.keras``, ``.h5``      a Keras model (:mod:`.keras`, needs h5py)
``.onnx``                an ONNX graph's LSTM/RNN nodes (:mod:`.onnx_file`, needs onnx)
=======================  ===========================================================

A live ``torch.nn`` module is read by :func:`network_from_module` (torch is never
imported here; the caller already has it).

Every problem with a file, a missing one included, raises ValueError naming the file,
what was expected and what was found.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from lstm_sim.engine.formats.keras import read_keras
from lstm_sim.engine.formats.module_tree import ModelContents
from lstm_sim.engine.formats.native import read_native, save_native
from lstm_sim.engine.formats.onnx_file import read_onnx
from lstm_sim.engine.formats.safetensors_file import bfloat16_names, read_safetensors
from lstm_sim.engine.formats.torch_module import network_from_module
from lstm_sim.engine.formats.torch_pickle import read_torch_contents
from lstm_sim.engine.formats.torch_state_dict import (
    RecurrentModule,
    network_from_state_dict,
    recurrent_modules,
)
from lstm_sim.engine.network import Network

__all__ = [
    "SUFFIXES",
    "RecurrentModule",
    "load_model",
    "network_from_module",
    "recurrent_modules_in",
    "save_native",
]


def _read_safetensors_contents(path: Path) -> ModelContents:
    return ModelContents(read_safetensors(path), bfloat16=frozenset(bfloat16_names(path)))


_STATE_DICT_READERS: dict[str, tuple[str, Callable[[Path], ModelContents]]] = {
    ".pt": ("PyTorch .pt state_dict", read_torch_contents),
    ".pth": ("PyTorch .pth state_dict", read_torch_contents),
    ".safetensors": ("safetensors state_dict", _read_safetensors_contents),
}

_NETWORK_READERS: dict[str, Callable[[Path], Network]] = {
    ".npz": read_native,
    ".keras": read_keras,
    ".h5": read_keras,
    ".onnx": read_onnx,
}

SUFFIXES = (*_NETWORK_READERS, *_STATE_DICT_READERS)
"""The file suffixes :func:`load_model` reads."""


def load_model(
    path: str | os.PathLike[str],
    prefix: str | None = None,
    *,
    nonlinearity: str | None = None,
) -> Network:
    """The network stored in the model file ``path``.

    ``prefix`` picks one recurrent module of a PyTorch state_dict that holds several
    (``"encoder.lstm"``); ``nonlinearity`` ('tanh'/'relu') says what a PyTorch RNN used,
    which its state_dict does not record (tanh when omitted).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(
            f"{path}: expected a model file ending in {', '.join(SUFFIXES)}, "
            f"found {suffix or 'no suffix'}"
        )
    if not path.is_file():
        raise ValueError(f"{path}: no such model file")
    try:
        if suffix in _NETWORK_READERS:
            if prefix is not None or nonlinearity is not None:
                raise ValueError("prefix and nonlinearity apply to PyTorch files only")
            return _NETWORK_READERS[suffix](path)
        description, read = _STATE_DICT_READERS[suffix]
        contents = read(path)
        if contents.modules:
            scripted = contents.modules[0].qualified_name.startswith("__torch__.")
            saved = "TorchScript module" if scripted else "whole module"
            description = description.replace("state_dict", saved)
        network = network_from_state_dict(
            contents.state_dict,
            source=f"{path} ({description})",
            prefix=prefix,
            nonlinearity=nonlinearity,
            modules=contents.modules,
            bfloat16=contents.bfloat16,
        )
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    return network


def recurrent_modules_in(path: str | os.PathLike[str]) -> list[RecurrentModule]:
    """The recurrent modules a PyTorch file holds, for a chooser to offer (each one's
    prefix, kind, layers, H and D); empty for the other formats, which hold one stack."""
    path = Path(path)
    reader = _STATE_DICT_READERS.get(path.suffix.lower())
    if reader is None:
        return []
    try:
        return recurrent_modules(reader[1](path).state_dict)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
