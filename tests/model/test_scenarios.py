"""The scenario registry: order and lookup, the inputs the window opens on, descriptions
read from the models, and checks that fail for a model that does not do the thing."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model import scenario_registry as registry
from lstm_sim.model.scenario_registry import SCENARIOS, Scenario, described_unit, get
from lstm_sim.model.scenarios import counting, gender_stories

NAMES = ("simple-rnn", "subject-gender", "long-lag", "counting", "sine")


def test_scenarios_come_in_the_lectures_order_with_slug_names() -> None:
    assert tuple(s.name for s in SCENARIOS) == NAMES
    for scenario in SCENARIOS:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", scenario.name)
        assert scenario.title and scenario.summary and scenario.claim
        assert "\n" not in scenario.summary
    assert len(get("long-lag").models) == 2
    assert all(len(get(name).models) == 1 for name in NAMES if name != "long-lag")


def test_get_finds_each_scenario_and_lists_the_names_otherwise() -> None:
    for scenario in SCENARIOS:
        assert get(scenario.name) is scenario
    with pytest.raises(ValueError, match="no scenario 'gender'") as error:
        get("gender")
    assert all(name in str(error.value) for name in NAMES)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=NAMES)
def test_opening_input_is_short_repeatable_and_records(scenario: Scenario) -> None:
    first, again = scenario.default_input(), scenario.default_input()
    steps = len(first)
    assert 20 <= steps <= 60
    if isinstance(first, np.ndarray):
        assert first.shape == (steps, 1)
        np.testing.assert_array_equal(first, again)
    else:
        assert first == again
    for network in scenario.load_networks():
        trace = record(network, first)
        assert trace.num_steps == steps
        assert np.all(np.isfinite(trace.h))
        assert trace.logits is not None and np.all(np.isfinite(trace.logits))


def test_opening_inputs_show_the_effect() -> None:
    story = registry.opening_story_data()
    assert story.tokens == get("subject-gender").default_input()
    starts = np.flatnonzero(story.introduced)
    # he, she, he: the gender unit has two flips to show.
    np.testing.assert_array_equal(story.gender[starts], [1, -1, 1])
    stream = registry.opening_counting_data()
    np.testing.assert_array_equal(stream.lengths, [8, 7, 6])
    recall = get("long-lag").default_input()
    assert recall[0] in ("A", "B") and recall[-1] == "?" and len(recall) == 52


@pytest.mark.parametrize("scenario", SCENARIOS, ids=NAMES)
def test_description_names_the_unit_stored_with_the_model(scenario: Scenario) -> None:
    network = scenario.load_networks()[0]
    unit, _ = described_unit(network)
    description = scenario.description()
    assert description == network.metadata["description"]
    assert re.search(rf"\b[Uu]nit {unit}\b", description)
    assert re.search(r"step \d+", description)


def test_described_unit_must_be_in_the_metadata_and_fit() -> None:
    network = Network.random("lstm", 3, 4, np.random.default_rng(0), output_size=3)
    with pytest.raises(ValueError, match="'unit' and 'unit_sign'"):
        described_unit(network)
    network.metadata.update({"unit": "4", "unit_sign": "1"})
    with pytest.raises(ValueError, match="does not fit hidden size 4"):
        described_unit(network)
    network.metadata["unit"] = "3"
    assert described_unit(network) == (3, 1)


def untrained_counter(rng: np.random.Generator) -> Network:
    network = Network.random(
        "lstm",
        3,
        16,
        rng,
        output_size=3,
        vocab=Vocabulary(counting.VOCABULARY),
        dtype=np.float32,
    )
    network.metadata.update({"unit": "0", "unit_sign": "1"})
    return network


def test_checks_fail_for_untrained_models() -> None:
    rng = np.random.default_rng(0)
    result = get("counting").check([untrained_counter(rng)])
    assert not result.passed
    assert result.numbers["accuracy"] < 0.95
    lstm, rnn = get("long-lag").load_networks()
    blank = Network.random(
        "lstm", lstm.input_size, 32, rng, output_size=lstm.output_size, vocab=lstm.vocab
    )
    blank.metadata.update(lstm.metadata)
    result = get("long-lag").check([blank, rnn])
    assert not result.passed
    assert result.numbers["lstm_accuracy"] < 0.95


def test_a_check_refuses_networks_of_the_wrong_count_or_kind() -> None:
    lstm, rnn = get("long-lag").load_networks()
    with pytest.raises(ValueError, match="checks 2 network"):
        get("long-lag").check([lstm])
    with pytest.raises(ValueError, match="an LSTM and an RNN of one size"):
        get("long-lag").check([rnn, lstm])
    with pytest.raises(ValueError, match="linear readout"):
        get("sine").check([lstm])


def test_gender_check_reads_the_models_own_vocabulary_order() -> None:
    # The same model with its vocabulary and weight columns reversed is the same model.
    (network,) = get("subject-gender").load_networks()
    reordered = network.copy()
    reordered.layers[0].weight_ih = network.layers[0].weight_ih[:, ::-1].copy()
    reordered.readout.weight = network.readout.weight[::-1].copy()  # type: ignore[union-attr]
    reordered.readout.bias = network.readout.bias[::-1].copy()  # type: ignore[union-attr]
    reordered.vocab = Vocabulary(network.vocab.tokens[::-1], "word")  # type: ignore[union-attr]
    original = get("subject-gender").check([network]).numbers
    assert get("subject-gender").check([reordered]).numbers == pytest.approx(original)
    assert set(gender_stories.vocabulary()) == set(network.vocab.tokens)  # type: ignore[union-attr]
