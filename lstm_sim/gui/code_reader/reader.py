"""The code reader: the session's text coloured by one unit, the units that track a
pattern of the code, and how saturated each unit's gates are, side by side."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.engine.formats.errors import InputFileError
from lstm_sim.engine.formats.inputs import read_text
from lstm_sim.engine.trace import Trace
from lstm_sim.gui.code_reader.saturation_plot import SaturationPlot
from lstm_sim.gui.code_reader.text_view import CodeTextView
from lstm_sim.gui.code_reader.unit_finder import UnitFinder
from lstm_sim.gui.plots.frame_pacer import FramePacer
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session
from lstm_sim.model.code_reader import (
    DEFAULT_TEXT,
    QUANTITY_TITLES,
    find_units,
    quantities_for,
    unit_saturation,
    unit_values,
)

SATURATION_CAPTION = (
    "Gate saturation, a point per unit: share of characters with the gate "
    "below 0.1 (x) and above 0.9 (y)"
)
NO_SATURATION = (
    "Gate saturation is measured for an LSTM's i, f and o gates; a GRU has none of them."
)
SCALES = {
    "c": "signed",
    "h": "signed",
    "g": "signed",
    "i": "gate",
    "f": "gate",
    "o": "gate",
    "z": "gate",
    "r": "gate",
    "n": "signed",
}
MAX_TEXT_CHARS = 20_000
"""The session keeps every quantity of every step (13 numbers per unit of an LSTM), and
the reader lays out and ranks the whole text when it changes: 20 000 characters of the
shipped H=256 model are 270 MB and a fraction of a second. Longer texts are analysed
from the command line, which records in chunks (``lstm-sim trace --quantities``)."""
UNKNOWN_SHOWN = 12
TEXT_WIDTH_FRACTION = 0.58
RANKING_HEIGHT_FRACTION = 0.55
TEXT_FILE_FILTER = "Text and source (*.py *.txt *.md *.c *.js);;All files (*)"


def check_text(session: Session, text: str) -> tuple[list[str], str | None]:
    """``text`` cut into the model's tokens, and a message naming what is wrong with it
    (None when it can be read). Windows line ends become newlines, and tabs become
    spaces when the vocabulary has no tab."""
    vocab = session.network.vocab
    if vocab is None:
        return [], "This model reads numbers, not text."
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" not in vocab.tokens:
        text = text.expandtabs(8)
    tokens = vocab.tokenize(text)
    if not tokens:
        return [], "The text is empty."
    if len(tokens) > MAX_TEXT_CHARS:
        return [], f"The text has {len(tokens)} tokens; the code reader takes at most " + (
            f"{MAX_TEXT_CHARS}."
        )
    known = set(vocab.tokens)
    unknown = sorted({token for token in tokens if token not in known})
    if unknown:
        count = sum(token not in known for token in tokens)
        shown = ", ".join(repr(token) for token in unknown[:UNKNOWN_SHOWN])
        more = f" and {len(unknown) - UNKNOWN_SHOWN} more" if len(unknown) > UNKNOWN_SHOWN else ""
        return [], (
            f"{count} of the {len(tokens)} tokens are not in the model's vocabulary of "
            f"{len(vocab)}: {shown}{more}. The text was not loaded."
        )
    return tokens, None


def quantity_values(trace: Trace, quantity: str, layer: int) -> np.ndarray:
    """Every unit's recorded ``quantity`` of ``layer``, (T, H); a simple RNN has only h."""
    if trace.kind == "rnn":
        if quantity != "h":
            raise ValueError(f"a simple RNN records only h, not {quantity!r}")
        return trace.h[layer]
    return unit_values(trace, quantity, layer)


class CodeReader(QWidget):
    """Built from the session, writes to it only to seek, select a unit or replace the
    text; everything it colours or ranks is read from the recorded trace."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.quantity_box = QComboBox()
        self.quantity_box.setToolTip("The quantity of the selected unit that colours the text")
        self.quantity_box.currentIndexChanged.connect(self._on_quantity_chosen)
        self.unit_label = QLabel()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.example_button = QPushButton("Example code")
        self.example_button.setToolTip("A held-out piece of Python's standard library")
        self.example_button.clicked.connect(lambda: self.set_text(DEFAULT_TEXT))
        self.paste_button = QPushButton("Paste text")
        self.paste_button.setToolTip("Read the text on the clipboard through the model")
        self.paste_button.clicked.connect(self.paste)
        self.load_button = QPushButton("Load text…")
        self.load_button.clicked.connect(self.load_dialog)

        self.text_view = CodeTextView()
        self.text_view.char_clicked.connect(self._on_char_clicked)
        self.finder = UnitFinder()
        self.finder.pattern_changed.connect(self._on_pattern_chosen)
        self.finder.unit_picked.connect(self.session.select_unit)
        self.saturation_plot = SaturationPlot()
        self.saturation_caption = QLabel(SATURATION_CAPTION)
        self.saturation_caption.setWordWrap(True)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Colour by"))
        bar.addWidget(self.quantity_box)
        bar.addWidget(self.unit_label)
        bar.addStretch(1)
        for button in (self.example_button, self.paste_button, self.load_button):
            bar.addWidget(button)
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.finder)
        saturation = QWidget()
        saturation_layout = QVBoxLayout(saturation)
        saturation_layout.setContentsMargins(0, 0, 0, 0)
        saturation_layout.addWidget(self.saturation_caption)
        saturation_layout.addWidget(self.saturation_plot, 1)
        side.addWidget(saturation)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.text_view)
        body.addWidget(side)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        self.body, self.side = body, side
        self._user_split = False
        body.splitterMoved.connect(self._on_splitter_dragged)
        side.splitterMoved.connect(self._on_splitter_dragged)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.note)
        layout.addWidget(body, 1)

        # Ranking and saturation scan every unit at every character: coalesce the
        # signals that arrive together into one pass per frame.
        self._analysis_stale = True
        self._rebuild_pending = False
        self._pacer = FramePacer(self._on_frame, self)
        self._unsubscribe = subscribe(self, session)
        # Built hidden, on a dock opened on demand: the text (T characters) is laid out
        # when the reader is first shown, as after any change made while it is hidden.
        self._rebuild_pending = True

    # -- what tests and the window read --------------------------------------------------
    @property
    def quantity(self) -> str:
        return str(self.quantity_box.currentData())

    def set_quantity(self, quantity: str) -> None:
        if self._rebuild_pending:
            self._rebuild()  # the quantities on offer follow the network
        index = self.quantity_box.findData(quantity)
        if index < 0:
            raise ValueError(f"this model has no quantity {quantity!r} to colour by")
        self.quantity_box.setCurrentIndex(index)

    @property
    def reads_characters(self) -> bool:
        """True for an LSTM or a GRU reading text one character per step: what finding
        units needs."""
        vocab = self.session.network.vocab
        return (
            self.session.network.kind in ("lstm", "gru")
            and self.session.tokens is not None
            and vocab is not None
            and vocab.tokenizer == "char"
        )

    def shown_values(self) -> np.ndarray | None:
        """The values the text is coloured by, (T,), or None when nothing is coloured."""
        session = self.session
        if session.tokens is None or session.unit < 0:
            return None
        return quantity_values(session.trace, self.quantity, session.layer)[:, session.unit]

    def flush(self) -> None:
        """Rank and measure now rather than on the next frame (tests, screenshots)."""
        if self._rebuild_pending:
            self._rebuild()
        self._pacer.flush()
        if self._analysis_stale:
            self._analyse()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._rebuild_pending:
            self._rebuild()
        elif self._analysis_stale:
            self._pacer.mark_dirty()

    def _follow(self) -> bool:
        """Whether to update now; a hidden reader catches up when it is shown, so that
        steps and edits cost nothing for it while nobody sees it."""
        if self.isVisible():
            return True
        self._rebuild_pending = True
        return False

    def detach(self) -> None:
        self._unsubscribe()
        self._pacer.stop()

    def set_theme(self, name: str) -> None:
        self.saturation_plot.set_theme(name)
        self.text_view.set_theme(name)
        # Hidden, the reader may still hold the text of a model opened before: it
        # recolours when it is shown again, with the text of the model open then.
        if self._follow():
            self._recolour()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._user_split:
            # Splitters start from size hints; the text should get most of the width,
            # until the user drags a splitter.
            width, height = self.body.width(), self.side.height()
            self.body.setSizes([round(width * TEXT_WIDTH_FRACTION), width])
            self.side.setSizes([round(height * RANKING_HEIGHT_FRACTION), height])

    def _on_splitter_dragged(self, _pos: int, _index: int) -> None:
        self._user_split = True

    # -- replacing the text --------------------------------------------------------------
    def set_text(self, text: str) -> bool:
        """Read ``text`` through the model (session.set_inputs); a text the model cannot
        read gets a dialog naming the tokens it does not know, and changes nothing."""
        tokens, problem = check_text(self.session, text)
        if problem is not None:
            QMessageBox.warning(self, "Cannot read this text", problem)
            return False
        self.session.set_inputs(tokens)
        return True

    def paste(self) -> bool:
        return self.set_text(QApplication.clipboard().text())

    def load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load text", "", TEXT_FILE_FILTER)
        if path:
            self.load_text_file(path)

    def load_text_file(self, path: str) -> bool:
        try:
            text = read_text(path, errors="replace")
        except InputFileError as err:
            QMessageBox.warning(self, "Cannot read this file", str(err))
            return False
        return self.set_text(text)

    # -- following the session -----------------------------------------------------------
    def _rebuild(self) -> None:
        self._rebuild_pending = False
        session = self.session
        quantities = quantities_for(session.network.kind)
        current = self.quantity_box.currentData() or "c"
        self.quantity_box.blockSignals(True)
        self.quantity_box.clear()
        for quantity in quantities:
            self.quantity_box.addItem(QUANTITY_TITLES[quantity], quantity)
        index = self.quantity_box.findData(current)
        self.quantity_box.setCurrentIndex(max(index, 0))
        self.quantity_box.blockSignals(False)
        has_text = session.tokens is not None
        for button in (self.paste_button, self.load_button):
            button.setEnabled(has_text)
        self.example_button.setEnabled(self.reads_characters)
        if not has_text:
            self.note.setText(
                "This model reads numbers, not text: open a character-level model to read "
                "code with it (Demos ▸ Code reader opens the shipped one)."
            )
        elif not self.reads_characters:
            self.note.setText(
                "Finding units needs an LSTM or a GRU that reads one character per step; "
                "the text is still coloured by the selected unit."
            )
        self.note.setVisible(not self.reads_characters)
        lstm = session.network.kind == "lstm"
        self.saturation_caption.setText(SATURATION_CAPTION if lstm else NO_SATURATION)
        separator = ""
        if session.network.vocab is not None and session.network.vocab.tokenizer == "word":
            separator = " "
        self.text_view.set_tokens(session.tokens or (), separator)
        self._recolour()
        self.text_view.set_current(session.t)
        self._mark_analysis_stale()

    def _recolour(self) -> None:
        session = self.session
        values = self.shown_values()
        if values is None:
            self.text_view.clear_values()
            self.unit_label.setText("  select a unit to colour the text")
        else:
            self.text_view.set_values(values, SCALES[self.quantity])
            layer = f" of layer {session.layer}" if session.network.num_layers > 1 else ""
            self.unit_label.setText(f"  of unit {session.unit}{layer}")
        self.saturation_plot.set_data(self.saturation_plot.saturation, session.unit)

    def _mark_analysis_stale(self) -> None:
        self._analysis_stale = True
        self._pacer.mark_dirty()

    def _on_frame(self) -> None:
        if self._analysis_stale and self.isVisible():
            self._analyse()

    def _analyse(self) -> None:
        """Rank the units for the chosen pattern and measure gate saturation."""
        self._analysis_stale = False
        session = self.session
        if not self.reads_characters:
            self.finder.show_problem("")
            self.saturation_plot.set_data(None, session.unit)
            return
        # The paper measures the saturation of an LSTM's i, f and o; a GRU's is not drawn.
        lstm = session.network.kind == "lstm"
        saturation = unit_saturation(session.trace, session.layer) if lstm else None
        self.saturation_plot.set_data(saturation, session.unit)
        try:
            ranking = find_units(
                session.network, session.trace, self.finder.pattern, self.quantity, session.layer
            )
        except ValueError as err:
            self.finder.show_problem(f"No ranking for this text: {err}.")
            return
        self.finder.show_ranking(ranking, QUANTITY_TITLES[self.quantity], session.num_steps)

    def _on_network_changed(self) -> None:
        if self._follow():
            self._rebuild()

    def _on_trace_changed(self, start: int) -> None:
        # A token edit changes the text itself, not only the values.
        if self._follow():
            self._rebuild()

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self.text_view.set_current(t)

    def _on_layer_changed(self, layer: int) -> None:
        if self._follow():
            self._recolour()
            self._mark_analysis_stale()

    def _on_unit_changed(self, unit: int) -> None:
        if self._follow():
            self._recolour()

    # -- controls that write to the session ----------------------------------------------
    def _on_char_clicked(self, t: int) -> None:
        self.session.seek(t)

    def _on_quantity_chosen(self, _index: int) -> None:
        self._recolour()
        self._mark_analysis_stale()

    def _on_pattern_chosen(self, _pattern: str) -> None:
        self._mark_analysis_stale()
