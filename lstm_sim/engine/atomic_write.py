"""Writing a file so that nothing can leave it half-written.

Every file lstm-sim writes (traces, models, exported pictures) is written to a fresh
hidden file in the target's own folder (``.NAME.1a2b3c4d.tmp``), flushed to disk, and
only then renamed over the target with :func:`os.replace`, which is atomic on one file
system. A crash, a kill or a full disk before the rename leaves the previous file
byte-identical; any exception, Ctrl+C (KeyboardInterrupt) included, also removes the
temporary file. Only a process killed outright (SIGKILL, power loss) can leave the
hidden temporary file behind, never a broken target.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def _temporary_beside(target: Path) -> Path:
    # os.urandom is what secrets.token_hex reads, without importing hmac and hashlib
    # on the window's start-up path.
    return target.with_name(f".{target.name}.{os.urandom(4).hex()}.tmp")


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; folders cannot be opened on Windows, nor need it."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _resolved(path: str | os.PathLike[str]) -> Path:
    # Through a symbolic link the file it names is replaced, so the link keeps working.
    return Path(os.path.realpath(path))


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that wants a file name (Qt's image and
    SVG writers); when the block ends without an exception the file there is flushed to
    disk and renamed over ``path``, otherwise it is removed.

    The temporary file already exists (empty, created exclusively with the user's usual
    permissions) when the block starts; the writer overwrites it.
    """
    target = _resolved(path)
    temporary = _temporary_beside(target)
    try:
        with temporary.open("xb"):
            pass
        yield temporary
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


@contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file to write ``path``'s new contents into; it replaces ``path`` only when
    the block ends without an exception."""
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        yield handle
        handle.flush()


@contextmanager
def atomic_write_text(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A UTF-8 text file (newlines written as given, as :mod:`csv` wants) to write
    ``path``'s new contents into; it replaces ``path`` only when the block ends without an
    exception."""
    with atomic_path(path) as temporary, temporary.open("w", encoding="utf-8", newline="") as h:
        yield h
        h.flush()


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise OSError naming the folder when a file cannot be created beside ``path``: asked
    before long work (training) so that its result is not lost at the end.

    The check creates and removes a temporary file, the one test that permissions, ACLs,
    read-only mounts and a missing folder all answer truthfully.
    """
    target = _resolved(path)
    folder = target.parent
    if not folder.is_dir():
        raise OSError(f"no folder {folder} to write {target.name} in")
    if target.is_dir():
        raise OSError(f"{target} is a folder, expected a file name")
    probe = _temporary_beside(target)
    try:
        with probe.open("xb"):
            pass
    except OSError as err:
        raise OSError(f"cannot write in the folder {folder}: {err.strerror or err}") from None
    probe.unlink()
