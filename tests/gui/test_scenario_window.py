"""The window around the scenarios: File ▸ Open offers every model format the engine
reads, View ▸ Panels lists every dock (the demo views' too), and the status bar elides a
long model line instead of cutting it or widening the window."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QFileDialog, QLabel

from lstm_sim.engine import Network
from lstm_sim.engine.formats import SUFFIXES
from lstm_sim.gui.file_actions import model_file_filter
from lstm_sim.model import Session


def test_the_open_dialog_offers_every_suffix_the_engine_reads(
    qtbot, make_window, monkeypatch
) -> None:
    window = make_window()
    offered: list[str] = []

    def fake_dialog(_parent, _caption, _folder, filters):
        offered.append(filters)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_dialog)
    window.action("open").trigger()
    assert offered == [model_file_filter()]
    models = offered[0].split(";;")[0]
    patterns = models[models.index("(") + 1 : models.index(")")].split()
    assert sorted(patterns) == sorted(f"*{suffix}" for suffix in SUFFIXES)
    assert {".npz", ".pt", ".pth", ".safetensors", ".keras", ".h5", ".onnx"} <= set(SUFFIXES)


def test_the_panels_menu_lists_every_dock_the_demo_views_included(make_window) -> None:
    window = make_window()
    listed = window.panels_menu.actions()
    assert {"code_reader", "ledger"} <= set(window.docks)
    assert listed == [dock.toggleViewAction() for dock in window.docks.values()]
    titles = [action.text() for action in listed]
    assert "Training" in titles and "Code reader" in titles
    ledger = window.docks["ledger"]
    assert ledger.isHidden()
    ledger.toggleViewAction().trigger()
    assert not ledger.isHidden()
    ledger.toggleViewAction().trigger()


def test_a_long_model_line_is_elided_with_the_whole_of_it_in_the_tooltip(
    qtbot, make_window, settle
) -> None:
    rng = np.random.default_rng(0)
    network = Network.random("lstm", 2, 3, rng)
    network.source = "/a/very/long/folder/name/" * 12 + "model.safetensors"
    window = make_window(Session(network, rng.uniform(size=(4, 2)), title="long"))
    label = window.source_label
    shown = QLabel.text(label)  # what is painted, not the text it was given
    assert label.text().endswith("model.safetensors") and shown.endswith("…")
    assert shown.startswith("long: LSTM")
    assert label.fontMetrics().horizontalAdvance(shown) <= label.width()
    assert network.source in label.toolTip()
    assert window.width() == 1280  # the line did not widen the window
    settle(window)
