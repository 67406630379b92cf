"""``lstm_sim.show``: the window on a model from Python, without blocking when asked or
when IPython runs Qt's event loop, reusing the one QApplication."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

import lstm_sim
from lstm_sim.engine import Network


@pytest.fixture
def network() -> Network:
    return Network.random("lstm", 2, 4, np.random.default_rng(1), num_layers=2)


def test_show_without_blocking_returns_the_window_on_the_model(qtbot, network) -> None:
    inputs = np.linspace(-1, 1, 14).reshape(7, 2)
    window = lstm_sim.show(network, inputs, block=False)
    qtbot.addWidget(window)
    assert window.isVisible()
    assert window.session.network is network
    np.testing.assert_array_equal(window.session.trace.x, inputs)
    app = QApplication.instance()
    again = lstm_sim.show(network, block=False)  # default inputs
    qtbot.addWidget(again)
    assert QApplication.instance() is app and again is not window
    assert again.session.num_steps > 0
    for shown in (window, again):
        shown.close()


def test_show_returns_at_once_when_ipython_runs_qt(qtbot, network, monkeypatch) -> None:
    shell = types.SimpleNamespace(active_eventloop="qt")
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    window = lstm_sim.show(network, np.zeros((3, 2)))  # block=True, yet it returns
    qtbot.addWidget(window)
    assert window.isVisible() and window.session.num_steps == 3
    window.close()


def test_show_takes_a_live_torch_module(qtbot) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.LSTM(3, 5)
    x = torch.randn(6, 3)
    window = lstm_sim.show(module, x, block=False)
    qtbot.addWidget(window)
    expected, _ = module(x)
    np.testing.assert_allclose(
        window.session.trace.h[0], expected.detach().numpy(), rtol=1e-5, atol=1e-6
    )
    window.close()


def test_show_opens_a_saved_session(qtbot, network, tmp_path) -> None:
    from lstm_sim.model.session_file import save_session

    window = lstm_sim.show(network, np.ones((5, 2)), block=False)
    qtbot.addWidget(window)
    window.state.interventions.add("f = 1 @ 2:4")
    window.session.seek(3, 1)
    path = save_session(window.state, tmp_path / "s.lstmsim")
    window.close()
    reopened = lstm_sim.show(path, block=False)
    qtbot.addWidget(reopened)
    assert [c.text for c in reopened.session.clamps] == ["f = 1 @ 2:4"]
    assert (reopened.session.t, reopened.session.phase) == (3, 1)
    reopened.close()


def test_the_command_line_opens_a_session_file(qtbot, network, tmp_path) -> None:
    from lstm_sim.cli.gui import main
    from lstm_sim.model.session_file import save_session

    window = lstm_sim.show(network, np.ones((5, 2)), block=False)
    qtbot.addWidget(window)
    window.state.breakpoints.add("t == 2")
    path = save_session(window.state, tmp_path / "talk.lstmsim")
    window.close()
    png = tmp_path / "shot.png"
    assert main([str(path), "--screenshot", str(png), "--size", "800x500"]) == 0
    assert png.stat().st_size > 0
    path.write_bytes(b"damaged")
    assert main([str(path), "--screenshot", str(png)]) == 2
