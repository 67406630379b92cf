"""The vanishing gradient's picture: a tanh RNN's cell beside an LSTM's (and a GRU's, for
the ``gru-vs-lstm`` scenario), all on one input and at one step T, above the gradient each
carries back from T.

The panel is the picture without controls: the comparison window puts its own stepping
toolbar around it, and the main window shows it as a centre tab that follows the window's
own cursor (the lecture tour's vanishing-gradient stop, the long-lag scenario). Where the
room is too small for every cell's labels to be legible beside one another (a 720p
screen, a projector's text), the cells take turns on pages (:mod:`.paging`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QTabBar, QVBoxLayout, QWidget

from lstm_sim.engine.gradflow import gradient_flow
from lstm_sim.engine.network import Network
from lstm_sim.gui.colors import THEMES
from lstm_sim.gui.comparison.gradient_plot import GradientPlot
from lstm_sim.gui.comparison.paging import PLOT, Room, pages_for
from lstm_sim.gui.diagram import MIN_TEXT_PX, DiagramView
from lstm_sim.gui.plots.frame_pacer import FramePacer
from lstm_sim.gui.session_link import follow_theme
from lstm_sim.model import Session
from lstm_sim.model.scenario import described_unit
from lstm_sim.model.view_settings import ViewSettings

MAX_STEPS_BACK = 400
"""How far back the gradient is followed: each step back is one matrix product."""
PLOT_HEIGHT_FRACTION = 0.42
TITLE_PT = 15
PRESENTING_TEXT_SCALE = 1.4
"""The plot's text in presentation mode, over its normal size."""
CELL_MIN_WIDTH = 200
"""Pixels: three cells and their margins fit the centre of a window on a 1280x720 screen."""
LABELS_TEXT_SCALE = 1.7
"""How far the cells' text may grow: the labels of every cell still stand clear of one
another (a little further, the RNN's header meets its loop caption)."""
NUMBERS_TEXT_SCALE = 1.7
"""With a unit pinned its numbers join the labels: every cell keeps them clear up to 1.8."""
PLOT_MIN_HEIGHT = 220
"""Pixels (times the plot's text scale) below which the gradient plot gets a page of its
own rather than share one with a cell."""

Inputs = np.ndarray | Sequence[str]


def check_pair(lstm: Network, rnn: Network, gru: Network | None = None) -> None:
    """Raise ValueError unless ``lstm`` is an LSTM, ``rnn`` a simple RNN, ``gru`` (when
    given) a GRU, and all read inputs of the same size (and tokens, if any, from the same
    vocabulary)."""
    if lstm.kind != "lstm":
        raise ValueError(f"the LSTM side needs an LSTM, got a {lstm.kind.upper()}")
    if rnn.kind != "rnn":
        raise ValueError(f"the RNN side needs a simple RNN, got an {rnn.kind.upper()}")
    if gru is not None and gru.kind != "gru":
        raise ValueError(f"the GRU side needs a GRU, got an {gru.kind.upper()}")
    others = (("RNN", rnn),) if gru is None else (("RNN", rnn), ("GRU", gru))
    for name, other in others:
        if lstm.input_size != other.input_size:
            raise ValueError(
                f"the models read inputs of different sizes: the LSTM D = {lstm.input_size}, "
                f"the {name} D = {other.input_size}; the same input must go through both"
            )
        lstm_tokens = None if lstm.vocab is None else lstm.vocab.tokens
        other_tokens = None if other.vocab is None else other.vocab.tokens
        if lstm_tokens != other_tokens:
            raise ValueError(
                f"the LSTM and the {name} have different vocabularies; they cannot share an input"
            )


def named_unit(network: Network) -> int:
    """The unit the model's description names (a scenario's memory unit), else unit 0."""
    try:
        return described_unit(network)[0]
    except ValueError:
        return 0


class ComparisonPanel(QWidget):
    """Two sessions (three with a GRU), one cursor: :meth:`seek` moves each to the same
    step t (each showing its whole step), and T of the gradient plot is that step.
    ``moved`` fires after."""

    moved = Signal()

    def __init__(
        self,
        lstm: Network,
        rnn: Network,
        inputs: Inputs,
        parent: QWidget | None = None,
        view_settings: ViewSettings | None = None,
        gru: Network | None = None,
    ) -> None:
        """``view_settings``: the theme to follow (the main window's); ``gru``: a GRU to
        step in a third column (fixed for the panel's life: :meth:`load` keeps its kind)."""
        super().__init__(parent)
        check_pair(lstm, rnn, gru)
        self.lstm_session = Session(lstm, inputs, title="LSTM")
        self.rnn_session = Session(rnn, inputs, title="RNN")
        self.gru_session = None if gru is None else Session(gru, inputs, title="GRU")
        settings = view_settings or ViewSettings()
        self.rnn_view = DiagramView(self.rnn_session, view_settings=settings)
        self.lstm_view = DiagramView(self.lstm_session, view_settings=settings)
        self.gru_view = (
            None
            if self.gru_session is None
            else DiagramView(self.gru_session, view_settings=settings)
        )
        for view in self.views():
            view.set_reduced_motion(True)  # the cells jump together, step by step
            # Three cells at the main cell's minimum width pushed a 1280-pixel window
            # off the screen: beside one another they may be thumbnails.
            view.setMinimumSize(CELL_MIN_WIDTH, CELL_MIN_WIDTH * 9 // 16)
        self.rnn_title, self.lstm_title, self.gru_title = QLabel(), QLabel(), QLabel()
        self.gradient_plot = GradientPlot()
        self._unfollow_theme = follow_theme(settings, self.gradient_plot.set_theme)

        self.cells = QSplitter(Qt.Orientation.Horizontal)
        self.columns: dict[str, QWidget] = {}
        for title, view in zip(self.titles(), self.views(), strict=True):
            column = QWidget()
            layout = QVBoxLayout(column)
            layout.setContentsMargins(4, 4, 4, 4)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            # A long file name wraps rather than widening a window past a 1280-pixel screen.
            title.setWordWrap(True)
            layout.addWidget(title)
            layout.addWidget(view, 1)
            self.cells.addWidget(column)
            self.columns[view.session.network.kind] = column
        self.centre = QSplitter(Qt.Orientation.Vertical)
        self.centre.addWidget(self.cells)
        self.centre.addWidget(self.gradient_plot)
        self.centre.setChildrenCollapsible(False)
        # Where the cells cannot all be legible beside one another and the plot, they
        # take turns: one page each (with the plot, or the plot on a page of its own).
        self.pager = QTabBar()
        self.pager.setDocumentMode(True)
        self.pager.setExpanding(False)
        self.pager.setObjectName("comparison pages")
        self._pages: list[tuple[str, ...]] = [(*self.columns, PLOT)]
        self._min_text_px = MIN_TEXT_PX
        self._text_scale = 1.0
        self._theme = settings.theme
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.pager)
        layout.addWidget(self.centre)
        self.pager.hide()
        # What the reader wants in front: the plot, and beside it the LSTM (the model
        # the comparison is about) until a page is picked.
        self._wanted: tuple[str, ...] = (PLOT, "lstm")
        self.pager.currentChanged.connect(self._on_page_picked)
        self._pacer = FramePacer(self._draw_gradients, self)
        self._detached = False
        for session in self.sessions():
            session.cursor_changed.connect(self._on_cursor_changed)
            session.network_changed.connect(self._on_changed)
            session.trace_changed.connect(self._on_changed)
            session.unit_changed.connect(self._limit_text)
        # The panel paints its own background in the theme's colour, with the titles in
        # its foreground: in the main window's dark palette and in a window of its own.
        self.setAutoFillBackground(True)
        self._unfollow_own_theme = follow_theme(settings, self._set_theme)
        self.set_presenting(False)
        self.select_named_units()
        self._limit_text()
        self._name_sides()
        self._draw_gradients()

    def sessions(self) -> tuple[Session, ...]:
        """The LSTM's, the RNN's and (when there is one) the GRU's session."""
        gru = () if self.gru_session is None else (self.gru_session,)
        return (self.lstm_session, self.rnn_session, *gru)

    def views(self) -> tuple[DiagramView, ...]:
        """The cells left to right: the RNN's, the LSTM's, the GRU's."""
        gru = () if self.gru_view is None else (self.gru_view,)
        return (self.rnn_view, self.lstm_view, *gru)

    def titles(self) -> tuple[QLabel, ...]:
        return (self.rnn_title, self.lstm_title, self.gru_title)[: len(self.views())]

    def networks(self) -> tuple[Network, ...]:
        """The networks compared: the LSTM, the RNN and the GRU when there is one."""
        return tuple(session.network for session in self.sessions())

    def _set_theme(self, name: str) -> None:
        self._theme = name
        palette = THEMES[name]
        own = self.palette()
        own.setColor(QPalette.ColorRole.Window, palette.background)
        self.setPalette(own)
        points = round(TITLE_PT * self._text_scale)
        for title in self.titles():
            title.setStyleSheet(
                f"font-size: {points}pt; font-weight: bold; color: {palette.foreground.name()}"
            )

    def set_presenting(self, on: bool) -> None:
        """Presentation mode's look: the high-contrast palette and larger text."""
        scale = PRESENTING_TEXT_SCALE if on else 1.0
        for view in self.views():
            view.set_contrast(on)
        self.gradient_plot.set_text_scale(scale)
        self._text_scale = scale
        font = self.pager.font()
        font.setPointSize(round(TITLE_PT * scale))
        self.pager.setFont(font)
        self._set_theme(self._theme)  # the titles' size
        self._arrange()

    def set_min_text_px(self, pixels: float) -> None:
        """Keep every cell's labels at least ``pixels`` tall on screen (presentation mode
        asks for a projector's size): the cells take turns where the room is too small for
        that beside one another."""
        self._min_text_px = float(pixels)
        for view in self.views():
            view.set_min_text_px(pixels)
        self._arrange()

    # -- pages -----------------------------------------------------------------------------
    def pages(self) -> list[tuple[str, ...]]:
        """What each page shows: cell kinds ("rnn", "lstm", "gru") and "plot"; one page
        when everything fits."""
        return list(self._pages)

    def page(self) -> tuple[str, ...]:
        """What is on show now."""
        return self._pages[max(self.pager.currentIndex(), 0)]

    def show_page(self, *parts: str) -> None:
        """Bring the page that shows ``parts`` (cell kinds, "plot") to the front, now and
        whenever the pages change with the panel's size: the first page with all of them,
        else the first with the first of them."""
        if not parts:
            raise ValueError("show_page needs a part to show")
        self._wanted = parts
        index = self._page_for(parts)
        self.pager.blockSignals(True)
        self.pager.setCurrentIndex(index)
        self.pager.blockSignals(False)
        self._on_page_chosen(index)

    def _page_for(self, parts: tuple[str, ...]) -> int:
        pages = self._pages
        whole = (k for k, page in enumerate(pages) if all(part in page for part in parts))
        return next(whole, next(k for k, page in enumerate(pages) if parts[0] in page))

    def _on_page_picked(self, index: int) -> None:
        cells = [part for part in self._pages[index] if part != PLOT]
        self._wanted = (cells[0],) if len(cells) == 1 else (PLOT,)
        self._on_page_chosen(index)

    def _room(self) -> Room:
        cells = tuple(self.columns)
        title = max(title.sizeHint().height() for title in self.titles())
        return Room(
            width=self.width(),
            height=self.height(),
            cells=cells,
            min_text_px=self._min_text_px,
            cell_text_px=min(view.diagram().base_text_px for view in self.views())
            * NUMBERS_TEXT_SCALE,
            title_height=title + 8 + self.cells.handleWidth(),
            pager_height=self.pager.sizeHint().height(),
            plot_min_height=round(PLOT_MIN_HEIGHT * self._text_scale),
        )

    def _arrange(self) -> None:
        if not self.isVisible():
            return  # arranged for the size it is shown at
        pages = pages_for(self._room())
        if pages == self._pages and self.pager.count() == len(pages) > 1:
            return
        self._pages = pages
        current = self._page_for(self._wanted)
        self.pager.blockSignals(True)
        while self.pager.count():
            self.pager.removeTab(0)
        if len(pages) > 1:
            for page in pages:
                self.pager.addTab(" + ".join(self._part_name(part) for part in page))
            self.pager.setCurrentIndex(current)
        self.pager.blockSignals(False)
        self.pager.setVisible(len(pages) > 1)
        self._on_page_chosen(current)

    def _part_name(self, part: str) -> str:
        if part == PLOT:
            return "Gradient"
        net = next(s.network for s in self.sessions() if s.network.kind == part)
        return f"{net.nonlinearity} RNN" if net.kind == "rnn" else net.kind.upper()

    def _on_page_chosen(self, index: int) -> None:
        page = self._pages[max(index, 0)]
        for kind, column in self.columns.items():
            column.setVisible(kind in page)
        self.cells.setVisible(any(kind in page for kind in self.columns))
        self.gradient_plot.setVisible(PLOT in page)
        self._share_height()

    def _share_height(self) -> None:
        total = self.centre.height()
        plot = round(total * PLOT_HEIGHT_FRACTION)
        if self.cells.isVisible() and self.gradient_plot.isVisible():
            room = self._room()
            # The cells get what legible text needs, the plot the rest (at least its share
            # when the cells need less).
            need = room.cell_height_needed(len(self.page()) - 1)
            plot = max(room.plot_min_height, min(plot, total - need))
        self.centre.setSizes([total - plot, plot])

    # -- the shared cursor -----------------------------------------------------------------
    @property
    def t(self) -> int:
        return self.lstm_session.t

    @property
    def num_steps(self) -> int:
        return self.lstm_session.num_steps

    def seek(self, t: int) -> None:
        """Every network to step ``t``, each showing its whole step."""
        for session in self.sessions():
            session.seek(t)

    def load(self, lstm: Network, rnn: Network, inputs: Inputs, gru: Network | None = None) -> None:
        """Other networks, or the same on another input; ValueError (and nothing changes)
        when they cannot share it. ``gru`` is needed exactly when the panel has a GRU."""
        if (gru is None) != (self.gru_session is None):
            raise ValueError("this panel compares a GRU" if gru is None else "no GRU side here")
        check_pair(lstm, rnn, gru)
        networks = (lstm, rnn) if gru is None else (lstm, rnn, gru)
        before = [(s.network, s.inputs(), s.title) for s in self.sessions()]
        loaded: list[Session] = []
        try:
            for session, network in zip(self.sessions(), networks, strict=True):
                session.load(network, inputs, title=session.title)
                loaded.append(session)
        except ValueError:
            for session, (network, old_inputs, title) in zip(loaded, before, strict=False):
                session.load(network, old_inputs, title=title)  # back as they were
            raise
        self._limit_text()  # a load pins unit 0 without a word
        self._name_sides()
        self.moved.emit()

    def select_named_units(self) -> None:
        """Each cell on the unit its model's description names: the GRU's memory unit is
        rarely the LSTM's."""
        for session in self.sessions():
            session.select_unit(named_unit(session.network))

    def _limit_text(self, *_unit: int) -> None:
        # Side by side, each cell gets too little room for its text to reach the main
        # cell's size without piling up: labels alone may grow further than labels and
        # a pinned unit's numbers.
        for view, session in zip(self.views(), self._left_to_right(), strict=True):
            pinned = session.unit >= 0
            view.set_max_text_scale(NUMBERS_TEXT_SCALE if pinned else LABELS_TEXT_SCALE)

    def _name_sides(self) -> None:
        for label, session in zip(self.titles(), self._left_to_right(), strict=True):
            net = session.network
            kind = f"{net.nonlinearity} RNN" if net.kind == "rnn" else net.kind.upper()
            # A loader's source reads "path (format)": the file name says enough here.
            name = Path(net.source.split(" (")[0]).name
            label.setText(f"{kind} · H = {net.hidden_size} · {name}")

    def _left_to_right(self) -> tuple[Session, ...]:
        gru = () if self.gru_session is None else (self.gru_session,)
        return (self.rnn_session, self.lstm_session, *gru)

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
        gru = None
        if self.gru_session is not None:
            session = self.gru_session
            gru = gradient_flow(session.network, session.trace, end, window=MAX_STEPS_BACK)
        self.gradient_plot.show_flows(rnn, lstm, gru)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._arrange()
        self._share_height()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange()
        self._share_height()

    def detach(self) -> None:
        """Stop following the sessions and the theme: the panel is going away (once;
        again does nothing)."""
        if self._detached:
            return
        self._detached = True
        self._pacer.stop()
        self._unfollow_theme()
        self._unfollow_own_theme()
        for session in self.sessions():
            session.cursor_changed.disconnect(self._on_cursor_changed)
            session.network_changed.disconnect(self._on_changed)
            session.trace_changed.disconnect(self._on_changed)
            session.unit_changed.disconnect(self._limit_text)
        for view in self.views():
            view.finish_animation()
            view.detach_settings()
