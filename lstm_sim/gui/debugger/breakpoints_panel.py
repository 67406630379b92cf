"""The Breakpoints dock: the conditions to stop at, each with a switch and a layer; an
error is shown inline, with its column, and never silently ignored."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.engine.expressions import ExpressionError
from lstm_sim.gui.plots.trace_plot import MARKER_COLOR
from lstm_sim.model.breakpoints import Breakpoints
from lstm_sim.model.expression_examples import condition_placeholder, pass_hint
from lstm_sim.model.session import Session

ANY_LAYER = "any layer"


class BreakpointsPanel(QWidget):
    """Lists ``breakpoints``; writes only to them."""

    def __init__(self, breakpoints: Breakpoints, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.breakpoints = breakpoints
        self.session: Session = breakpoints.session
        self.list = QListWidget()
        self.list.setMinimumHeight(48)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(self._on_current_row_changed)
        self.text = QLineEdit()
        self.text.setPlaceholderText(condition_placeholder(self.session.network.kind))
        self.text.returnPressed.connect(self.add)
        self.layer = QComboBox()
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add)
        self.update_button = QPushButton("Update")
        self.update_button.setToolTip("Replace the selected breakpoint's condition and layer")
        self.update_button.clicked.connect(self.update_selected)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {MARKER_COLOR}")
        self.hit = QLabel("F8: next step where a breakpoint holds · Shift+F8: previous")
        self.hit.setWordWrap(True)
        self.hit.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        edit_row = QHBoxLayout()
        edit_row.addWidget(self.text, 1)
        edit_row.addWidget(self.layer)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.update_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(edit_row)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.hit)
        breakpoints.changed.connect(self.refresh)
        self.session.network_changed.connect(self._fill_layers)
        self._fill_layers()
        self.refresh()

    def detach(self) -> None:
        self.breakpoints.changed.disconnect(self.refresh)
        self.session.network_changed.disconnect(self._fill_layers)

    # -- showing the state -------------------------------------------------------------------
    def _fill_layers(self) -> None:
        network = self.session.network
        self.text.setPlaceholderText(condition_placeholder(network.kind) + pass_hint(network))
        self.layer.clear()
        self.layer.addItem(ANY_LAYER, None)
        for k in range(self.session.network.num_layers):
            self.layer.addItem(f"layer {k}", k)

    def refresh(self) -> None:
        self.breakpoints.hit_steps()  # evaluates each, filling in their errors
        self.list.blockSignals(True)
        row = self.list.currentRow()
        self.list.clear()
        for index, breakpoint in enumerate(self.breakpoints.items):
            where = "" if breakpoint.layer is None else f"  [layer {breakpoint.layer}]"
            error = self.breakpoints.errors.get(index)
            item = QListWidgetItem(breakpoint.text + where + (f"  ⚠ {error}" if error else ""))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = Qt.CheckState.Checked if breakpoint.enabled else Qt.CheckState.Unchecked
            item.setCheckState(checked)
            if error:
                item.setToolTip(error)
            self.list.addItem(item)
        self.list.setCurrentRow(min(row, self.list.count() - 1))
        self.list.blockSignals(False)

    def show_hit(self, text: str) -> None:
        self.hit.setText(text)

    # -- intents ------------------------------------------------------------------------------
    def _chosen_layer(self) -> int | None:
        data = self.layer.currentData()
        return None if data is None else int(data)

    def add(self) -> None:
        self._try(lambda: self.breakpoints.add(self.text.text(), self._chosen_layer()))

    def update_selected(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            self.error.setText("Select the breakpoint to update first.")
            return
        self._try(lambda: self.breakpoints.edit(row, self.text.text(), self._chosen_layer()))

    def delete_selected(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.breakpoints.remove(row)

    def _try(self, change: object) -> None:
        assert callable(change)
        try:
            change()
        except ExpressionError as err:
            self.error.setText(str(err))
            return
        self.error.clear()
        self.text.clear()

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        self.breakpoints.set_enabled(row, item.checkState() == Qt.CheckState.Checked)

    def _on_current_row_changed(self, row: int) -> None:
        if 0 <= row < len(self.breakpoints.items):
            breakpoint = self.breakpoints.items[row]
            self.text.setText(breakpoint.text)
            self.layer.setCurrentIndex(0 if breakpoint.layer is None else breakpoint.layer + 1)
