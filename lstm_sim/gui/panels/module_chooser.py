"""The dialog that asks which recurrent module of a PyTorch file to open, when the file
holds several (an encoder and a decoder, two stacks): one row per candidate with its
prefix, kind, layers, H and D."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from lstm_sim.engine.formats.torch_state_dict import RecurrentModule

COLUMNS = ("Prefix", "Kind", "Layers", "H", "D")


class ModuleChooser(QDialog):
    """The candidates of ``path`` in a table; Enter or a double-click opens the selected
    one (``chosen`` is its prefix)."""

    def __init__(
        self, path: str, candidates: Sequence[RecurrentModule], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        if not candidates:
            raise ValueError("candidates is empty: there is no module to choose")
        self.setWindowTitle("Choose a recurrent module")
        self.candidates = list(candidates)
        intro = QLabel(
            f"{path} holds {len(candidates)} recurrent modules. Which one should lstm-sim "
            "step through? (On the command line: --prefix.)"
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(candidates), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for row, module in enumerate(self.candidates):
            cells = (
                module.prefix or "(top level)",
                module.kind,
                str(module.num_layers),
                str(module.hidden_size),
                str(module.input_size),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemDoubleClicked.connect(lambda _item: self.accept())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.table.selectRow(0)
        self.resize(640, 320)

    @property
    def chosen(self) -> str:
        """The prefix of the selected module ("" for one at the top level)."""
        return self.candidates[max(self.table.currentRow(), 0)].prefix

    def select(self, prefix: str) -> None:
        prefixes = [module.prefix for module in self.candidates]
        if prefix not in prefixes:
            raise ValueError(f"no module {prefix!r}; the file has {', '.join(prefixes)}")
        self.table.selectRow(prefixes.index(prefix))


def ask_for_module(
    path: str, candidates: Sequence[RecurrentModule], parent: QWidget | None
) -> str | None:
    """The prefix the user picks in a :class:`ModuleChooser`, None when cancelled."""
    chooser = ModuleChooser(path, candidates, parent)
    if chooser.exec() == QDialog.DialogCode.Accepted:
        return chooser.chosen
    return None
