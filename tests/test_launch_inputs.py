"""The window started as a user starts it, on their own inputs: ``lstm-sim MODEL
--inputs X.npy --screenshot out.png``; a bad inputs file is one line and exit status 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.launched import run_lstm_sim

RNN = Path(__file__).resolve().parent / "fixtures" / "torch" / "rnn_relu.pt"


def test_a_screenshot_on_given_inputs_and_h0(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    x, h0, png = tmp_path / "x.npy", tmp_path / "h0.npy", tmp_path / "out.png"
    np.save(x, np.random.default_rng(0).uniform(-1, 1, (9, 3)))
    np.save(h0, np.full((1, 4), 0.5))
    done = run_lstm_sim(
        str(RNN), "--inputs", str(x), "--h0", str(h0), "--nonlinearity", "relu",
        "--screenshot", str(png), "--size", "1280x720",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1280, 720)


def test_bad_inputs_exit_2_with_one_line(tmp_path: Path) -> None:
    wide, png = tmp_path / "wide.npy", tmp_path / "out.png"
    np.save(wide, np.zeros((4, 5)))
    done = run_lstm_sim(str(RNN), "--inputs", str(wide), "--screenshot", str(png))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "wide.npy" in done.stderr
    assert "inputs x has shape (4, 5), expected (4, 3)" in done.stderr
    assert not png.exists()


def test_several_modules_without_a_prefix_exit_2_naming_them(tmp_path: Path) -> None:
    seq2seq = RNN.parents[1] / "own" / "seq2seq.pt"
    done = run_lstm_sim(str(seq2seq), "--screenshot", str(tmp_path / "out.png"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "'decoder': LSTM" in done.stderr and "--prefix" in done.stderr
