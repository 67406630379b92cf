"""The main window's first frame waits only for what it shows: the training panel, the demo
views and (when their dock is behind a tab) the predictions are built after the diagram's
first paint or by flush_views, in docks and a Demos menu that are there from the start; the
debugger's panels when their dock is first shown. The status line's ElidedLabel shows what
fits and keeps the whole text."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel, QScrollArea

from lstm_sim.engine import Network
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.gui.app import create_application
from lstm_sim.gui.code_reader import CodeReader
from lstm_sim.gui.colors import THEMES
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.gui.panels.elided_label import ElidedLabel
from lstm_sim.gui.panels.predictions_panel import PredictionsPanel
from lstm_sim.gui.panels.training_panel import TrainingPanel
from lstm_sim.gui.plots.ledger_plot import LedgerPlot
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network

DOCKS = (
    *("states", "gates", "predictions", "inputs", "training", "guide", "code_reader", "ledger"),
    *("breakpoints", "watches", "interventions", "compare"),
)


@pytest.fixture
def unshown_window(qtbot):
    """A window on the demo (no readout: the gates are in front), never painted."""
    create_application()

    def build(session: Session | None = None) -> MainWindow:
        window = MainWindow(session or Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
        qtbot.addWidget(window)
        return window

    return build


def readout_session() -> Session:
    rng = np.random.default_rng(2)
    tokens = tuple("abcd")
    network = Network.random("lstm", 4, 3, rng, output_size=4, vocab=Vocabulary(tokens))
    return Session(network, list("abcab"), title="chars")


def menu_titles(window: MainWindow) -> list[str]:
    return [a.menu().title() for a in window.menuBar().actions() if a.menu() is not None]


def test_before_the_first_paint_every_dock_and_menu_is_there_but_the_views_are_not(
    unshown_window,
) -> None:
    window = unshown_window()
    assert not window.views_built and window.predictions is None
    assert not hasattr(window, "training") and not hasattr(window, "demo_views")
    assert tuple(window.docks) == DOCKS
    listed = window.panels_menu.actions()
    assert listed == [dock.toggleViewAction() for dock in window.docks.values()]
    titles = menu_titles(window)
    assert titles.index("De&mos") == titles.index("&Help") - 1
    assert window.demos_menu.actions() == []


def test_flush_views_builds_everything_into_its_dock_once(unshown_window) -> None:
    window = unshown_window()
    window.flush_views()
    assert window.views_built
    assert window.docks["predictions"].widget() is window.predictions
    assert isinstance(window.predictions, PredictionsPanel)
    training_area = window.docks["training"].widget()
    assert isinstance(training_area, QScrollArea)
    assert training_area.widget() is window.training
    assert isinstance(window.training, TrainingPanel)
    assert isinstance(window.docks["code_reader"].widget(), CodeReader)
    assert isinstance(window.docks["ledger"].widget(), LedgerPlot)
    assert [a.text() for a in window.demos_menu.actions()][-1] == "Memory ledger"
    panels = (window.predictions, window.training, window.demo_views)
    window.flush_views()
    assert (window.predictions, window.training, window.demo_views) == panels
    assert len(window.demos_menu.actions()) == 4
    assert window.panels_menu.actions() == [d.toggleViewAction() for d in window.docks.values()]


def test_the_first_paint_builds_the_views_without_a_flush(qtbot, unshown_window) -> None:
    window = unshown_window()
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.views_built, timeout=5000)
    assert isinstance(window.docks["training"].widget().widget(), TrainingPanel)
    assert len(window.demos_menu.actions()) == 4


def test_a_debugger_panel_is_built_when_its_dock_is_first_shown(qtbot, unshown_window) -> None:
    window = unshown_window()
    docks = {key: window.docks[key] for key in DOCKS[-4:]}
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.views_built, timeout=5000)
    # Behind the States tab, or hidden: the first frames never built them.
    assert not any(dock.filled for dock in docks.values())
    docks["watches"].raise_()
    qtbot.waitUntil(lambda: docks["watches"].filled, timeout=5000)
    assert docks["watches"].widget().widget() is window.debugger.watches_panel
    docks["compare"].toggleViewAction().trigger()  # View ▸ Panels: a tab again, behind
    docks["compare"].raise_()
    qtbot.waitUntil(lambda: docks["compare"].filled, timeout=5000)
    assert docks["compare"].isVisible()
    assert not docks["breakpoints"].filled
    # F8 reports in the Breakpoints panel: it is built for that, behind its tab.
    window.debugger.next_break()
    assert docks["breakpoints"].filled and window.debugger.breakpoints_panel.hit.text()
    assert not docks["interventions"].filled


def test_a_readout_model_has_its_predictions_in_front_from_the_start(unshown_window) -> None:
    window = unshown_window(readout_session())
    assert not window.views_built
    assert isinstance(window.predictions, PredictionsPanel)
    assert window.docks["predictions"].widget() is window.predictions
    predictions = window.predictions
    window.flush_views()
    assert window.predictions is predictions


def test_views_built_late_take_the_theme_chosen_before(unshown_window) -> None:
    window = unshown_window()
    window.set_theme("dark")
    window.flush_views()
    dark = THEMES["dark"]
    assert window.predictions.palette_.name == "dark"
    assert window.training.loss_plot.backgroundBrush().color() == dark.background
    assert window.demo_views.ledger.palette_.name == "dark"
    window.set_theme("light")
    assert window.training.loss_plot.backgroundBrush().color() == THEMES["light"].background


def test_a_window_closed_before_its_first_paint_never_builds_them(unshown_window) -> None:
    window = unshown_window()
    window.close()
    window.flush_views()
    assert not window.views_built and window.predictions is None


def test_the_elided_label_shows_what_fits_and_keeps_the_whole_text(qtbot) -> None:
    create_application()
    whole = "a long status line " * 20
    label = ElidedLabel(whole)
    qtbot.addWidget(label)
    label.resize(200, label.sizeHint().height())
    label.show()  # a hidden widget gets its resize event when it is shown
    qtbot.waitExposed(label)
    shown = QLabel.text(label)
    assert label.text() == whole and label.toolTip() == whole
    assert shown.endswith("…") and whole.startswith(shown[:-1])
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert label.minimumSizeHint().width() < 50  # the whole text never widens a window
    label.resize(label.fontMetrics().horizontalAdvance(whole) + 20, label.height())
    assert QLabel.text(label) == whole
    label.setText("short")
    assert QLabel.text(label) == "short" and label.text() == "short"
