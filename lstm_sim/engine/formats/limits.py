"""The resource limits every reader checks before it allocates or waits.

A file states sizes (an .npy header's shape, a zip member's inflated size, a safetensors
header, an HDF5 dataset's shape, an ONNX initializer's dims). Each stated size is checked
here, against the bytes the file really holds and against a cap, before any array is made
or any member is inflated, so a few hundred hostile bytes cannot ask for terabytes.

=============================  ==============================================================
limit                          value
=============================  ==============================================================
parameter bytes (all arrays)   2 GiB; ``LSTM_SIM_MAX_MODEL_BYTES`` (bytes, e.g. ``8e9``) or
                               the ``max_bytes`` argument of the readers changes it
model file size                the same cap: a bigger file is refused before it is read
zip member inflation           at most ``INFLATE_RATIO`` × its compressed size beyond the
                               first ``INFLATE_FREE`` bytes (deflate reaches ~1000×; real
                               weights compress less than 2×)
time for one HDF5 read         ``LSTM_SIM_READ_TIMEOUT`` seconds (default 60), enforced by
                               reading in a child process that is killed when it runs over
=============================  ==============================================================
"""

from __future__ import annotations

import math
import os
import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

MAX_BYTES_ENV = "LSTM_SIM_MAX_MODEL_BYTES"
DEFAULT_MAX_BYTES = 2 * 1024**3
READ_TIMEOUT_ENV = "LSTM_SIM_READ_TIMEOUT"
DEFAULT_READ_TIMEOUT = 60.0
INFLATE_RATIO = 100
INFLATE_FREE = 16 * 1024**2
_CHUNK = 1 << 20


def _positive_env(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r}: expected a positive number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}={text!r}: expected a positive number")
    return value


def max_bytes(override: int | None = None) -> int:
    """The cap on a model's parameter bytes (and on its file size): ``override`` when
    given, else ``$LSTM_SIM_MAX_MODEL_BYTES``, else 2 GiB."""
    if override is not None:
        if override <= 0:
            raise ValueError(f"max_bytes must be positive, got {override}")
        return int(override)
    return int(_positive_env(MAX_BYTES_ENV, DEFAULT_MAX_BYTES))


def read_timeout() -> float:
    """Seconds one guarded read may take: ``$LSTM_SIM_READ_TIMEOUT``, else 60."""
    return _positive_env(READ_TIMEOUT_ENV, DEFAULT_READ_TIMEOUT)


def _size(number: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(number) < 1024 or unit == "PiB":
            return f"{number:.0f} {unit}" if unit == "bytes" else f"{number:.1f} {unit}"
        number /= 1024
    raise AssertionError("unreachable")


def regular_file_size(path: Path, what: str = "file") -> int:
    """The size of ``path``, refusing anything but an existing regular file (a FIFO would
    block the reader forever, a device never ends) before it is opened."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ValueError(f"no such {what}") from None
    except OSError as err:
        raise ValueError(f"cannot look at it: {err.strerror or err}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(info.st_mode)
            else "a FIFO (named pipe)"
            if stat.S_ISFIFO(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "not a regular file"
        )
        raise ValueError(f"expected a regular {what}, found {kind}")
    return info.st_size


def _open_regular(path: Path, what: str) -> IO[bytes]:
    """``path`` opened for reading, non-blocking and checked again on the open descriptor,
    so a file swapped for a FIFO between a check and the open cannot block."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise ValueError(f"cannot open it: {err.strerror or err}") from None
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise ValueError(f"expected a regular {what}, found something else")
    return handle


def read_regular_file(path: Path, cap: int, what: str = "file") -> bytes:
    """All bytes of the regular file ``path``, at most ``cap`` of them."""
    size = regular_file_size(path, what)
    if size > cap:
        raise ValueError(f"the {what} holds {_size(size)}, more than the {_size(cap)} limit")
    with _open_regular(path, what) as handle:
        # read(n) allocates n bytes up front: ask for the size the file has, plus one byte
        # to notice a file that grows while it is read.
        data = handle.read(min(os.fstat(handle.fileno()).st_size, cap) + 1)
    if len(data) > cap:
        raise ValueError(f"the {what} grew past the {_size(cap)} limit while being read")
    return data


def read_regular_range(path: Path, offset: int, length: int, what: str = "file") -> bytes:
    """``length`` bytes at ``offset`` of the regular file ``path`` (the caller has checked
    that they fit its size and the cap)."""
    regular_file_size(path, what)
    with _open_regular(path, what) as handle:
        handle.seek(offset)
        data = handle.read(length)
    if len(data) != length:
        raise ValueError(f"the {what} ends before byte {offset + length}")
    return data


def check_array(what: str, shape: Sequence[int], itemsize: int, available: int, budget: int) -> int:
    """The byte count of an array of ``shape`` and ``itemsize``, refusing a negative
    dimension, more bytes than the file ``available`` holds for it, or more than
    ``budget`` (what is left of the cap). Exact integers: no overflow."""
    dims = [int(n) for n in shape]
    if any(n < 0 for n in dims):
        raise ValueError(f"{what} declares the shape {tuple(dims)}, with a negative size")
    nbytes = math.prod(dims) * int(itemsize)
    if nbytes > budget:
        raise ValueError(
            f"{what} declares the shape {tuple(dims)} ({_size(nbytes)}), more than the "
            f"{_size(budget)} left of the limit ({MAX_BYTES_ENV} raises it)"
        )
    if nbytes > available:
        raise ValueError(
            f"{what} declares the shape {tuple(dims)} ({_size(nbytes)}), but the file holds "
            f"only {_size(available)} for it"
        )
    return nbytes


def inflate_allowance(compressed: int) -> int:
    """The most bytes ``compressed`` bytes of a zip member may inflate to."""
    return INFLATE_FREE + INFLATE_RATIO * compressed


def check_inflation(info: zipfile.ZipInfo, archive_size: int) -> None:
    """Refuse a zip member whose stated sizes do not fit the archive or would inflate
    more than :func:`inflate_allowance`, from its directory entry alone (before a byte of
    it is inflated)."""
    name = info.filename
    if info.compress_size > archive_size:
        raise ValueError(
            f"zip member {name} claims {_size(info.compress_size)} of compressed data in a "
            f"{_size(archive_size)} file"
        )
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise ValueError(f"zip member {name} is stored but its two sizes differ")
    if info.file_size > inflate_allowance(info.compress_size):
        raise ValueError(
            f"zip member {name} would inflate {_size(info.compress_size)} to "
            f"{_size(info.file_size)}, more than {INFLATE_RATIO}x: refused as a zip bomb"
        )


def check_member(info: zipfile.ZipInfo, archive_size: int, budget: int) -> None:
    """:func:`check_inflation`, and refuse a member larger than ``budget``."""
    check_inflation(info, archive_size)
    name = info.filename
    if info.file_size > budget:
        raise ValueError(
            f"zip member {name} holds {_size(info.file_size)}, more than the {_size(budget)} "
            f"left of the limit ({MAX_BYTES_ENV} raises it)"
        )


def read_member(archive: zipfile.ZipFile, name: str, archive_size: int, budget: int) -> bytes:
    """The bytes of zip member ``name`` after :func:`check_member`, inflated in chunks
    that stop at its stated size (a member that inflates further is refused)."""
    info = archive.getinfo(name)
    check_member(info, archive_size, budget)
    with archive.open(info) as handle:
        return read_stream(handle, info.file_size, f"zip member {name}")


def read_stream(handle: IO[bytes], expected: int, what: str) -> bytes:
    """Exactly ``expected`` bytes from ``handle``, read in chunks, refusing more or fewer."""
    parts = []
    left = expected
    while left > 0:
        chunk = handle.read(min(left, _CHUNK))
        if not chunk:
            raise ValueError(f"{what} ends {_size(left)} early")
        parts.append(chunk)
        left -= len(chunk)
    if handle.read(1):
        raise ValueError(f"{what} holds more than its stated {_size(expected)}")
    return b"".join(parts)
