"""The training job without Qt or threads: a real (tiny) run driven by hand, its states
and losses, the result named as retrained, and Apply/Revert keyed to the session's
generation rather than to which network object is shown."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import Network, Vocabulary
from lstm_sim.model import Session
from lstm_sim.model.training_job import RunSettings, TrainingJob


@pytest.fixture
def job() -> TrainingJob:
    rng = np.random.default_rng(1)
    vocab = Vocabulary(("x", "y", "z"), "word")
    network = Network.random("lstm", 3, 4, rng, output_size=3, vocab=vocab)
    return TrainingJob(Session(network, ["x", "y", "z"] * 5, title="xyz"))


def run(job: TrainingJob, steps: int = 30, **changes: object) -> None:
    """Start a run and drive it to its end on this thread, as the GUI's worker would."""
    settings = RunSettings(from_scratch=False, steps=steps, lr=0.05, hidden_size=4, seed=0)
    trainer = job.start(RunSettings(**{**settings.__dict__, **changes}))
    for progress in trainer.run():
        job.report(progress)
    job.finish()


def test_a_run_goes_training_then_idle_with_falling_losses(job: TrainingJob) -> None:
    states: list[str] = []
    job.state_changed.connect(states.append)
    shown = job.session.network
    run(job, steps=40)
    assert states == ["training", "idle"]
    losses = [loss for _, loss in job.losses]
    assert len(losses) >= 2 and losses[-1] < losses[0]
    assert job.session.network is shown  # training never touches the session
    assert job.result is not None and job.can_apply and not job.can_revert
    assert "40 updates from xyz" in job.result.metadata["description"]


def test_pause_holds_the_run_and_stop_ends_it_early(job: TrainingJob) -> None:
    trainer = job.start(RunSettings(False, 1_000_000, 0.05, 4, 0))
    reports = trainer.run()
    job.report(next(reports))
    job.toggle_pause()
    assert job.state == "paused" and not job.running.is_set()
    job.stop()  # wakes the paused run so that it can end
    assert job.running.is_set()
    for progress in reports:
        job.report(progress)
    job.finish()
    assert job.state == "idle" and 0 < trainer.step < 1_000_000
    assert job.result is not None


def test_a_second_run_is_refused_while_one_is_going(job: TrainingJob) -> None:
    job.start(RunSettings(False, 10, 0.05, 4, 0))
    with pytest.raises(ValueError, match="in progress"):
        job.start(RunSettings(False, 10, 0.05, 4, 0))


def test_a_model_without_a_readout_must_start_from_scratch() -> None:
    rng = np.random.default_rng(0)
    job = TrainingJob(Session(Network.random("lstm", 2, 3, rng), rng.uniform(size=(6, 2))))
    with pytest.raises(ValueError, match="no readout"):
        job.start(RunSettings(False, 5, 0.01, 3, 0))
    assert job.state == "idle" and job.trainer is None
    run(job, steps=5, from_scratch=True, hidden_size=5)
    assert job.result is not None and job.result.hidden_size == 5


def test_apply_and_revert_follow_the_session_generation(job: TrainingJob) -> None:
    session = job.session
    original = session.network
    run(job)
    first = job.result
    job.apply()
    assert session.network is first and session.title == "xyz (trained)"
    assert job.can_revert and not job.can_apply
    run(job)
    second = job.result
    job.apply()
    assert session.network is second and session.title == "xyz (trained)"
    job.revert()
    assert session.network is first and job.can_revert  # the earlier Apply can go too
    job.revert()
    assert session.network is original and session.title == "xyz"
    assert not job.can_revert and job.history == []


def test_revert_is_refused_once_something_else_was_loaded(job: TrainingJob) -> None:
    session = job.session
    run(job)
    trained = job.result
    job.apply()
    other = Network.random("lstm", 3, 2, np.random.default_rng(5), vocab=session.network.vocab)
    session.load(other, ["x", "y"], title="other")
    assert not job.can_revert
    # The same network object back on screen is a new load, not what Apply loaded.
    session.load(trained, ["x", "y", "z"], title="again")
    assert not job.can_revert
    job.revert()
    assert session.network is trained and session.title == "again"


def test_a_gru_in_the_window_trains_too() -> None:
    """A GRU is drawn in the window now; its training dock runs the NumPy trainer."""
    vocab = Vocabulary(("x", "y", "z"), "word")
    network = Network.random("gru", 3, 4, np.random.default_rng(2), output_size=3, vocab=vocab)
    gru_job = TrainingJob(Session(network, ["x", "y", "z"] * 5, title="xyz"))
    run(gru_job, steps=40)
    losses = [loss for _, loss in gru_job.losses]
    assert losses[-1] < losses[0]
    assert gru_job.result is not None and gru_job.result.kind == "gru"
    assert gru_job.trainer is not None and gru_job.trainer.loops_name == "NumPy"
