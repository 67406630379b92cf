"""NumPy ``.npy`` arrays and ``.npz`` archives read from their headers first.

``np.load`` allocates whatever shape a header declares and inflates every member it is
asked for; here the header is parsed on its own, the declared bytes are checked against
the bytes the file really holds and the cap (:mod:`.limits`), and only then is the array
read, into a buffer of exactly that size. An ``.npz`` is opened as a lazy mapping: a
member is inflated only when a reader asks for its key, so keys a format does not name
are never decompressed. Object arrays (which need pickle) are refused from the header.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Mapping
from typing import IO

import numpy as np
from numpy.lib import format as npy_format

from lstm_sim.engine.formats.limits import check_array, check_member

_HEADER_LIMIT = 10_000  # np.load's own limit on the header's length


def _read_exactly(handle: IO[bytes], nbytes: int, what: str) -> bytearray:
    buffer = bytearray(nbytes)
    view = memoryview(buffer)
    filled = 0
    while filled < nbytes:
        count = handle.readinto(view[filled:])  # type: ignore[attr-defined]
        if not count:
            raise ValueError(f"{what} ends after {filled} of its {nbytes} data bytes")
        filled += count
    return buffer


def read_npy(handle: IO[bytes], size: int, budget: int, what: str) -> np.ndarray:
    """The array in the .npy stream ``handle`` of ``size`` bytes, its header checked
    against ``size`` and ``budget`` before any data is read."""
    try:
        version = npy_format.read_magic(handle)
    except ValueError:
        raise ValueError(f"{what} is not a .npy array (no NumPy magic string)") from None
    if version == (1, 0):
        header = npy_format.read_array_header_1_0(handle, max_header_size=_HEADER_LIMIT)
    elif version == (2, 0):
        header = npy_format.read_array_header_2_0(handle, max_header_size=_HEADER_LIMIT)
    else:
        raise ValueError(f"{what} is a .npy of version {version}, expected 1.0 or 2.0")
    shape, fortran_order, dtype = header
    if dtype.hasobject:
        raise ValueError(
            f"{what} holds Python objects, expected numbers or text (objects cannot be read "
            "without pickle)"
        )
    if dtype.itemsize == 0:
        raise ValueError(f"{what} has the empty dtype {dtype}")
    nbytes = check_array(what, shape, dtype.itemsize, size - handle.tell(), budget)
    buffer = _read_exactly(handle, nbytes, what)
    flat = np.frombuffer(buffer, dtype=dtype)
    if fortran_order:
        return flat.reshape(shape[::-1]).transpose()
    return flat.reshape(shape)


class NpzMembers(Mapping[str, np.ndarray]):
    """The arrays of an ``.npz`` held in ``data``, each read (and checked) on first use;
    ``budget`` bytes may be read in all."""

    def __init__(self, data: bytes, budget: int) -> None:
        try:
            self._archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise ValueError(
                "expected a NumPy .npz archive (a zip), found something else"
            ) from None
        self._size = len(data)
        self._budget = budget
        self._members = {
            name[: -len(".npy")]: name for name in self._archive.namelist() if name.endswith(".npy")
        }
        self._read: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self._read:
            return self._read[key]
        if key not in self._members:
            raise KeyError(key)
        info = self._archive.getinfo(self._members[key])
        check_member(info, self._size, self._budget)
        what = f"the array {key!r}"
        with self._archive.open(info) as handle:
            array = read_npy(handle, info.file_size, self._budget, what)
        self._budget -= array.nbytes
        self._read[key] = array
        return array

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def close(self) -> None:
        self._archive.close()
