"""Keras's masked steps in the plots over time: a gate heatmap draws a masked step's column
in a neutral hatched fill, never the gate values the model discarded; h there (the state
carried through) keeps its values, hatched over; the state plots shade the masked steps;
a legend and the bands' tooltip say what that means. Checked for a one-way masked GRU and a
bidirectional masked LSTM, at screen columns of one step and of many, after an edit, and
with no work per step."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from lstm_sim.gui.colors import colormap, value_range
from lstm_sim.gui.plots.masked_marks import LegendLine, MaskedBands, MaskedMarks
from lstm_sim.model.masked_steps import masked_steps

KERAS = Path(__file__).parents[1] / "fixtures" / "keras_onnx"
GRU = "keras_gru_masked_hard_sigmoid"
BIDIRECTIONAL = "keras_bidirectional_masked"
BIDIRECTIONAL_GRU = "keras_functional_masked_gru"
MASKED = [0, 1, 10, 11, 12]  # the fixtures' masked steps among the first 16
RUNS = [(-0.5, 1.5), (9.5, 12.5)]


def fixture_inputs(name: str) -> np.ndarray:
    return np.load(KERAS / f"{name}.npz")["x"]


def open_masked(make_window, settle, name: str, steps: int = 16, size=(1280, 720)):
    window = make_window(size=size)
    assert window.open_model(str(KERAS / f"{name}.keras"))
    window.session.set_inputs(fixture_inputs(name)[:steps])
    window.docks["gates"].raise_()
    window.docks["states"].raise_()
    settle(window)
    return window


def pixel(widget, plot, t: float, y: float) -> QColor:
    """The colour ``widget`` paints at view point (t, y) of ``plot``."""
    scene = plot.getViewBox().mapViewToScene(QPointF(t, y))
    point = widget.mapFromScene(scene)
    return widget.grab().toImage().pixelColor(point)


def distance_to_scale(color: QColor, kind: str) -> float:
    """How far ``color`` is from the nearest colour of the scale of ``kind`` (RGB units)."""
    table = colormap(kind).getLookupTable(0.0, 1.0, 256, alpha=False).astype(float)
    rgb = np.array([color.red(), color.green(), color.blue()], float)
    return float(np.min(np.linalg.norm(table - rgb, axis=1)))


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_a_masked_gru_hides_its_discarded_gates_and_keeps_its_carried_h(make_window, settle, size):
    window = open_masked(make_window, settle, GRU, size=size)
    heatmaps, states, trace = window.gate_heatmaps, window.state_plot, window.session.trace
    assert heatmaps.per_bin == 1 and states.per_bin == 1
    masked = np.zeros(16, bool)
    masked[MASKED] = True
    for key in ("r", "z", "n"):
        image = heatmaps.images[key].image
        assert np.isnan(image[:, masked]).all(), key
        np.testing.assert_array_equal(image[:, ~masked], trace.gate(key)[0][~masked].T)
    # h at a masked step is the state carried through: the model's own value.
    np.testing.assert_array_equal(heatmaps.images["h"].image, trace.h[0].T)
    np.testing.assert_array_equal(trace.h[0][10], trace.h[0][9])
    marks, state_marks = heatmaps.masked_marks, states.masked_marks
    assert isinstance(marks, MaskedMarks) and isinstance(state_marks, MaskedMarks)
    styles = {key: bands.style for key, bands in marks.bands.items()}
    assert styles == {"r": "hide", "z": "hide", "n": "hide", "h": "hatch"}
    assert {key: bands.style for key, bands in state_marks.bands.items()} == {"h": "shade"}
    for bands in [*marks.bands.values(), *state_marks.bands.values()]:
        assert bands.runs == RUNS
    legend = "masked step (Keras mask value 0): no gates; h carried through"
    assert marks.legend is not None and legend in marks.legend.text
    assert marks.bands["r"].toolTip() == legend
    assert state_marks.legend is not None
    assert "masked step (Keras mask value 0): h carried through" in state_marks.legend.text
    # The legend is on screen, under the plots, and every plot keeps some height.
    for widget, line in ((heatmaps, marks.legend), (states, state_marks.legend)):
        box = line.mapRectToScene(line.boundingRect())
        assert box.height() > 5 and widget.sceneRect().contains(box.center())
        assert all(p.getViewBox().height() > 15 for p in widget.plots.values())
    # A masked column is painted in no colour of the gate scale; a read one is.
    plot = heatmaps.plots["z"]
    assert distance_to_scale(pixel(heatmaps, plot, 11, 2), "gate") > 60
    assert distance_to_scale(pixel(heatmaps, plot, 5, 2), "gate") < 10


def test_a_step_does_no_mask_work(make_window, settle, monkeypatch):
    window = open_masked(make_window, settle, GRU)
    calls = []
    for cls, name in ((MaskedMarks, "update"), (MaskedBands, "set_runs")):
        original = getattr(cls, name)

        def counted(*args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(args[0])
            return _original(*args, **kwargs)

        monkeypatch.setattr(cls, name, counted)
    for _ in range(4):
        window.session.next_step()
        settle(window)
    assert window.session.t == 4 and calls == []


@pytest.mark.parametrize("followed", ["forward", "reverse"])
@pytest.mark.parametrize(
    ("name", "gates", "state_keys"),
    [
        (BIDIRECTIONAL, ("f", "i", "g", "o"), {"h", "c", "h_reverse", "c_reverse"}),
        (BIDIRECTIONAL_GRU, ("r", "z", "n"), {"h", "h_reverse"}),
    ],
)
def test_a_bidirectional_layer_hides_both_passes_at_each_masked_step(
    make_window, settle, followed, name, gates, state_keys
):
    window = open_masked(make_window, settle, name)
    window.session.follow(followed)
    settle(window)
    heatmaps, states, trace = window.gate_heatmaps, window.state_plot, window.session.trace
    hidden = window.session.network.hidden_size
    masked = masked_steps(trace)
    assert masked is not None and np.flatnonzero(masked).tolist() == MASKED
    for key in gates:
        image = heatmaps.images[key].image
        assert image.shape == (2 * hidden, 16)  # a block of rows per pass
        assert np.isnan(image[:, masked]).all() and np.isfinite(image[:, ~masked]).all()
    if "h" in heatmaps.images:
        # What the next layer reads there is zeros (Keras's Bidirectional): shown, hatched.
        output = heatmaps.images["h"].image
        assert (output[:, masked] == 0).all() and np.isfinite(output).all()
        assert heatmaps.masked_marks is not None
        assert heatmaps.masked_marks.bands["h"].style == "hatch"
        # The output is not the carried h there, and the hatching says so.
        zeros = "masked step (Keras mask value 0): the layer hands on zeros"
        assert heatmaps.masked_marks.bands["h"].toolTip() == zeros
        assert heatmaps.masked_marks.legend is not None
        assert "no gates; the layer hands on zeros" in heatmaps.masked_marks.legend.text
        assert "carried" not in heatmaps.masked_marks.legend.text
    marks, state_marks = heatmaps.masked_marks, states.masked_marks
    assert marks is not None and state_marks is not None
    assert set(state_marks.bands) == state_keys
    for bands in [*marks.bands.values(), *state_marks.bands.values()]:
        assert bands.runs == RUNS
    assert state_marks.legend is not None
    carried = "h, c" if "c" in state_keys else "h"
    assert f": {carried} carried through" in state_marks.legend.text


def test_an_edit_that_masks_a_step_redraws_its_column_as_a_full_redraw_would(make_window, settle):
    window = open_masked(make_window, settle, GRU)
    session, heatmaps = window.session, window.gate_heatmaps
    for feature in range(session.network.input_size):
        session.set_input(5, feature, 0.0)
    settle(window)
    assert np.isnan(heatmaps.images["z"].image[:, 5]).all()
    assert heatmaps.masked_marks is not None
    runs = [(-0.5, 1.5), (4.5, 5.5), (9.5, 12.5)]
    assert heatmaps.masked_marks.bands["z"].runs == runs
    assert window.state_plot.masked_marks is not None
    assert window.state_plot.masked_marks.bands["h"].runs == runs
    edited = {key: image.image.copy() for key, image in heatmaps.images.items()}
    heatmaps._mark_all_stale()
    settle(window)
    for key, image in heatmaps.images.items():
        np.testing.assert_array_equal(edited[key], image.image)
    session.undo()
    settle(window)
    assert np.isfinite(heatmaps.images["z"].image[:, 5]).all()
    assert heatmaps.masked_marks.bands["z"].runs == RUNS


def test_screen_columns_show_the_read_steps_peak_and_mask_only_masked_columns(make_window, settle):
    steps = 3000
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps, 3))
    x[500:800] = 0.0
    x[rng.choice(steps, 400, replace=False)] = 0.0
    window = open_masked(make_window, settle, GRU)
    window.session.set_inputs(x)
    settle(window)
    heatmaps, trace = window.gate_heatmaps, window.session.trace
    per_bin = heatmaps.per_bin
    assert per_bin > 1
    masked = masked_steps(trace)
    assert masked is not None
    values = trace.gate("z")[0]
    middle = sum(value_range("gate")) / 2
    image = heatmaps.images["z"].image
    masked_columns, differs = [], 0
    for column in range(image.shape[1]):
        span = np.arange(column * per_bin, min((column + 1) * per_bin, steps))
        read = span[~masked[span]]
        if read.size == 0:
            assert np.isnan(image[:, column]).all()
            masked_columns.append(column)
            continue
        lows, highs = values[read].min(axis=0), values[read].max(axis=0)
        expected = np.where(np.abs(highs - middle) >= np.abs(lows - middle), highs, lows)
        np.testing.assert_array_equal(image[:, column], expected)
        every = values[span]
        with_masked = np.where(
            np.abs(every.max(axis=0) - middle) >= np.abs(every.min(axis=0) - middle),
            every.max(axis=0),
            every.min(axis=0),
        )
        differs += int(np.any(with_masked != expected))
    assert differs > 0  # the discarded gate values would have won some columns
    assert heatmaps.masked_marks is not None
    runs = heatmaps.masked_marks.bands["z"].runs
    covered = [c for c in masked_columns if any(a < c * per_bin < b for a, b in runs)]
    assert covered == masked_columns and (500 // per_bin + 1) in masked_columns


def test_a_model_without_a_mask_has_no_masked_marks(make_window, settle):
    window = open_masked(make_window, settle, GRU)
    session = window.session
    masked_network = session.network
    inputs = fixture_inputs(GRU)[:16]
    session.load(dataclasses.replace(masked_network, mask_value=None), inputs)
    settle(window)
    for widget in (window.gate_heatmaps, window.state_plot):
        assert widget.masked_marks is None
        legends = [item for row in widget.ci.rows.values() for item in row.values()]
        assert not any(isinstance(item, LegendLine) for item in legends)
    assert all(np.isfinite(image.image).all() for image in window.gate_heatmaps.images.values())
    session.load(masked_network, inputs)
    settle(window)
    assert window.gate_heatmaps.masked_marks is not None
    assert np.isnan(window.gate_heatmaps.images["r"].image[:, MASKED]).all()
