"""Reading a trace file back: the named arrays of a ``.npz`` written by ``lstm-sim trace``
(or by another tool in the same format), for diffs and reference runs.

Only the members asked for are read, each checked from its header before any data is:
a numeric dtype, and a size within the file's own limit, so a crafted file can neither
unpickle anything nor make lstm-sim allocate more than it declares.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from lstm_sim.engine.formats.errors import InputFileError

MAX_TRACE_BYTES = 4 << 30
"""Largest array a trace file may ask lstm-sim to hold: far above any trace a window shows."""


def read_trace_arrays(path: str | os.PathLike[str], names: Iterable[str]) -> dict[str, np.ndarray]:
    """The arrays ``names`` that the trace file ``path`` holds (missing ones are left out)."""
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise InputFileError(f"{path}: expected a trace file ending in .npz")
    if not path.is_file():
        raise InputFileError(f"{path}: no such trace file (or not a regular file)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            return {
                name: _read_member(archive, members[f"{name}.npy"])
                for name in names
                if f"{name}.npy" in members
            }
    except InputFileError as err:
        raise InputFileError(f"{path}: {err}") from None
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, RuntimeError) as err:
        raise InputFileError(f"{path}: expected a trace .npz, cannot read it: {err}") from None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with archive.open(info) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise InputFileError(f"{info.filename}: unsupported .npy version {version}")
        if dtype.kind not in "biuf" or dtype.hasobject:
            raise InputFileError(f"{info.filename}: expected numbers, found dtype {dtype}")
        size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if size > min(MAX_TRACE_BYTES, info.file_size):
            raise InputFileError(
                f"{info.filename}: declares {size} bytes of data but holds {info.file_size}"
            )
        data = stream.read(size)
        if len(data) != size:
            raise InputFileError(f"{info.filename}: truncated ({len(data)} of {size} bytes)")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return array.copy()
