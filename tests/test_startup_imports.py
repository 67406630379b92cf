"""What starting the window imports: up to its first frame no model-file reader, no
reader's library (h5py, onnx, safetensors, torch), no numba, no debugger panel, no GRU or
LSTM-variant kernel (a plain LSTM runs none) and, for the demo, no scenario module,
numpy.random or vanishing-gradient view (each waits for its first use); with every view
built, still none of those libraries. Saved-session files load with the first save or
open. Runs the window in a fresh offscreen interpreter, since this process has imported
them all."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY_LIBRARIES = ("h5py", "onnx", "onnxruntime", "safetensors", "torch", "keras", "numba")
FORMATS_AT_START = {
    "lstm_sim.engine.formats",
    "lstm_sim.engine.formats.errors",
    "lstm_sim.engine.formats.limits",
}
"""The formats package, its error types and size limits: the only parts a start needs."""

CHILD = """
import json, sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
from lstm_sim.gui.app import create_application
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network


class Painted(QObject):
    seen = False

    def eventFilter(self, watched, event):
        self.seen = self.seen or event.type() == QEvent.Type.Paint
        return False


app = create_application()
window = MainWindow(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
window.resize(1280, 720)
painted = Painted()
window.diagram.viewport().installEventFilter(painted)
window.show()
while not painted.seen:
    QApplication.processEvents()
first_frame = sorted(sys.modules)
window.flush_views()
print(json.dumps([first_frame, sorted(sys.modules), window.views_built]))
"""


def modules_at_start() -> tuple[list[str], list[str]]:
    """The modules imported by the window's first frame, and once every view is built."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    first_frame, everything, built = json.loads(done.stdout.splitlines()[-1])
    assert built
    return first_frame, everything


def top_level(modules: list[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_the_first_frame_imports_no_reader_library_or_debugger_panel() -> None:
    first_frame, everything = modules_at_start()
    formats = {m for m in first_frame if m.startswith("lstm_sim.engine.formats")}
    assert formats == FORMATS_AT_START
    assert not top_level(first_frame) & set(HEAVY_LIBRARIES)
    panels = [m for m in first_frame if m.startswith("lstm_sim.gui.debugger.")]
    assert panels == []
    on_first_use = (
        *("lstm_sim.model.scenario_registry", "lstm_sim.model.scenarios"),
        "lstm_sim.gui.comparison",
    )
    assert not [m for m in first_frame if m.startswith(on_first_use)]
    assert "lstm_sim.model.session_file" not in first_frame
    assert "numpy.random" not in first_frame  # the demo's weights are written out
    # A plain LSTM runs none of the GRU's or the variants' kernels.
    kernels = ("gru", "lstm_variants", "rnn_variants", "variant_trace")
    assert not {f"lstm_sim.engine.{name}" for name in kernels} & set(first_frame)
    # The views built after the first frame (training, predictions, demo views) load
    # none of the libraries either.
    assert not top_level(everything) & set(HEAVY_LIBRARIES)
    assert "lstm_sim.gui.panels.training_panel" in everything
