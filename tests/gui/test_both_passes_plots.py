"""A bidirectional layer's plots and heatmaps show both passes: a row block per pass in
each heatmap, a column of state plots per pass, a cursor per pass at the step that pass
is at (T-1-t for the one not followed), and what the next layer reads; a one-way layer
looks as before."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt

from lstm_sim.engine.network import Network
from lstm_sim.gui.plots import state_plot
from lstm_sim.gui.plots.pass_marks import BlockUnitAxis, PassAxis
from lstm_sim.model import Session

FIXTURES = Path(__file__).parents[1] / "fixtures" / "family"
REVERSE_KEY = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier, "R")


def open_model(make_window, settle, name: str):
    window = make_window()
    assert window.open_model(str(FIXTURES / name))
    window.docks["gates"].raise_()
    settle(window)
    return window


def block_cursors(heatmaps, key: str) -> list[float]:
    """Where each row block's cursor of map ``key`` stands, forward block first."""
    xs = []
    for cursor in heatmaps.pass_marks._cursors[key]:
        x = cursor.xData
        assert x is not None and x[0] == x[1]
        xs.append(float(x[0]))
    return xs


def test_each_heatmap_has_a_row_block_per_pass_with_the_trace_values(make_window, settle):
    window = open_model(make_window, settle, "network_lstm_bidirectional.pt")
    session, heatmaps = window.session, window.gate_heatmaps
    trace, hidden, steps = session.trace, session.network.hidden_size, session.num_steps
    assert trace.act_reverse is not None and hidden == 4 and steps == 12
    for layer in range(2):
        session.select_layer(layer)
        settle(window)
        forward, reverse = (
            np.split(trace.act[layer], 4, axis=1),
            np.split(trace.act_reverse[layer], 4, axis=1),
        )
        for k, gate in enumerate("ifgo"):
            image = heatmaps.images[gate].image
            assert image.shape == (2 * hidden, steps)  # one column per step at this size
            np.testing.assert_array_equal(image[:hidden], forward[k].T)
            np.testing.assert_array_equal(image[hidden:], reverse[k].T)
            # Rows 0..2H-1 fill the view, unit 0 of each pass on top of its block.
            assert (
                heatmaps.images[gate].mapRectToParent(heatmaps.images[gate].boundingRect()).height()
                == 2 * hidden
            )
    plot = heatmaps.plots["f"]
    names = plot.getAxis("right")
    assert isinstance(names, PassAxis) and names.isVisible()
    assert [name for _, name in names._tickLevels[0]] == ["forward", "reverse"]
    assert [value for value, _ in names._tickLevels[0]] == [1.5, 5.5]  # the blocks' middles
    units = plot.getAxis("left")
    assert isinstance(units, BlockUnitAxis)
    assert units.tickStrings([0.0, 2.0, 4.0, 6.0], 1.0, 2.0) == ["0", "2", "0", "2"]
    separators = heatmaps.pass_marks._separators
    assert len(separators) == 4 and {line.value() for line in separators} == {hidden - 0.5}
    # The followed pass's name stands out; the title says no one pass any more.
    assert names.followed == "forward"
    assert plot.titleLabel.text == "f<sub>t</sub>  forget"
    # The selected unit is outlined in the followed pass's block.
    session.select_unit(1)
    session.follow("reverse")
    settle(window)
    assert names.followed == "reverse"
    outline = heatmaps.unit_marks["f"]
    top = outline.pos().y() + outline.yData
    assert (top.min(), top.max()) == (hidden + 0.5, hidden + 1.5)


def test_a_step_moves_each_pass_cursor_to_its_own_step(make_window, settle, qtbot):
    window = open_model(make_window, settle, "network_lstm_bidirectional.pt")
    session, heatmaps, states = window.session, window.gate_heatmaps, window.state_plot
    last = session.num_steps - 1
    assert set(states.plots) == {"h", "c", "h_reverse", "c_reverse"}
    calls = []
    heatmaps._update_data = lambda: calls.append("heatmaps")
    states._update_data = lambda: calls.append("states")
    for t in range(4):
        if t:
            qtbot.keyClick(window, Qt.Key.Key_Down)  # the same phase of the next step
        settle(window)
        assert session.t == t
        assert block_cursors(heatmaps, "f") == [t, last - t]
        assert (states.cursors["h"].value(), states.cursors["h_reverse"].value()) == (t, last - t)
        assert (states.cursors["c"].value(), states.cursors["c_reverse"].value()) == (t, last - t)
        caption = states.pass_marks._caption.text
        assert f"forward at t = {t} · reverse at t = {last - t} · step {t + 1} of 12" in caption
        assert f"(reverse at t = {last - t})" in window.position_label.text()
    assert calls == []  # a step moved the cursors; it redrew no data
    # Followed the other way, from the end: the reverse pass's step is the cursor's.
    qtbot.keyClick(window, REVERSE_KEY[1], REVERSE_KEY[0])
    qtbot.keyClick(window, Qt.Key.Key_Home)
    settle(window)
    assert session.followed == "reverse" and session.t == last
    assert block_cursors(heatmaps, "o") == [0, last]
    assert (states.cursors["h"].value(), states.cursors["h_reverse"].value()) == (0, last)
    assert "(forward at t = 0)" in window.position_label.text()
    qtbot.keyClick(window, Qt.Key.Key_Down)
    settle(window)
    assert block_cursors(heatmaps, "o") == [1, last - 1]
    assert states.pass_marks._caption.text.startswith("forward at t = 1 · reverse at t = 10")


def test_the_followed_pass_stands_out_and_the_no_spoilers_curtains_follow_each_pass(
    make_window, settle
):
    window = open_model(make_window, settle, "network_lstm_bidirectional.pt")
    session, heatmaps, states = window.session, window.gate_heatmaps, window.state_plot
    session.seek(3)
    settle(window)
    highlight = states.palette_.highlight
    assert states.plots["h"].titleLabel.text == "h<sub>t</sub>  → forward"
    assert states.plots["h"].titleLabel.opts["bold"] is True
    assert states.plots["h_reverse"].titleLabel.text == "h<sub>t</sub>  ← reverse"
    assert states.plots["h_reverse"].titleLabel.opts["bold"] is False
    assert states.cursors["h"].pen.color() == highlight
    assert states.cursors["h_reverse"].pen.color() != highlight
    forward_cursor, reverse_cursor = heatmaps.pass_marks._cursors["g"]
    assert forward_cursor.opts["pen"].color() == highlight
    assert reverse_cursor.opts["pen"].color() != highlight
    # The selected unit is bold in the followed pass, faint in the other.
    assert (
        states.selected["h"].opts["pen"].width() > states.selected["h_reverse"].opts["pen"].width()
    )
    window.action("no_spoilers").trigger()
    settle(window)
    assert states.curtains["h"].getRegion() == (3.5, 11.5)
    assert states.curtains["h_reverse"].getRegion() == (-0.5, 7.5)  # reverse at t = 8
    top, bottom = heatmaps.pass_marks._curtains["f"]
    assert top.isVisible() and bottom.isVisible()
    assert list(top.xData) == [3.5, 11.5] and list(bottom.xData) == [-0.5, 7.5]
    assert (top.opts["fillLevel"], list(top.yData)) == (-0.5, [3.5, 3.5])
    assert (bottom.opts["fillLevel"], list(bottom.yData)) == (3.5, [7.5, 7.5])
    window.action("no_spoilers").trigger()
    settle(window)
    assert not top.isVisible()


def test_a_click_on_the_reverse_block_follows_the_reverse_pass(make_window, settle, qtbot):
    window = open_model(make_window, settle, "network_lstm_bidirectional.pt")
    session, heatmaps = window.session, window.gate_heatmaps
    view = heatmaps.plots["i"].getViewBox()
    # Row 6 is unit 2 of the reverse pass.
    widget_point = heatmaps.mapFromScene(view.mapViewToScene(QPointF(5, 6)))
    qtbot.mouseClick(heatmaps.viewport(), Qt.MouseButton.LeftButton, pos=widget_point)
    assert (session.followed, session.t, session.unit) == ("reverse", 5, 2)
    assert window.action("reverse_pass").isChecked()
    widget_point = heatmaps.mapFromScene(view.mapViewToScene(QPointF(2, 1)))
    qtbot.mouseClick(heatmaps.viewport(), Qt.MouseButton.LeftButton, pos=widget_point)
    assert (session.followed, session.t, session.unit) == ("forward", 2, 1)
    # On the reverse pass's h plot, on unit 3's point at t = 9.
    states = window.state_plot
    settle(window)
    value = float(session.trace.h_all_reverse[0, 9, 3])
    view = states.plots["h_reverse"].getViewBox()
    widget_point = states.mapFromScene(view.mapViewToScene(QPointF(9, value)))
    qtbot.mouseClick(states.viewport(), Qt.MouseButton.LeftButton, pos=widget_point)
    assert (session.followed, session.t, session.unit) == ("reverse", 9, 3)


def test_the_joined_output_is_shown_where_it_is_read(make_window, settle):
    window = open_model(make_window, settle, "network_gru_bidirectional.pt")
    session, heatmaps, states = window.session, window.gate_heatmaps, window.state_plot
    hidden = session.network.hidden_size
    assert session.network.readout is not None
    caption = states.pass_marks._caption.text
    assert "layer 1 reads [h<sub>t</sub>→ ‖ h<sub>t</sub>←] (8 values) at each t" in caption
    # A GRU's h map, both blocks together, is the layer's output.
    assert heatmaps.plots["h"].titleLabel.text == "h<sub>t</sub>  output [→ ‖ ←]"
    np.testing.assert_array_equal(heatmaps.images["h"].image.T, session.trace.layer_output(0))
    for gate, k in (("r", 0), ("z", 1), ("n", 2)):
        rows = slice(k * hidden, (k + 1) * hidden)
        image = heatmaps.images[gate].image
        np.testing.assert_array_equal(image[:hidden], session.trace.act[0][:, rows].T)
        np.testing.assert_array_equal(image[hidden:], session.trace.act_reverse[0][:, rows].T)
    session.select_layer(1)
    settle(window)
    assert "the readout reads" in states.pass_marks._caption.text
    window.docks["predictions"].raise_()
    settle(window)
    heading = window.predictions.heading.text()
    assert "the head outputs from [h<sub>t</sub>→ ‖ h<sub>t</sub>←]:" in heading
    assert set(states.plots) == {"h", "h_reverse"}


def test_a_one_way_layer_beside_a_bidirectional_one_looks_as_before(make_window, settle):
    both = Network.random("lstm", 3, 5, np.random.default_rng(1), num_layers=2, bidirectional=True)
    mixed = replace(
        both,
        layers=[both.layers[0], replace(both.layers[1], direction="forward", reverse=None)],
    )
    inputs = np.random.default_rng(2).normal(size=(9, 3))
    window = make_window(Session(mixed, inputs))
    window.docks["gates"].raise_()
    settle(window)
    session, heatmaps, states = window.session, window.gate_heatmaps, window.state_plot
    assert heatmaps.images["f"].image.shape == (10, 9)
    session.select_layer(1)
    session.seek(4)
    settle(window)
    assert heatmaps.pass_marks is None and states.pass_marks is None
    assert heatmaps.images["f"].image.shape == (5, 9)
    np.testing.assert_array_equal(heatmaps.images["f"].image, session.trace.gate("f")[1].T)
    assert not heatmaps.plots["f"].getAxis("right").isVisible()
    assert heatmaps.plots["f"].titleLabel.text == "f<sub>t</sub>  forget"
    assert set(states.plots) == {"h", "c"}
    assert states.plots["h"].titleLabel.text == "h<sub>t</sub>  hidden state"
    assert heatmaps.cursors["f"].value() == 4 and states.cursors["h"].value() == 4
    assert "(" not in window.position_label.text()


def test_an_input_edit_redraws_the_reverse_steps_before_it(make_window, settle):
    window = open_model(make_window, settle, "network_lstm_bidirectional.pt")
    session, heatmaps, states = window.session, window.gate_heatmaps, window.state_plot
    hidden, last = session.network.hidden_size, session.num_steps - 1
    before = heatmaps.images["f"].image.copy()
    table = window.inputs.sequence_model
    assert table.setData(table.index(last, 0), "2.5")
    settle(window)
    trace = session.trace
    # The reverse pass reads x_{T-1} first: every one of its steps changed.
    image = heatmaps.images["f"].image
    forget = slice(hidden, 2 * hidden)  # i, f, g, o
    assert not np.array_equal(image[hidden:, 0], before[hidden:, 0])
    np.testing.assert_array_equal(image[:hidden], trace.act[0][:, forget].T)
    np.testing.assert_array_equal(image[hidden:], trace.act_reverse[0][:, forget].T)
    np.testing.assert_array_equal(
        states.selected["h_reverse"].yData, trace.h_all_reverse[0, :-1, 0]
    )


def test_each_block_numbers_its_own_units_without_crowding(qtbot):
    axis = BlockUnitAxis(64)
    axis.setStyle(tickTextHeight=14)  # labels stand 1.3 x 14 px apart at least
    # 37 px a block: unit 0 of each block only (a "50" would print over the next "0").
    ((_, values),) = axis.tickValues(-0.5, 127.5, 75.0)
    assert values == [0.0, 64.0]
    # 300 px a block: more units, the same ones in each block, none near the next 0.
    ((spacing, values),) = axis.tickValues(-0.5, 127.5, 600.0)
    first = [value for value in values if value < 64]
    assert len(first) > 2 and values == first + [value + 64 for value in first]
    assert (64 - max(first)) * 600 / 128 >= 1.3 * 14
    assert axis.tickStrings(values, 1.0, spacing)[len(first)] == "0"


def test_a_theme_change_restyles_the_pass_marks(make_window, settle):
    window = open_model(make_window, settle, "network_lstm_bidirectional.pt")
    heatmaps, states = window.gate_heatmaps, window.state_plot
    window.action("dark").trigger()
    settle(window)
    palette = heatmaps.palette_
    assert palette.name == "dark"
    names = heatmaps.plots["f"].getAxis("right")
    assert names.textPen().color() == palette.foreground
    assert names.emphasis == palette.highlight
    separator = heatmaps.pass_marks._separators[0]
    assert separator.pen.color() == palette.foreground
    assert states.pass_marks._caption.opts["color"] == palette.caption
    assert states.cursors["h_reverse"].pen.color() == palette.caption
    window.action("dark").trigger()
    settle(window)


def test_a_pass_switch_restyles_the_plots_without_redrawing_their_data(
    make_window, settle, monkeypatch
):
    window = open_model(make_window, settle, "network_lstm_bidirectional.pt")
    session, heatmaps, states = window.session, window.gate_heatmaps, window.state_plot
    session.select_unit(1)
    settle(window)
    # The pass marks move on every step; any other item set again is data redone.
    pass_marks = [
        item
        for widget in (heatmaps, states)
        for items in (*widget.pass_marks._cursors.values(), *widget.pass_marks._curtains.values())
        for item in items
    ]
    calls: list[str] = []
    for cls, name in ((pg.PlotCurveItem, "setData"), (pg.ImageItem, "setImage")):
        original = getattr(cls, name)

        def counted(item, *args, _original=original, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            if not any(item is mark for mark in pass_marks):
                calls.append(_name)
            return _original(item, *args, **kwargs)

        monkeypatch.setattr(cls, name, counted)
    counts = state_plot.span_counts
    monkeypatch.setattr(
        state_plot, "span_counts", lambda *a: calls.append("span_counts") or counts(*a)
    )
    session.follow("reverse")
    settle(window)
    assert calls == []
    # What stands out is the reverse pass: its titles, its unit curve, its row block.
    assert states.plots["h_reverse"].titleLabel.opts["bold"] is True
    assert states.plots["h"].titleLabel.opts["bold"] is False
    assert (
        states.selected["h_reverse"].opts["pen"].width() > states.selected["h"].opts["pen"].width()
    )
    hidden = session.network.hidden_size
    outline = heatmaps.unit_marks["f"]
    top = outline.pos().y() + outline.yData
    assert (top.min(), top.max()) == (hidden + 0.5, hidden + 1.5)
    reverse_cursor = heatmaps.pass_marks._cursors["g"][1]
    assert reverse_cursor.opts["pen"].color() == states.palette_.highlight
