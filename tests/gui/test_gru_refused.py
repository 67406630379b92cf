"""A GRU model opened in the window is refused with one line, and nothing changes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from lstm_sim.engine import Network
from lstm_sim.engine.formats import save_native
from lstm_sim.model.drawable import GRU_REFUSAL


def test_opening_a_gru_file_shows_one_line_and_keeps_the_session(
    qtbot, make_window, settle, monkeypatch, tmp_path
) -> None:
    window = make_window()
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox, "critical", lambda parent, title, text: shown.append((title, text))
    )
    path = save_native(Network.random("gru", 3, 4, np.random.default_rng(0)), tmp_path / "g.npz")
    network, trace = window.session.network, window.session.trace
    window.session.seek(2, 1)
    assert not window.open_model(str(path))
    assert shown == [("Cannot open this model", GRU_REFUSAL)]
    assert "\n" not in GRU_REFUSAL
    assert window.session.network is network and window.session.trace is trace
    assert (window.session.t, window.session.phase) == (2, 1)
    settle(window)


def test_a_gru_never_reaches_a_session(make_window) -> None:
    window = make_window()
    gru = Network.random("gru", 3, 4, np.random.default_rng(1))
    with pytest.raises(ValueError, match="the window draws LSTM and RNN cells only, for now"):
        window.session.load(gru, np.zeros((5, 3)))
