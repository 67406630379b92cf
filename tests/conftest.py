"""Shared test set-up: Qt renders offscreen and PySide6 is the binding, before any Qt import."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


def _refuses_files(folder: Path) -> bool:
    try:
        (folder / ".lstm-sim-probe").open("xb").close()
    except OSError:
        return True
    (folder / ".lstm-sim-probe").unlink()
    return False


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder this process cannot create files in: read-only by its mode or, for root,
    whom modes do not stop, sysfs."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if _refuses_files(folder):
            yield folder
        elif _refuses_files(Path("/sys")):
            yield Path("/sys")
        else:
            pytest.skip("no folder on this machine refuses this user's files")
    finally:
        folder.chmod(0o700)
