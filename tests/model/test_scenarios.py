"""The scenario registry: order and lookup, the inputs the window opens on, descriptions
read from the models, checks that fail for a model that does not do the thing, and the
training data and settings that match the shipped models."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model import scenario_registry as registry
from lstm_sim.model.scenario_registry import SCENARIOS, Scenario, described_unit, get, scenario_of
from lstm_sim.model.scenarios import counting, gender_stories
from lstm_sim.model.training import SequenceData, TextData, TrainConfig

NAMES = ("simple-rnn", "subject-gender", "long-lag", "gru-vs-lstm", "counting", "sine")
PAIRED = {"long-lag": 2, "gru-vs-lstm": 3}  # how many models the comparisons show


def test_scenarios_come_in_the_lectures_order_with_slug_names() -> None:
    assert tuple(s.name for s in SCENARIOS) == NAMES
    for scenario in SCENARIOS:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", scenario.name)
        assert scenario.title and scenario.summary and scenario.claim
        assert "\n" not in scenario.summary
    assert all(len(get(name).models) == PAIRED.get(name, 1) for name in NAMES)
    # The GRU comparison shows the long-lag scenario's LSTM and RNN beside its GRU.
    assert get("gru-vs-lstm").models[1:] == get("long-lag").models


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
    story = gender_stories.opening_story_data()
    assert story.tokens == get("subject-gender").default_input()
    starts = np.flatnonzero(story.introduced)
    # he, she, he: the gender unit has two flips to show.
    np.testing.assert_array_equal(story.gender[starts], [1, -1, 1])
    stream = counting.opening_counting_data()
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


def test_the_gru_check_fails_for_an_untrained_gru_and_wrong_kinds() -> None:
    gru, lstm, rnn = get("gru-vs-lstm").load_networks()
    blank = Network.random(
        "gru", gru.input_size, 32, np.random.default_rng(0), output_size=gru.output_size,
        vocab=gru.vocab,
    )  # fmt: skip
    blank.metadata.update(gru.metadata)
    result = get("gru-vs-lstm").check([blank, lstm, rnn])
    assert not result.passed and result.numbers["gru_accuracy"] < 0.95
    assert result.numbers["lstm_accuracy"] >= 0.95  # the same LSTM still recalls
    with pytest.raises(ValueError, match="a GRU, an LSTM and an RNN of one size"):
        get("gru-vs-lstm").check([lstm, rnn, gru])


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


# -- how the shipped models were trained -----------------------------------------------
def trained_with(config: TrainConfig) -> str:
    """The training script's record of a config, as it writes it into the metadata."""
    return (
        f"lstm-sim Trainer: {config.steps} Adam updates, batch {config.batch_size}, "
        f"sequence length {config.seq_len}, lr {config.lr:g}, clip {config.clip:g}"
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=NAMES)
def test_training_data_and_network_fit_the_shipped_models(scenario: Scenario) -> None:
    data = scenario.training_data(np.random.default_rng(registry.TRAINING_SEED))
    for shipped in scenario.load_networks():
        assert shipped.metadata["trained_with"] == trained_with(scenario.train_config)
        if isinstance(data, TextData):
            assert data.vocab == shipped.vocab
            assert data.ids.min() >= 0 and data.ids.max() < len(data.vocab)
            assert data.ids.size > 10 * scenario.train_config.seq_len
        else:
            assert data.inputs.shape[1] == scenario.train_config.seq_len
            assert data.output_size == shipped.output_size
            if data.inputs.ndim == 2:
                assert data.vocab == shipped.vocab
            else:
                assert data.inputs.shape[2] == shipped.input_size
        fresh = scenario.new_network(data, shipped.kind, np.random.default_rng(0))
        assert {k: v.shape for k, v in fresh.state_dict().items()} == {
            k: v.shape for k, v in shipped.state_dict().items()
        }
        assert fresh.readout.kind == shipped.readout.kind  # type: ignore[union-attr]


def test_training_data_is_drawn_from_the_generator() -> None:
    scenario = get("counting")
    first = scenario.training_data(np.random.default_rng(3))
    again = scenario.training_data(np.random.default_rng(3))
    other = scenario.training_data(np.random.default_rng(4))
    assert isinstance(first, TextData) and isinstance(other, TextData)
    np.testing.assert_array_equal(first.ids, again.ids)  # type: ignore[union-attr]
    assert not np.array_equal(first.ids[:1000], other.ids[:1000])
    # a^n b^n: every string has as many a's as b's.
    a, b = counting.VOCABULARY.index("a"), counting.VOCABULARY.index("b")
    assert np.count_nonzero(first.ids == a) == np.count_nonzero(first.ids == b)


def test_long_lag_networks_start_with_the_forget_gate_open() -> None:
    scenario = get("long-lag")
    data = scenario.training_data(np.random.default_rng(0))
    assert isinstance(data, SequenceData) and data.loss == "xent"
    # Only the query step has a target: the first symbol.
    np.testing.assert_array_equal(data.targets[:, -1], data.inputs[:, 0])
    assert np.all(data.targets[:, :-1] == -1)
    lstm = scenario.new_network(data, "lstm", np.random.default_rng(0))
    hidden = lstm.hidden_size
    forget = slice(hidden, 2 * hidden)
    np.testing.assert_array_equal(lstm.layers[0].bias_ih[forget], 3.0)
    np.testing.assert_array_equal(lstm.layers[0].bias_hh[forget], 0.0)
    assert np.all(np.abs(lstm.layers[0].bias_ih[:hidden]) < 1.0)  # the input gate as usual
    rnn = scenario.new_network(data, "rnn", np.random.default_rng(0), hidden_size=8)
    assert rnn.hidden_size == 8 and np.all(np.abs(rnn.layers[0].bias_ih) < 1.0)


def test_scenario_of_reads_the_models_metadata() -> None:
    for scenario in SCENARIOS:
        for resource, network in zip(scenario.models, scenario.load_networks(), strict=True):
            assert scenario_of(network) is registry.trained_by(resource)
    assert registry.trained_by(get("gru-vs-lstm").models[1]) is get("long-lag")
    with pytest.raises(ValueError, match="no scenario lists"):
        registry.trained_by("models/scenarios/nothing.npz")
    network = Network.random("lstm", 3, 4, np.random.default_rng(0))
    assert scenario_of(network) is None
    network.metadata["scenario"] = "no-such-scenario"
    assert scenario_of(network) is None
