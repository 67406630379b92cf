"""What a lecturer notices: icons visible in the dark theme, a scenario's Guide in front,
the code reader as large from the command line as from the Demos menu, and one
numbering convention."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from PySide6.QtCore import QSize

from lstm_sim.gui.demo_views import FLOATING_FRACTION


def _ink(window, action_id: str) -> float:
    """Mean lightness of the opaque pixels of an action's icon, 0..255."""
    image = window.action(action_id).icon().pixmap(QSize(32, 32)).toImage()
    pixels = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    opaque = [p.lightness() for p in pixels if p.alpha() > 128]
    assert opaque, action_id
    return float(np.mean(opaque))


def test_dark_theme_icons_are_light(make_window):
    window = make_window()
    light = {a: _ink(window, a) for a in ("play", "next_phase", "first")}
    window.set_theme("dark")
    for action_id, before in light.items():
        assert before < 180 < _ink(window, action_id), action_id
    window.controller.toggle()  # the pause icon is tinted too
    assert _ink(window, "play") > 180
    window.controller.pause()
    window.set_theme("light")
    assert _ink(window, "play") < 180


def test_a_scenario_opens_with_its_guide_in_front(make_window):
    window = make_window()
    assert window.open_scenario("subject-gender")
    guide = window.docks["guide"]
    assert guide.isVisible() and not guide.visibleRegion().isEmpty()
    assert window.docks["predictions"].visibleRegion().isEmpty()


def test_one_numbering_convention(make_window, numeric_session):
    window = make_window(numeric_session)
    window.session.select_layer(1)
    window.session.seek(4)
    last = window.session.num_steps - 1
    assert f"t = 4 of 0–{last}" in window.diagram.header_text()
    assert "layer 1 of 0–1" in window.diagram.header_text()
    assert window.layer_box.currentText() == "layer 1"
    assert "layer 1 of 0–1" in window.equation.title.text()
    assert window.position_label.text() == f"t = 4 of 0–{last}"
    assert window.controls.step_label.text().strip() == f"4 of 0–{last}"


def test_scenario_code_reader_floats_as_large_as_from_the_demos_menu(tmp_path):
    # The real program, started as a lecturer would: the reader's dock is sized from the
    # window's final size, not from the size it had before it was laid out.
    script = (
        "import sys\n"
        "from lstm_sim.gui import app\n"
        "from lstm_sim.gui.screenshot import save_screenshot\n"
        "import lstm_sim.gui.screenshot as shot\n"
        "def save(window, path, steps=0):\n"
        "    dock = window.docks['code_reader']\n"
        "    sizes = (dock.width(), dock.height(), window.width(), window.height())\n"
        "    print(dock.isFloating(), *sizes)\n"
        "    return True\n"
        "shot.save_screenshot = save\n"
        "sys.exit(app.run(scenario='code-reader', screenshot='x.png', size=(1280, 720)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    floating, width, height, window_w, window_h = result.stdout.split()
    assert floating == "True"
    assert int(width) == round(int(window_w) * FLOATING_FRACTION)
    assert int(height) == round(int(window_h) * FLOATING_FRACTION)


def test_at_720p_the_ledger_floats_and_names_fit(make_window):
    from lstm_sim.gui.demo_views import install_demo_views, open_ledger

    window = make_window(size=(1280, 720))
    diagram_height = window.diagram.height()
    install_demo_views(window)
    ledger = open_ledger(window)
    ledger.flush()
    dock = window.docks["ledger"]
    assert dock.isFloating() and dock.height() >= 300
    assert window.diagram.height() == diagram_height  # the cell keeps its room
    ticks = ledger.plots["ledger"].getAxis("bottom")._tickLevels[0]
    steps = [s for s, _name in ticks if s >= 0]
    room = (ledger.width() - 80) / (window.session.num_steps + 1)
    assert (steps[1] - steps[0]) * room >= 64  # one name every so many steps, no overlap
    dock.close()


def test_the_gradient_axis_at_t_0_spans_whole_steps(make_window, numeric_session):
    from lstm_sim.gui.demo_views import open_gradient_comparison

    window = make_window(numeric_session)
    lstm = window.session.network.copy()
    rng = np.random.default_rng(0)
    rnn = type(lstm).random("rnn", lstm.input_size, lstm.hidden_size, rng)
    view = open_gradient_comparison(window, lstm, rnn, window.session.inputs())
    assert view is not None
    view.seek(0)
    plot = view.gradient_plot.getPlotItem()
    low, high = plot.viewRange()[0]
    assert low <= -0.5 and high >= 1.5
    assert not plot.getAxis("bottom").autoSIPrefix
    x, _ = view.gradient_plot.plotted("lstm_h")
    assert list(x) == [0.0] and view.gradient_plot.curves["lstm_h"].opts["symbol"] == "o"
    view.close()
