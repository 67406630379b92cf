"""A Keras model with an input mask in the window: at a masked step the equations, the
caption, the status bar and the cell say the step is skipped and show only the state it
carries through, in either pass, never the gate numbers the model discarded."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from lstm_sim.gui.panels.equation_text import number

KERAS = Path(__file__).parents[1] / "fixtures" / "keras_onnx"
LSTM_PHASES = ("arrive", "forget", "input", "cell", "output", "hidden")
CARRIED = {"x", "h_prev", "c_prev", "h", "c"}


def bold_numbers(html: str) -> list[str]:
    return re.findall(r"<b>([^<]*)</b>", html)


def open_masked(make_window, settle, name: str, size=(1280, 720)):
    window = make_window(size=size)
    assert window.open_model(str(KERAS / f"{name}.keras"))
    window.session.set_inputs(np.load(KERAS / f"{name}.npz")["x"][:16])
    settle(window)
    return window


@pytest.mark.parametrize("followed", ["forward", "reverse"])
def test_a_masked_step_shows_only_the_carried_state(make_window, settle, followed):
    window = open_masked(make_window, settle, "keras_bidirectional_masked")
    session = window.session
    session.follow(followed)
    session.select_unit(2)
    for t, phase in ((10, 0), (10, 2), (10, 5), (9, 2)):
        session.seek(t, phase)
        settle(window)
        key = LSTM_PHASES[phase]
        record = session.current
        html = window.equation.equation.text()
        caption = window.equation.caption.text()
        status = window.position_label.text()
        header = window.diagram.header_text()
        if t == 9:  # a step the layer reads: its gates as usual
            assert "masked" not in html + caption + status + header
            assert bold_numbers(html)[0] == number(record.i[2])
            assert window.diagram.strip("i").values() is not None
            continue
        assert "step 10 is masked" in html and "Step 10 is masked" in caption
        assert "masked step: h, c carried through" in status
        assert "masked" in header
        previous = "t+1" if followed == "reverse" else "t−1"
        assert f"<i>h</i><sub>t</sub>[2] = <i>h</i><sub>{previous}</sub>[2]" in html
        bold = bold_numbers(html)
        carried = [number(record.h_prev[2]), number(record.c_prev[2])]
        assert bold[-2:] == carried and bold[-2:] == [number(record.h[2]), number(record.c[2])]
        assert "hands on zeros" in html
        # No gate number of this step anywhere: not in the text, not in the cell.
        assert "σ(" not in html and "<i>f</i><sub>t</sub> =" not in html
        diagram = window.diagram.diagram()
        for field, strip in diagram.strips.items():
            if field not in CARRIED:
                assert strip.values() is None, field
        if key == "hidden":
            np.testing.assert_array_equal(window.diagram.strip("h").values(), record.h_prev)
            np.testing.assert_array_equal(window.diagram.strip("c").values(), record.c_prev)


def test_a_masked_gru_says_when_it_hands_on_its_carried_h(make_window, settle, qtbot):
    window = open_masked(make_window, settle, "keras_gru_masked_hard_sigmoid")
    session = window.session
    qtbot.keyClick(window, Qt.Key.Key_Home)
    settle(window)
    assert (session.t, session.phase) == (0, 0)
    caption = window.equation.caption.text()
    assert "Step 0 is masked" in caption and "zeros" in caption
    assert "masked step: h carried through" in window.position_label.text()
    session.seek(10, 3)
    settle(window)
    html = window.equation.equation.text()
    assert "step 10 is masked" in html and "zeros" not in html
    assert bold_numbers(html) == ["step 10 is masked", number(session.current.h_prev[0])]
    for field in ("r", "z", "hn", "n"):
        assert window.diagram.strip(field).values() is None
    # A step the layer reads: Keras's own hard sigmoid, slope 1/6, with the trace's numbers.
    session.seek(2, 1)
    settle(window)
    html = window.equation.equation.text()
    assert "hard σ(a) = clip(0.1667·a + 0.5, 0, 1)" in html
    assert bold_numbers(html)[0] == number(session.current.r[0])
    assert window.diagram.diagram().nodes["reset_layer"].geometry.symbol == "hard σ"
    session.seek(10, 3)
    window.show_centre_view("unrolled")
    settle(window)
    assert "masked" in window.unrolled.chain.cells[2].title.text()
    assert all(color is None for color in window.unrolled.chain.strip_colors(2, "z"))
