"""The Interventions dock: the clamps acting on the run, added and removed as undoable
edits; the run without them stays drawn faintly beside it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.engine.interventions import ClampError
from lstm_sim.gui.plots.trace_plot import MARKER_COLOR
from lstm_sim.model.expression_examples import EXAMPLES, clamp_placeholder
from lstm_sim.model.interventions import Interventions

SYNTAX = (
    "[layer L:] QUANTITY[UNITS] OP VALUE @ STEPS, e.g. f[3] = 1 @ 5:10, h[7] = 0 @ all, "
    "c[2] += 0.5 @ 4 (OP: = += *=; STEPS: t, a:b half-open, or all)"
)
HINT = "Ctrl+Z undoes a clamp; the run without clamps is drawn faintly."


class InterventionsPanel(QWidget):
    """Lists the session's clamps; writes only through ``interventions``."""

    def __init__(self, interventions: Interventions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.interventions = interventions
        self.session = interventions.session
        self.list = QListWidget()
        self.text = QLineEdit()
        self.text.setPlaceholderText(clamp_placeholder(self.session.network.kind))
        self.text.setToolTip(SYNTAX)
        self.text.returnPressed.connect(self.add)
        add = QPushButton("Add")
        add.clicked.connect(self.add)
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_selected)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {MARKER_COLOR}")
        hint = QLabel(HINT)
        hint.setWordWrap(True)
        hint.setToolTip(SYNTAX)
        self.list.setMinimumHeight(48)
        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(add)
        row.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(hint)
        self.session.trace_changed.connect(self._on_trace_changed)
        self.session.network_changed.connect(self.refresh)
        self.refresh()

    def detach(self) -> None:
        self.session.trace_changed.disconnect(self._on_trace_changed)
        self.session.network_changed.disconnect(self.refresh)

    def refresh(self) -> None:
        self.list.clear()
        self.list.addItems([clamp.text for clamp in self.interventions.clamps])
        network = self.session.network
        kind = network.kind
        self.text.setPlaceholderText(clamp_placeholder(kind))
        if not network.is_plain:
            self.text.setPlaceholderText(f"clamps are not supported yet ({network.variants()[0]})")
        # The engine cannot clamp a GRU or a variant yet: the field says so instead of
        # taking a clamp.
        self.text.setEnabled(EXAMPLES[kind].clamp is not None and network.is_plain)

    def _on_trace_changed(self, start: int) -> None:
        self.refresh()

    def add(self) -> None:
        try:
            self.interventions.add(self.text.text())
        except ClampError as err:
            self.error.setText(str(err))
            return
        self.error.clear()
        self.text.clear()

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.interventions.clamps):
            self.interventions.remove(row)
