"""Each reader, and its library, loads only when a file of its format is read: the error
types and an .npz load none of the others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
READER_LIBRARIES = ("safetensors", "h5py", "onnx", "torch")
READER_MODULES = tuple(
    f"lstm_sim.engine.formats.{name}"
    for name in (
        *("keras", "hdf5_guard", "native", "npy", "onnx_file", "safetensors_file"),
        *("module_tree", "pickle_machine", "torch_module", "torch_module_tree"),
        *("torch_pickle", "torch_state_dict", "torch_surroundings"),
    )
)

SCRIPT = f"""
import sys
from lstm_sim.engine.formats import load_model
from lstm_sim.resources import resource_path
network = load_model(resource_path("models/example_lstm2.npz"))
assert network.num_layers == 2
print(" ".join(name for name in {READER_LIBRARIES!r} if name in sys.modules))
"""

ERRORS_ONLY = f"""
import sys
from lstm_sim.engine.formats import SUFFIXES, ModelFileError, load_model
from lstm_sim.engine.formats.errors import InputFileError
assert ".onnx" in SUFFIXES
print(" ".join(name for name in {READER_MODULES!r} if name in sys.modules))
"""

NPZ_THEN_NAMES = f"""
import sys
from lstm_sim.engine.formats import load_model
from lstm_sim.resources import resource_path
load_model(resource_path("models/example_lstm2.npz"))
others = [m for m in {READER_MODULES!r} if m in sys.modules and not m.endswith(("native", "npy"))]
from lstm_sim.engine.formats import RecurrentModule, network_from_module, save_native
assert callable(save_native) and callable(network_from_module) and RecurrentModule.__name__
print(" ".join(others))
"""


def run_script(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_reading_an_npz_loads_no_other_readers_library() -> None:
    assert run_script(SCRIPT) == ""


def test_the_error_types_and_the_package_load_no_reader() -> None:
    assert run_script(ERRORS_ONLY) == ""


def test_an_npz_loads_only_its_reader_and_the_public_names_still_import() -> None:
    assert run_script(NPZ_THEN_NAMES) == ""
