"""The vanishing gradient's picture: a tanh RNN's cell beside an LSTM's, both on one input
and at one step T, above the gradient each carries back from T.

The panel is the picture without controls: the comparison window puts its own stepping
toolbar around it, and the main window shows it as a centre tab that follows the window's
own cursor (the lecture tour's vanishing-gradient stop, the long-lag scenario).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from lstm_sim.engine.gradflow import gradient_flow
from lstm_sim.engine.network import Network
from lstm_sim.gui.colors import THEMES
from lstm_sim.gui.comparison.gradient_plot import GradientPlot
from lstm_sim.gui.diagram import DiagramView
from lstm_sim.gui.plots.frame_pacer import FramePacer
from lstm_sim.gui.session_link import follow_theme
from lstm_sim.model import Session
from lstm_sim.model.view_settings import ViewSettings

MAX_STEPS_BACK = 400
"""How far back the gradient is followed: each step back is one matrix product."""
PLOT_HEIGHT_FRACTION = 0.42
TITLE_PT = 15
PRESENTING_TEXT_SCALE = 1.4
"""The plot's text in presentation mode, over its normal size."""
LABELS_TEXT_SCALE = 1.7
"""How far the cells' text may grow in views this small: the labels of every cell still
stand clear of one another (a little further, the RNN's header meets its loop caption)."""
NUMBERS_TEXT_SCALE = 1.2
"""With a unit pinned its numbers join the labels; in the LSTM they meet the next gate's
label at 1.25."""

Inputs = np.ndarray | Sequence[str]


def check_pair(lstm: Network, rnn: Network) -> None:
    """Raise ValueError unless ``lstm`` is an LSTM, ``rnn`` a simple RNN, and both read
    inputs of the same size (and tokens, if any, from the same vocabulary)."""
    if lstm.kind != "lstm":
        raise ValueError(f"the LSTM side needs an LSTM, got a {lstm.kind.upper()}")
    if rnn.kind != "rnn":
        raise ValueError(f"the RNN side needs a simple RNN, got an {rnn.kind.upper()}")
    if lstm.input_size != rnn.input_size:
        raise ValueError(
            f"the two models read inputs of different sizes: the LSTM D = {lstm.input_size}, "
            f"the RNN D = {rnn.input_size}; the same input must go through both"
        )
    lstm_tokens = None if lstm.vocab is None else lstm.vocab.tokens
    rnn_tokens = None if rnn.vocab is None else rnn.vocab.tokens
    if lstm_tokens != rnn_tokens:
        raise ValueError("the two models have different vocabularies; they cannot share an input")


class ComparisonPanel(QWidget):
    """Two sessions, one cursor: :meth:`seek` moves both to the same step t (each showing
    its whole step), and T of the gradient plot is that step. ``moved`` fires after."""

    moved = Signal()

    def __init__(
        self,
        lstm: Network,
        rnn: Network,
        inputs: Inputs,
        parent: QWidget | None = None,
        view_settings: ViewSettings | None = None,
    ) -> None:
        """``view_settings``: the theme to follow (the main window's)."""
        super().__init__(parent)
        check_pair(lstm, rnn)
        self.lstm_session = Session(lstm, inputs, title="LSTM")
        self.rnn_session = Session(rnn, inputs, title="RNN")
        settings = view_settings or ViewSettings()
        self.rnn_view = DiagramView(self.rnn_session, view_settings=settings)
        self.lstm_view = DiagramView(self.lstm_session, view_settings=settings)
        for view in (self.rnn_view, self.lstm_view):
            view.set_reduced_motion(True)  # the two cells jump together, step by step
        # Side by side, each cell gets too little room for its text to reach the main
        # cell's size without piling up: the cells open with no unit's numbers, which
        # leaves the labels room to grow (a click on a strip still pins a unit).
        self._unpin_units()
        self.rnn_title, self.lstm_title = QLabel(), QLabel()
        self.gradient_plot = GradientPlot()
        self._unfollow_theme = follow_theme(settings, self.gradient_plot.set_theme)

        cells = QSplitter(Qt.Orientation.Horizontal)
        for title, view in ((self.rnn_title, self.rnn_view), (self.lstm_title, self.lstm_view)):
            column = QWidget()
            layout = QVBoxLayout(column)
            layout.setContentsMargins(4, 4, 4, 4)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            # A long file name wraps rather than widening a window past a 1280-pixel screen.
            title.setWordWrap(True)
            layout.addWidget(title)
            layout.addWidget(view, 1)
            cells.addWidget(column)
        self.centre = QSplitter(Qt.Orientation.Vertical)
        self.centre.addWidget(cells)
        self.centre.addWidget(self.gradient_plot)
        self.centre.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.centre)
        self._pacer = FramePacer(self._draw_gradients, self)
        self._detached = False
        for session in (self.lstm_session, self.rnn_session):
            session.cursor_changed.connect(self._on_cursor_changed)
            session.network_changed.connect(self._on_changed)
            session.trace_changed.connect(self._on_changed)
            session.unit_changed.connect(self._limit_text)
        # The panel paints its own background in the theme's colour, with the titles in
        # its foreground: in the main window's dark palette and in a window of its own.
        self.setAutoFillBackground(True)
        self._unfollow_own_theme = follow_theme(settings, self._set_theme)
        self.set_presenting(False)
        self._name_sides()
        self._draw_gradients()

    def _set_theme(self, name: str) -> None:
        palette = THEMES[name]
        own = self.palette()
        own.setColor(QPalette.ColorRole.Window, palette.background)
        self.setPalette(own)
        for title in (self.rnn_title, self.lstm_title):
            title.setStyleSheet(
                f"font-size: {TITLE_PT}pt; font-weight: bold; color: {palette.foreground.name()}"
            )

    def set_presenting(self, on: bool) -> None:
        """Presentation mode's look: the high-contrast palette and larger text."""
        scale = PRESENTING_TEXT_SCALE if on else 1.0
        for view in (self.rnn_view, self.lstm_view):
            view.set_contrast(on)
        self.gradient_plot.set_text_scale(scale)

    # -- the shared cursor -----------------------------------------------------------------
    @property
    def t(self) -> int:
        return self.lstm_session.t

    @property
    def num_steps(self) -> int:
        return self.lstm_session.num_steps

    def seek(self, t: int) -> None:
        """Both networks to step ``t``, each showing its whole step."""
        for session in (self.lstm_session, self.rnn_session):
            session.seek(t)

    def load(self, lstm: Network, rnn: Network, inputs: Inputs) -> None:
        """Another pair, or the same pair on another input; ValueError (and nothing
        changes) when they cannot share it."""
        check_pair(lstm, rnn)
        # The RNN side records first: a failure there leaves both sides as they were.
        rnn_before = (self.rnn_session.network, self.rnn_session.inputs())
        self.rnn_session.load(rnn, inputs, title="RNN")
        try:
            self.lstm_session.load(lstm, inputs, title="LSTM")
        except ValueError:
            self.rnn_session.load(*rnn_before, title="RNN")
            raise
        self._unpin_units()
        self._name_sides()
        self.moved.emit()

    def _unpin_units(self) -> None:
        for session in (self.lstm_session, self.rnn_session):
            session.select_unit(-1)
        self._limit_text()

    def _limit_text(self, *_unit: int) -> None:
        for view, session in (
            (self.rnn_view, self.rnn_session),
            (self.lstm_view, self.lstm_session),
        ):
            pinned = session.unit >= 0
            view.set_max_text_scale(NUMBERS_TEXT_SCALE if pinned else LABELS_TEXT_SCALE)

    def _name_sides(self) -> None:
        for label, session in (
            (self.rnn_title, self.rnn_session),
            (self.lstm_title, self.lstm_session),
        ):
            net = session.network
            kind = "LSTM" if net.kind == "lstm" else f"{net.nonlinearity} RNN"
            # A loader's source reads "path (format)": the file name says enough here.
            name = Path(net.source.split(" (")[0]).name
            label.setText(f"{kind} · H = {net.hidden_size} · {name}")

    # -- following the sessions ----------------------------------------------------------------
    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self._pacer.mark_dirty()
        self.moved.emit()

    def _on_changed(self, *_args: object) -> None:
        self._pacer.mark_dirty()

    def flush(self) -> None:
        """Draw a pending gradient plot now (tests, screenshots)."""
        self._pacer.flush()

    def _draw_gradients(self) -> None:
        end = self.t
        rnn = gradient_flow(
            self.rnn_session.network, self.rnn_session.trace, end, window=MAX_STEPS_BACK
        )
        lstm = gradient_flow(
            self.lstm_session.network, self.lstm_session.trace, end, window=MAX_STEPS_BACK
        )
        self.gradient_plot.show_flows(rnn, lstm)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        total = self.centre.height()
        plot = round(total * PLOT_HEIGHT_FRACTION)
        self.centre.setSizes([total - plot, plot])

    def detach(self) -> None:
        """Stop following the sessions and the theme: the panel is going away (once;
        again does nothing)."""
        if self._detached:
            return
        self._detached = True
        self._pacer.stop()
        self._unfollow_theme()
        self._unfollow_own_theme()
        for session in (self.lstm_session, self.rnn_session):
            session.cursor_changed.disconnect(self._on_cursor_changed)
            session.network_changed.disconnect(self._on_changed)
            session.trace_changed.disconnect(self._on_changed)
            session.unit_changed.disconnect(self._limit_text)
        for view in (self.rnn_view, self.lstm_view):
            view.finish_animation()
            view.detach_settings()
