"""File ▸ Open scenario…: the lecture's demos as a list, each with what to watch."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

TITLE_PT = 15


@dataclass(frozen=True)
class PickerEntry:
    """One line of the list: ``name`` is what opening it is asked by."""

    name: str
    title: str
    description: str


def description_html(title: str, description: str) -> str:
    """A title over a description, its lines kept as paragraphs."""
    paragraphs = "".join(
        f"<p>{html.escape(part)}</p>" for part in description.split("\n") if part.strip()
    )
    return f"<h2>{html.escape(title)}</h2>{paragraphs}"


class ScenarioPicker(QDialog):
    """Titles on the left, the selected one's description on the right; Enter or a
    double-click opens it."""

    def __init__(self, entries: Sequence[PickerEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not entries:
            raise ValueError("entries is empty: there is no scenario to pick")
        self.setWindowTitle("Open scenario")
        self.entries = list(entries)
        self.list = QListWidget()
        font = QFont()
        font.setPointSize(TITLE_PT)
        self.list.setFont(font)
        for entry in self.entries:
            item = QListWidgetItem(entry.title)
            item.setData(Qt.ItemDataRole.UserRole, entry.name)
            item.setToolTip(entry.name)
            self.list.addItem(item)
        self.description = QTextBrowser()
        self.description.setOpenExternalLinks(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        body = QHBoxLayout()
        body.addWidget(self.list, 2)
        body.addWidget(self.description, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.buttons)
        self.list.setCurrentRow(0)
        self.resize(1000, 560)

    @property
    def chosen(self) -> str:
        """The name of the selected scenario."""
        return self.entries[max(self.list.currentRow(), 0)].name

    def select(self, name: str) -> None:
        names = [entry.name for entry in self.entries]
        if name not in names:
            raise ValueError(f"no scenario {name!r}; the list has {', '.join(names)}")
        self.list.setCurrentRow(names.index(name))

    def _on_row_changed(self, row: int) -> None:
        if 0 <= row < len(self.entries):
            entry = self.entries[row]
            self.description.setHtml(description_html(entry.title, entry.description))
