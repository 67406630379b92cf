"""The lecture's demonstration views, added to the main window: Karpathy's code reader,
the vanishing gradient (RNN beside LSTM) and the memory ledger.

:func:`install_demo_views` is the one entry point the window calls; the scenario picker
opens the views through :func:`open_code_reader` and :func:`open_gradient_comparison`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt

from lstm_sim.engine.network import Kind, Network
from lstm_sim.gui.code_reader import CodeReader
from lstm_sim.gui.comparison import ComparisonWindow
from lstm_sim.gui.plots.ledger_plot import LedgerPlot
from lstm_sim.gui.session_link import follow_theme
from lstm_sim.model import scenario_registry
from lstm_sim.model.scenarios.python_code import SCENARIO as CODE_READER

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow

FLOATING_FRACTION = 0.92
LEDGER_HEIGHT_FRACTION = 0.32
LEDGER_DOCKED_MIN_HEIGHT = 900
"""A window shorter than this (a 720p projector) gets the ledger floating, not docked."""
LONG_LAG_SCENARIO = "long-lag"
PARTNER_SEED = 0
"""Seed of the random network paired with the session's when no trained pair is given."""


class DemoViews(QObject):
    """What :func:`install_demo_views` adds, kept on the window as ``demo_views``; it
    detaches the views and closes the comparison windows when the window closes."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.code_reader = CodeReader(window.session)
        self.ledger = LedgerPlot(window.session)
        self.comparisons: list[ComparisonWindow] = []
        view = window.state.view
        self._unfollow = [
            follow_theme(view, self.code_reader.set_theme),
            follow_theme(view, self.ledger.set_theme),
        ]
        window.installEventFilter(self)

    def flush(self) -> None:
        """Draw every pending change now (screenshots, tests)."""
        self.code_reader.flush()
        self.ledger.flush()
        for comparison in self.comparisons:
            comparison.flush()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.code_reader.detach()
            self.ledger.detach()
            for unfollow in self._unfollow:
                unfollow()
            for comparison in self.comparisons:
                comparison.close()
            self.comparisons.clear()
        return False


def install_demo_views(window: MainWindow) -> None:
    """Build the code reader and the memory ledger into ``window``'s empty docks of
    those names and fill its Demos menu (a MainWindow: it has ``session``, ``docks``,
    ``demos_menu``, ``state`` and ``show_error``; it builds the docks and the menu
    empty so that its first frame need not wait for these views). Installing twice
    changes nothing."""
    if hasattr(window, "demo_views"):
        return
    views = DemoViews(window)
    window.demo_views = views
    window.docks["code_reader"].fill(views.code_reader)
    window.docks["ledger"].fill(views.ledger)
    menu = window.demos_menu
    menu.addAction("Code reader…", lambda: open_code_reader(window))
    menu.addAction("Vanishing gradient: RNN beside LSTM…", lambda: open_long_lag_comparison(window))
    menu.addAction(
        "Vanishing gradient on this model…", lambda: open_gradient_comparison_here(window)
    )
    ledger_action = window.docks["ledger"].toggleViewAction()
    ledger_action.setText("Memory ledger")
    menu.addAction(ledger_action)


def open_code_reader(window: MainWindow) -> CodeReader:
    """Show the code reader. A session that does not read characters with an LSTM gets
    the code-reader scenario first: the shipped model of Python source, on a held-out
    piece of the library."""
    install_demo_views(window)  # the window may not have built its demo views yet
    views: DemoViews = window.demo_views
    if not views.code_reader.reads_characters:
        window.open_scenario(CODE_READER.name)  # its view hint shows the reader
    return show_code_reader(window)


def show_code_reader(window: MainWindow) -> CodeReader:
    """Bring the code reader's dock forward, floating at nearly the window's size the
    first time."""
    install_demo_views(window)
    dock = window.docks["code_reader"]
    if dock.isHidden():
        # The text needs room the docked layout cannot give: it floats over the window
        # at nearly its size; double-clicking its title docks it.
        dock.setFloating(True)
        frame = window.geometry()
        dock.resize(
            round(frame.width() * FLOATING_FRACTION), round(frame.height() * FLOATING_FRACTION)
        )
        dock.move(frame.center() - dock.rect().center())
    dock.show()
    dock.raise_()
    return window.demo_views.code_reader


def open_ledger(window: MainWindow) -> LedgerPlot:
    """Show the memory-ledger dock under the diagram (floating on a short screen)."""
    install_demo_views(window)
    dock = window.docks["ledger"]
    if dock.isHidden() and window.height() < LEDGER_DOCKED_MIN_HEIGHT:
        # Docked under the cell on a short screen, it would squeeze the cell and the
        # plots to unreadable slivers: it floats over the window's lower half instead.
        dock.setFloating(True)
        frame = window.geometry()
        dock.resize(round(frame.width() * FLOATING_FRACTION), round(frame.height() * 0.5))
        dock.move(frame.left() + (frame.width() - dock.width()) // 2, frame.center().y())
        dock.show()
        dock.raise_()
        return window.demo_views.ledger
    dock.show()
    dock.raise_()
    window.resizeDocks(
        [dock], [round(window.height() * LEDGER_HEIGHT_FRACTION)], Qt.Orientation.Vertical
    )
    return window.demo_views.ledger


def open_gradient_comparison(
    window: MainWindow,
    lstm: Network,
    rnn: Network,
    inputs: np.ndarray | Sequence[str],
    gru: Network | None = None,
) -> ComparisonWindow | None:
    """Open a window with ``inputs`` through ``rnn`` beside ``lstm`` (and ``gru``); models
    that cannot share the input get a dialog naming why, and None."""
    install_demo_views(window)
    views: DemoViews = window.demo_views
    try:
        comparison = ComparisonWindow(
            lstm, rnn, inputs, parent=window, view_settings=window.state.view, gru=gru
        )
    except ValueError as err:
        window.show_error("Cannot compare these models", str(err))
        return None
    comparison.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    comparison.destroyed.connect(lambda _obj=None: _forget(views, comparison))
    views.comparisons.append(comparison)
    comparison.resize(window.size())
    comparison.show()
    return comparison


def _forget(views: DemoViews, comparison: ComparisonWindow) -> None:
    if comparison in views.comparisons:
        views.comparisons.remove(comparison)


def partner_network(network: Network, kind: Kind, seed: int = PARTNER_SEED) -> Network:
    """A freshly initialised one-layer network of ``kind`` with ``network``'s sizes and
    vocabulary; the comparison follows the gradient through layer 0 of each."""
    partner = Network.random(
        kind,
        network.input_size,
        network.hidden_size,
        np.random.default_rng(seed),
        vocab=network.vocab,
        dtype=network.dtype.type,
    )
    partner.source = f"random {kind.upper()} (seed {seed})"
    return partner


def open_gradient_comparison_here(window: MainWindow) -> ComparisonWindow | None:
    """The comparison on the window's own model and input, beside fresh networks of the
    other kinds (a tanh RNN for an LSTM, an LSTM for an RNN, both for a GRU); File ▸ Open
    in the comparison window swaps in trained ones."""
    session = window.session
    network = session.network.copy()
    models = {network.kind: network}
    for kind in ("lstm", "rnn"):
        models.setdefault(kind, partner_network(network, kind))
    trace = session.trace
    inputs = trace.tokens if trace.tokens is not None else trace.x.copy()
    return open_gradient_comparison(
        window, models["lstm"], models["rnn"], inputs, models.get("gru")
    )


def open_long_lag_comparison(window: MainWindow) -> ComparisonWindow | None:
    """The lecture's pair: the long-lag scenario's trained LSTM and RNN on its input."""
    scenario = scenario_registry.get(LONG_LAG_SCENARIO)
    try:
        lstm, rnn = scenario.load_networks()
    except (OSError, ValueError) as err:
        window.show_error("Cannot load the long-lag models", str(err))
        return None
    return open_gradient_comparison(window, lstm, rnn, scenario.default_input())
