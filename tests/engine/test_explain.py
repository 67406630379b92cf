"""The pre-activation terms of explain.py add up to what the trace recorded."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import Network, record
from lstm_sim.engine.explain import gate_block, preactivation_terms


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
def test_terms_sum_to_the_recorded_preactivation_in_every_layer(kind: str) -> None:
    rng = np.random.default_rng(11)
    network = Network.random(kind, 3, 5, rng, num_layers=2)
    trace = record(network, rng.normal(size=(7, 3)), h0=rng.normal(size=(2, 5)))
    gates = "ifgo" if kind == "lstm" else [None]
    for layer in range(2):
        for t in (0, 3, 6):
            for gate in gates:
                terms = preactivation_terms(network, trace, layer, t, gate)
                recorded = trace.pre[layer, t][gate_block(network, gate)]
                np.testing.assert_allclose(terms.total, recorded, rtol=1e-12, atol=1e-12)


def test_terms_are_the_input_the_recurrent_and_the_bias_part() -> None:
    # One unit, one input: every term can be checked by hand.
    rng = np.random.default_rng(0)
    network = Network.random("lstm", 1, 1, rng)
    layer = network.layers[0]
    layer.weight_ih[:] = [[0.5], [2.0], [-1.0], [3.0]]
    layer.weight_hh[:] = [[0.1], [-0.4], [0.2], [0.0]]
    layer.bias_ih[:] = [0.0, 0.3, 0.0, 0.0]
    layer.bias_hh[:] = [0.0, 0.2, 0.0, 0.0]
    trace = record(network, np.array([[1.0], [-2.0]]), h0=np.array([[0.5]]))
    first = preactivation_terms(network, trace, 0, 0, "f")
    assert first.x_part[0] == pytest.approx(2.0 * 1.0)
    assert first.h_part[0] == pytest.approx(-0.4 * 0.5)
    assert first.bias[0] == pytest.approx(0.5)
    second = preactivation_terms(network, trace, 0, 1, "f")
    assert second.x_part[0] == pytest.approx(2.0 * -2.0)
    assert second.h_part[0] == pytest.approx(-0.4 * trace.h[0, 0, 0])


def test_wrong_gate_names_are_refused() -> None:
    rng = np.random.default_rng(1)
    lstm = Network.random("lstm", 2, 3, rng)
    rnn = Network.random("rnn", 2, 3, rng)
    with pytest.raises(ValueError, match="gate must be one of"):
        gate_block(lstm, "z")
    with pytest.raises(ValueError, match="no gate 'f'"):
        gate_block(rnn, "f")
    with pytest.raises(ValueError, match="trace is of a"):
        preactivation_terms(lstm, record(rnn, np.zeros((2, 2))), 0, 0, "f")
