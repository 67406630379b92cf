"""Presentation mode and the tour from the command line, and on a 4K screen at 2x
scaling (a subprocess: the scale factor is fixed when Qt starts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.launched import run_lstm_sim, run_python


def test_present_renders_offscreen_with_screenshot(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    png = tmp_path / "present.png"
    args = ("--tour", "forget", "--present", "--screenshot", str(png), "--size", "1280x720")
    done = run_lstm_sim(*args)
    assert done.returncode == 0, done.stderr
    image = QImage(str(png)).convertToFormat(QImage.Format.Format_RGB32)
    assert (image.width(), image.height()) == (1280, 720)
    pixels = np.frombuffer(image.constBits(), np.uint32, 1280 * 720).reshape(720, 1280)
    # No menu bar: the top rows are the cell's white paper (light theme), not a grey bar.
    assert (pixels[:12] == np.uint32(0xFFFFFFFF)).mean() > 0.9


def test_an_unknown_chapter_is_refused(tmp_path: Path) -> None:
    done = run_lstm_sim("--tour", "nope", "--screenshot", str(tmp_path / "x.png"))
    assert done.returncode == 2
    assert "no tour stop 'nope'" in done.stderr
    assert not (tmp_path / "x.png").exists()


MEASURE_AT_2X = """
from lstm_sim.gui.app import create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network
from PySide6.QtWidgets import QApplication
app = create_application()
window = MainWindow(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
window.resize(1920, 1080)
window.show()
QApplication.processEvents()
normal = window.diagram.smallest_text_on_screen()
window.presentation.enter(full_screen=False)
QApplication.processEvents()
image = window.grab().toImage()
print(window.devicePixelRatio(), image.width(), image.height(),
      normal, window.diagram.smallest_text_on_screen())
window.presentation.leave()
window.close()
"""


def test_a_4k_screen_at_2x_scaling_gets_the_1080p_layout_at_twice_the_pixels() -> None:
    done = run_python("-c", MEASURE_AT_2X, env={"QT_SCALE_FACTOR": "2"})
    assert done.returncode == 0, done.stderr
    ratio, width, height, normal, presenting = (float(v) for v in done.stdout.split())
    assert ratio == 2.0 and (width, height) == (3840, 2160)
    # Logical pixels as at 1080p; each is 2 device pixels on the 4K panel.
    assert normal * ratio >= 2 * 14 - 1
    assert presenting * ratio >= 2 * 28 - 1


def test_a_tour_and_a_scenario_together_are_refused() -> None:
    done = run_lstm_sim("--tour", "--scenario", "sine", "--screenshot", "x.png")
    assert done.returncode == 2
    assert "give --tour or a model/--scenario" in done.stderr


def test_a_commands_options_are_not_taken_for_window_options(tmp_path: Path) -> None:
    # "--to" of export once read as an abbreviation of the window's "--tour"/"--tokens".
    done = run_lstm_sim(
        "export",
        "none.npz",
        "--from",
        "0",
        "--to",
        "1",
        "--out",
        str(tmp_path / "x.gif"),
    )
    assert "ambiguous option" not in done.stderr
    assert "none.npz" in done.stderr
