"""Opening anything, without Qt: every way in records how the network came to be open,
fires one signal, and a load that fails leaves the session as it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.formats import save_native
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network, random_model
from lstm_sim.model.opening import Opener, Opening
from lstm_sim.model.scenario_registry import described_unit, get


@pytest.fixture
def opener() -> Opener:
    return Opener(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))


def record_openings(opener: Opener) -> list[Opening]:
    seen: list[Opening] = []
    opener.opened.connect(seen.append)
    return seen


def test_the_demo_is_what_a_fresh_opener_finds(opener: Opener) -> None:
    assert opener.current.kind == "demo" and opener.current.title == DEMO_TITLE


def test_a_file_opens_on_default_inputs(opener: Opener, tmp_path: Path) -> None:
    network, _ = random_model("rnn", 3, 6, 1, seed=2, steps=4)
    path = save_native(network, tmp_path / "tiny.npz")
    seen = record_openings(opener)
    opening = opener.open_file(path)
    assert seen == [opening] and opener.current is opening
    assert (opening.kind, opening.source, opening.title) == ("file", str(path), "tiny.npz")
    session = opener.session
    assert session.title == "tiny.npz" and session.network.hidden_size == 6
    assert opening.view is None and opening.partners == ()


def test_a_broken_file_changes_nothing(opener: Opener, tmp_path: Path) -> None:
    session = opener.session
    network, trace, before = session.network, session.trace, opener.current
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a zip")
    seen = record_openings(opener)
    with pytest.raises(ValueError, match=r"broken\.pt"):
        opener.open_file(bad)
    assert session.network is network and session.trace is trace
    assert opener.current is before and seen == []


def test_a_scenario_opens_its_model_input_and_unit() -> None:
    opener = Opener(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
    scenario = get("counting")
    opening = opener.open_scenario("counting")
    session = opener.session
    shipped = scenario.load_networks()[0]
    assert (opening.kind, opening.source, opening.title) == ("scenario", "counting", scenario.title)
    assert session.title == scenario.title
    assert session.tokens == scenario.default_input()
    assert session.unit == described_unit(shipped)[0] > 0
    np.testing.assert_array_equal(session.network.layers[0].weight_hh, shipped.layers[0].weight_hh)
    assert opening.view is None


def test_scenarios_carry_their_view_hints(opener: Opener) -> None:
    pair = opener.open_scenario("long-lag")
    assert pair.view == "gradient_comparison"
    assert [n.kind for n in pair.partners] == ["rnn"]
    reader = opener.open_scenario("code-reader")
    assert reader.view == "code_reader" and reader.partners == ()
    assert "code_reader.npz" in opener.session.network.source
    assert opener.session.unit == 0  # the code reader's units are found in its own view


def test_an_unknown_scenario_names_the_known_ones(opener: Opener) -> None:
    with pytest.raises(ValueError, match=r"the scenarios are simple-rnn.*code-reader"):
        opener.open_scenario("no-such-demo")
    assert opener.current.kind == "demo"


def test_a_random_model_opens_on_its_seeded_input(opener: Opener) -> None:
    opening = opener.open_random("lstm", 2, 5, 2, seed=3, steps=7)
    session = opener.session
    assert opening.kind == "random" and opening.title == "random LSTM (seed 3)"
    assert (session.network.num_layers, session.num_steps) == (2, 7)
    _, inputs = random_model("lstm", 2, 5, 2, seed=3, steps=7)
    np.testing.assert_allclose(session.trace.x, inputs)


def test_a_load_past_the_opener_is_recorded_as_a_session(opener: Opener) -> None:
    network, inputs = random_model("rnn", 2, 3, 1, seed=0, steps=3)
    seen = record_openings(opener)
    opener.session.load(network, inputs, title="direct")
    assert seen == []
    assert (opener.current.kind, opener.current.title) == ("session", "direct")
    opener.detach()
    opener.session.load(demo_network(), demo_inputs(), title=DEMO_TITLE)
    assert opener.current.title == "direct"
