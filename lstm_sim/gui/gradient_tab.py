"""The vanishing gradient in the main window: the RNN beside the LSTM as a centre tab.

An opening that asks for the comparison (the long-lag scenario, the lecture tour's stop)
shows it here rather than in a window of its own, so the presenter's clicker, blanking,
the pointer ring and the tour's caption work on it as on the cell. The tab follows the
window's cursor, and the side of the window's own model's kind (the LSTM; the GRU of
``gru-vs-lstm``) is that model on the window's own input: an edit there is an edit here;
anything the models can no longer share closes the tab.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer

from lstm_sim.engine.network import Network

if TYPE_CHECKING:
    from lstm_sim.gui.comparison import ComparisonPanel
    from lstm_sim.gui.main_window import MainWindow

TAB_TITLE = "Vanishing gradient"


class GradientTab(QObject):
    """Kept as ``window.gradient_tab``; ``panel`` is None while no tab is shown."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.panel: ComparisonPanel | None = None
        self._partners: tuple[Network, ...] = ()
        session = window.session
        session.cursor_changed.connect(self._on_cursor_changed)
        session.trace_changed.connect(self._on_trace_changed)
        session.network_changed.connect(self._on_network_changed)
        self._presenting = False
        window.action("present").toggled.connect(self._on_presenting)
        window.installEventFilter(self)

    def show(self, *partners: Network) -> ComparisonPanel | None:
        """The window's model beside ``partners`` in the tab (an RNN beside its LSTM; the
        LSTM and the RNN beside gru-vs-lstm's GRU), brought to the front; None (and the
        status bar says why) when they cannot share the window's input."""
        self._partners = partners
        panel = self._refresh()
        if panel is not None:
            self.window.centre_views.setCurrentWidget(panel)
        return panel

    def remove(self) -> None:
        """Close the tab (the cell comes to the front if the tab was in front)."""
        self._partners = ()
        panel, self.panel = self.panel, None
        if panel is None:
            return
        views = self.window.centre_views
        if views.currentWidget() is panel:
            views.setCurrentWidget(self.window.diagram)
        views.removeTab(views.indexOf(panel))
        panel.detach()
        panel.deleteLater()

    def _refresh(self, *, quiet: bool = False) -> ComparisonPanel | None:
        """Put the window's model and input beside the RNN, at the window's step; a pair
        that cannot share them closes the tab (saying why in the status bar unless
        ``quiet``)."""
        window = self.window
        session = window.session
        if not self._partners:
            return None
        inputs = session.inputs()
        kinds = {n.kind: n for n in (*self._partners, session.network.copy())}
        try:
            if "lstm" not in kinds or "rnn" not in kinds:
                raise ValueError(f"the window's {session.network.kind.upper()} has no place here")
            lstm, rnn, gru = kinds["lstm"], kinds["rnn"], kinds.get("gru")
            if self.panel is None:
                # Imported with the first tab: most openings never show one.
                from lstm_sim.gui.comparison import ComparisonPanel
                from lstm_sim.gui.comparison.paging import PLOT

                self.panel = ComparisonPanel(
                    lstm, rnn, inputs, view_settings=window.state.view, gru=gru
                )
                self.panel.set_presenting(self._presenting)
                self.panel.set_min_text_px(self._min_text_px())
                # The plot in front, beside the window's own model where they share a page.
                self.panel.show_page(PLOT, session.network.kind)
                window.centre_views.addTab(self.panel, TAB_TITLE)
            else:
                self.panel.load(lstm, rnn, inputs, gru)
        except ValueError as err:
            self.remove()
            if not quiet:
                window.statusBar().showMessage(f"The vanishing-gradient tab closed: {err}", 8000)
            return None
        self.panel.seek(session.t)
        return self.panel

    # -- following the window ------------------------------------------------------------
    def _on_cursor_changed(self, t: int, phase: int) -> None:
        if self.panel is not None and self.panel.t != t:
            self.panel.seek(t)

    def _on_trace_changed(self, start: int) -> None:
        if self.panel is not None:
            self._refresh()

    def _on_network_changed(self) -> None:
        # Another opening closes the tab without a word (it asks for its own views);
        # an edit that changes the sequence's length keeps it, on the new input.
        if self.panel is not None:
            self._refresh(quiet=True)

    def _on_presenting(self, on: bool) -> None:
        self._presenting = on
        if self.panel is not None:
            self.panel.set_presenting(on)
            self._size_text()

    def _min_text_px(self) -> float:
        """The cell's text size for the room: a projector's when presenting."""
        window = self.window
        return window.presentation.text_px() if self._presenting else window.diagram_min_text_px()

    def _size_text(self) -> None:
        if self.panel is not None:
            self.panel.set_min_text_px(self._min_text_px())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Resize and self._presenting:
            # A projector's size follows the screen's height, once the layout has settled.
            QTimer.singleShot(0, self, self._size_text)
        if watched is self.window and event.type() == QEvent.Type.Close:
            session = self.window.session
            session.cursor_changed.disconnect(self._on_cursor_changed)
            session.trace_changed.disconnect(self._on_trace_changed)
            session.network_changed.disconnect(self._on_network_changed)
            if self.panel is not None:
                self.panel.detach()
        return False
