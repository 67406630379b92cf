"""Training refuses data holding NaN or infinity, and stops at the first update whose
loss is not finite, naming it, before the optimiser uses that update's gradients."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.model.training import (
    NonFiniteLoss,
    SequenceData,
    TrainConfig,
    Trainer,
    new_network,
)


@pytest.mark.parametrize("which", ["inputs", "targets"])
def test_sequence_data_with_nan_or_inf_is_refused_naming_the_first(which):
    x, y = np.zeros((3, 5, 2)), np.zeros((3, 5, 1))
    (x if which == "inputs" else y)[2, 3, 0] = -np.inf
    with pytest.raises(ValueError, match=rf"{which} of shape .* the first -inf at .* \(2, 3, 0\)"):
        SequenceData(x, y)


def test_a_diverging_loss_stops_training_before_it_changes_the_weights():
    rng = np.random.default_rng(0)
    values = np.linspace(0, 1, 4 * 6).reshape(4, 6, 1)
    targets = values.copy()
    targets[3, 4, 0] = 1e30  # finite, but its squared error overflows float32
    data = SequenceData(values, targets)
    network = new_network(data, "lstm", 3, 1, rng)
    trainer = Trainer(network, data, TrainConfig(steps=40, batch_size=1, seq_len=6), rng)
    weights_before_update: dict[str, np.ndarray] = {}
    real_step = trainer.train_step

    def remembering(chunk, state):
        weights_before_update.update(trainer.result().state_dict())
        return real_step(chunk, state)

    trainer.train_step = remembering  # type: ignore[method-assign]
    with pytest.raises(NonFiniteLoss, match=r"update (\d+) of 40: the loss is inf .*sequences 3,"):
        list(trainer.run())
    after = trainer.result().state_dict()
    assert all(np.array_equal(after[k], weights_before_update[k]) for k in after)
    assert all(np.isfinite(value).all() for value in after.values())
