"""The memory ledger sums back to the recorded cell state, exactly up to rounding."""

import numpy as np
import pytest

from lstm_sim.engine.ledger import ledger_history, memory_ledger, suffix_products
from lstm_sim.engine.network import Layer, Network
from lstm_sim.engine.trace import record


def random_trace(seed: int, *, layers: int = 2, dtype: type = np.float64, steps: int = 40):
    rng = np.random.default_rng(seed)
    network = Network.random("lstm", 3, 5, rng, num_layers=layers, dtype=dtype)
    x = rng.normal(size=(steps, 3)).astype(dtype)
    c0 = rng.normal(size=(layers, 5))
    return record(network, x, c0=c0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_contributions_sum_to_c_t_in_float64(seed: int) -> None:
    trace = random_trace(seed)
    for layer in range(trace.num_layers):
        for t in (0, 1, 17, trace.num_steps - 1):
            ledger = memory_ledger(trace, layer, t)
            assert ledger.contributions.shape == (t + 1, 5)
            np.testing.assert_allclose(ledger.total(), trace.c_all[layer, t + 1], atol=1e-12)
            np.testing.assert_array_equal(ledger.c, trace.c_all[layer, t + 1])


def test_contributions_sum_to_c_t_in_float32() -> None:
    trace = random_trace(3, dtype=np.float32, steps=60)
    assert trace.c_all.dtype == np.float32
    ledger = memory_ledger(trace, 1, 59)
    assert ledger.contributions.dtype == np.float64
    np.testing.assert_allclose(ledger.total(), trace.c_all[1, 60], rtol=0, atol=1e-5)


def test_one_unit_matches_the_whole_layer() -> None:
    trace = random_trace(4)
    whole = memory_ledger(trace, 0, 25)
    one = memory_ledger(trace, 0, 25, unit=3)
    assert one.contributions.shape == (26,)
    np.testing.assert_array_equal(one.contributions, whole.contributions[:, 3])
    assert float(one.initial) == whole.initial[3]
    assert float(one.total()) == pytest.approx(float(trace.c_all[0, 26, 3]), abs=1e-12)


def hand_set_network(forget_bias: float, input_bias: float) -> Network:
    """One unit, one input: i = σ(input_bias), f = σ(forget_bias), g = tanh(x), o = 1/2."""
    weight_ih = np.array([[0.0], [0.0], [1.0], [0.0]])
    bias = np.array([input_bias, forget_bias, 0.0, 0.0])
    layer = Layer(weight_ih, np.zeros((4, 1)), bias, np.zeros(4))
    return Network("lstm", [layer])


def test_hand_set_case_matches_hand_computed_values() -> None:
    # ln(1) = 0 → σ = 1/2 for both gates, so step s's write halves at every later step.
    network = hand_set_network(0.0, 0.0)
    x = np.array([[0.3], [-1.2], [0.8]])
    trace = record(network, x, c0=np.array([[2.0]]))
    ledger = memory_ledger(trace, 0, 2, unit=0)
    written = 0.5 * np.tanh(x[:, 0])  # i_s ⊙ g_s
    np.testing.assert_allclose(
        ledger.contributions, written * np.array([0.25, 0.5, 1.0]), rtol=0, atol=1e-15
    )
    np.testing.assert_allclose(ledger.retention, [0.25, 0.5, 1.0], rtol=0, atol=1e-15)
    assert float(ledger.initial) == pytest.approx(2.0 * 0.125, abs=1e-15)
    assert float(ledger.total()) == pytest.approx(float(trace.c_all[0, 3, 0]), abs=1e-15)


def test_a_closed_forget_gate_wipes_earlier_writes_to_exactly_zero() -> None:
    # f = σ(-800) underflows to 0: everything before the last step is forgotten. A
    # ledger that divided cumulative products would produce 0/0 here.
    network = hand_set_network(-800.0, 0.0)
    x = np.linspace(-1.0, 1.0, 30)[:, None]
    trace = record(network, x, c0=np.array([[5.0]]))
    assert trace.gate("f")[0, :, 0].max() == 0.0
    ledger = memory_ledger(trace, 0, 29, unit=0)
    assert np.all(np.isfinite(ledger.contributions))
    np.testing.assert_array_equal(ledger.contributions[:-1], 0.0)
    assert float(ledger.initial) == 0.0
    assert float(ledger.total()) == float(trace.c_all[0, 30, 0])


def test_history_rows_equal_single_ledgers() -> None:
    trace = random_trace(5, layers=1, steps=25)
    contributions, initial = ledger_history(trace, 0, 2)
    assert contributions.shape == (25, 25)
    for t in (0, 9, 24):
        ledger = memory_ledger(trace, 0, t, unit=2)
        np.testing.assert_allclose(contributions[t, : t + 1], ledger.contributions, atol=1e-15)
        np.testing.assert_array_equal(contributions[t, t + 1 :], 0.0)
        assert initial[t] == pytest.approx(float(ledger.initial), abs=1e-15)
    np.testing.assert_allclose(contributions.sum(axis=1) + initial, trace.c[0, :, 2], atol=1e-12)


def test_suffix_products_brute_force() -> None:
    f = np.random.default_rng(6).uniform(size=(7, 3))
    expected = np.array([np.prod(f[s + 1 :], axis=0) for s in range(7)])
    np.testing.assert_allclose(suffix_products(f), expected, rtol=1e-15)


def test_bad_arguments_raise_value_error_naming_them() -> None:
    trace = random_trace(7, layers=1, steps=5)
    with pytest.raises(ValueError, match="step 5"):
        memory_ledger(trace, 0, 5)
    with pytest.raises(ValueError, match="unit 9"):
        memory_ledger(trace, 0, 1, unit=9)
    with pytest.raises(ValueError, match="layer 1"):
        memory_ledger(trace, 1, 1)
    rnn = Network.random("rnn", 2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="LSTM"):
        memory_ledger(record(rnn, np.ones((4, 2))), 0, 1)
