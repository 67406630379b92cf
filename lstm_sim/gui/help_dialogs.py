"""Help ▸ Keyboard shortcuts and Help ▸ About."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox, QWidget


def show_shortcuts(parent: QWidget, rows: Sequence[tuple[str, str]]) -> None:
    """A table of (command, keys) ``rows``."""
    cells = "".join(
        f"<tr><td>{html.escape(name)}</td><td>&nbsp;&nbsp;<b>{html.escape(keys)}</b></td></tr>"
        for name, keys in rows
    )
    QMessageBox.information(parent, "Keyboard shortcuts", f"<table>{cells}</table>")


def show_about(parent: QWidget) -> None:
    from lstm_sim import __version__

    QMessageBox.about(
        parent,
        "About lstm-sim",
        f"<b>lstm-sim {__version__}</b><p>Steps an LSTM one gate and one time step at a "
        "time, on hand-set demos, random networks or your own trained model.</p>",
    )
