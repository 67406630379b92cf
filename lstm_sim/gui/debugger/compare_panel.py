"""The Compare dock: the session's run against a reference trace ``.npz`` (lstm-sim's trace
format, e.g. from PyTorch hooks or another run): the first difference as one line with a
Jump button, and a heatmap of |difference| for one quantity of the selected layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.engine.formats.errors import InputFileError
from lstm_sim.engine.formats.trace_files import trace_arrays
from lstm_sim.engine.formats.trace_reader import read_trace_arrays
from lstm_sim.engine.trace_diff import (
    COMPARED,
    Difference,
    compared_quantities,
    difference_map,
    first_difference,
)
from lstm_sim.gui.plots.readable_axis import ReadableAxis
from lstm_sim.gui.plots.trace_plot import MARKER_COLOR
from lstm_sim.model.session import Session


class ComparePanel(QWidget):
    """Compares the session's trace with a reference; writes only the cursor (Jump)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.reference: dict[str, np.ndarray] | None = None
        self.reference_path: Path | None = None
        self.found: Difference | None = None
        choose = QPushButton("Choose reference…")
        choose.clicked.connect(self.choose_reference)
        self.tolerance = QDoubleSpinBox()
        self.tolerance.setDecimals(10)
        self.tolerance.setRange(0.0, 1e6)
        self.tolerance.setValue(1e-6)
        self.tolerance.setPrefix("tol ")
        self.tolerance.valueChanged.connect(self.refresh)
        self.quantity = QComboBox()
        self.quantity.currentTextChanged.connect(self._draw_map)
        self.result = QLabel("No reference trace: choose an .npz written by lstm-sim trace.")
        self.result.setWordWrap(True)
        self.jump_button = QPushButton("Jump")
        self.jump_button.setEnabled(False)
        self.jump_button.clicked.connect(self.jump)
        self.plot = pg.PlotWidget(background="w", axisItems={"left": ReadableAxis("left")})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "t")
        self.plot.setLabel("left", "unit")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("inferno"))
        self.plot.addItem(self.image)
        top = QHBoxLayout()
        top.addWidget(choose)
        top.addWidget(self.tolerance)
        top.addWidget(self.quantity)
        line = QHBoxLayout()
        line.addWidget(self.result, 1)
        line.addWidget(self.jump_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(line)
        layout.addWidget(self.plot, 1)
        session.trace_changed.connect(self._on_session_changed)
        session.network_changed.connect(self._on_session_changed)
        session.layer_changed.connect(self._on_session_changed)

    def detach(self) -> None:
        self.session.trace_changed.disconnect(self._on_session_changed)
        self.session.network_changed.disconnect(self._on_session_changed)
        self.session.layer_changed.disconnect(self._on_session_changed)

    def choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Compare with trace", "", "lstm-sim traces (*.npz)"
        )
        if path:
            self.compare_with(path)

    def compare_with(self, path: str | Path) -> bool:
        """Read the reference at ``path`` and compare; a bad file is said in the dock."""
        try:
            self.reference = read_trace_arrays(path, COMPARED)
        except InputFileError as err:
            self._say_error(str(err))
            return False
        self.reference_path = Path(path)
        self.refresh()
        return True

    def _ours(self) -> dict[str, np.ndarray]:
        arrays = trace_arrays(self.session.network, self.session.trace)
        return {name: arrays[name] for name in COMPARED if name in arrays}

    def refresh(self) -> None:
        if self.reference is None:
            return
        ours = self._ours()
        try:
            shared = compared_quantities(ours, self.reference)
            self.found = first_difference(ours, self.reference, self.tolerance.value())
        except ValueError as err:
            self._say_error(f"cannot compare with {self.reference_path}: {err}")
            return
        name = self.reference_path.name if self.reference_path else "the reference"
        self.result.setStyleSheet("")
        if self.found is None:
            self.result.setText(f"No difference above {self.tolerance.value():g} from {name}.")
        else:
            self.result.setText(f"{self.found} (a = this run, b = {name})")
        self.jump_button.setEnabled(self.found is not None)
        current = self.quantity.currentText()
        self.quantity.blockSignals(True)
        self.quantity.clear()
        self.quantity.addItems(shared)
        wanted = self.found.quantity if self.found is not None and not current else current
        self.quantity.setCurrentText(wanted if wanted in shared else shared[0])
        self.quantity.blockSignals(False)
        self._draw_map()

    def _say_error(self, message: str) -> None:
        self.found = None
        self.jump_button.setEnabled(False)
        self.result.setStyleSheet(f"color: {MARKER_COLOR}")
        self.result.setText(message)
        self.image.clear()

    def _draw_map(self, *_: object) -> None:
        name = self.quantity.currentText()
        if self.reference is None or not name:
            return
        layer = self.session.layer
        size = difference_map(self._ours()[name][layer], self.reference[name][layer])  # (T, H)
        shown = np.nan_to_num(size.T, nan=float(np.nanmax(size, initial=0.0)))
        top = float(shown.max()) if shown.size else 0.0
        self.image.setImage(shown, levels=(0.0, top if top > 0 else 1.0))
        self.plot.setTitle(f"|a − b| of {name}, layer {layer} (max {top:.3g})")

    def jump(self) -> None:
        if self.found is None:
            return
        session = self.session
        session.select_layer(self.found.layer)
        session.select_unit(self.found.unit)
        session.seek(self.found.t, 0)

    def _on_session_changed(self, *_: object) -> None:
        self.refresh()
