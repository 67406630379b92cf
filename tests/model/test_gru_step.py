"""A GRU step's numbers for the comparison window: read from the trace, consistent with
the GRU's update, and refused for another kind or out-of-range indices."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.gru_step import gru_step_numbers


def test_numbers_follow_the_update_and_rank_the_outputs() -> None:
    vocab = Vocabulary(("a", "b", "c"))
    net = Network.random("gru", 3, 4, np.random.default_rng(0), output_size=3, vocab=vocab)
    trace = record(net, ["a", "c", "b", "b"])
    s = gru_step_numbers(net, trace, 2, 1)
    assert s.token == "b" and s.h == trace.h[0, 2, 1] and s.h_prev == trace.h[0, 1, 1]
    assert s.h == pytest.approx((1 - s.z) * s.n + s.z * s.h_prev, rel=1e-12)
    assert s.mean_z == pytest.approx(trace.gate("z")[0, 2].mean())
    assert trace.probs is not None
    assert [p for _, p in s.top] == sorted(trace.probs[2], reverse=True)
    assert {label for label, _ in s.top} == {"a", "b", "c"}


def test_other_kinds_and_indices_out_of_range_are_refused() -> None:
    lstm = Network.random("lstm", 2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="expected a GRU"):
        gru_step_numbers(lstm, record(lstm, np.zeros((3, 2))), 0, 0)
    gru = Network.random("gru", 2, 3, np.random.default_rng(0))
    trace = record(gru, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="step 3 is out of range"):
        gru_step_numbers(gru, trace, 3, 0)
    with pytest.raises(ValueError, match="unit 3 is out of range"):
        gru_step_numbers(gru, trace, 0, 3)
    assert gru_step_numbers(gru, trace, 0, 0).top == ()
