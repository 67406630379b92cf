"""Find units: every unit ranked by how well it tracks a pattern of the code (inside a
string, a comment, indentation depth, ...), best first; picking a row selects the unit."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.model.code_reader import PATTERNS, UnitScore, pattern_named


class UnitFinder(QWidget):
    """A pattern chooser above a table of units and scores. The ranking itself comes
    from :func:`code_reader.find_units`; this widget only shows it."""

    pattern_changed = Signal(str)
    unit_picked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pattern_box = QComboBox()
        for pattern in PATTERNS:
            self.pattern_box.addItem(pattern.title, pattern.name)
        self.pattern_box.setToolTip("The property of each character to look for in the units")
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["unit", "score", "AUC"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Find units that track"))
        layout.addWidget(self.pattern_box)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 1)
        self.ranking: list[UnitScore] = []
        self.pattern_box.currentIndexChanged.connect(
            lambda _i: self.pattern_changed.emit(self.pattern)
        )
        self.table.cellClicked.connect(self._on_row_clicked)

    @property
    def pattern(self) -> str:
        return str(self.pattern_box.currentData())

    def set_pattern(self, name: str) -> None:
        self.pattern_box.setCurrentIndex(self.pattern_box.findData(pattern_named(name).name))

    def show_ranking(self, ranking: list[UnitScore], quantity: str, steps: int) -> None:
        """Fill the table with ``ranking`` (best first), read by ``quantity`` over
        ``steps`` characters."""
        pattern = pattern_named(self.pattern)
        measure = "ROC AUC" if pattern.kind == "auc" else "correlation r"
        chance = "0.5 is chance" if pattern.kind == "auc" else "0 is none"
        self.caption.setText(
            f"{quantity} of each unit over these {steps} characters, scored by {measure} "
            f"({chance}); click a unit to colour the text by it."
        )
        self.table.setHorizontalHeaderLabels(
            ["unit", "score", "AUC" if pattern.kind == "auc" else "r"]
        )
        self.ranking = ranking
        self.table.setRowCount(len(ranking))
        for row, entry in enumerate(ranking):
            for col, text in enumerate((str(entry.unit), f"{entry.score:.3f}", f"{entry.raw:.3f}")):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)

    def show_problem(self, message: str) -> None:
        """No ranking for this text: say why instead."""
        self.ranking = []
        self.table.setRowCount(0)
        self.caption.setText(message)

    def shown_units(self) -> list[int]:
        """The units in the table, top to bottom."""
        items = (self.table.item(row, 0) for row in range(self.table.rowCount()))
        return [int(item.text()) for item in items if item is not None]

    def _on_row_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self.ranking):
            self.unit_picked.emit(self.ranking[row].unit)
