"""File ▸ Load inputs…: the files of a sequence (inputs .npy/.csv, token ids .npy or text
.txt) and of the initial states h0 and c0, each optional, read as ``lstm-sim trace``
reads ``--inputs``/``--tokens``/``--text-file``/``--h0``/``--c0``."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.engine.network import Network
from lstm_sim.model.input_source import InputSource, sequence_file

SEQUENCE_FILTER = "Inputs, token ids or text (*.npy *.csv *.txt);;All files (*)"
STATE_FILTER = "NumPy arrays (*.npy);;All files (*)"


class LoadInputsDialog(QDialog):
    """Three file fields, each with Browse…; :meth:`source` says what to load."""

    def __init__(self, network: Network, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Load inputs")
        self.network = network
        sequence_row, self.sequence = self._field(SEQUENCE_FILTER)
        h0_row, self.h0 = self._field(STATE_FILTER)
        c0_row, self.c0 = self._field(STATE_FILTER)
        reads = "token ids or text" if network.num_tokens is not None else "(T, D) numbers"
        states = "h0 and c0 are" if network.kind == "lstm" else "h0 is"
        intro = QLabel(
            f"This model reads {reads} (D = {network.input_size}); {states} "
            f"(L, H) = ({network.num_layers}, {network.hidden_size}). Leave a field empty "
            "to keep what there is. Edit ▸ Undo edit puts the previous sequence back."
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Sequence", sequence_row)
        form.addRow("h0", h0_row)
        form.addRow("c0", c0_row)
        c0_row.setEnabled(network.kind == "lstm")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(640, 0)

    def _field(self, file_filter: str) -> tuple[QWidget, QLineEdit]:
        """A row holding a path field and its Browse… button, and the field."""
        row = QWidget(self)
        edit = QLineEdit(row)
        browse = QPushButton("Browse…", row)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        layout.addWidget(browse)

        def pick() -> None:
            path, _ = QFileDialog.getOpenFileName(self, "Load inputs", "", file_filter)
            if path:
                edit.setText(path)

        browse.clicked.connect(pick)
        return row, edit

    def source(self) -> InputSource | None:
        """What the fields name (None: nothing); a sequence file of an unknown kind raises
        InputFileError."""
        sequence, h0, c0 = (f.text().strip() for f in (self.sequence, self.h0, self.c0))
        if not (sequence or h0 or c0):
            return None
        found = sequence_file(sequence, self.network) if sequence else InputSource()
        return InputSource(found.kind, found.value, h0 or None, c0 or None)
