"""Whether a step is masked is read from the recorded trace's mask, which every pass
shares: the status line does not copy the whole trace into the shown passes for it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QStatusBar

from lstm_sim.engine.formats import load_model
from lstm_sim.gui.panels.status_line import StatusLine
from lstm_sim.model import session as session_module
from lstm_sim.model.session import Session

KERAS = Path(__file__).parents[1] / "fixtures" / "keras_onnx"
NAME = "keras_bidirectional_masked"


def test_the_status_line_reads_the_mask_without_the_shown_copy(qtbot, monkeypatch) -> None:
    session = Session(load_model(KERAS / f"{NAME}.keras"), np.load(KERAS / f"{NAME}.npz")["x"])
    bar = QStatusBar()
    qtbot.addWidget(bar)
    status = StatusLine(session, bar)
    copies = []
    original = session_module.followed_trace

    def counted(*args):  # type: ignore[no-untyped-def]
        copies.append(args)
        return original(*args)

    monkeypatch.setattr(session_module, "followed_trace", counted)
    session.follow("reverse")  # the shown copy is made again when a view asks for it
    session.seek(10)
    assert "masked step" in status.position_label.text()
    session.seek(5)
    assert "masked step" not in status.position_label.text()
    assert copies == []
    status.detach()
