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
``.onnx``                an ONNX graph's LSTM/GRU/RNN nodes (:mod:`.onnx_file`, needs onnx)
=======================  ===========================================================

A live ``torch.nn`` module is read by :func:`network_from_module` (torch is never
imported here; the caller already has it).

Every problem with a file, a missing one included, raises :class:`ModelFileError` (a
ValueError) naming the file, what was expected and what was found, and nothing else: the
one wrapper in :func:`load_model` turns any other exception a reader lets out (a
RecursionError, MemoryError, a library's own error) into it. Each reader checks the sizes
its file declares before allocating (:mod:`.limits`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from lstm_sim.engine.formats import limits
from lstm_sim.engine.formats.errors import ModelFileError, describe_failure

if TYPE_CHECKING:
    from lstm_sim.engine.formats.module_tree import ModelContents
    from lstm_sim.engine.formats.native import save_native
    from lstm_sim.engine.formats.torch_module import network_from_module
    from lstm_sim.engine.formats.torch_state_dict import RecurrentModule
    from lstm_sim.engine.network import Network

__all__ = [
    "SUFFIXES",
    "ModelFileError",
    "RecurrentModule",
    "load_model",
    "network_from_module",
    "recurrent_modules_in",
    "save_native",
]

# Each reader is imported by its first file (an error type, or an .npz, loads none of the
# others): the window starts without them, and a library one needs loads only for it.
_LAZY_NAMES = {
    "save_native": "native",
    "network_from_module": "torch_module",
    "RecurrentModule": "torch_state_dict",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def _read_native(path: Path, data: bytes, cap: int) -> Network:
    from lstm_sim.engine.formats.native import read_native

    return read_native(path, data, cap)


def _read_keras(path: Path, data: bytes, cap: int) -> Network:
    from lstm_sim.engine.formats.keras import read_keras

    return read_keras(path, data, cap)


def read_onnx(path: Path, data: bytes, cap: int, *, allow_external_data: bool) -> Network:
    """:func:`.onnx_file.read_onnx`, imported on first use."""
    from lstm_sim.engine.formats import onnx_file

    return onnx_file.read_onnx(path, data, cap, allow_external_data=allow_external_data)


def _read_torch_contents(path: Path, data: bytes, cap: int) -> ModelContents:
    from lstm_sim.engine.formats.torch_pickle import read_torch_contents

    return read_torch_contents(path, max_bytes=cap, data=data)


def _read_safetensors_contents(path: Path, data: bytes, cap: int) -> ModelContents:
    from lstm_sim.engine.formats.module_tree import ModelContents
    from lstm_sim.engine.formats.safetensors_file import bfloat16_names, read_safetensors

    return ModelContents(
        read_safetensors(path, data, cap), bfloat16=frozenset(bfloat16_names(path))
    )


_STATE_DICT_READERS: dict[str, tuple[str, Callable[[Path, bytes, int], ModelContents]]] = {
    ".pt": ("PyTorch .pt state_dict", _read_torch_contents),
    ".pth": ("PyTorch .pth state_dict", _read_torch_contents),
    ".safetensors": ("safetensors state_dict", _read_safetensors_contents),
}

T = TypeVar("T")

_NETWORK_READERS: dict[str, Callable[[Path, bytes, int], Network]] = {
    ".npz": _read_native,
    ".keras": _read_keras,
    ".h5": _read_keras,
}

SUFFIXES = (*_NETWORK_READERS, ".onnx", *_STATE_DICT_READERS)
"""The file suffixes :func:`load_model` reads."""


def load_model(
    path: str | os.PathLike[str],
    prefix: str | None = None,
    *,
    nonlinearity: str | None = None,
    allow_external_data: bool = False,
    max_bytes: int | None = None,
) -> Network:
    """The network stored in the model file ``path``.

    ``prefix`` picks one recurrent module of a PyTorch state_dict that holds several
    (``"encoder.lstm"``); ``nonlinearity`` ('tanh'/'relu') says what a PyTorch RNN used,
    which its state_dict does not record (tanh when omitted). ``allow_external_data`` lets
    an ONNX model read tensors from files beside it; ``max_bytes`` caps its parameter bytes
    (default: :func:`.limits.max_bytes`).

    Raises :class:`ModelFileError` and nothing else for anything wrong with the file.
    """
    path = Path(path)
    return _at_the_boundary(
        path,
        lambda: _load(path, prefix, nonlinearity, allow_external_data, limits.max_bytes(max_bytes)),
    )


def _at_the_boundary(path: Path, read: Callable[[], T]) -> T:
    """``read()``, with any exception it raises (Ctrl+C apart) turned into one
    ModelFileError line naming ``path``."""
    try:
        return read()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:
        raise ModelFileError(describe_failure(path, err)) from None


def _load(
    path: Path,
    prefix: str | None,
    nonlinearity: str | None,
    allow_external_data: bool,
    cap: int,
) -> Network:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(
            f"expected a model file ending in {', '.join(SUFFIXES)}, found {suffix or 'no suffix'}"
        )
    data = limits.read_regular_file(path, cap, "model file")
    if suffix == ".onnx":
        return read_onnx(path, data, cap, allow_external_data=allow_external_data)
    if suffix in _NETWORK_READERS:
        if prefix is not None or nonlinearity is not None:
            raise ValueError("prefix and nonlinearity apply to PyTorch files only")
        return _NETWORK_READERS[suffix](path, data, cap)
    from lstm_sim.engine.formats.torch_state_dict import network_from_state_dict

    description, read = _STATE_DICT_READERS[suffix]
    contents = read(path, data, cap)
    if contents.modules:
        scripted = contents.modules[0].qualified_name.startswith("__torch__.")
        saved = "TorchScript module" if scripted else "whole module"
        description = description.replace("state_dict", saved)
    return network_from_state_dict(
        contents.state_dict,
        source=f"{path} ({description})",
        prefix=prefix,
        nonlinearity=nonlinearity,
        modules=contents.modules,
        bfloat16=contents.bfloat16,
    )


def recurrent_modules_in(
    path: str | os.PathLike[str], *, max_bytes: int | None = None
) -> list[RecurrentModule]:
    """The recurrent modules a PyTorch file holds, for a chooser to offer (each one's
    prefix, kind, layers, H and D); empty for the other formats, which hold one stack.
    Reads the file under :func:`load_model`'s contract."""
    path = Path(path)
    reader = _STATE_DICT_READERS.get(path.suffix.lower())
    if reader is None:
        return []
    return _at_the_boundary(path, lambda: _modules(path, reader[1], max_bytes))


def _modules(
    path: Path,
    read: Callable[[Path, bytes, int], ModelContents],
    max_bytes: int | None,
) -> list[RecurrentModule]:
    from lstm_sim.engine.formats.torch_state_dict import recurrent_modules

    cap = limits.max_bytes(max_bytes)
    data = limits.read_regular_file(path, cap, "model file")
    return recurrent_modules(read(path, data, cap).state_dict)
