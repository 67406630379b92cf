"""The code reader with a GRU open (gru-vs-lstm opens one beside the demo views): it
colours by h, the only quantity it offers for a GRU, and refuses the LSTM's others."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record
from lstm_sim.gui.code_reader.reader import quantity_values


def test_a_gru_is_coloured_by_h_only() -> None:
    gru = Network.random("gru", 3, 4, np.random.default_rng(0))
    trace = record(gru, np.random.default_rng(1).normal(size=(5, 3)))
    np.testing.assert_array_equal(quantity_values(trace, "h", 0), trace.h[0])
    with pytest.raises(ValueError, match="GRU by h only, not 'c'"):
        quantity_values(trace, "c", 0)
