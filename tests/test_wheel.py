"""The built wheel works on its own: installed into a fresh venv, its ``lstm-sim`` script
traces the model shipped inside it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine import record
from lstm_sim.engine.formats import load_model
from lstm_sim.resources import resource_path

REPO = Path(__file__).resolve().parent.parent
SHIPPED = "models/example_lstm2.npz"


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_wheel_installs_and_traces_the_shipped_model(
    tmp_path: Path, fresh_venv: Callable[[Path], Path], isolated_env: dict[str, str]
) -> None:
    env = isolated_env
    # Build with the hatchling already installed when there is one: no download needed.
    isolation = ["--no-isolation"] if importlib.util.find_spec("hatchling") else []
    dist = tmp_path / "dist"
    build = [sys.executable, "-m", "build", "--wheel", *isolation, "--outdir", dist, REPO]
    _run(*build, cwd=tmp_path, env=env)
    (wheel,) = dist.glob("lstm_sim-*.whl")
    assert f"lstm_sim/resources/{SHIPPED}" in zipfile.ZipFile(wheel).namelist()

    # The venv sees this environment's numpy and the rest; --no-deps installs the wheel
    # alone, and --ignore-installed puts it in the venv whatever this environment holds.
    venv = tmp_path / "venv"
    python = fresh_venv(venv)
    install = [python, "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", wheel]
    _run(*install, cwd=tmp_path, env=env)

    # From a directory outside the checkout, lstm_sim and its resource come from the venv.
    where = _run(
        python,
        "-c",
        "import lstm_sim; from lstm_sim.resources import resource_path; "
        f"print(lstm_sim.__file__); print(resource_path({SHIPPED!r}))",
        cwd=tmp_path,
        env=env,
    ).split("\n")
    package, model = Path(where[0]), Path(where[1])
    assert package.is_relative_to(venv) and model.is_relative_to(venv)

    x = np.random.default_rng(0).standard_normal((7, 3))
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "trace.npz"
    script = venv / "bin" / "lstm-sim"
    _run(script, "trace", model, "--inputs", "x.npy", "--out", out, cwd=tmp_path, env=env)
    with np.load(out, allow_pickle=False) as got:
        expected = record(load_model(resource_path(SHIPPED)), x)
        assert got["h"].shape == (2, 7, 5)
        np.testing.assert_array_equal(got["h"], expected.h)
        np.testing.assert_array_equal(got["c"], expected.c)
    info = _run(script, "info", model, cwd=tmp_path, env=env)
    assert "LSTM, 2 layers" in info and str(model) in info
