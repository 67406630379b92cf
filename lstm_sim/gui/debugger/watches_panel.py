"""The Watches dock: expressions with their value at the cursor, and their curves over time
in a plot whose cursor line is the session's step."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.engine.expressions import ExpressionError
from lstm_sim.gui.plots.readable_axis import ReadableAxis
from lstm_sim.gui.plots.trace_plot import MARKER_COLOR
from lstm_sim.model.expression_examples import pass_hint, watch_placeholder
from lstm_sim.model.watches import Watches

CURVE_COLORS = ("#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599")


class WatchesPanel(QWidget):
    """Shows ``watches``; writes only to them and (a click on the plot) the cursor."""

    def __init__(self, watches: Watches, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.watches = watches
        self.session = watches.session
        self.text = QLineEdit()
        self.text.setPlaceholderText(
            watch_placeholder(self.session.network.kind) + pass_hint(self.session.network)
        )
        self.text.returnPressed.connect(self.add)
        add = QPushButton("Add")
        add.clicked.connect(self.add)
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_selected)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {MARKER_COLOR}")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["expression", "value at the cursor"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # Two rows stay readable however short the dock; the plot takes the rest.
        rows = 2 * self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(rows + self.table.horizontalHeader().sizeHint().height() + 4)
        self.plot = pg.PlotWidget(background="w", axisItems={"left": ReadableAxis("left")})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(90)
        self.step_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#868e96", width=2))
        self.plot.addItem(self.step_line, ignoreBounds=True)
        self.plot.scene().sigMouseClicked.connect(self._on_plot_clicked)
        self.curves: list[pg.PlotCurveItem] = []

        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(add)
        row.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.plot, 1)
        watches.changed.connect(self.refresh)
        self.session.cursor_changed.connect(self._on_cursor_changed)
        self.session.network_changed.connect(self._on_network_changed)
        self.refresh()

    def detach(self) -> None:
        self.watches.changed.disconnect(self.refresh)
        self.session.cursor_changed.disconnect(self._on_cursor_changed)
        self.session.network_changed.disconnect(self._on_network_changed)

    def _on_network_changed(self) -> None:
        self.text.setPlaceholderText(
            watch_placeholder(self.session.network.kind) + pass_hint(self.session.network)
        )

    def add(self) -> None:
        try:
            self.watches.add(self.text.text())
        except ExpressionError as err:
            self.error.setText(str(err))
            return
        self.error.clear()
        self.text.clear()

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.watches.texts):
            self.watches.remove(row)

    def refresh(self) -> None:
        """Rebuild the table and the curves: once per change of the watches' values."""
        values = self.watches.values()
        self.table.setRowCount(len(values))
        for curve in self.curves:
            self.plot.removeItem(curve)
        self.curves = []
        steps = np.arange(self.session.num_steps, dtype=float)
        for row, (text, value) in enumerate(zip(self.watches.texts, values, strict=True)):
            name = QTableWidgetItem(text)
            self.table.setItem(row, 0, name)
            if isinstance(value, str):
                continue
            color = CURVE_COLORS[row % len(CURVE_COLORS)]
            name.setForeground(pg.mkColor(color))
            # A vector watch: one thin line per unit, NaN-separated in one item.
            width = value.shape[1]
            x = np.tile(np.append(steps, np.nan), width)
            y = np.hstack([value.T, np.full((width, 1), np.nan)]).ravel()
            curve = pg.PlotCurveItem(x, y, connect="finite", pen=pg.mkPen(color, width=2))
            self.plot.addItem(curve)
            self.curves.append(curve)
        self.plot.setXRange(-0.5, self.session.num_steps - 0.5, padding=0.0)
        self._show_values()

    def _show_values(self) -> None:
        for row in range(len(self.watches.texts)):
            item = QTableWidgetItem(self.watches.value_text(row))
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, 1, item)
        self.step_line.setValue(self.session.t)

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self._show_values()

    def _on_plot_clicked(self, event: object) -> None:
        point = self.plot.getViewBox().mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        self.session.seek(int(np.clip(round(point.x()), 0, self.session.num_steps - 1)))
