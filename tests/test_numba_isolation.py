"""numba is for training only: starting the window or running ``lstm-sim trace`` (with
``--grad``, which backpropagates) never imports it, and training does when it is there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine import Network
from lstm_sim.engine.formats import save_native

pytest.importorskip("numba")  # without numba nothing could import it: nothing to check

# Runs ``lstm-sim`` with argv[1:] in the child, then reports the compiler's modules loaded.
CHILD = """
import runpy, sys
sys.argv = ["lstm-sim", *sys.argv[1:]]
try:
    runpy.run_module("lstm_sim", run_name="__main__")
except SystemExit as done:
    if done.code:
        raise
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("numba", "llvmlite"))
print("LOADED", ",".join(loaded))
"""


def compiler_modules(*args: str) -> list[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("LOADED"))
    return [name for name in line.removeprefix("LOADED").strip().split(",") if name]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    network = Network.random("lstm", 2, 3, np.random.default_rng(0), output_size=2)
    save_native(network, tmp_path / "model.npz")
    return tmp_path / "model.npz"


def test_window_start_does_not_import_numba(tmp_path: Path) -> None:
    screenshot = str(tmp_path / "window.png")
    assert compiler_modules("--screenshot", screenshot, "--steps", "3") == []


def test_trace_with_gradients_does_not_import_numba(tmp_path: Path, model: Path) -> None:
    np.save(tmp_path / "x.npy", np.random.default_rng(1).normal(size=(5, 2)))
    np.save(tmp_path / "y.npy", np.array([0, 1, 1, 0, 1]))
    out = str(tmp_path / "t.npz")
    args = ("trace", str(model), "--inputs", str(tmp_path / "x.npy"), "--out", out)
    assert compiler_modules(*args, "--grad", "--targets", str(tmp_path / "y.npy")) == []
    assert (tmp_path / "t.npz").exists()


def test_training_imports_numba_at_its_first_update() -> None:
    """The other side: the checks above would pass vacuously if nothing ever loaded numba.
    Building a trainer (on the GUI thread) does not import it; the first update (in the
    training thread) does."""
    code = (
        "import sys, numpy as np\n"
        "from lstm_sim.model.training import TextData, TrainConfig, Trainer, new_network\n"
        "data = TextData.from_text('abcabc' * 20)\n"
        "net = new_network(data, 'lstm', 4, 1, np.random.default_rng(0))\n"
        "t = Trainer(net, data, TrainConfig(steps=1, seq_len=4, batch_size=2), "
        "np.random.default_rng(0))\n"
        "print('numba' in sys.modules)\n"
        "list(t.run())\n"
        "print('numba' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
