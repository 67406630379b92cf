"""The layers point one way: the engine and the model import without Qt, the engine also
without psygnal and without the model, and the command line without the GUI (it imports
lstm_sim.gui only inside the function that starts the window). Each check runs in a fresh
interpreter where importing the forbidden packages raises ImportError, and imports every
module of the package."""

from __future__ import annotations

import subprocess
import sys

import pytest

QT = ("PySide6", "shiboken6", "pyqtgraph", "superqt")

# Runs in the child: block the packages named in argv[1], import every module of the
# packages named in argv[2], report what was imported.
CHILD = """
import importlib, importlib.abc, pkgutil, sys

blocked = set(sys.argv[1].split(","))


def is_blocked(name):
    return any(name == b or name.startswith(b + ".") for b in blocked)


class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if is_blocked(name):
            raise ImportError(f"layering: {name} must not be imported here", name=name)
        return None


sys.meta_path.insert(0, Blocker())
imported = []
for package_name in sys.argv[2].split(","):
    package = importlib.import_module(package_name)
    imported.append(package_name)
    for module in pkgutil.walk_packages(package.__path__, package_name + "."):
        try:
            importlib.import_module(module.name)
        except ImportError as err:
            # An optional extra that is not installed (onnx, h5py) is fine; a blocked
            # package is the violation this test looks for.
            if is_blocked(err.name or "") or "layering:" in str(err):
                raise
            continue
        imported.append(module.name)
leaked = sorted(m for m in sys.modules if is_blocked(m))
assert not leaked, leaked
print("\\n".join(imported))
"""


def import_without(blocked: tuple[str, ...], packages: tuple[str, ...]) -> list[str]:
    """The modules imported in a child interpreter where ``blocked`` cannot be imported."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, ",".join(blocked), ",".join(packages)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_blocker_really_blocks() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, ",".join(QT), "pyqtgraph"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "layering: pyqtgraph must not be imported here" in result.stderr


@pytest.mark.parametrize(
    ("blocked", "packages"),
    [
        (QT, ("lstm_sim.engine", "lstm_sim.model")),
        ((*QT, "psygnal", "lstm_sim.model"), ("lstm_sim.engine",)),
    ],
)
def test_engine_and_model_import_without_qt(
    blocked: tuple[str, ...], packages: tuple[str, ...]
) -> None:
    imported = import_without(blocked, packages)
    for package in packages:
        assert package in imported
    assert "lstm_sim.engine.trace" in imported and "lstm_sim.engine.cells" in imported
    if "lstm_sim.model" in packages:
        assert "lstm_sim.model.session" in imported


def test_the_command_line_imports_no_gui_module() -> None:
    imported = import_without((*QT, "lstm_sim.gui"), ("lstm_sim.cli",))
    assert {"lstm_sim.cli.gui", "lstm_sim.cli.scenarios", "lstm_sim.cli.trace"} <= set(imported)
