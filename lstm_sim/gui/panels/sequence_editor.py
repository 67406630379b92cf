"""Above the Inputs table: the sequence's length (insert a step at the cursor, add one at
the end, remove the cursor's step) and, for a model with a vocabulary, a typed sentence
cut by its tokenizer, with every unknown token listed beside the nearest allowed ones.
Each change is one undoable edit of the session, which reruns from the changed step."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session
from lstm_sim.model.sentence import read_sentence


class SequenceEditor(QWidget):
    """Length and sentence controls for ``session``'s input sequence."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.length_label = QLabel()
        self.insert_button = QPushButton("Insert step")
        self.insert_button.setToolTip(
            "Insert a copy of the cursor's step before it; the run is redone from there"
        )
        self.append_button = QPushButton("Add at end")
        self.append_button.setToolTip("Add a copy of the last step after it")
        self.remove_button = QPushButton("Remove step")
        self.remove_button.setToolTip("Remove the cursor's step; the run is redone from there")
        self.insert_button.clicked.connect(self.insert_at_cursor)
        self.append_button.clicked.connect(self.add_at_end)
        self.remove_button.clicked.connect(self.remove_at_cursor)
        steps = QHBoxLayout()
        steps.addWidget(self.length_label)
        steps.addStretch(1)
        for button in (self.insert_button, self.append_button, self.remove_button):
            steps.addWidget(button)

        self.sentence = QLineEdit()
        self.sentence.setPlaceholderText("Type a sentence and press Enter")
        self.sentence.setClearButtonEnabled(True)
        self.sentence.returnPressed.connect(self.run_sentence)
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Cut the sentence with the model's tokenizer and run it")
        self.run_button.clicked.connect(self.run_sentence)
        self.sentence_row = QWidget()
        row = QHBoxLayout(self.sentence_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.sentence, 1)
        row.addWidget(self.run_button)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Sentence problem")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addLayout(steps)
        layout.addWidget(self.sentence_row)
        layout.addWidget(self.problem)
        self._unsubscribe = subscribe(self, session)
        self._on_network_changed()

    def detach(self) -> None:
        self._unsubscribe()

    # -- intents ---------------------------------------------------------------------------
    def insert_at_cursor(self) -> None:
        self.session.insert_step(self.session.t)

    def add_at_end(self) -> None:
        self.session.insert_step(self.session.num_steps)

    def remove_at_cursor(self) -> None:
        if self.session.num_steps > 1:
            self.session.remove_step(self.session.t)

    def run_sentence(self) -> bool:
        """Feed the typed sentence; unknown tokens are listed with the nearest allowed
        ones, and the sequence stays as it was."""
        vocab = self.session.network.vocab
        if vocab is None:
            return False
        reading = read_sentence(vocab, self.sentence.text())
        if not reading.usable:
            self.problem.setText(reading.problem())
            self.problem.show()
            return False
        self.problem.hide()
        self.session.replace_sequence(list(reading.tokens))
        return True

    # -- following the session ---------------------------------------------------------------
    def _on_network_changed(self) -> None:
        session = self.session
        vocab = session.network.vocab
        self.sentence_row.setVisible(vocab is not None)
        self.problem.hide()
        if vocab is not None:
            tokenizer = "words" if vocab.tokenizer == "word" else "characters"
            self.sentence.setToolTip(
                f"Cut into {tokenizer} by the model's tokenizer; {len(vocab)} tokens are known"
            )
            if session.tokens is not None and not self.sentence.hasFocus():
                self.sentence.setText(vocab.join(session.tokens))
        self._on_cursor_changed(session.t, session.phase)

    def _on_cursor_changed(self, t: int, _phase: int) -> None:
        count = self.session.num_steps
        self.length_label.setText(f"T = {count} step{'s' if count != 1 else ''} · cursor at {t}")
        self.remove_button.setEnabled(count > 1)
