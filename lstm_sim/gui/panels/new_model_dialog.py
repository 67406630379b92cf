"""File ▸ New random model…: the sizes and seed of a freshly initialised network."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box


class NewModelDialog(QDialog):
    """Asks for the arguments of :func:`lstm_sim.model.demo.random_model`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New random model")
        self.kind = QComboBox()
        self.kind.addItem("LSTM", "lstm")
        self.kind.addItem("Simple RNN (tanh)", "rnn")
        self.kind.addItem("GRU (PyTorch's convention)", "gru")
        self.input_size = _spin(1, 256, 3, "D, the number of input features")
        self.hidden_size = _spin(1, 1024, 4, "H, the number of units per layer")
        self.num_layers = _spin(1, 8, 1, "Stacked layers; layer l > 0 reads h of layer l−1")
        self.seed = _spin(0, 2**31 - 1, 0, "Seeds the weights and the input sequence")
        self.steps = _spin(1, 1000, 12, "T, the length of the input sequence")
        form = QFormLayout(self)
        form.addRow("Kind", self.kind)
        form.addRow("Input size D", self.input_size)
        form.addRow("Hidden size H", self.hidden_size)
        form.addRow("Layers", self.num_layers)
        form.addRow("Seed", self.seed)
        form.addRow("Sequence length T", self.steps)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``random_model``."""
        return {
            "kind": self.kind.currentData(),
            "input_size": self.input_size.value(),
            "hidden_size": self.hidden_size.value(),
            "num_layers": self.num_layers.value(),
            "seed": self.seed.value(),
            "steps": self.steps.value(),
        }
