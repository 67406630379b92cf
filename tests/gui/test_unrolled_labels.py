"""The unrolled chain's labels at 720p: all on screen, none cut by the view's edge or run
into a cell's box (h_{t-1} left of the first cell used to be), and 14 px tall."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QRectF

from lstm_sim.engine import Network
from lstm_sim.gui.diagram import MIN_TEXT_PX
from lstm_sim.gui.diagram.unrolled import CENTRE
from lstm_sim.model import Session
from tests.gui.unrolled_text import chain_texts, smallest_text_on_screen


@pytest.mark.parametrize(("kind", "hidden"), [("rnn", 8), ("rnn", 32), ("lstm", 32), ("gru", 4)])
def test_every_label_is_whole_clear_and_legible(make_window, kind, hidden):
    rng = np.random.default_rng(5)
    network = Network.random(kind, 2, hidden, rng)
    window = make_window(Session(network, rng.uniform(-1, 1, size=(9, 2))), size=(1280, 720))
    window.session.seek(4)
    window.action("unrolled").trigger()
    view, chain = window.unrolled, window.unrolled.chain
    viewport = QRectF(view.viewport().rect())
    texts = [item for item in chain_texts(chain) if item.text()]
    boxes = [cell.rect for cell in chain.cells]
    centre = chain.cells[CENTRE]
    inside_centre = [*centre.labels.values()]
    if chain.layer_box is not None:
        inside_centre.append(chain.layer_text)  # the simple RNN's tanh
    for item in texts:
        rect = item.sceneBoundingRect()
        on_screen = QRectF(view.mapFromScene(rect).boundingRect())
        assert viewport.contains(on_screen), item.text()
        if any(item is label for label in inside_centre):
            assert centre.rect.contains(rect), item.text()  # inside its own cell
        elif all(item is not cell.title for cell in chain.cells):
            # The chain's own labels (h_{t-1}, the belt) cross no cell's box.
            assert not any(rect.intersects(box) for box in boxes), item.text()
    for a, b in itertools.combinations(texts, 2):
        assert not a.sceneBoundingRect().intersects(b.sceneBoundingRect()), (a.text(), b.text())
    assert smallest_text_on_screen(view) >= MIN_TEXT_PX - 0.5
