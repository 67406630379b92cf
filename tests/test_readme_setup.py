"""The README's set-up: a venv, then one command for the app and one for the tests, run
on a clean clone of this repository.

The venv comes from this interpreter and sees this environment's packages (see the
``fresh_venv`` fixture), and pip may not use an index: the commands run as written, and
nothing is downloaded. Only what a clone holds is used; uncommitted changes are not.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def setup_commands() -> list[str]:
    """The lines of the README's set-up block that creates the venv, comments dropped."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Set up\n", 1)[1].split("\n## ", 1)[0]
    (block,) = (b for b in re.findall(r"```bash\n(.*?)```", section, re.S) if "-m venv" in b)
    return [line.split(" #")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_set_up_is_a_venv_then_one_command_each_for_the_app_and_the_tests() -> None:
    venv, app, tests = setup_commands()
    assert venv == "python3 -m venv .venv && . .venv/bin/activate"
    assert app == "python -m pip install . && lstm-sim"
    assert tests == 'python -m pip install -e ".[test]" && python -m pytest'


def _shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f". .venv/bin/activate && {command}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the set-up is for Linux")
def test_the_readme_commands_work_on_a_clean_clone(
    tmp_path: Path, fresh_venv: Callable[[Path], Path], isolated_env: dict[str, str]
) -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    _, app, tests = setup_commands()
    fresh_venv(clone / ".venv")
    headless = {
        k: v
        for k, v in isolated_env.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    # PIP_NO_BUILD_ISOLATION=0 turns isolation off: the build uses the hatchling here.
    env = headless | {"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0"}

    # The app's command; with no display here, lstm-sim says so in one line and exits 2.
    done = _shell(app, clone, env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines()[-1].startswith("lstm-sim: error: no display")
    done = _shell("lstm-sim --screenshot shot.png --steps 3", clone, env)
    assert done.returncode == 0, done.stderr
    assert (clone / "shot.png").read_bytes().startswith(b"\x89PNG")

    # The tests' command, with pytest shortened: every test module collects, and a few run.
    install, pytest_command = tests.split(" && ")
    assert pytest_command == "python -m pytest"
    done = _shell(install, clone, env)
    assert done.returncode == 0, done.stderr
    done = _shell(f"{pytest_command} -q --collect-only", clone, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^\d{3,} tests collected", done.stdout, re.M), done.stdout
    fast = "tests/engine/test_cells.py tests/test_layering.py tests/gui/test_diagram_colors.py"
    done = _shell(f"{pytest_command} -q -p no:cacheprovider {fast}", clone, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\d+ passed", done.stdout)
