"""Shared test set-up: Qt renders offscreen and PySide6 is the binding, before any Qt import."""

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


@pytest.fixture
def fresh_venv() -> Callable[[Path], Path]:
    """Makes a venv at a given folder that sees the running environment's packages.

    ``python -m venv --system-site-packages`` would see the base interpreter's packages,
    not those of the venv the tests run in (safetensors, pytest-qt, ...). A ``.pth`` file
    in the new venv lists the running environment's site folders after its own, so what
    is installed into the new venv comes first and nothing needs a download. Returns the
    new venv's ``python``.
    """

    def make(where: Path) -> Path:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
        (site,) = where.glob("lib/python*/site-packages")
        running = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
        # Plain paths: the running environment's own .pth files (an editable install of
        # this checkout among them) are not processed in the new venv.
        (site / "zz_running_environment.pth").write_text("\n".join(running) + "\n")
        return where / "bin" / "python"

    return make


@pytest.fixture
def isolated_env() -> dict[str, str]:
    """os.environ without what would leak this process's packages or venv into a child."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    return {k: v for k, v in os.environ.items() if k not in drop}


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
