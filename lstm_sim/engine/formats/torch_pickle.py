"""Reading ``torch.save`` and ``torch.jit.save`` files (``.pt``/``.pth``) without PyTorch
and without running their pickle.

Such a file is a zip with one top-level folder holding ``data.pkl`` (the pickled object),
``data/<key>`` (each storage's raw bytes) and ``byteorder``; a TorchScript file adds
``code/`` (its compiled Python, read here as text, never run) and ``constants.pkl``.

``data.pkl`` is run by :mod:`.pickle_machine`, which never imports or calls what the pickle
names: class references become inert records, and REDUCE may run only these NumPy
rebuilds, each making fresh values for this load:

- ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`` (a tensor, a
  strided view of a storage; the view is checked against the storage before any array is
  made, and may not hold more elements than its storage);
- ``torch._utils._rebuild_parameter(data, ...)`` (an ``nn.Parameter``, i.e. its data);
- ``collections.OrderedDict``, ``builtins.set``, ``torch.Size``, ``_codecs.encode``
  (a module's hooks, buffer names, shapes and bytes);
- TorchScript's ``torch.jit._pickle`` type tags and typed lists;
- a storage is the persistent id ``("storage", torch.<Type>Storage, key, location, numel)``.

Every other call is refused before anything runs. What the pickle built is then read as a
state_dict, plus, for a whole module, its module tree (:mod:`.torch_module_tree`).
Storages may total at most ``max_bytes`` (2 GiB by default), and rebuilt tensors at most
four times what the storages hold, so a small file cannot ask for gigabytes.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import Any

import numpy as np

from lstm_sim.engine.formats.errors import ModelFileError
from lstm_sim.engine.formats.limits import check_inflation
from lstm_sim.engine.formats.module_tree import ModelContents
from lstm_sim.engine.formats.pickle_machine import (
    Caller,
    GlobalRef,
    ObjectRecord,
    RefusedPickle,
    unpickle,
)
from lstm_sim.engine.formats.torch_module_tree import contents_from_pickle

DEFAULT_MAX_BYTES = 2 * 1024**3
"""Storage bytes a file may hold before it is refused (the parameters' total size)."""

MAX_PICKLE_BYTES = 64 * 1024**2
"""Size of ``data.pkl``: a model with a million parameters' names needs a few MB."""

MAX_CODE_BYTES = 4 * 1024**2
"""Size of one TorchScript code file read for its class constants."""

RESAVE_HINT = "re-save it with torch.save(model.state_dict(), path)"

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

_STORAGE_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
_MAX_DIMS = 32
_MAX_DIM_SIZE = 2**40


@dataclass(frozen=True, eq=False)
class Storage:
    """One storage of the file, read into a fresh array for this load."""

    key: str
    type_name: str
    values: np.ndarray


class _Budget:
    """Bytes a load has read into storages and copied into tensors, bounded before use."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.stored = 0
        self.made = 0

    def store(self, nbytes: int, entry: str) -> None:
        if self.stored + nbytes > self.max_bytes:
            raise ModelFileError(
                f"storage {entry} would bring the parameters to {self.stored + nbytes} bytes, "
                f"above the limit of {self.max_bytes}"
            )
        self.stored += nbytes

    def make(self, nbytes: int) -> None:
        allowed = min(self.max_bytes, 4 * self.stored + 2**20)
        if self.made + nbytes > allowed:
            raise ModelFileError(
                f"its tensors would take {self.made + nbytes} bytes, more than 4 times the "
                f"{self.stored} bytes their storages hold"
            )
        self.made += nbytes


def _int(value: Any, what: str) -> int:
    if type(value) is not int:
        raise ModelFileError(f"a tensor's {what} is a {type(value).__name__}, expected an int")
    return value


def _int_tuple(value: Any, what: str) -> tuple[int, ...]:
    if type(value) is not tuple or len(value) > _MAX_DIMS:
        raise ModelFileError(f"a tensor's {what} is not a tuple of at most {_MAX_DIMS} ints")
    return tuple(_int(n, what) for n in value)


def _tensor_rebuilder(budget: _Budget, widened: list[np.ndarray]) -> Caller:
    def rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any, *_: Any) -> Any:
        """A copy of the strided view ``storage[offset + Σ index·stride]`` of shape ``size``,
        checked against the storage before anything is allocated."""
        if not isinstance(storage, Storage):
            raise ModelFileError(f"a tensor's storage is a {type(storage).__name__}")
        size, stride = _int_tuple(size, "size"), _int_tuple(stride, "stride")
        offset = _int(storage_offset, "offset")
        values = storage.values
        if len(size) != len(stride) or any(n < 0 for n in size) or any(s < 0 for s in stride):
            raise ModelFileError(f"a tensor has size {size} and stride {stride}, which do not fit")
        if any(n > _MAX_DIM_SIZE for n in size):
            raise ModelFileError(f"a tensor has size {size}, beyond any real tensor")
        numel = prod(size)
        if numel == 0:
            return np.zeros(size, values.dtype)
        last = offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
        if offset < 0 or last >= values.size:
            raise ModelFileError(
                f"a tensor of size {size}, stride {stride} at offset {offset} reaches element "
                f"{last}, but its storage holds {values.size}"
            )
        if numel > values.size:
            raise ModelFileError(
                f"a tensor of size {size}, stride {stride} repeats elements: {numel} from a "
                f"storage of {values.size} (save tensor.contiguous() instead)"
            )
        budget.make(numel * values.itemsize)
        item = values.itemsize
        view = np.lib.stride_tricks.as_strided(
            values[offset:], shape=size, strides=[s * item for s in stride], writeable=False
        )
        tensor = np.array(view)
        if storage.type_name == "BFloat16Storage":
            widened.append(tensor)  # read as float32: the network notes the upcast
        return tensor

    return rebuild_tensor


def _rebuild_parameter(data: Any, *_: Any) -> Any:
    """An ``nn.Parameter`` is its data; requires_grad, hooks and state mean nothing here."""
    if not isinstance(data, np.ndarray):
        raise ModelFileError(f"a parameter's data is a {type(data).__name__}, not a tensor")
    return data


def _ordered_dict(*args: Any) -> dict[Any, Any]:
    """``OrderedDict()`` or ``OrderedDict([(key, value), ...])`` as a fresh dict."""
    made: dict[Any, Any] = {}
    if args:
        pairs = args[0]
        if len(args) > 1 or type(pairs) is not list:
            raise ModelFileError("an OrderedDict is built from something other than a list")
        for pair in pairs:
            if type(pair) not in (tuple, list) or len(pair) != 2:
                raise ModelFileError("an OrderedDict is built from something other than pairs")
            try:
                made[pair[0]] = pair[1]
            except TypeError:
                raise ModelFileError("an OrderedDict has an unhashable key") from None
    return made


def _frozen_set(*args: Any) -> frozenset[Any]:
    """``set(list)`` as a frozenset: a module's non-persistent buffer names."""
    if len(args) > 1 or (args and type(args[0]) is not list):
        raise ModelFileError("a set is built from something other than a list")
    try:
        return frozenset(args[0] if args else ())
    except TypeError:
        raise ModelFileError("a set holds an unhashable value") from None


def _type_tagged(value: Any, *_: Any) -> Any:
    """TorchScript's ``restore_type_tag(value, 'List[str]')``: the value itself."""
    return value


def _typed_list(items: Any) -> list[Any]:
    """TorchScript's ``build_tensorlist([...])`` and friends: a fresh copy of the list."""
    if type(items) is not list:
        raise ModelFileError("a TorchScript list is built from something other than a list")
    return list(items)


def _size(values: Any) -> tuple[int, ...]:
    """``torch.Size((2, 3))``, a shape a module kept as an attribute: a tuple of ints."""
    if type(values) not in (tuple, list) or not all(type(n) is int for n in values):
        raise ModelFileError("a torch.Size is built from something other than ints")
    return tuple(values)


def _reconstructor(cls: Any, base: Any, state: Any) -> ObjectRecord:
    """Protocols 0 and 1 construct a plain object by ``copyreg._reconstructor(cls,
    object, None)``: an inert record of ``cls``, as NEWOBJ gives in protocol 2."""
    plain = isinstance(base, GlobalRef) and base.name == "object" and state is None
    if not (isinstance(cls, GlobalRef) and plain):
        raise RefusedPickle("refused to load: its pickle reconstructs an object from a base")
    return ObjectRecord(cls)


def _latin1_bytes(text: Any, encoding: Any) -> bytes:
    """Protocol 2 pickles ``bytes`` as ``_codecs.encode(text, 'latin1')``."""
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        raise ModelFileError("bytes are built from something other than latin-1 text")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise ModelFileError("bytes are built from text outside latin-1") from None


def _calls(budget: _Budget, widened: list[np.ndarray]) -> dict[str, Caller]:
    """What REDUCE may run in this load, by the global's qualified name; tensors read from
    bfloat16 storages are added to ``widened``."""
    rebuild_tensor = _tensor_rebuilder(budget, widened)

    def rebuild_from_type(func: Any, _new_type: Any, args: Any, *_: Any) -> Any:
        """``_rebuild_from_type_v2(func, type, args, state)``: a tensor subclass or a tensor
        with Python attributes; only ``func`` matters, and it must be a tensor rebuild."""
        if not (isinstance(func, GlobalRef) and func.qualified_name in tensor_calls):
            raise RefusedPickle(
                "refused to load: a tensor is rebuilt by "
                f"{getattr(func, 'qualified_name', type(func).__name__)}"
            )
        if type(args) is not tuple:
            raise ModelFileError("a tensor is rebuilt from something other than a tuple")
        return tensor_calls[func.qualified_name](*args)

    tensor_calls: dict[str, Caller] = {
        "torch._utils._rebuild_tensor_v2": rebuild_tensor,
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
    }
    return {
        **tensor_calls,
        "torch._tensor._rebuild_from_type_v2": rebuild_from_type,
        "collections.OrderedDict": _ordered_dict,
        "torch.Size": _size,
        "_codecs.encode": _latin1_bytes,
        "copyreg._reconstructor": _reconstructor,
        "copy_reg._reconstructor": _reconstructor,
        "builtins.set": _frozen_set,
        "__builtin__.set": _frozen_set,
        "torch.jit._pickle.restore_type_tag": _type_tagged,
        **{
            f"torch.jit._pickle.build_{kind}list": _typed_list
            for kind in ("tensor", "int", "double", "bool")
        },
    }


class _TorchArchive:
    """The zip's members, read with every size bounded before it is read."""

    def __init__(self, archive: zipfile.ZipFile, budget: _Budget, size: int) -> None:
        self._archive = archive
        self._budget = budget
        self._size = size
        self._names = set(archive.namelist())
        pickles = sorted(n for n in self._names if n.endswith("/data.pkl") and n.count("/") == 1)
        if len(pickles) != 1:
            raise ModelFileError(
                f"expected one <folder>/data.pkl in the zip, found {len(pickles)} "
                f"among {len(self._names)} entries"
            )
        self.root = pickles[0][: -len("data.pkl")]
        self._big_endian = self.read(self.root + "byteorder", 16, missing_ok=True) == b"big"
        self._storages: dict[str, Storage] = {}

    def _check_inflation(self, entry: str) -> None:
        try:
            check_inflation(self._archive.getinfo(entry), self._size)
        except ValueError as err:
            raise ModelFileError(str(err)) from None

    def read(self, entry: str, limit: int, *, missing_ok: bool = False) -> bytes | None:
        """The member ``entry`` (None when absent and ``missing_ok``), refused when it holds
        more than ``limit`` bytes; never decompresses past the limit."""
        if entry not in self._names:
            if missing_ok:
                return None
            raise ModelFileError(f"expected {entry} in the zip, it is missing")
        self._check_inflation(entry)
        with self._archive.open(entry) as member:
            raw = member.read(limit + 1)
        if len(raw) > limit:
            raise ModelFileError(f"{entry} holds more than {limit} bytes")
        return raw.strip() if entry.endswith("byteorder") else raw

    def pickle(self) -> bytes:
        raw = self.read(self.root + "data.pkl", MAX_PICKLE_BYTES)
        assert raw is not None  # read() raises for a missing member unless told otherwise
        return raw

    def code(self, module: str) -> str | None:
        """TorchScript's source of ``module`` (``__torch__.torch.nn.modules.rnn``), as
        text for reading its constants; None when the file has none."""
        entry = f"{self.root}code/{module.replace('.', '/')}.py"
        raw = self.read(entry, MAX_CODE_BYTES, missing_ok=True)
        return None if raw is None else raw.decode("utf-8", errors="replace")

    def storage(self, pid: Any) -> Storage:
        """The storage a persistent id names, read once per load."""
        if not (type(pid) is tuple and len(pid) == 5 and pid[0] == "storage"):
            raise ModelFileError(
                f"expected a storage reference in the pickle, found a {type(pid).__name__}"
            )
        _, storage_type, key, _location, numel = pid
        if not (
            isinstance(storage_type, GlobalRef)
            and storage_type.module == "torch"
            and storage_type.name in _STORAGE_DTYPES
        ):
            shown = getattr(storage_type, "qualified_name", type(storage_type).__name__)
            raise ModelFileError(f"expected a torch storage type, found {shown}")
        if not (isinstance(key, str) and _STORAGE_KEY.fullmatch(key)):
            raise ModelFileError("a storage reference names its data with something odd")
        numel = _int(numel, "storage size")
        cached = self._storages.get(key)
        if cached is not None:
            if cached.type_name != storage_type.name or cached.values.size != numel:
                raise ModelFileError(f"storage {key} is referenced with two types or sizes")
            return cached
        dtype = np.dtype(_STORAGE_DTYPES[storage_type.name])
        dtype = dtype.newbyteorder(">" if self._big_endian else "<")
        entry = f"{self.root}data/{key}"
        if entry not in self._names:
            raise ModelFileError(f"expected the storage {entry} in the zip, it is missing")
        if numel < 0:
            raise ModelFileError(f"storage {entry} has a negative size {numel}")
        nbytes = numel * dtype.itemsize
        self._check_inflation(entry)
        held = self._archive.getinfo(entry).file_size
        if held >= nbytes:
            self._budget.store(
                numel * 4 if storage_type.name == "BFloat16Storage" else nbytes, entry
            )
            with self._archive.open(entry) as member:
                held = len(raw := member.read(nbytes))
        if held < nbytes:
            raise ModelFileError(
                f"storage {entry} holds {held} bytes, expected {numel} elements of "
                f"{dtype.itemsize} bytes"
            )
        values = np.frombuffer(raw, dtype=dtype, count=numel)
        if storage_type.name == "BFloat16Storage":
            # bfloat16 is the upper 16 bits of a float32.
            values = (values.astype(np.uint32) << 16).view(np.float32)
        else:
            values = values.astype(dtype.newbyteorder("="))
        storage = Storage(key, storage_type.name, values)
        self._storages[key] = storage
        return storage


def _open_zip(path: Path, data: bytes | None) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path if data is None else io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ModelFileError(
            "expected a zip archive as torch.save writes since PyTorch 1.6, found "
            "something else (a legacy torch.save file or not a PyTorch file at all; "
            "re-save it with a current PyTorch, or as .safetensors)"
        ) from None


def _looks_whole_module(pickled: bytes) -> bool:
    """Whether a pickle that could not be read saved a module rather than a state_dict."""
    return b"torch.nn.modules" in pickled or b"__torch__" in pickled


def _describe(obj: Any) -> str:
    if isinstance(obj, ObjectRecord):
        return f"a {obj.cls.qualified_name} object"
    return f"a {type(obj).__name__}"


def read_torch_contents(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, data: bytes | None = None
) -> ModelContents:
    """Every tensor in a ``torch.save``/``torch.jit.save`` zip by its dotted state_dict
    name, and, for a whole module or TorchScript file, its module tree. ``data``, when
    given, is the file's bytes, already read; a zip member whose directory entry promises
    a deflate bomb is refused before it is inflated (:mod:`.limits`).

    Raises ModelFileError (a ValueError) for anything that is not such a file, naming what
    was expected and what was found; nothing in the file is ever run.
    """
    budget = _Budget(max_bytes)
    widened: list[np.ndarray] = []
    try:
        size = os.stat(path).st_size if data is None else len(data)
        with _open_zip(path, data) as zipped:
            archive = _TorchArchive(zipped, budget, size)
            pickled = archive.pickle()
            try:
                obj = unpickle(
                    pickled, calls=_calls(budget, widened), persistent_load=archive.storage
                )
            except RefusedPickle as err:
                hint = f"; a whole-module file: {RESAVE_HINT}"
                raise RefusedPickle(
                    f"{err}{hint if _looks_whole_module(pickled) else ''}"
                ) from None
            except ModelFileError as err:
                raise ModelFileError(f"its data.pkl could not be read: {err}") from None
            except (RecursionError, MemoryError, ValueError, TypeError) as err:
                # Reaching here is a malformed pickle the machine did not foresee.
                raise ModelFileError(
                    f"its data.pkl could not be read as a state_dict: {type(err).__name__}"
                ) from None
            try:
                contents = contents_from_pickle(obj, archive.code)
            except ModelFileError as err:
                hint = f"; {RESAVE_HINT}" if _looks_whole_module(pickled) else ""
                raise ModelFileError(f"{err}{hint}") from None
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as err:
        # What zipfile raises for a damaged, encrypted or oddly compressed member.
        raise ModelFileError(f"its zip could not be read: {type(err).__name__}: {err}") from None
    if not contents.state_dict:
        hint = f"; {RESAVE_HINT}" if contents.modules else ""
        raise ModelFileError(
            f"expected a state_dict of tensors, found {_describe(obj)} holding none{hint}"
        )
    bfloat16 = frozenset(
        name
        for name, array in contents.state_dict.items()
        if any(array is tensor for tensor in widened)
    )
    return dataclasses.replace(contents, bfloat16=bfloat16)


def read_torch_file(path: Path) -> dict[str, np.ndarray]:
    """Every tensor in a ``torch.save`` zip, by its dotted state_dict name (see
    :func:`read_torch_contents`, which also gives a whole module's tree)."""
    return read_torch_contents(path).state_dict
