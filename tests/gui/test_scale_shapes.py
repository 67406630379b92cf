"""The window's cost follows what is visible, not T (issue 12): shapes, not timings.

The Inputs dock has no per-cell items, a step touches only cursor items, an edit at t
recomputes the plots from t on, and what the plots show at screen resolution keeps every
peak of the data.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QTableView, QTableWidget, QTableWidgetItem

from lstm_sim.engine.network import Network
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.gui.colors import value_color_keys, value_colors
from lstm_sim.gui.panels.input_panel import InputPanel
from lstm_sim.gui.plots import screen_bins, span_image
from lstm_sim.model import Session

STEPS = 3000
"""Wider than any plot here is in pixels, so the plots draw screen columns of steps."""
ALPHABET = "abcd ,\n"


@pytest.fixture
def long_session() -> Session:
    rng = np.random.default_rng(11)
    vocab = Vocabulary(tuple(ALPHABET), "char")
    network = Network.random("lstm", len(vocab), 6, rng, num_layers=2, vocab=vocab)
    text = [ALPHABET[k] for k in rng.integers(0, len(ALPHABET), STEPS)]
    return Session(network, text, title="long")


class Calls:
    """Counts the calls of a method on every instance of a class (``callers`` keeps the
    instances, in call order)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> None:
        self.count = 0
        self.callers: list[object] = []
        original = getattr(cls, name)

        def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.count += 1
            self.callers.append(args[0])
            return original(*args, **kwargs)

        monkeypatch.setattr(cls, name, counted)


def test_the_inputs_dock_has_no_items_and_reads_only_cells_on_screen(
    qtbot, make_window, settle, long_session, monkeypatch
) -> None:
    created = Calls(monkeypatch, QTableWidgetItem, "__init__")
    window = make_window(long_session)
    panel = window.inputs
    assert created.count == 0
    assert panel.findChildren(QTableWidget) == []
    assert isinstance(panel.sequence, QTableView)
    window.docks["inputs"].raise_()
    reads = Calls(monkeypatch, type(panel.sequence_model), "data")
    panel.sequence.viewport().grab()
    # A few roles for each cell on screen, far fewer than the T cells of the sequence.
    assert 0 < reads.count < STEPS // 3
    # A step repaints two cells, an edit the cells from its step on; nothing is refilled.
    changed: list[tuple[int, int, int, int]] = []
    panel.sequence_model.dataChanged.connect(
        lambda a, b, _roles=(): changed.append((a.row(), a.column(), b.row(), b.column()))
    )
    long_session.seek(40)
    assert changed == [(0, 0, 0, 0), (0, 40, 0, 40)]
    changed.clear()
    assert panel.edit_cell(
        panel.sequence, 0, STEPS - 10, "d" if long_session.tokens[-10] != "d" else "a"
    )
    assert changed == [(0, STEPS - 10, 0, STEPS - 1)]
    assert created.count == 0
    settle(window)


def test_a_step_moves_only_the_cursor_lines(
    qtbot, make_window, settle, long_session, monkeypatch
) -> None:
    window = make_window(long_session)
    window.docks["gates"].raise_()
    settle(window)
    curves = Calls(monkeypatch, pg.PlotCurveItem, "setData")
    images = Calls(monkeypatch, pg.ImageItem, "setImage")
    for _ in range(3):
        long_session.next_step()
        settle(window)
    assert (curves.count, images.count) == (0, 0)
    assert window.state_plot.cursors["h"].value() == long_session.t == 3
    assert window.gate_heatmaps.cursors["f"].value() == 3


def test_an_edit_recomputes_the_plots_from_its_step_on_and_matches_a_full_redraw(
    qtbot, make_window, settle, long_session, monkeypatch
) -> None:
    window = make_window(long_session, size=(1280, 720))
    window.docks["gates"].raise_()
    settle(window)
    states, gates = window.state_plot, window.gate_heatmaps
    assert states.per_bin > 1 and gates.per_bin > 1  # several steps per screen column
    first_bins: list[int] = []
    original = screen_bins.envelope

    def spy(values, per_bin, first_bin=0):  # type: ignore[no-untyped-def]
        first_bins.append(first_bin)
        return original(values, per_bin, first_bin)

    monkeypatch.setattr("lstm_sim.gui.plots.state_plot.envelope", spy)
    monkeypatch.setattr("lstm_sim.gui.plots.gate_heatmaps.envelope", spy)
    counted_columns: list[int] = []
    original_counts = span_image.span_counts

    def counts_spy(lows, highs, y_range, rows):  # type: ignore[no-untyped-def]
        counted_columns.append(lows.shape[0])
        return original_counts(lows, highs, y_range, rows)

    monkeypatch.setattr("lstm_sim.gui.plots.state_plot.span_counts", counts_spy)
    curves = Calls(monkeypatch, pg.PlotCurveItem, "setData")
    y_before = dict(states._y_range)
    edit_at = STEPS - 10
    long_session.set_token(edit_at, "d" if long_session.tokens[edit_at] != "d" else "a")
    settle(window)
    assert first_bins and set(first_bins) <= {edit_at // states.per_bin, edit_at // gates.per_bin}
    # Columns of several steps are one span image per quantity, no curve tiles.
    assert all(states.tiles[key] == [] for key in states.tiles)
    if states._y_range == y_before:
        # h and c: the columns from the edit's on are counted again, no others, and the
        # one data curve set is the selected unit's (the breakpoint marks and the clamp
        # ghost are redrawn once per trace change).
        columns = screen_bins.bin_count(STEPS, states.per_bin)
        assert counted_columns == [columns - edit_at // states.per_bin] * 2
        selected = {id(curve) for curve in states.selected.values()}
        assert [id(caller) in selected for caller in curves.callers].count(True) == 2
    spans = {key: image.image.copy() for key, image in states.spans.items()}
    images = {key: image.image.copy() for key, image in gates.images.items()}
    states._mark_all_stale()
    gates._mark_all_stale()
    settle(window)
    for key, image in states.spans.items():
        np.testing.assert_array_equal(spans[key], image.image)
    for key, image in gates.images.items():
        np.testing.assert_array_equal(images[key], image.image)


def test_screen_columns_keep_every_peak_and_stay_bounded(
    qtbot, make_window, settle, long_session
) -> None:
    window = make_window(long_session)
    window.docks["gates"].raise_()
    settle(window)
    states, gates = window.state_plot, window.gate_heatmaps
    columns = screen_bins.bin_count(STEPS, states.per_bin)
    assert columns <= states.plots["h"].getViewBox().width() + 1
    # The units' curves are one image of the plot's pixels: a column per screen column,
    # a row per pixel row, however long the sequence.
    values, per_bin = states.values("c"), states.per_bin  # (T, H)
    view = states.plots["c"].getViewBox()
    counts = states._span_counts["c"]
    rows = round(view.height() * states.devicePixelRatioF())
    assert counts.shape == (rows, columns)
    assert states.spans["c"].image.shape == (rows, columns, 4)
    # Each column covers, per unit, the rows of the values its steps reached and of the
    # step before it (the line from the previous column): counted from the data here.
    bottom, top = view.viewRange()[1]

    def row(value: float) -> int:
        return int(np.clip(np.floor((value - bottom) * rows / (top - bottom)), 0, rows - 1))

    peak_column = int(np.argmax(values.max(axis=1))) // per_bin
    for column in (0, 7, peak_column, columns - 1):
        steps = values[max(column * per_bin - 1, 0) : (column + 1) * per_bin]
        expected = np.zeros(rows, dtype=np.int64)
        for low, high in zip(steps.min(axis=0), steps.max(axis=0), strict=True):
            expected[row(low) : row(high) + 1] += 1
        np.testing.assert_array_equal(counts[:, column], expected)
    # Nothing is drawn where no value is; the highest value of all is.
    assert (states.spans["c"].image[..., 3] == 0).tolist() == (counts == 0).tolist()
    assert counts[row(float(values.max())), peak_column] > 0
    # A heatmap column shows the value farthest from the scale's middle among its steps.
    f = gates.values("f")  # (H, T)
    image = gates.images["f"].image
    per_bin = gates.per_bin
    for column in (0, 7, image.shape[1] - 1):
        steps = f[:, column * per_bin : (column + 1) * per_bin]
        farthest = np.take_along_axis(
            steps, np.argmax(np.abs(steps - 0.5), axis=1)[:, None], axis=1
        )[:, 0]
        np.testing.assert_array_equal(image[:, column], farthest)


def test_envelope_of_one_step_columns_is_the_data_itself() -> None:
    values = np.random.default_rng(0).normal(size=(9, 3))
    lows, highs = screen_bins.envelope(values, 1)
    np.testing.assert_array_equal(lows, values)
    lows, highs = screen_bins.envelope(values, 4, first_bin=1)
    np.testing.assert_array_equal(lows[0], values[4:8].min(axis=0))
    np.testing.assert_array_equal(highs[1], values[8:].max(axis=0))
    assert screen_bins.steps_per_bin(1000, 300) == 4 and screen_bins.steps_per_bin(5, 300) == 1


def test_colour_keys_are_the_colours_of_value_colors() -> None:
    values = np.array([-2.0, -0.3, 0.0, 0.41, 1.0, np.nan])
    keys = value_color_keys(values, "signed")
    assert [f"#{int(k):06x}" for k in keys] == [c.name() for c in value_colors(values, "signed")]


def test_a_hidden_input_panel_needs_no_window(qtbot, long_session) -> None:
    panel = InputPanel(long_session)
    qtbot.addWidget(panel)
    assert panel.cell_text(panel.sequence, 0, 5) == long_session.tokens[5]
    assert panel.sequence_model.columnCount() == STEPS
    panel.detach()
