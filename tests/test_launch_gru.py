"""The real program opens a PyTorch GRU file and renders it stepped to its hidden state."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.launched import run_lstm_sim

GRU_FILE = Path(__file__).parent / "fixtures" / "torch" / "gru2.safetensors"


def test_a_gru_file_opens_in_the_window_and_renders(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    png = tmp_path / "gru.png"
    # 9 phases: the five of t = 0, then t = 1 up to its hidden state.
    done = run_lstm_sim(
        str(GRU_FILE), "--screenshot", str(png), "--steps", "9", "--size", "1280x720"
    )
    assert done.returncode == 0, done.stderr
    assert "cannot" not in done.stderr.lower()
    image = QImage(str(png)).convertToFormat(QImage.Format.Format_RGB32)
    assert (image.width(), image.height()) == (1280, 720)
    pixels = np.frombuffer(image.constBits(), np.uint32, image.width() * image.height())
    assert len(np.unique(pixels)) > 50
