"""The training dock: a real (tiny) training run in its worker thread, Stop, Pause, Apply
and Revert, and a window closed while training leaves no thread behind; a scenario's
model trains on the scenario's corpus, any other model on the sequence shown."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from lstm_sim.engine import Network, Vocabulary
from lstm_sim.model import Session
from lstm_sim.model.scenario_registry import TRAINING_SEED, get
from lstm_sim.model.training import SequenceData, TextData
from lstm_sim.model.training_job import data_size, fits, session_data

THREAD_TIMEOUT_MS = 60_000


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def configure(panel, *, scratch: bool, steps: int, hidden: int = 4, lr: float = 0.05) -> None:
    (panel.scratch_button if scratch else panel.continue_button).setChecked(True)
    panel.steps_box.setValue(steps)
    panel.hidden_box.setValue(hidden)
    panel.lr_box.setValue(lr)


def train_to_end(qtbot, panel) -> None:
    """Wait until the run's thread has ended and the panel has taken its result (a short
    run may end before a waitSignal could connect to ``finished``)."""
    qtbot.waitUntil(
        lambda: not panel.training and panel.train_button.isEnabled(), timeout=THREAD_TIMEOUT_MS
    )


@pytest.fixture
def word_session() -> Session:
    rng = np.random.default_rng(1)
    vocab = Vocabulary(("x", "y", "z"), "word")
    network = Network.random("lstm", 3, 4, rng, output_size=3, vocab=vocab)
    return Session(network, ["x", "y", "z"] * 5, title="xyz")


def test_session_data_is_next_token_or_next_value() -> None:
    rng = np.random.default_rng(0)
    vocab = Vocabulary(("x", "y"), "word")
    tokens_net = Network.random("lstm", 2, 3, rng, output_size=2, vocab=vocab)
    data = session_data(tokens_net, Session(tokens_net, ["x", "y", "y"]).trace)
    assert isinstance(data, TextData) and data.ids.tolist() == [0, 1, 1]
    values_net = Network.random("lstm", 2, 3, rng, output_size=2, readout_kind="linear")
    x = rng.uniform(size=(5, 2))
    data = session_data(values_net, Session(values_net, x).trace)
    assert isinstance(data, SequenceData)
    np.testing.assert_allclose(data.inputs[0], x[:-1], rtol=1e-6)
    np.testing.assert_allclose(data.targets[0], x[1:], rtol=1e-6)
    assert fits(values_net, data) is None
    bare = Network.random("lstm", 2, 3, rng)
    assert "no readout" in fits(bare, data)
    narrow = Network.random("lstm", 2, 3, rng, output_size=1, readout_kind="linear")
    assert "1 outputs and the data 2" in fits(narrow, data)
    softmax = Network.random("lstm", 2, 3, rng, output_size=2)
    assert "readout does not match" in fits(softmax, data)


def test_train_from_scratch_then_apply_and_revert(qtbot, make_window, settle) -> None:
    window = make_window()  # the demo has no readout: only "from scratch" can train it
    session, panel = window.session, window.training
    demo = session.network
    demo_weights = demo.layers[0].weight_ih.copy()
    assert not panel.apply_button.isEnabled() and not panel.revert_button.isEnabled()
    configure(panel, scratch=True, steps=40, hidden=5)
    click(qtbot, panel.train_button)
    assert panel.training and not panel.train_button.isEnabled()
    train_to_end(qtbot, panel)
    qtbot.waitUntil(lambda: panel.apply_button.isEnabled(), timeout=THREAD_TIMEOUT_MS)
    # Training never touched the session.
    assert session.network is demo
    np.testing.assert_array_equal(demo.layers[0].weight_ih, demo_weights)
    assert panel.progress.value() == 40
    losses = [loss for _, loss in panel.losses]
    assert losses[-1] < losses[0]
    settle(window)
    np.testing.assert_array_equal(panel.loss_curve.yData, losses)
    assert "done" in panel.status.text() and "tokens/s" in panel.status.text()

    trained = panel.trained
    click(qtbot, panel.apply_button)
    assert session.network is trained
    assert session.network.hidden_size == 5 and session.network.readout is not None
    assert session.tokens == tuple(window.token_strip.canvas.texts())
    assert window.predictions.mode == "softmax"
    assert session.title.endswith("(trained)")
    assert panel.revert_button.isEnabled() and not panel.apply_button.isEnabled()
    click(qtbot, panel.revert_button)
    assert session.network is demo
    assert not panel.revert_button.isEnabled()
    settle(window)


def test_continue_training_lowers_the_loss_of_the_current_model(
    qtbot, make_window, settle, word_session
) -> None:
    window = make_window(word_session)
    panel = window.training
    before = word_session.network
    configure(panel, scratch=False, steps=60)
    assert not panel.hidden_box.isEnabled()  # the current model keeps its size
    click(qtbot, panel.train_button)
    train_to_end(qtbot, panel)
    qtbot.waitUntil(lambda: panel.apply_button.isEnabled(), timeout=THREAD_TIMEOUT_MS)
    click(qtbot, panel.apply_button)
    after = word_session.network
    assert after is not before and after.hidden_size == before.hidden_size
    # The trained model predicts the cyclic sequence better than the random one did.
    ids = before.vocab.indices(word_session.tokens)
    old = Session(before, list(word_session.tokens)).trace.probs
    new = word_session.trace.probs
    steps = np.arange(len(ids) - 1)
    assert new[steps, ids[1:]].mean() > old[steps, ids[1:]].mean()
    settle(window)


def test_stop_and_pause_end_a_long_run_early(qtbot, make_window, settle, word_session) -> None:
    window = make_window(word_session)
    panel = window.training
    configure(panel, scratch=False, steps=1_000_000)
    click(qtbot, panel.train_button)
    qtbot.waitUntil(lambda: len(panel.losses) > 0, timeout=THREAD_TIMEOUT_MS)
    click(qtbot, panel.pause_button)
    assert panel.worker.paused and panel.pause_button.text() == "Resume"
    with qtbot.waitSignal(panel.worker.finished, timeout=THREAD_TIMEOUT_MS):
        click(qtbot, panel.stop_button)  # wakes the paused thread so it can finish
    qtbot.waitUntil(lambda: panel.apply_button.isEnabled(), timeout=THREAD_TIMEOUT_MS)
    assert 0 < panel.worker.trainer.step < 1_000_000
    assert "stopped" in panel.status.text()
    assert panel.pause_button.text() == "Pause" and panel.train_button.isEnabled()
    settle(window)


def test_closing_the_window_mid_training_stops_the_worker(qtbot, make_window, word_session) -> None:
    window = make_window(word_session)
    panel = window.training
    configure(panel, scratch=False, steps=1_000_000)
    click(qtbot, panel.train_button)
    qtbot.waitUntil(lambda: len(panel.losses) > 0, timeout=THREAD_TIMEOUT_MS)
    worker = panel.worker
    window.close()
    assert worker.isFinished() and not worker.isRunning()
    assert worker.trainer.step < 1_000_000


def test_a_model_that_cannot_continue_says_why(qtbot, make_window, monkeypatch) -> None:
    window = make_window()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    configure(window.training, scratch=False, steps=5)
    click(qtbot, window.training.train_button)
    assert window.training.worker is None
    assert shown and "no readout" in shown[0]


def test_a_scenario_trains_on_its_corpus_and_the_loss_falls(qtbot, make_window, settle) -> None:
    window = make_window()
    assert window.open_scenario("sine")
    panel, session = window.training, window.session
    scenario = get("sine")
    assert panel.scenario is scenario
    # The shipped model's settings are the defaults.
    config = scenario.train_config
    assert (panel.steps_box.value(), panel.lr_box.value()) == (config.steps, config.lr)
    assert panel.hidden_box.value() == session.network.hidden_size
    window.docks["training"].raise_()
    settle(window)
    assert "noisy sine waves, 2,048 sequences of 60 steps" in panel.source_label.text()

    configure(panel, scratch=True, steps=40, hidden=8, lr=0.01)
    click(qtbot, panel.train_button)
    trainer = panel.worker.trainer
    expected = scenario.training_data(np.random.default_rng(TRAINING_SEED))
    assert isinstance(trainer.data, SequenceData)
    np.testing.assert_array_equal(trainer.data.inputs, expected.inputs)
    np.testing.assert_array_equal(trainer.data.targets, expected.targets)
    assert (trainer.config.batch_size, trainer.config.seq_len) == (32, 60)
    assert (trainer.config.steps, trainer.config.lr) == (40, 0.01)
    train_to_end(qtbot, panel)
    qtbot.waitUntil(lambda: panel.apply_button.isEnabled(), timeout=THREAD_TIMEOUT_MS)
    losses = [loss for _, loss in panel.losses]
    assert len(losses) >= 2 and losses[-1] < 0.8 * losses[0]

    click(qtbot, panel.apply_button)
    assert session.network.hidden_size == 8
    # A model trained on the scenario's corpus still trains on it.
    assert session.network.metadata["scenario"] == "sine" and panel.scenario is scenario
    assert panel.steps_box.value() == 40  # the user's settings stay for the same scenario
    settle(window)


def test_counting_continues_on_its_character_stream(qtbot, make_window, settle) -> None:
    window = make_window()
    assert window.open_scenario("counting")
    panel = window.training
    configure(panel, scratch=False, steps=3, lr=0.001)
    shipped = window.session.network
    click(qtbot, panel.train_button)
    data = panel.worker.trainer.data
    assert isinstance(data, TextData) and data.vocab == shipped.vocab
    assert data_size(data) == f"{data.ids.size:,} characters in one stream"
    assert data.ids.size > 50_000  # thousands of strings, not the 45 symbols shown
    train_to_end(qtbot, panel)
    qtbot.waitUntil(lambda: panel.apply_button.isEnabled(), timeout=THREAD_TIMEOUT_MS)
    shipped_guide = window.guide_view.toPlainText()
    assert shipped.metadata["description"][:40] in shipped_guide
    click(qtbot, panel.apply_button)
    # The shipped model's claims about its units are not shown for the retrained weights.
    guide = window.guide_view.toPlainText()
    assert shipped.metadata["description"][:40] not in guide
    assert "3 updates from" in guide and "may no longer hold" in guide
    click(qtbot, panel.revert_button)
    assert window.guide_view.toPlainText() == shipped_guide
    settle(window)


def test_any_other_model_trains_on_the_sequence_shown_and_says_so(
    qtbot, make_window, settle, word_session
) -> None:
    window = make_window(word_session)
    panel, own = window.training, word_session.network
    assert panel.scenario is None
    assert "the 15 tokens shown: open a scenario" in panel.source_label.text()
    configure(panel, scratch=False, steps=5)
    click(qtbot, panel.train_button)
    trainer = panel.worker.trainer
    assert isinstance(trainer.data, TextData)
    assert trainer.data.ids.tolist() == [0, 1, 2] * 5
    assert trainer.config.batch_size == 1
    train_to_end(qtbot, panel)
    # Opening a scenario switches the data and the defaults; a user's model switches back.
    assert window.open_scenario("counting")
    assert panel.scenario is get("counting") and panel.steps_box.value() == 1500
    window.session.load(own, ["x", "y"] * 3, title="xy")
    assert panel.scenario is None and panel.steps_box.value() == 300
    assert "the 6 tokens shown" in panel.source_label.text()
    settle(window)


def test_continuing_needs_the_datas_vocabulary(qtbot, make_window, monkeypatch) -> None:
    window = make_window()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    rng = np.random.default_rng(0)
    # Claims to be the counting model, but reads its symbols in another order.
    network = Network.random(
        "lstm", 3, 4, rng, output_size=3, vocab=Vocabulary(("b", "a", "."), "char")
    )
    network.metadata["scenario"] = "counting"
    window.session.load(network, list("aabb."), title="reordered")
    configure(window.training, scratch=False, steps=5)
    click(qtbot, window.training.train_button)
    assert window.training.worker is None
    assert shown and "vocabulary differs" in shown[0]


def test_a_model_trained_by_a_long_script_says_the_panel_cannot_redo_it(make_window) -> None:
    window = make_window()
    network = Network.random("lstm", 3, 4, np.random.default_rng(0), output_size=3)
    network.vocab = Vocabulary(("a", "b", "#"), "char")
    network.metadata["training_command"] = "python scripts/train_code_reader.py --steps 20000"
    window.session.load(network, list("ab#ab"), title="Code reader")
    label = window.training.source_label
    assert "the 5 tokens shown: this model's own training" in label.text()
    assert "train_code_reader.py --steps 20000" in label.toolTip()
