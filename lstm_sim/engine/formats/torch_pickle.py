"""Reading ``torch.save`` files (``.pt``/``.pth``) without PyTorch and without running
their pickle.

Such a file is a zip with one top-level folder holding ``data.pkl`` (the pickled object),
``data/<key>`` (each storage's raw bytes) and ``byteorder``. A pickle may call any
importable function while it loads, so this unpickler resolves only the globals a saved
state_dict needs, each implemented here with NumPy:

- ``collections.OrderedDict`` (the state_dict itself);
- ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`` (a tensor, a
  strided view of a storage);
- ``torch._utils._rebuild_parameter(data, requires_grad, hooks)`` (an ``nn.Parameter``);
- ``torch.<Type>Storage`` (the storage's element type), referenced by the persistent id
  ``("storage", <Type>Storage, key, location, numel)``.

Every other global is refused with a ValueError before anything is called.
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lstm_sim.engine.formats.limits import max_bytes, read_member, read_regular_file

# Storage element types by the name torch pickles them under, as little-endian NumPy
# dtypes; bfloat16 has no NumPy dtype and is read as the top half of a float32.
_STORAGE_DTYPES = {
    "DoubleStorage": "<f8",
    "FloatStorage": "<f4",
    "HalfStorage": "<f2",
    "BFloat16Storage": "<u2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


@dataclass(frozen=True)
class StorageType:
    """What a ``torch.<name>`` storage global resolves to: its element type."""

    name: str

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(_STORAGE_DTYPES[self.name])


def _rebuild_tensor_v2(
    storage: np.ndarray,
    storage_offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    *_: Any,
) -> np.ndarray:
    """A copy of the strided view ``storage[offset + Σ index·stride]`` of shape ``size``."""
    size, stride = tuple(int(n) for n in size), tuple(int(s) for s in stride)
    offset = int(storage_offset)
    if len(size) != len(stride) or any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise ValueError(f"a tensor has size {size} and stride {stride}, which do not fit")
    if 0 in size:
        return np.zeros(size, storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    if offset < 0 or last >= storage.size:
        raise ValueError(
            f"a tensor of size {size}, stride {stride} at offset {offset} reaches element "
            f"{last}, but its storage holds {storage.size}"
        )
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=size, strides=[s * item for s in stride], writeable=False
    )
    return np.array(view)


def _rebuild_parameter(data: np.ndarray, *_: Any) -> np.ndarray:
    """An ``nn.Parameter`` is its data; requires_grad and hooks mean nothing here."""
    return data


_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): StorageType(name) for name in _STORAGE_DTYPES},
}


class _StateDictUnpickler(pickle.Unpickler):
    """Unpickles a state_dict, resolving only the globals in ``_ALLOWED``."""

    def __init__(self, data: bytes, read_storage: Any) -> None:
        super().__init__(io.BytesIO(data))
        self._read_storage = read_storage

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise ValueError(
            f"refused to load: its pickle asks for {module}.{name}, which a saved "
            "state_dict never needs (it could run code); only tensors and dicts are read"
        )

    def persistent_load(self, pid: Any) -> np.ndarray:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise ValueError(f"expected a storage reference in the pickle, found {pid!r}")
        _, storage_type, key, _location, numel = pid
        if not isinstance(storage_type, StorageType):
            raise ValueError(f"expected a torch storage type, found {storage_type!r}")
        return self._read_storage(storage_type, str(key), int(numel))


def _flatten(obj: Any, prefix: str, out: dict[str, np.ndarray]) -> None:
    """Tensors of nested dicts under dotted names: a checkpoint {'model': state_dict, ...}
    yields 'model.lstm.weight_ih_l0'. Numbers and strings beside them are skipped."""
    if isinstance(obj, np.ndarray):
        out[prefix[:-1]] = obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _flatten(value, f"{prefix}{key}.", out)


def read_torch_file(
    path: Path, data: bytes | None = None, budget: int | None = None
) -> dict[str, np.ndarray]:
    """Every tensor in a ``torch.save`` zip (``path``, whose bytes are ``data`` when
    already read), by its dotted state_dict name. Zip members are inflated only after
    their stated sizes fit the file and ``budget`` bytes (default: the cap of :mod:`.limits`).

    Raises ValueError for anything that is not a zip-format torch file holding tensors
    in (possibly nested) dicts, naming what was expected and what was found.
    """
    budget = max_bytes(budget)
    if data is None:
        data = read_regular_file(path, budget, "model file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError(
            "expected a zip archive as torch.save writes since PyTorch 1.6, found "
            "something else (a legacy torch.save file or not a PyTorch file at all; "
            "re-save it with a current PyTorch, or as .safetensors)"
        ) from None
    with archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise ValueError(
                f"expected one <folder>/data.pkl in the zip, found {len(pickles)} "
                f"among {len(names)} entries"
            )
        root = pickles[0][: -len("data.pkl")]
        big_endian = (
            root + "byteorder" in names
            and read_member(archive, root + "byteorder", len(data), budget).strip() == b"big"
        )

        def read_storage(storage_type: StorageType, key: str, numel: int) -> np.ndarray:
            entry = f"{root}data/{key}"
            if entry not in names:
                raise ValueError(f"expected the storage {entry} in the zip, it is missing")
            dtype = storage_type.dtype.newbyteorder(">" if big_endian else "<")
            raw = read_member(archive, entry, len(data), budget)
            if len(raw) < numel * dtype.itemsize:
                raise ValueError(
                    f"storage {entry} holds {len(raw)} bytes, expected {numel} elements "
                    f"of {dtype.itemsize} bytes"
                )
            values = np.frombuffer(raw, dtype=dtype, count=numel)
            if storage_type.name == "BFloat16Storage":
                # bfloat16 is the upper 16 bits of a float32.
                return (values.astype(np.uint32) << 16).view(np.float32)
            return values.astype(dtype.newbyteorder("="))

        try:
            pickled = read_member(archive, pickles[0], len(data), budget)
            obj = _StateDictUnpickler(pickled, read_storage).load()
        except ValueError:
            raise
        except Exception as err:  # a malformed pickle can fail in any way; report it as bad
            raise ValueError(f"its data.pkl could not be read as a state_dict: {err}") from None
    out: dict[str, np.ndarray] = {}
    _flatten(obj, "", out)
    if not out:
        raise ValueError(
            f"expected a state_dict of tensors, found a {type(obj).__name__} holding none"
        )
    return out
