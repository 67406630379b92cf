"""The real program, started the way a user starts it: ``python -m lstm_sim``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.launched import run_lstm_sim


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot_renders_the_stepped_window(tmp_path: Path, theme: str) -> None:
    from PySide6.QtGui import QImage

    png = tmp_path / "window.png"
    done = run_lstm_sim(
        "--screenshot", str(png), "--steps", "8", "--size", "1000x640", "--theme", theme
    )
    assert done.returncode == 0, done.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1000, 640)
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint32, image.width() * image.height())
    assert len(np.unique(pixels)) > 50  # a drawn window, not a blank rectangle


def test_a_bad_model_fails_the_screenshot_with_a_message(tmp_path: Path) -> None:
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x00" * 12)
    done = run_lstm_sim(str(bad), "--screenshot", str(tmp_path / "x.png"))
    assert done.returncode == 2
    assert "broken.safetensors" in done.stderr
    assert not (tmp_path / "x.png").exists()


def test_help_lists_subcommands_and_window_options() -> None:
    done = run_lstm_sim("--help")
    assert done.returncode == 0
    for word in ("info", "trace", "--screenshot", "--theme"):
        assert word in done.stdout
