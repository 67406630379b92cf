"""Each reader's library loads only when a file of its format is read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
READER_LIBRARIES = ("safetensors", "h5py", "onnx", "torch")

SCRIPT = f"""
import sys
from lstm_sim.engine.formats import load_model
from lstm_sim.resources import resource_path
network = load_model(resource_path("models/example_lstm2.npz"))
assert network.num_layers == 2
print(" ".join(name for name in {READER_LIBRARIES!r} if name in sys.modules))
"""


def test_reading_an_npz_loads_no_other_readers_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
