"""HDF5 files read in a child process that cannot reach outside the file, hang or swell.

HDF5 can point outside its file: a dataset's data may live in other files (external
storage), a link may name a dataset in another file (external link) or a path that loops
(soft link), a virtual dataset maps others' data, and a filter may load a plugin. A
corrupted file can also make the C library spin for minutes, and no Python thread can stop
C code. So an HDF5 file's bytes are handed to a child process, which:

- opens them from memory read-only (h5py's file-object driver: the path is never passed);
- walks every link and refuses, by name, soft, external and user-defined links, datasets
  with external storage or a virtual layout, and filters other than deflate (gzip),
  shuffle, fletcher32 and LZF (the ones h5py and Keras write; szip, nbit, scaleoffset and
  plugins are refused);
- loads no HDF5 filter plugin (its plugin search path is emptied first);
- checks each dataset it reads against the bytes the file stores for it and the cap;
- runs under an address-space limit, and is killed when it takes longer than
  :func:`.limits.read_timeout` seconds (:mod:`.fork_server`).

The child answers with a JSON header and raw array bytes (no pickle crosses back).
"""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_sim.engine.formats.fork_server import run_isolated
from lstm_sim.engine.formats.limits import check_array, inflate_allowance, read_timeout

Extracted = tuple[str | None, dict[str, list[np.ndarray]]]
"""What a layout function takes from a file: a config text and arrays by layer name."""

ALLOWED_FILTERS = {1: "deflate", 2: "shuffle", 3: "fletcher32", 32000: "lzf"}
MAX_OBJECTS = 100_000
MAX_ATTRIBUTE_VALUES = 1_000_000
_NUMERIC_KINDS = "fiub"
_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def looks_like_hdf5(data: bytes) -> bool:
    """Whether ``data`` holds HDF5's signature where the format puts it: at byte 0, or
    after a user block of 512, 1024, 2048... bytes."""
    offset = 0
    while offset + len(_SIGNATURE) <= len(data):
        if data[offset : offset + len(_SIGNATURE)] == _SIGNATURE:
            return True
        offset = max(512, 2 * offset)
    return False


def _h5py() -> Any:
    """h5py, imported only where an HDF5 file is read (it is an optional extra)."""
    import h5py

    return h5py


def check_structure(h5: Any) -> None:
    """Refuse any link, storage, layout or filter that would read outside ``h5``."""
    h5py = _h5py()

    stack = [h5]
    seen: set[tuple[int, int]] = set()
    count = 0
    while stack:
        group = stack.pop()
        for name in group:
            count += 1
            if count > MAX_OBJECTS:
                raise ValueError(f"expected at most {MAX_OBJECTS} HDF5 objects, found more")
            where = f"{group.name.rstrip('/')}/{name}"
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.SoftLink):
                raise ValueError(f"HDF5 {where} is a soft link to {link.path}; refused")
            if isinstance(link, h5py.ExternalLink):
                raise ValueError(
                    f"HDF5 {where} is an external link to {link.filename}; refused (a model "
                    "file may not make lstm-sim read other files)"
                )
            if not isinstance(link, h5py.HardLink):
                raise ValueError(f"HDF5 {where} is a user-defined link; refused")
            item = group[name]
            info = h5py.h5o.get_info(item.id)
            if (info.fileno, info.addr) in seen:
                continue
            seen.add((info.fileno, info.addr))
            if isinstance(item, h5py.Group):
                stack.append(item)
            elif isinstance(item, h5py.Dataset):
                _check_dataset_storage(item, where)


def _check_dataset_storage(dataset: Any, where: str) -> None:
    h5py = _h5py()

    plist = dataset.id.get_create_plist()
    if plist.get_external_count():
        raise ValueError(
            f"HDF5 dataset {where} keeps its data in external files; refused (a model file "
            "may not make lstm-sim read other files)"
        )
    if plist.get_layout() == h5py.h5d.VIRTUAL:
        raise ValueError(f"HDF5 dataset {where} is a virtual dataset (data of other files)")
    for index in range(plist.get_nfilters()):
        code, _flags, _values, name = plist.get_filter(index)
        if code not in ALLOWED_FILTERS:
            raise ValueError(
                f"HDF5 dataset {where} uses the filter {name.decode(errors='replace')!r} "
                f"({code}); lstm-sim reads only {', '.join(ALLOWED_FILTERS.values())}"
            )


def read_dataset(dataset: Any, budget: int) -> np.ndarray:
    """A numeric dataset's values, its shape checked against its stored bytes first."""
    where = f"HDF5 dataset {dataset.name}"
    dtype = dataset.dtype
    if dtype.kind not in _NUMERIC_KINDS or dtype.itemsize == 0:
        raise ValueError(f"{where} holds {dtype}, expected numbers")
    stored = dataset.id.get_storage_size()
    compressed = dataset.id.get_create_plist().get_nfilters() > 0
    available = inflate_allowance(stored) if compressed else stored
    check_array(where, dataset.shape or (), dtype.itemsize, available, budget)
    return np.asarray(dataset[()])


def read_attribute(owner: Any, name: str) -> Any:
    """Attribute ``name`` of ``owner`` (None when absent), its size checked first."""
    h5py = _h5py()

    if name not in owner.attrs:
        return None
    attribute = h5py.h5a.open(owner.id, name.encode())
    shape = attribute.shape or ()
    if int(np.prod(shape, dtype=np.float64)) > MAX_ATTRIBUTE_VALUES:
        raise ValueError(f"HDF5 attribute {name} declares the shape {shape}; too many values")
    return owner.attrs[name]


def read_in_child(data: bytes, extract: str, budget: int) -> bytes:
    """Run in the child: the arrays ``extract`` ("module:function") takes from the HDF5
    file held in ``data``, as a JSON header and their raw bytes."""
    h5py = _h5py()
    # A dataset naming an unknown filter makes HDF5 look for a plugin library to load:
    # with no plugin folders, none can be.
    while h5py.h5pl.size():
        h5py.h5pl.remove(0)
    module, function_name = extract.split(":")
    function = getattr(importlib.import_module(module), function_name)
    with h5py.File(io.BytesIO(data), "r") as h5:
        check_structure(h5)
        config, weights = function(h5, budget)
    arrays = [np.ascontiguousarray(a) for values in weights.values() for a in values]
    header = {
        "config": config,
        "weights": {
            name: [[a.dtype.str, list(a.shape)] for a in values] for name, values in weights.items()
        },
    }
    blob = json.dumps(header).encode()
    return len(blob).to_bytes(8, "little") + blob + b"".join(a.tobytes() for a in arrays)


def _decode(payload: bytes, budget: int) -> Extracted:
    """The config and arrays :func:`read_in_child` packed, checked against ``budget``."""
    length = int.from_bytes(payload[:8], "little")
    header = json.loads(payload[8 : 8 + length])
    body = memoryview(payload)[8 + length :]
    offset = 0
    weights: dict[str, list[np.ndarray]] = {}
    for name, entries in header["weights"].items():
        weights[name] = []
        for dtype_text, shape in entries:
            dtype = np.dtype(dtype_text)
            if dtype.kind not in _NUMERIC_KINDS:
                raise ValueError(f"the HDF5 reader returned {dtype} for {name}")
            nbytes = check_array(name, shape, dtype.itemsize, len(body) - offset, budget)
            values = np.frombuffer(body[offset : offset + nbytes], dtype).reshape(shape)
            weights[name].append(values.copy())
            offset += nbytes
    return header["config"], weights


def read_guarded(data: bytes, extract: Callable[[Any, int], Extracted], budget: int) -> Extracted:
    """``extract(h5, budget)`` run on the HDF5 file held in ``data``, in a child process
    bounded in time and memory (:mod:`.fork_server`), after :func:`check_structure`
    accepted the file. ``extract`` must be a module-level function (it is named, not
    pickled)."""
    payload = run_isolated(
        read_in_child,
        data,
        timeout=read_timeout(),
        limit=budget,
        preload=("h5py",),
        extract=f"{extract.__module__}:{extract.__qualname__}",
        budget=budget,
    )
    return _decode(payload, budget)
