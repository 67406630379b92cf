"""The input sequence and the initial state, editable; every edit goes through the
session, which recomputes the trace and can undo it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session

CURRENT_STEP_ALPHA = 70
INPUT_TEXT_LIMIT = 100
"""Characters a cell may hold: more than any number or token needs, and few enough that
checking, drawing or echoing it in a dialog is instant."""


class _LimitedEditor(QStyledItemDelegate):
    """Cell editors that stop taking characters at the limit, pasted text included."""

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            editor.setMaxLength(INPUT_TEXT_LIMIT)
        return editor


def _number_item(value: float) -> QTableWidgetItem:
    item = QTableWidgetItem(f"{value:.4g}")
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class InputPanel(QWidget):
    """Numbers in a T×D table (or tokens in a row for a model with a vocabulary), and
    h0/c0 of the selected layer in a table with one column per unit."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.highlight = QColor("#e8590c")
        self.sequence_label = QLabel()
        self.sequence = QTableWidget()
        self.initial_label = QLabel()
        self.initial = QTableWidget()
        for table in (self.sequence, self.initial):
            table.setItemDelegate(_LimitedEditor(table))
            table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            table.setEditTriggers(
                QAbstractItemView.EditTrigger.DoubleClicked
                | QAbstractItemView.EditTrigger.EditKeyPressed
                | QAbstractItemView.EditTrigger.AnyKeyPressed
            )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.sequence_label)
        layout.addWidget(self.sequence, 3)
        layout.addWidget(self.initial_label)
        layout.addWidget(self.initial, 1)
        self._filling = False
        self._highlighted_t = -1
        self.sequence.itemChanged.connect(self._on_sequence_edited)
        self.initial.itemChanged.connect(self._on_initial_edited)
        self._unsubscribe = subscribe(self, session)
        self.rebuild()

    def detach(self) -> None:
        self._unsubscribe()

    @property
    def uses_tokens(self) -> bool:
        return self.session.tokens is not None

    # -- filling the tables from the session --------------------------------------------
    def rebuild(self) -> None:
        session = self.session
        self._filling = True
        steps = session.num_steps
        if self.uses_tokens:
            self.sequence_label.setText(
                f"Input tokens (T = {steps}); double-click a token to change it"
            )
            self.sequence.setRowCount(1)
            self.sequence.setColumnCount(steps)
            self.sequence.setVerticalHeaderLabels(["token"])
            self.sequence.setHorizontalHeaderLabels([str(t) for t in range(steps)])
        else:
            features = session.trace.x.shape[1]
            self.sequence_label.setText(
                f"Input x (T = {steps}, D = {features}); double-click a value to edit it"
            )
            self.sequence.setRowCount(steps)
            self.sequence.setColumnCount(features)
            self.sequence.setVerticalHeaderLabels([f"t={t}" for t in range(steps)])
            self.sequence.setHorizontalHeaderLabels([f"x[{d}]" for d in range(features)])
        self._filling = False
        self._highlighted_t = -1
        self.refresh_values()

    def refresh_values(self) -> None:
        session, trace = self.session, self.session.trace
        self._filling = True
        if self.uses_tokens:
            assert session.tokens is not None
            for t, token in enumerate(session.tokens):
                self.sequence.setItem(0, t, QTableWidgetItem(token))
        else:
            for t in range(trace.num_steps):
                for d in range(trace.x.shape[1]):
                    self.sequence.setItem(t, d, _number_item(float(trace.x[t, d])))
        layer = session.layer
        rows = [("h0", trace.h_all)]
        if trace.c_all is not None:
            rows.append(("c0", trace.c_all))
        self.initial_label.setText(f"Initial state of layer {layer}")
        self.initial.setRowCount(len(rows))
        self.initial.setColumnCount(trace.hidden_size)
        self.initial.setVerticalHeaderLabels([name for name, _ in rows])
        self.initial.setHorizontalHeaderLabels([str(u) for u in range(trace.hidden_size)])
        for r, (_, values) in enumerate(rows):
            for u in range(trace.hidden_size):
                self.initial.setItem(r, u, _number_item(float(values[layer, 0, u])))
        self._filling = False
        self._highlighted_t = -1
        self._highlight_step(session.t)

    def _step_items(self, t: int) -> list[QTableWidgetItem]:
        if self.uses_tokens:
            items = [self.sequence.item(0, t)]
        else:
            items = [self.sequence.item(t, d) for d in range(self.sequence.columnCount())]
        return [item for item in items if item is not None]

    def _highlight_step(self, t: int) -> None:
        """Tint the cells of step ``t`` so the input being read is easy to find."""
        if t == self._highlighted_t:
            return
        self._filling = True
        tint = QColor(self.highlight)
        tint.setAlpha(CURRENT_STEP_ALPHA)
        if 0 <= self._highlighted_t < self.session.num_steps:
            for item in self._step_items(self._highlighted_t):
                # An empty brush, not setData(role, None): PySide6 6.12 under-counts
                # references to None there, which crashes Python 3.11 after a while.
                item.setBackground(QBrush())
        for item in self._step_items(t):
            item.setBackground(tint)
        self._highlighted_t = t
        self._filling = False
        first = self._step_items(t)
        if first:
            self.sequence.scrollToItem(first[0])

    def set_highlight_color(self, color: QColor) -> None:
        self.highlight = QColor(color)
        self._highlighted_t = -1
        self.refresh_values()

    # -- edits -------------------------------------------------------------------------------
    def _apply(self, edit: Callable[[], None], what: str) -> None:
        """Run a session edit; a refused value gets a dialog and the cell shows the truth."""
        try:
            edit()
        except ValueError as err:
            QMessageBox.warning(self, "Value not accepted", f"{what}: {err}")
            self.refresh_values()

    def _typed(self, item: QTableWidgetItem, what: str) -> str | None:
        """The cell's text, or None (with a dialog) when it is too long to be a value:
        refused before parsing, and never echoed whole."""
        text = item.text()
        if len(text) <= INPUT_TEXT_LIMIT:
            return text.strip()
        QMessageBox.warning(
            self,
            "Value not accepted",
            f"{what}: {len(text):,} characters typed, starting {text[:20]!r}; a number or "
            f"a token is at most {INPUT_TEXT_LIMIT} characters",
        )
        self.refresh_values()
        return None

    def _on_sequence_edited(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        t, d = (item.column(), 0) if self.uses_tokens else (item.row(), item.column())
        what = f"token at t = {t}" if self.uses_tokens else f"x[{t}, {d}]"
        text = self._typed(item, what)
        if text is None:
            return
        if self.uses_tokens:
            self._apply(lambda: self.session.set_token(t, text), what)
        else:
            self._apply(lambda: self.session.set_input(t, d, _parse(text)), what)

    def _on_initial_edited(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        which = self.initial.verticalHeaderItem(item.row()).text()
        unit, layer = item.column(), self.session.layer
        what = f"{which}[{unit}] of layer {layer}"
        text = self._typed(item, what)
        if text is None:
            return
        self._apply(lambda: self.session.set_initial(which, layer, unit, _parse(text)), what)

    # -- session signals -----------------------------------------------------------------
    def _on_network_changed(self) -> None:
        self.rebuild()

    def _on_trace_changed(self, start: int) -> None:
        self.refresh_values()

    def _on_layer_changed(self, layer: int) -> None:
        self.refresh_values()

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self._highlight_step(t)


def _parse(text: str) -> float:
    """A number typed by the user; a true minus sign is accepted too."""
    try:
        return float(text.replace("\u2212", "-"))
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
