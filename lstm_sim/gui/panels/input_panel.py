"""The input sequence and the initial state, editable; every edit goes through the
session, which recomputes the trace and can undo it.

Both tables are views over models that read the session when a cell is painted, so a
sequence of any length costs only the cells on screen: no item per cell, and an edit,
a step or a theme change repaints the cells it changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session

CURRENT_STEP_ALPHA = 70
INPUT_TEXT_LIMIT = 100
"""Characters a cell may hold: more than any number or token needs, and few enough that
checking, drawing or echoing it in a dialog is instant."""
NUMBER_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

Index = QModelIndex | QPersistentModelIndex
TOP = QModelIndex()
"""The invisible root: a table's cells have it as their parent."""


class _LimitedEditor(QStyledItemDelegate):
    """Cell editors that stop taking characters at the limit, pasted text included."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            editor.setMaxLength(INPUT_TEXT_LIMIT)
        return editor


def _number(value: float) -> str:
    return f"{value:.4g}"


class _SessionTable(QAbstractTableModel):
    """What the two tables share: editable cells whose text is read from the session on
    demand, and a refused edit reported through ``on_refused``."""

    # Hooks each table defines (Qt's metaclass rules out abc's abstract methods): apply
    # the text typed into (row, column) to the session, and name that cell in a message.
    apply_edit: Callable[[int, int, str], None]
    describe: Callable[[int, int], str]

    def __init__(
        self, session: Session, on_refused: Callable[[str, str], None], parent: QObject
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.on_refused = on_refused

    def flags(self, index: Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, column, text = index.row(), index.column(), str(value)
        if len(text) > INPUT_TEXT_LIMIT:
            # Refused before parsing, and never echoed whole.
            self.on_refused(
                self.describe(row, column),
                f"{len(text):,} characters typed, starting {text[:20]!r}; a number or a "
                f"token is at most {INPUT_TEXT_LIMIT} characters",
            )
            return False
        text = text.strip()
        try:
            self.apply_edit(row, column, text)
        except ValueError as err:
            self.on_refused(self.describe(row, column), str(err))
            return False
        return True

    def changed(self, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
        """Cells in the rectangle now read differently; the view repaints those on screen."""
        if last_row < first_row or last_column < first_column:
            return
        self.dataChanged.emit(
            self.index(first_row, first_column), self.index(last_row, last_column)
        )


class SequenceModel(_SessionTable):
    """The inputs: tokens in one row (a column per step) or numbers in T rows of D
    features; the cells of the cursor's step tinted."""

    def __init__(
        self, session: Session, on_refused: Callable[[str, str], None], parent: QObject
    ) -> None:
        super().__init__(session, on_refused, parent)
        self.tint = QColor("#e8590c")

    @property
    def uses_tokens(self) -> bool:
        return self.session.tokens is not None

    def rowCount(self, parent: Index = TOP) -> int:
        if parent.isValid():
            return 0
        return 1 if self.uses_tokens else self.session.num_steps

    def columnCount(self, parent: Index = TOP) -> int:
        if parent.isValid():
            return 0
        return self.session.num_steps if self.uses_tokens else self.session.trace.x.shape[1]

    def step_of(self, row: int, column: int) -> int:
        return column if self.uses_tokens else row

    def step_cells(self, t: int) -> tuple[int, int, int, int]:
        """The rectangle (first row, first column, last row, last column) of step ``t``."""
        if self.uses_tokens:
            return 0, t, 0, t
        return t, 0, t, self.columnCount() - 1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            tokens = self.session.tokens
            if tokens is not None:
                return tokens[column]
            return _number(float(self.session.trace.x[row, column]))
        if role == Qt.ItemDataRole.TextAlignmentRole and not self.uses_tokens:
            return int(NUMBER_ALIGNMENT.value)
        if role == Qt.ItemDataRole.BackgroundRole and self.step_of(row, column) == self.session.t:
            tint = QColor(self.tint)
            tint.setAlpha(CURRENT_STEP_ALPHA)
            return tint
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        horizontal = orientation == Qt.Orientation.Horizontal
        if self.uses_tokens:
            return str(section) if horizontal else "token"
        return f"x[{section}]" if horizontal else f"t={section}"

    def apply_edit(self, row: int, column: int, text: str) -> None:
        if self.uses_tokens:
            self.session.set_token(column, text)
        else:
            self.session.set_input(row, column, _parse(text))

    def describe(self, row: int, column: int) -> str:
        return f"token at t = {column}" if self.uses_tokens else f"x[{row}, {column}]"


class InitialStateModel(_SessionTable):
    """h0 (and c0) of the selected layer: a row each, a column per unit."""

    def rows(self) -> list[str]:
        return ["h0"] if self.session.trace.c_all is None else ["h0", "c0"]

    def rowCount(self, parent: Index = TOP) -> int:
        return 0 if parent.isValid() else len(self.rows())

    def columnCount(self, parent: Index = TOP) -> int:
        return 0 if parent.isValid() else self.session.trace.hidden_size

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            trace = self.session.trace
            values = trace.h_all if index.row() == 0 else trace.c_all
            assert values is not None
            return _number(float(values[self.session.layer, 0, index.column()]))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(NUMBER_ALIGNMENT.value)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return str(section) if orientation == Qt.Orientation.Horizontal else self.rows()[section]

    def apply_edit(self, row: int, column: int, text: str) -> None:
        self.session.set_initial(self.rows()[row], self.session.layer, column, _parse(text))

    def describe(self, row: int, column: int) -> str:
        return f"{self.rows()[row]}[{column}] of layer {self.session.layer}"

    def reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()


class InputPanel(QWidget):
    """Numbers in a T×D table (or tokens in a row for a model with a vocabulary), and
    h0/c0 of the selected layer in a table with one column per unit."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.sequence_label = QLabel()
        self.sequence_model = SequenceModel(session, self._refused, self)
        self.sequence = QTableView()
        self.sequence.setModel(self.sequence_model)
        self.initial_label = QLabel()
        self.initial_model = InitialStateModel(session, self._refused, self)
        self.initial = QTableView()
        self.initial.setModel(self.initial_model)
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
        self._highlighted_t = session.t
        self._unsubscribe = subscribe(self, session)
        self.rebuild()

    def detach(self) -> None:
        self._unsubscribe()

    @property
    def uses_tokens(self) -> bool:
        return self.session.tokens is not None

    @property
    def highlight(self) -> QColor:
        return self.sequence_model.tint

    def cell_text(self, table: QTableView, row: int, column: int) -> str:
        """What cell (row, column) of ``table`` shows."""
        return str(table.model().index(row, column).data())

    def edit_cell(self, table: QTableView, row: int, column: int, text: str) -> bool:
        """Type ``text`` into a cell, as a user would; False if the value was refused."""
        model = table.model()
        return bool(model.setData(model.index(row, column), text, Qt.ItemDataRole.EditRole))

    # -- following the session --------------------------------------------------------------
    def rebuild(self) -> None:
        """A new sequence: both tables start over (the only change that reads every step)."""
        session = self.session
        steps = session.num_steps
        if self.uses_tokens:
            self.sequence_label.setText(
                f"Input tokens (T = {steps}); double-click a token to change it"
            )
        else:
            features = session.trace.x.shape[1]
            self.sequence_label.setText(
                f"Input x (T = {steps}, D = {features}); double-click a value to edit it"
            )
        self.sequence_model.beginResetModel()
        self.sequence_model.endResetModel()
        self._show_initial_layer()
        self._highlighted_t = session.t
        self._scroll_to_step(session.t)

    def _show_initial_layer(self) -> None:
        self.initial_label.setText(f"Initial state of layer {self.session.layer}")
        self.initial_model.reset()

    def _highlight_step(self, t: int) -> None:
        """Tint the cells of step ``t`` so the input being read is easy to find."""
        old, self._highlighted_t = self._highlighted_t, t
        model = self.sequence_model
        if 0 <= old < self.session.num_steps:
            model.changed(*model.step_cells(old))
        model.changed(*model.step_cells(t))
        self._scroll_to_step(t)

    def _scroll_to_step(self, t: int) -> None:
        row, column, _, _ = self.sequence_model.step_cells(t)
        self.sequence.scrollTo(self.sequence_model.index(row, column))

    def set_highlight_color(self, color: QColor) -> None:
        self.sequence_model.tint = QColor(color)
        self.sequence_model.changed(*self.sequence_model.step_cells(self.session.t))

    # -- edits -------------------------------------------------------------------------------
    def _refused(self, what: str, reason: str) -> None:
        """A refused value gets a dialog; the cell keeps showing the session's value."""
        QMessageBox.warning(self, "Value not accepted", f"{what}: {reason}")

    # -- session signals -----------------------------------------------------------------
    def _on_network_changed(self) -> None:
        self.rebuild()

    def _on_trace_changed(self, start: int) -> None:
        # An edit changes one input, or h0/c0 (start 0); either way only the cells that
        # read differently are repainted, and the view repaints only those on screen.
        model = self.sequence_model
        first_row, first_column, _, _ = model.step_cells(start)
        model.changed(first_row, first_column, model.rowCount() - 1, model.columnCount() - 1)
        if start == 0:
            self.initial_model.changed(
                0, 0, self.initial_model.rowCount() - 1, self.initial_model.columnCount() - 1
            )

    def _on_layer_changed(self, layer: int) -> None:
        self.initial_label.setText(f"Initial state of layer {layer}")
        self.initial_model.changed(
            0, 0, self.initial_model.rowCount() - 1, self.initial_model.columnCount() - 1
        )

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        if t != self._highlighted_t:
            self._highlight_step(t)


def _parse(text: str) -> float:
    """A number typed by the user; a true minus sign is accepted too."""
    try:
        return float(text.replace("\u2212", "-"))
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
