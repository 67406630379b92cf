"""``lstm-sim`` where no window can open: one line saying what to do, not Qt's abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_sim.cli.display import XCB_LIBRARIES, display_problem

REPO = Path(__file__).resolve().parent.parent.parent
NO_SUCH_LIBRARY = {"liblstm-sim-no-such-library.so.0": "lstm-sim-no-such-package"}


def test_no_display_on_linux_is_a_problem_with_what_to_do_instead() -> None:
    problem = display_problem({}, "linux")
    assert problem is not None and "DISPLAY" in problem
    assert "--screenshot" in problem and "QT_QPA_PLATFORM=offscreen" in problem


def test_a_chosen_platform_wayland_and_other_systems_are_left_to_qt() -> None:
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", NO_SUCH_LIBRARY) is None
    assert display_problem({}, "darwin") is None
    assert display_problem({}, "win32") is None


def test_a_missing_xcb_library_is_named_with_its_package() -> None:
    problem = display_problem({"DISPLAY": ":0"}, "linux", {**XCB_LIBRARIES, **NO_SUCH_LIBRARY})
    assert problem is not None
    assert "liblstm-sim-no-such-library.so.0" in problem
    assert "sudo apt-get install" in problem and "lstm-sim-no-such-package" in problem
    assert "libc.so.6" not in problem
    assert display_problem({"DISPLAY": ":0"}, "linux", {"libc.so.6": "libc6"}) is None


def _headless_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux is checked")
def test_the_window_without_a_display_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lstm_sim"],
        cwd=tmp_path,
        env=_headless_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("lstm-sim: error: no display") and "--screenshot" in line


def test_a_screenshot_needs_no_display(tmp_path: Path) -> None:
    out = tmp_path / "window.png"
    done = subprocess.run(
        [sys.executable, "-m", "lstm_sim", "--screenshot", str(out), "--size", "800x500"],
        cwd=tmp_path,
        env=_headless_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
