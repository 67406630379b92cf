"""The predictions dock and the token strip, driven with real keys and clicks: each test
checks the session, then what the view shows against the recorded trace."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from lstm_sim.engine import Network, Vocabulary
from lstm_sim.gui.panels.predictions_panel import NEXT_MARK, TOP_K
from lstm_sim.model import Session

WORDS = ("the", "cat", "sat", "on", "mat", "a", "dog", "ran", ".")
SENTENCE = ["the", "cat", "sat", "on", "the", "mat", ".", "a", "dog", "ran"]


@pytest.fixture
def word_session() -> Session:
    """A word-level LSTM with a softmax readout over its vocabulary."""
    rng = np.random.default_rng(3)
    vocab = Vocabulary(WORDS, "word")
    # Large weights spread the probabilities, so the top five are far from ties.
    network = Network.random("lstm", len(vocab), 6, rng, output_size=len(vocab), vocab=vocab)
    network.readout.weight *= 8.0
    return Session(network, SENTENCE, title="words")


@pytest.fixture
def sine_session() -> Session:
    """A numeric LSTM with a linear readout of as many outputs as inputs, declared (as
    the shipped sine scenario is) to predict its next input."""
    rng = np.random.default_rng(4)
    network = Network.random("lstm", 1, 5, rng, output_size=1, readout_kind="linear")
    network.metadata["predicts"] = "next input"
    x = np.sin(np.linspace(0, 6, 30))[:, None]
    return Session(network, x, title="sine")


def test_top_five_are_the_recorded_probabilities_and_the_next_token_is_marked(
    qtbot, make_window, settle, word_session
) -> None:
    window = make_window(word_session)
    panel = window.predictions
    assert window.docks["predictions"].isVisible()  # a readout brings its dock forward
    qtbot.keyClick(window, Qt.Key.Key_Down)  # t = 1, "cat"; "sat" comes next
    assert window.session.t == 1
    settle(window)
    probs = word_session.trace.probs[1]
    ranked = np.argsort(probs)[::-1][:TOP_K]
    shown = [label.text() for label in panel.token_labels]
    assert shown == [WORDS[k] for k in ranked]
    assert [float(label.text()) for label in panel.value_labels] == pytest.approx(
        probs[ranked], abs=5e-4
    )
    assert [bar.value for bar in panel.bars] == pytest.approx(probs[ranked])
    marks = [label.text() for label in panel.mark_labels]
    actual = WORDS.index("sat")
    if actual in ranked:
        assert marks[list(ranked).index(actual)] == NEXT_MARK
        assert marks.count(NEXT_MARK) == 1
    else:
        assert NEXT_MARK not in marks
        assert "sat" in panel.next_label.text()
    assert "cat" in panel.heading.text()


def test_a_next_token_outside_the_top_five_is_named_with_its_rank(
    qtbot, make_window, settle, word_session
) -> None:
    window = make_window(word_session)
    probs = word_session.trace.probs
    ids = word_session.network.vocab.indices(SENTENCE)
    ranks = [int(np.sum(probs[t] > probs[t, ids[t + 1]])) for t in range(len(SENTENCE) - 1)]
    t = next((t for t, rank in enumerate(ranks) if rank >= TOP_K), None)
    if t is None:
        pytest.skip("every next token is in its step's top five for this seed")
    window.session.seek(t)
    settle(window)
    text = window.predictions.next_label.text()
    assert SENTENCE[t + 1] in text and f"rank {ranks[t] + 1}" in text
    assert f"{probs[t, ids[t + 1]]:.3f}" in text


def test_the_last_step_says_nothing_comes_next(qtbot, make_window, settle, word_session) -> None:
    window = make_window(word_session)
    qtbot.keyClick(window, Qt.Key.Key_End)
    settle(window)
    assert NEXT_MARK not in [label.text() for label in window.predictions.mark_labels]
    assert "ends here" in window.predictions.next_label.text()


def test_linear_readout_shows_prediction_against_the_next_input(
    qtbot, make_window, settle, sine_session
) -> None:
    window = make_window(sine_session)
    panel = window.predictions
    assert panel.mode == "linear"
    sine_session.seek(7)
    settle(window)
    trace = sine_session.trace
    np.testing.assert_array_equal(panel.predicted_curve.yData, trace.logits[:, 0])
    np.testing.assert_array_equal(panel.target_curve.yData, trace.x[1:, 0])
    assert panel.step_line.value() == 7
    text = panel.value_text.text()
    assert f"{trace.logits[7, 0]:.4f}" in text and f"{trace.x[8, 0]:.4f}" in text


def test_a_model_without_readout_says_so(qtbot, make_window, settle) -> None:
    window = make_window()  # the demo: an LSTM whose output is h itself
    assert window.predictions.mode == "none"
    assert window.predictions.pages.currentWidget() is window.predictions.none_label
    assert window.docks["gates"].isVisible()


def test_an_edited_token_updates_the_predictions(qtbot, make_window, settle, word_session) -> None:
    window = make_window(word_session)
    word_session.seek(2)
    settle(window)
    before = [label.text() for label in window.predictions.value_labels]
    window.inputs.edit_cell(window.inputs.sequence, 0, 1, "dog")
    settle(window)
    probs = word_session.trace.probs[2]
    after = [float(label.text()) for label in window.predictions.value_labels]
    assert after == pytest.approx(np.sort(probs)[::-1][:TOP_K], abs=5e-4)
    assert [float(v) for v in before] != pytest.approx(after, abs=5e-4)


def test_token_strip_shows_the_tokens_and_a_click_seeks(
    qtbot, make_window, settle, word_session
) -> None:
    window = make_window(word_session)
    strip = window.token_strip
    assert strip.isVisible()
    assert strip.canvas.texts() == SENTENCE
    box = strip.canvas.box(5)
    strip.ensureVisible(box.center().x(), box.center().y())
    qtbot.mouseClick(strip.canvas, Qt.MouseButton.LeftButton, pos=box.center())
    assert window.session.t == 5
    assert window.session.phase == len(window.session.phases) - 1
    settle(window)
    assert window.timeline.value() == 5
    # The current token is painted in the highlight colour.
    image = strip.canvas.grab().toImage()
    inside = image.pixelColor(box.left() + 3, box.center().y())
    assert inside.name() == window.token_strip.canvas.palette_.highlight.name()


def test_token_strip_is_hidden_for_numeric_inputs(qtbot, make_window, sine_session) -> None:
    window = make_window(sine_session)
    assert not window.token_strip.isVisible()


def test_characters_that_print_as_nothing_get_symbols(qtbot, make_window, settle) -> None:
    rng = np.random.default_rng(0)
    vocab = Vocabulary(("a", "b", " ", "\n"), "char")
    network = Network.random("lstm", 4, 3, rng, output_size=4, vocab=vocab)
    window = make_window(Session(network, list("ab a\nb"), title="chars"))
    assert window.token_strip.canvas.texts() == ["a", "b", "␣", "a", "↵", "b"]
    settle(window)
    rows = [label for label in window.predictions.token_labels if label.isVisible()]
    assert sorted(label.text() for label in rows) == sorted(["a", "b", "␣", "↵"])


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_comes_next_mark_is_never_cut_off(make_window, settle, size) -> None:
    window = make_window(size=size)
    assert window.open_scenario("subject-gender")
    window.docks["predictions"].raise_()
    panel = window.predictions
    settle(window)
    dock = window.docks["predictions"]
    dock_right = dock.mapTo(window, dock.rect().topRight()).x()
    marked = 0
    for t in range(12):
        window.session.seek(t)
        settle(window)
        for label in panel.mark_labels:
            if not (label.isVisible() and label.text()):
                continue
            marked += 1
            need = label.fontMetrics().horizontalAdvance(label.text())
            assert label.width() >= need, (t, label.width(), need)
            right = label.mapTo(window, label.rect().topLeft()).x() + need
            assert right <= dock_right and right <= window.width(), (t, right, dock_right)
    assert marked > 0


def test_the_legend_box_hides_the_curves_behind_its_names_in_either_theme(
    qtbot, make_window, settle, sine_session
) -> None:
    window = make_window(sine_session)
    legend = window.predictions.legend
    for theme in ("light", "dark"):
        window.state.view.theme = theme
        settle(window)
        palette = window.predictions.palette_
        assert legend.brush().color().rgb() == palette.background.rgb()
        assert legend.brush().color().alpha() >= 200
        assert legend.labelTextColor().rgb() == palette.foreground.rgb()
        assert legend.zValue() > window.predictions.predicted_curve.zValue()
