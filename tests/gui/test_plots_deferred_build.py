"""Plot widgets build their pyqtgraph items after their first paint (so a window's first
frame does not wait for them) or when flushed, never in the constructor."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from lstm_sim.gui.app import create_application
from lstm_sim.gui.plots import GateHeatmaps, StatePlot
from lstm_sim.model import Session
from lstm_sim.model.demo import random_model


def make_session() -> Session:
    network, inputs = random_model("lstm", 2, 5, 1, seed=1, steps=7)
    return Session(network, inputs, title="deferred")


def test_the_first_paint_comes_before_the_plots_and_they_follow_by_themselves(qtbot):
    create_application()
    session = make_session()
    plot = GateHeatmaps(session)
    qtbot.addWidget(plot)
    assert not plot.built and plot.plots == {}
    plot.show()
    qtbot.waitExposed(plot)
    qtbot.waitUntil(lambda: plot.built, timeout=2000)
    assert set(plot.images) == {"f", "i", "g", "o"}
    assert plot.images["f"].image.shape == (5, 7)
    plot.detach()


def test_flush_builds_at_once_and_a_hidden_plot_never_builds_on_its_own(qtbot):
    create_application()
    session = make_session()
    hidden = StatePlot(session)
    flushed = StatePlot(session)
    session.seek(3)
    QApplication.processEvents()  # the pacer's turn: a hidden plot still waits
    assert not hidden.built
    flushed.flush()
    assert flushed.built
    assert flushed.cursors["h"].value() == 3
    for plot in (hidden, flushed):
        plot.detach()
