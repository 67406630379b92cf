"""The real program started in a child interpreter, offscreen, as the launch tests run it."""

from __future__ import annotations

import os
import subprocess
import sys


def run_python(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` offscreen with ``env`` added, its output captured as text."""
    return subprocess.run(
        [sys.executable, *args],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_lstm_sim(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m lstm_sim ARGS``, as a user starts the program."""
    return run_python("-m", "lstm_sim", *args)
