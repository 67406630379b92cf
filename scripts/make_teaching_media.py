"""Render the README's "Teaching with lstm-sim" pictures, without a screen:

    python scripts/make_teaching_media.py [--out docs]

writes presentation-1280x720.png (presentation mode at a 1280x720 projector, on the
lecture tour's forget-gate stop: the subject-gender model wiping its gender unit at a new
name) and cell-forget.gif (the same step exported as a 640x360 animation, every phase
with its flow). Both come from the shipped scenario model, so rerunning reproduces them.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from lstm_sim.gui.animation_export import export
from lstm_sim.gui.app import create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.gui.screenshot import save_screenshot
from lstm_sim.model import Session
from lstm_sim.model.app_state import AppState
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network

STOP = "forget"
SCREEN = (1280, 720)
GIF_SIZE = (640, 360)
GIF_FPS = 10
MAX_GIF_BYTES = 1_000_000
"""The README's animation stays small enough to load at once."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    create_application()
    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    state = AppState(session)
    shown = state.tour.start(STOP)
    window = MainWindow(session, state=state)
    try:
        window.resize(*SCREEN)
        window.tour.follow_current()
        window.presentation.enter(full_screen=False)
        still = args.out / "presentation-1280x720.png"
        if not save_screenshot(window, str(still)):
            raise OSError(f"could not write {still}")
        print(f"wrote {still} ({still.stat().st_size // 1024} KB)")
        window.presentation.leave()
    finally:
        window.close()
    gif = args.out / "cell-forget.gif"
    last = len(session.phases) - 1
    export(session, (shown.t, 0), (shown.t, last), gif, size=GIF_SIZE, fps=GIF_FPS)
    size = gif.stat().st_size
    print(f"wrote {gif} ({size // 1024} KB, step t = {shown.t})")
    if size > MAX_GIF_BYTES:
        raise SystemExit(f"{gif} is {size} bytes, over the {MAX_GIF_BYTES} the README allows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
