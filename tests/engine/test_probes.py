"""Unit probes against answers known by construction or by brute force."""

import numpy as np
import pytest

from lstm_sim.engine.network import Network
from lstm_sim.engine.probes import (
    average_ranks,
    find_switch_unit,
    gate_saturation,
    pearson,
    rank_units,
    roc_auc,
    saturation,
)
from lstm_sim.engine.trace import record


def brute_force_auc(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Count (positive, negative) pairs ordered correctly, ties counting half."""
    pos, neg = values[labels], values[~labels]
    greater = (pos[:, None, :] > neg[None, :, :]).sum(axis=(0, 1))
    ties = (pos[:, None, :] == neg[None, :, :]).sum(axis=(0, 1))
    return (greater + 0.5 * ties) / (len(pos) * len(neg))


def test_auc_equals_pairwise_count_with_many_ties() -> None:
    rng = np.random.default_rng(0)
    labels = rng.uniform(size=300) < 0.3
    # Rounded values: many ties inside and across the classes.
    values = np.round(rng.normal(size=(300, 6)) + labels[:, None] * [0, 0.5, 1, 2, -1, 0], 1)
    values[:, 5] = 0.25  # a constant unit: every pair is a tie
    auc = roc_auc(values, labels)
    np.testing.assert_allclose(auc, brute_force_auc(values, labels), rtol=0, atol=1e-12)
    assert auc[5] == 0.5
    assert auc[3] > 0.8 and auc[4] < 0.4


def test_average_ranks_share_tied_ranks() -> None:
    values = np.array([[3.0], [1.0], [3.0], [2.0], [3.0]])
    np.testing.assert_array_equal(average_ranks(values)[:, 0], [4.0, 1.0, 4.0, 2.0, 4.0])


def test_perfect_separation_and_its_complement() -> None:
    labels = np.array([0, 1, 1, 0, 1, 0, 0], dtype=bool)
    values = np.stack([labels * 1.0, -(labels * 1.0) + 0.1], axis=1)
    np.testing.assert_array_equal(roc_auc(values, labels), [1.0, 0.0])
    ranking = rank_units(values, labels, "auc")
    np.testing.assert_array_equal(ranking.scores, [1.0, 1.0])
    np.testing.assert_array_equal(ranking.units, [0, 1])
    np.testing.assert_array_equal(ranking.signs, [1, -1])


def test_rank_units_finds_the_unit_planted_in_noise() -> None:
    rng = np.random.default_rng(1)
    labels = rng.uniform(size=500) < 0.5
    values = rng.normal(size=(500, 20))
    values[:, 13] -= 3.0 * labels  # low inside the label: tracks it with sign -1
    values[:, 4] += 1.0 * labels
    ranking = rank_units(values, labels, "auc")
    assert list(ranking.units[:2]) == [13, 4]
    assert ranking.best == 13 and ranking.signs[0] == -1
    assert ranking.scores[0] > 0.95
    assert np.all(np.diff(ranking.scores) <= 0)
    assert ranking.raw[13] < 0.05


def test_pearson_matches_numpy_corrcoef_and_ranks_by_magnitude() -> None:
    rng = np.random.default_rng(2)
    depth = rng.integers(0, 5, size=200).astype(float)
    values = rng.normal(size=(200, 4))
    values[:, 1] += 2 * depth
    values[:, 2] -= 5 * depth
    values[:, 3] = 7.0  # constant: tracks nothing
    r = pearson(values, depth)
    for unit in range(3):
        assert r[unit] == pytest.approx(np.corrcoef(values[:, unit], depth)[0, 1], abs=1e-12)
    assert r[3] == 0.0
    ranking = rank_units(values, depth, "correlation")
    assert list(ranking.units[:2]) == [2, 1]
    assert ranking.signs[0] == -1 and ranking.signs[1] == 1


def test_saturation_counts_each_side() -> None:
    gates = np.array([[0.05, 0.5], [0.95, 0.5], [0.5, 0.01], [0.02, 0.1]])
    result = saturation(gates)
    np.testing.assert_array_equal(result.left, [0.5, 0.25])
    np.testing.assert_array_equal(result.right, [0.25, 0.0])


def test_gate_saturation_pools_traces() -> None:
    rng = np.random.default_rng(3)
    network = Network.random("lstm", 2, 4, rng)
    network.layers[0].bias_ih[4:8] = 50.0  # forget gate always open: right-saturated
    network.layers[0].bias_ih[12:16] = -50.0  # output gate always shut: left-saturated
    traces = [record(network, rng.normal(size=(n, 2))) for n in (10, 30)]
    result = gate_saturation(traces, 0)
    np.testing.assert_array_equal(result["f"].right, 1.0)
    np.testing.assert_array_equal(result["o"].left, 1.0)
    i_values = np.concatenate([t.gate("i")[0] for t in traces])
    np.testing.assert_array_equal(result["i"].left, (i_values < 0.1).mean(axis=0))


def test_bad_inputs_raise_value_error() -> None:
    with pytest.raises(ValueError, match="labels has shape"):
        roc_auc(np.zeros((5, 2)), np.zeros(4, dtype=bool))
    with pytest.raises(ValueError, match="both classes"):
        roc_auc(np.zeros((5, 2)), np.ones(5, dtype=bool))
    with pytest.raises(ValueError, match="constant"):
        pearson(np.random.default_rng(0).normal(size=(5, 2)), np.ones(5))
    with pytest.raises(ValueError, match="kind"):
        rank_units(np.zeros((5, 2)), np.arange(5), "mutual")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NaN"):
        roc_auc(np.full((3, 1), np.nan), np.array([True, False, True]))


def test_find_switch_unit_finds_the_unit_and_its_reset_steps() -> None:
    rng = np.random.default_rng(4)
    steps, hidden = 400, 6
    switches = np.zeros(steps, dtype=bool)
    switches[rng.choice(np.arange(10, steps - 5, 10), size=25, replace=False)] = True
    # The state flips at random switches (some keep the same value, as a new person of
    # the same gender would); it is undefined before the first switch.
    flips = rng.uniform(size=steps) < 0.5
    state = np.cumsum(switches & flips) % 2 == 1
    known = np.cumsum(switches) > 0
    cell = rng.normal(size=(steps, hidden))
    cell[:, 2] = np.where(state, -1.0, 1.0) + 0.3 * rng.normal(size=steps)
    forget = rng.uniform(0.5, 1.0, size=(steps, hidden))
    reset = np.flatnonzero(switches) + 1  # the model closes the gate one step late
    forget[reset, 2] = 0.01
    found = find_switch_unit(cell, forget, state, known, switches)
    assert found.unit == 2 and found.sign == -1 and found.score > 0.99
    np.testing.assert_array_equal(found.reset_steps, reset)
    np.testing.assert_array_equal(found.forget_at_reset, 0.01)
    assert found.ranking.units[0] == 2
    with pytest.raises(ValueError, match="switches has shape"):
        find_switch_unit(cell, forget, state, known, switches[:-1])


def test_ranking_a_block_of_units_at_a_time_gives_the_same_scores(monkeypatch) -> None:
    from lstm_sim.engine import probes

    rng = np.random.default_rng(12)
    values = np.round(rng.normal(size=(400, 37)), 1).astype(np.float32)  # ties too
    binary = rng.random(400) < 0.3
    numeric = rng.integers(0, 5, 400)
    whole_auc, whole_r = probes.roc_auc(values, binary), probes.pearson(values, numeric)
    monkeypatch.setattr(probes, "UNIT_BLOCK_ELEMENTS", 400 * 5)  # blocks of 5 units
    assert len(probes._unit_blocks(values)) == 8
    np.testing.assert_array_equal(probes.roc_auc(values, binary), whole_auc)
    np.testing.assert_allclose(probes.pearson(values, numeric), whole_r, rtol=0, atol=1e-15)
    bad = values.copy()
    bad[3, 36] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        probes.roc_auc(bad, binary)
