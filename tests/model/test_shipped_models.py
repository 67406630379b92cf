"""Each shipped scenario model does what its description claims, re-measured on held-out
data (issue 5's acceptance), and carries where it came from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.model.code_reader import MODEL_RESOURCE
from lstm_sim.model.scenario_registry import SCENARIOS, CheckResult, Scenario, get, trained_by
from lstm_sim.resources import resource_path

# Every check here re-runs a scenario's model on its held-out data.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent.parent
NAMES = tuple(s.name for s in SCENARIOS)


@pytest.fixture(scope="module")
def results() -> dict[str, CheckResult]:
    return {scenario.name: scenario.check() for scenario in SCENARIOS}


@pytest.mark.parametrize("name", NAMES)
def test_shipped_model_passes_its_check(results: dict[str, CheckResult], name: str) -> None:
    assert results[name].passed, results[name]


def test_subject_gender_pronouns_agree_on_held_out_stories(
    results: dict[str, CheckResult],
) -> None:
    numbers = results["subject-gender"].numbers
    assert numbers["accuracy"] >= 0.95
    assert numbers["pronoun_positions"] >= 200
    assert numbers["chance"] < 0.6 and numbers["unit_auc"] >= 0.9


def test_long_lag_lstm_recalls_and_the_rnn_guesses(results: dict[str, CheckResult]) -> None:
    numbers = results["long-lag"].numbers
    assert numbers["lag"] == 50
    assert numbers["lstm_accuracy"] >= 0.95
    assert abs(numbers["rnn_accuracy"] - numbers["chance"]) <= 0.1


def test_a_gru_recalls_beside_the_lstm_and_its_unit_holds_the_symbol(
    results: dict[str, CheckResult],
) -> None:
    numbers = results["gru-vs-lstm"].numbers
    assert numbers["lag"] == 50
    assert numbers["gru_accuracy"] >= 0.95 and numbers["lstm_accuracy"] >= 0.95
    assert abs(numbers["rnn_accuracy"] - numbers["chance"]) <= 0.1
    assert numbers["gru_unit_auc"] >= 0.9
    # The same LSTM and RNN as the long-lag scenario, measured on the same held-out data.
    for key in ("lstm_accuracy", "rnn_accuracy"):
        assert numbers[key] == results["long-lag"].numbers[key]
    assert [n.kind for n in get("gru-vs-lstm").load_networks()] == ["gru", "lstm", "rnn"]


def test_counting_finds_the_ends_that_only_a_count_predicts(
    results: dict[str, CheckResult],
) -> None:
    numbers = results["counting"].numbers
    assert numbers["end_accuracy"] >= 0.95 and numbers["accuracy"] >= 0.95
    # Without counting the ends are unpredictable: the current symbol alone says 'b'.
    assert numbers["bigram_end_accuracy"] < 0.5
    assert numbers["unit_correlation"] >= 0.9


def test_wave_models_beat_repeating_the_input(results: dict[str, CheckResult]) -> None:
    simple, lstm = results["simple-rnn"].numbers, results["sine"].numbers
    assert simple["mse"] <= 0.5 * simple["repeat_input_mse"]
    assert lstm["mse"] < lstm["noise_variance"] < lstm["repeat_input_mse"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=NAMES)
def test_metadata_records_provenance_and_the_measured_numbers(
    scenario: Scenario, results: dict[str, CheckResult]
) -> None:
    for resource, network in zip(scenario.models, scenario.load_networks(), strict=True):
        if trained_by(resource) is not scenario:
            continue  # shown beside this scenario's own: its trainer's provenance is checked
        meta = network.metadata
        assert meta["scenario"] == scenario.name and meta["claim"] == scenario.claim
        assert meta["command"] == f"python scripts/train_scenarios.py {scenario.name}"
        assert (REPO / "scripts" / "train_scenarios.py").is_file()
        assert int(meta["seed"]) >= 0 and "Adam updates" in meta["trained_with"]
        for key, value in results[scenario.name].numbers.items():
            assert float(meta[f"measured_{key}"]) == pytest.approx(value, rel=1e-3, abs=1e-6)
    assert get("long-lag").load_networks()[1].kind == "rnn"


def test_shipped_models_are_small_and_all_belong_to_a_scenario() -> None:
    shipped = {path for scenario in SCENARIOS for path in scenario.model_paths()}
    folder = resource_path(SCENARIOS[0].models[0]).parent
    # The code reader is a demo view, not a registry scenario; test_code_reader.py checks
    # its claims and its size.
    code_reader = resource_path(MODEL_RESOURCE)
    assert code_reader.parent == folder
    assert set(folder.glob("*.npz")) == shipped | {code_reader}
    assert sum(path.stat().st_size for path in shipped) < 2_000_000
    for scenario in SCENARIOS:
        for network in scenario.load_networks():
            assert network.dtype == np.float32 and network.hidden_size <= 64
