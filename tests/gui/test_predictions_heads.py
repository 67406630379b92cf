"""The predictions dock says what the head is: ranked tokens for a language model,
ranked classes for a classifier, every output over time for a linear readout (a target
only when one is known), and why there is no readout when a reader left the head out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lstm_sim.engine import Network
from lstm_sim.engine.cells import softmax
from lstm_sim.engine.formats import load_model
from lstm_sim.model import Session
from lstm_sim.model.demo import default_inputs

OWN = Path(__file__).resolve().parent.parent / "fixtures" / "own"


def _session(path: Path) -> Session:
    network = load_model(path)
    return Session(network, default_inputs(network), title=path.name)


def test_classifier_without_vocabulary_ranks_class_indices(make_window, settle) -> None:
    network = Network.random(
        "lstm", 3, 4, np.random.default_rng(5), output_size=6, readout_kind="softmax"
    )
    session = Session(network, np.random.default_rng(6).normal(size=(8, 3)), title="cls")
    window = make_window(session)
    session.seek(3)
    settle(window)
    panel = window.predictions
    assert panel.description.kind == "classes" and panel.mode == "softmax"
    ranked = np.argsort(-session.trace.probs[3], kind="stable")[:5]
    assert [label.text() for label in panel.token_labels] == [f"#{k}" for k in ranked]
    assert "Classifier head over 6 classes" in panel.heading.text()
    assert panel.next_label.text() == ""  # no "the sequence ends here" for classes


def test_linear_readout_draws_every_output_and_no_invented_target(make_window, settle) -> None:
    session = _session(OWN / "word_lstm2.pt")  # Embedding → LSTM → Linear(5, 4)
    window = make_window(session)
    settle(window)
    panel = window.predictions
    assert panel.description.kind == "values" and panel.description.target == "none"
    logits = session.trace.logits
    curves = [panel.predicted_curve, *panel.more_curves[:3]]
    for k, curve in enumerate(curves):
        np.testing.assert_array_equal(curve.yData, logits[:, k])
    assert panel.target_curve.yData is None or len(panel.target_curve.yData) == 0
    assert "x<sub>t+1</sub>" not in panel.heading.text()
    # Targets given by the user are drawn, step for step.
    targets = np.arange(session.num_steps, dtype=float)
    panel.set_targets(targets)
    settle(window)
    np.testing.assert_array_equal(panel.target_curve.yData, targets)


def test_embedding_language_model_ranks_tokens_by_the_softmax_of_its_logits(
    make_window, settle
) -> None:
    session = _session(OWN / "tied_lm.pt")
    assert session.trace.token_ids is not None  # seeded token ids, not random vectors
    window = make_window(session)
    session.seek(2)
    settle(window)
    panel = window.predictions
    assert panel.description.kind == "tokens" and panel.description.softmax_of_logits
    probs = softmax(session.trace.logits[2].copy())
    ranked = np.argsort(-probs, kind="stable")[:5]
    assert [b.value for b in panel.bars] == list(probs[ranked])


def test_a_refused_head_says_why_in_the_dock_and_the_status_bar(make_window, settle) -> None:
    session = _session(OWN / "mlp_head.pt")
    window = make_window(session)
    settle(window)
    assert window.predictions.mode == "none"
    assert "does not record the activation" in window.predictions.none_label.text()
    label = window.notes_label
    count = len(session.network.notes)
    assert label.isVisible() and label.text() == (
        f"⚠ head left out · {count} notes on how this model was read"
    )
    assert all(note in label.toolTip() for note in session.network.notes)


def test_the_legend_lists_only_what_is_drawn(make_window, settle) -> None:
    session = _session(OWN / "word_lstm2.pt")
    window = make_window(session)
    settle(window)
    names = [label.text for _, label in window.predictions.legend.items]
    assert names == ["output 0", "output 1", "output 2", "output 3"]
