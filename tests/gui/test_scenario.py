"""Opening the lecture's scenarios: from the picker with real keys, by name, and from the
command line; each loads its shipped model, its default input and its description."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from lstm_sim.cli import main
from lstm_sim.gui.panels.scenario_picker import ScenarioPicker
from lstm_sim.model import scenario_registry
from lstm_sim.model.code_reader import shipped_units
from lstm_sim.model.scenario_registry import check_name, listings, scenario_names
from lstm_sim.model.scenarios.python_code import SCENARIO as CODE_READER_SCENARIO
from lstm_sim.model.scenarios.python_code import TITLE as CODE_READER_TITLE

CODE_READER = CODE_READER_SCENARIO.name

REGISTRY_NAMES = [s.name for s in scenario_registry.SCENARIOS]


@pytest.fixture(autouse=True)
def no_error_dialogs(monkeypatch) -> None:
    """A dialog would wait for a click that never comes: fail the test instead."""

    def refuse(_parent, title: str, text: str) -> None:
        pytest.fail(f"error dialog {title!r}: {text}")

    monkeypatch.setattr(QMessageBox, "critical", refuse)


def test_every_registry_scenario_and_the_code_reader_are_listed() -> None:
    assert scenario_names() == [*REGISTRY_NAMES, CODE_READER]
    assert [entry.name for entry in listings()] == scenario_names()
    check_name("sine")
    with pytest.raises(ValueError, match="simple-rnn, subject-gender"):
        check_name("no-such-demo")


def test_the_picker_opens_a_scenario_chosen_with_the_keyboard(qtbot, make_window, settle) -> None:
    window = make_window()
    target = scenario_registry.get("sine")
    seen: dict[str, str] = {}

    def choose() -> None:
        picker = QApplication.activeModalWidget()
        assert isinstance(picker, ScenarioPicker)
        for _ in range(REGISTRY_NAMES.index("sine")):
            qtbot.keyClick(picker.list, Qt.Key.Key_Down)
        seen["chosen"] = picker.chosen
        seen["description"] = picker.description.toPlainText()
        qtbot.keyClick(picker.list, Qt.Key.Key_Return)

    QTimer.singleShot(0, choose)
    qtbot.keyClick(
        window,
        Qt.Key.Key_O,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert seen["chosen"] == "sine"
    assert target.description().split("\n")[0].strip() in seen["description"]
    session = window.session
    assert session.title == target.title
    expected = target.load_networks()[0]
    np.testing.assert_array_equal(session.network.layers[0].weight_hh, expected.layers[0].weight_hh)
    # The trace holds the input in the model's precision (float32).
    np.testing.assert_allclose(session.trace.x, target.default_input(), rtol=1e-6)
    unit, _sign = scenario_registry.described_unit(expected)
    assert session.unit == unit
    settle(window)
    # The views follow: the regression readout's panel, and the guide says what to watch.
    assert window.predictions.mode == "linear"
    assert window.docks["predictions"].isVisible()
    assert target.title in window.guide_view.toPlainText()
    assert window.guide == (target.title, target.description())


@pytest.mark.parametrize("name", REGISTRY_NAMES)
def test_each_scenario_opens_by_name(qtbot, make_window, settle, name: str) -> None:
    window = make_window()
    scenario = scenario_registry.get(name)
    networks = scenario.load_networks()
    inputs = scenario.default_input()
    assert window.open_scenario(name)
    session = window.session
    assert session.title == scenario.title
    assert session.unit == scenario_registry.described_unit(networks[0])[0]
    assert session.network.kind == networks[0].kind
    if session.tokens is not None:
        assert session.tokens == inputs
        assert window.token_strip.isVisible()
        assert window.token_strip.canvas.texts()[0] != ""
    else:
        np.testing.assert_allclose(session.trace.x, inputs, rtol=1e-6)
    # A scenario with partners (the long-lag RNN; gru-vs-lstm's LSTM and RNN) shows them
    # beside its model as a centre tab.
    panel = window.gradient_tab.panel
    assert (panel is not None) == (len(networks) > 1)
    if panel is not None:
        assert window.centre_views.currentWidget() is panel
        assert panel.rnn_session.network.kind == "rnn"
        assert sorted(n.kind for n in panel.networks()) == sorted(n.kind for n in networks)
    assert window.demo_views.comparisons == []
    settle(window)


def test_the_code_reader_opens_with_a_guide_naming_its_units(make_window, settle) -> None:
    window = make_window()
    assert window.open_scenario(CODE_READER)
    assert "code_reader.npz" in window.session.network.source
    guide = " ".join(window.guide_view.toPlainText().split())
    for found in shipped_units(window.session.network).values():
        if found.pattern in ("in_string", "in_comment", "in_docstring"):
            assert f"unit {found.unit} " in guide
    assert window.guide[0] == CODE_READER_TITLE
    settle(window)


def test_help_what_to_watch_brings_the_guide_forward(qtbot, make_window) -> None:
    window = make_window()
    window.docks["guide"].close()
    qtbot.keyClick(window, Qt.Key.Key_F2)
    assert window.docks["guide"].isVisible()
    assert "Unit 0 remembers the subject's gender" in window.guide_view.toPlainText()


def test_an_unknown_scenario_exits_2_with_the_names(capsys) -> None:
    assert main(["--scenario", "no-such-demo"]) == 2
    err = capsys.readouterr().err
    assert "no-such-demo" in err
    for name in scenario_names():
        assert name in err


def test_the_command_line_opens_a_scenario_for_a_screenshot(tmp_path: Path) -> None:
    out = tmp_path / "simple-rnn.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "lstm_sim", "--scenario", "simple-rnn"),
            *("--screenshot", str(out), "--steps", "3", "--size", "1280x720"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 720)
