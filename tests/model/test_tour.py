"""The lecture tour: its stops follow the lecture's order, each finds its step in the
shipped model's own run where the model really does what the narration says, and a unit
the model does not name is reported, never replaced by another."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace, record
from lstm_sim.model import scenario_registry
from lstm_sim.model.phases import LSTM_PHASES, RNN_PHASES
from lstm_sim.model.tour import PRONOUNS, STOPS, chapter_lines, named_unit, stop

LECTURE_ORDER = (
    "rnn",
    "rnn-unrolled",
    "vanishing",
    "lstm",
    "belt",
    "forget",
    "input",
    "update",
    "output",
    "gender",
    "quotes",
    "comments",
    "indentation",
)


@pytest.fixture(scope="module")
def gender() -> tuple[Network, Trace]:
    scenario = scenario_registry.get("subject-gender")
    network = scenario.load_networks()[0]
    return network, record(network, list(scenario.default_input()))


def test_the_stops_follow_the_lecture() -> None:
    assert tuple(s.key for s in STOPS) == LECTURE_ORDER
    phases = {p.key for p in (*LSTM_PHASES, *RNN_PHASES)}
    for s in STOPS:
        assert s.phase in phases, s.key
        sentences = [x for x in re.split(r"(?<=[.!?])\s+", s.narration) if x]
        assert 2 <= len(sentences) <= 4, s.key
        if s.opens != "code-reader":
            scenario_registry.get(s.opens)  # the scenario exists


def test_the_gender_stops_land_where_the_model_acts(gender: tuple[Network, Trace]) -> None:
    network, trace = gender
    unit = int(network.metadata["unit"])
    t_forget, got_unit = stop("forget").locate(network, trace)
    assert got_unit == unit
    f = trace.gate("f")[0, :, unit]
    assert f[t_forget] < 0.2 and f[t_forget] == f[1:].min()
    # The gate that wiped the old value lets the new one in: a large write at that step.
    i, g = trace.gate("i")[0, t_forget, unit], trace.gate("g")[0, t_forget, unit]
    assert abs(i * g) > 0.3
    t_read, _ = stop("output").locate(network, trace)
    assert t_read > t_forget and trace.tokens is not None
    # The readout predicts the next token: the gender is read out just before the pronoun,
    # through an open output gate.
    assert trace.tokens[t_read + 1] in PRONOUNS
    assert trace.gate("o")[0, t_read, unit] > 0.5
    t_belt, _ = stop("belt").locate(network, trace)
    assert trace.gate("f")[0, t_belt, unit] > 0.95


def test_named_units_are_the_models_own() -> None:
    from lstm_sim.model.code_reader import load_code_reader

    network = load_code_reader()
    assert named_unit(network, "in_string") == 156
    assert named_unit(network, "in_comment") == 82
    plain = Network.random("lstm", 2, 3, np.random.default_rng(0))
    assert named_unit(plain) is None
    assert stop("indentation").locate(plain, record(plain, np.zeros((4, 2)))) == (0, None)


def test_lstm_sim_tour_lists_the_chapters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == chapter_lines() and len(lines) == len(STOPS)
    assert lines[0].split()[:2] == ["1.", "rnn"] and "conveyor belt" in lines[4]


def test_the_code_reader_stops_land_inside_a_string_and_a_comment() -> None:
    from lstm_sim.model.code_reader import load_code_reader, shipped_units
    from lstm_sim.model.scenarios.python_code import label_source

    scenario = scenario_registry.get("code-reader")
    network = load_code_reader()
    trace = record(network, list(scenario.default_input()))
    labels = label_source("".join(trace.tokens or ()))
    units = shipped_units(network)
    for key, pattern in (("quotes", "in_string"), ("comments", "in_comment")):
        t, unit = stop(key).locate(network, trace)
        assert unit == units[pattern].unit
        assert labels[pattern][t], key  # the cursor sits inside the string or comment
        # ... where the unit that tracks it is lit: above its value on most characters.
        c = trace.c[0, :, unit] if units[pattern].quantity == "c" else trace.h[0, :, unit]
        assert c[t] > np.median(c), key
    # A text with no comment: the first step, not an arbitrary one.
    plain = record(network, list("x = 1\n"))
    assert stop("comments").locate(network, plain)[0] == 0
