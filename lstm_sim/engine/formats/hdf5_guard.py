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
  :func:`.limits.read_timeout` seconds.

The child answers with a JSON header and raw array bytes (no pickle crosses back). Children
are forked from a forkserver that has already imported h5py, so a read costs ~10 ms more
than in-process; the first read of a process starts the server (~0.3 s).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from lstm_sim.engine.formats.limits import check_array, inflate_allowance, read_timeout

Extracted = tuple[str | None, dict[str, list[np.ndarray]]]
"""What a layout function takes from a file: a config text and arrays by layer name."""

ALLOWED_FILTERS = {1: "deflate", 2: "shuffle", 3: "fletcher32", 32000: "lzf"}
MAX_OBJECTS = 100_000
MAX_ATTRIBUTE_VALUES = 1_000_000
_NUMERIC_KINDS = "fiub"


def _h5py() -> Any:
    """h5py, imported only where an HDF5 file is read (it is an optional extra)."""
    import h5py  # type: ignore[import-untyped]

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


def _limit_memory(budget: int) -> None:
    """Cap the child's address space at what it has now plus room for the arrays."""
    try:
        import resource
    except ImportError:  # not on Windows; the timeout still holds
        return
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + 3 * budget + 512 * 1024**2
    limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child(
    conn: Connection, data: bytes, extract: Callable[[Any, int], Extracted], budget: int
) -> None:
    """Read ``data`` in the child and send back a JSON header and the arrays' bytes."""
    try:
        if os.path.exists("/proc/self/statm"):
            _limit_memory(budget)
        h5py = _h5py()

        # A dataset naming an unknown filter makes HDF5 look for a plugin library to load:
        # with no plugin folders, none can be.
        while h5py.h5pl.size():
            h5py.h5pl.remove(0)
        with h5py.File(io.BytesIO(data), "r") as h5:
            check_structure(h5)
            config, weights = extract(h5, budget)
        arrays = [np.ascontiguousarray(a) for values in weights.values() for a in values]
        header = {
            "config": config,
            "weights": {
                name: [[a.dtype.str, list(a.shape)] for a in values]
                for name, values in weights.items()
            },
        }
        blob = json.dumps(header).encode()
        conn.send_bytes(
            len(blob).to_bytes(8, "little") + blob + b"".join(a.tobytes() for a in arrays)
        )
    except BaseException as err:  # everything goes back as one line; nothing else escapes
        kind = "" if isinstance(err, ValueError) else f"{type(err).__name__}: "
        message = json.dumps({"error": f"{kind}{err}"}).encode()
        conn.send_bytes(len(message).to_bytes(8, "little") + message)
    finally:
        conn.close()


def _decode(payload: bytes, budget: int) -> Extracted:
    length = int.from_bytes(payload[:8], "little")
    header = json.loads(payload[8 : 8 + length])
    if "error" in header:
        raise ValueError(str(header["error"]))
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


_context: Any = None


def _server_context() -> Any:
    """A process context whose children start fast, with h5py already imported."""
    global _context
    if _context is None:
        methods = multiprocessing.get_all_start_methods()
        _context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            _context.set_forkserver_preload(["h5py", __name__])
    return _context


def read_guarded(data: bytes, extract: Callable[[Any, int], Extracted], budget: int) -> Extracted:
    """``extract(h5, budget)`` run on the HDF5 file held in ``data``, in a child process
    bounded in time and memory, after :func:`check_structure` accepted the file.

    ``extract`` must be a module-level function (it is named, not pickled by value).
    """
    context = _server_context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, data, extract, budget), daemon=True)
    child.start()
    send.close()
    timeout = read_timeout()
    try:
        if not receive.poll(timeout):
            raise ValueError(
                f"reading its HDF5 data took longer than {timeout:g} s and was stopped "
                "(a corrupted file can make the HDF5 library spin)"
            )
        try:
            payload = receive.recv_bytes()
        except EOFError:
            child.join(timeout)
            raise ValueError(
                f"the HDF5 library crashed reading it (exit code {child.exitcode})"
            ) from None
        return _decode(payload, budget)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
