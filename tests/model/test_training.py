"""The trainer: it learns, it is deterministic, it leaves the caller's network alone,
and it stops when asked."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.trace import record
from lstm_sim.model.tasks import make_task
from lstm_sim.model.training import (
    SequenceData,
    TextData,
    TrainConfig,
    Trainer,
    new_network,
    retrained_metadata,
)

TEXT = "abcabcabcabd" * 40


def train_text(seed: int, steps: int = 60):
    data = TextData.from_text(TEXT)
    network = new_network(data, "lstm", 16, 1, np.random.default_rng(seed))
    config = TrainConfig(steps=steps, seq_len=12, batch_size=8, lr=1e-2)
    trainer = Trainer(network, data, config, np.random.default_rng(seed))
    reports = list(trainer.run())
    return network, trainer, reports


def test_text_training_learns_the_pattern_and_leaves_the_input_network_untouched():
    network, trainer, reports = train_text(0, steps=150)
    before = {k: v.copy() for k, v in network.state_dict().items()}
    assert reports[-1].done and not reports[-1].stopped
    assert reports[-1].step == 150
    assert reports[0].loss > 1.0  # near log(4) at the start
    trained = trainer.result()
    for k, v in network.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
        assert not np.array_equal(trained.state_dict()[k], v)
    # After 'ab' comes 'c' (10 times in 11) or 'd': a trained model knows it.
    trace = record(trained, list("abcab"))
    probs = dict(zip(trained.vocab.tokens, trace.probs[-1], strict=True))
    assert probs["c"] > 0.6
    assert probs["c"] + probs["d"] > 0.9


def test_same_seed_gives_the_same_weights():
    _, first, _ = train_text(3, steps=20)
    _, second, _ = train_text(3, steps=20)
    _, other, _ = train_text(4, steps=20)
    for k, v in first.result().state_dict().items():
        np.testing.assert_array_equal(v, second.result().state_dict()[k])
    assert not np.array_equal(
        first.result().layers[0].weight_hh, other.result().layers[0].weight_hh
    )


def test_sine_task_mse_falls_well_below_predicting_zero():
    rng = np.random.default_rng(0)
    data = make_task("sine", rng)
    network = new_network(data, "lstm", 16, 1, rng)
    config = TrainConfig(steps=200, seq_len=48, batch_size=32, lr=1e-2)
    reports = list(Trainer(network, data, config, rng).run())
    baseline = float((data.targets**2).mean())  # the loss of always answering 0, about 0.5
    assert reports[-1].loss < 0.1 * baseline
    assert all(r.grad_norm >= 0 and r.tokens_per_second >= 0 for r in reports)


def test_stop_ends_the_run_cleanly_after_the_current_update():
    data = TextData.from_text(TEXT)
    network = new_network(data, "rnn", 8, 2, np.random.default_rng(0))
    trainer = Trainer(
        network, data, TrainConfig(steps=10_000, seq_len=8, batch_size=4), np.random.default_rng(0)
    )
    run = trainer.run()
    first = next(run)
    assert first.step == 1 and not first.done
    trainer.stop()
    rest = list(run)
    assert rest[-1].done and rest[-1].stopped
    assert trainer.step < 10_000
    assert np.isfinite(trainer.result().layers[1].weight_hh).all()


def test_long_sequences_are_cut_into_chunks_that_carry_the_state():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 20, 2))
    data = SequenceData(x, np.cumsum(x, axis=1)[..., :1])
    network = new_network(data, "lstm", 4, 1, rng)
    trainer = Trainer(network, data, TrainConfig(steps=3, seq_len=8, batch_size=6), rng)
    chunks = [trainer._batches.next() for _ in range(3)]
    rows = trainer._batches.rows
    chunks.append(trainer._batches.next())
    assert [c.inputs.shape[0] for c in chunks] == [8, 8, 4, 8]
    assert [c.carry for c in chunks] == [False, True, True, False]
    assert sorted(rows.tolist()) == list(range(6))
    np.testing.assert_array_equal(chunks[1].inputs, np.swapaxes(x[rows], 0, 1)[8:16])


def test_bad_data_and_config_raise():
    with pytest.raises(ValueError, match="targets have shape"):
        SequenceData(np.zeros((2, 5), np.intp), np.zeros((2, 4), np.intp))
    with pytest.raises(ValueError, match="steps must be at least 1"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="activity_l1 must be at least 0"):
        TrainConfig(steps=1, activity_l1=-0.1)
    with pytest.raises(ValueError, match="training needs at least 2"):
        TextData.from_text("a")


def test_retrained_metadata_drops_the_old_weights_claims_and_says_what_happened():
    shipped = {
        "scenario": "counting",
        "readout_module": "fc",
        "description": "Unit 3 counts the a's.",
        "unit": "3",
        "measured_accuracy": "1.0",
        "command": "python scripts/train_scenarios.py",
    }
    continued = retrained_metadata(shipped, "Counting", 120, 0.4567, from_scratch=False)
    assert set(continued) == {"scenario", "readout_module", "description", "trained_with"}
    assert "Unit 3" not in continued["description"]
    assert "120 updates from Counting, ending at a loss of 0.4567" in continued["description"]
    fresh = retrained_metadata(shipped, "Counting", 1, None, from_scratch=True)
    assert "1 updates from a new model shaped for the data of Counting." in fresh["description"]
    assert shipped["description"] == "Unit 3 counts the a's."  # the caller's dict is untouched


def test_an_activity_penalty_lowers_the_mean_activity_of_the_trained_units():
    data = TextData.from_text(TEXT)

    def mean_activity(weight: float) -> float:
        network = new_network(data, "lstm", 16, 1, np.random.default_rng(3))
        config = TrainConfig(steps=80, seq_len=12, batch_size=8, lr=1e-2, activity_l1=weight)
        trainer = Trainer(network, data, config, np.random.default_rng(3))
        list(trainer.run())
        return float(np.abs(record(trainer.result(), list(TEXT[:200])).h).mean())

    assert mean_activity(0.05) < 0.7 * mean_activity(0.0)
