"""The tour's state: stops visited in order, each applied to the session as it says."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network
from lstm_sim.model.opening import Opener
from lstm_sim.model.tour import STOPS
from lstm_sim.model.tour_state import TourState


@pytest.fixture(scope="module")
def visited() -> list[tuple[object, ...]]:
    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    tour = TourState(Opener(session))
    seen = []
    events: list[object] = []
    tour.changed.connect(events.append)
    tour.start()
    while True:
        shown = tour.shown
        assert shown is not None
        seen.append(
            (
                shown,
                session.t,
                session.phases[session.phase].key,
                session.unit,
                tour.opener.current.source,
                session.network,
                session.trace,
            )
        )
        if not tour.next():
            break
    assert events == [s[0] for s in seen]
    return seen


def test_every_stop_is_visited_in_order(visited) -> None:
    assert [s[0].stop.key for s in visited] == [stop.key for stop in STOPS]
    assert [s[0].index for s in visited] == list(range(len(STOPS)))


def test_each_stop_opens_its_scenario_at_its_phase_and_step(visited) -> None:
    for shown, t, phase_key, unit, source, network, trace in visited:
        stop = shown.stop
        assert source == stop.opens
        rnn_phases = ("arrive", "hidden")
        in_rnn = network.kind != "rnn" or stop.phase in rnn_phases
        expected_phase = stop.phase if in_rnn else "hidden"
        assert phase_key == expected_phase, stop.key
        want_t, want_unit = stop.locate(network, trace)
        assert (t, shown.unit) == (want_t, want_unit), stop.key
        if want_unit is not None:
            assert unit == want_unit
            assert shown.caption == stop.narration


def test_the_forget_stop_sits_where_the_unit_forgets_most(visited) -> None:
    _, t, _, unit, _, _, trace = next(s for s in visited if s[0].stop.key == "forget")
    forget = trace.gate("f")[0, 1:, unit]
    assert t == 1 + int(np.argmin(forget))
    assert forget[t - 1] < 0.5


def test_a_stop_whose_unit_the_model_does_not_name_says_so(visited) -> None:
    shown = next(s[0] for s in visited if s[0].stop.key == "indentation")
    if shown.unit is None:
        assert "names no 'indent' unit" in shown.caption
        assert shown.caption != shown.stop.narration
    else:
        assert shown.caption == shown.stop.narration


def test_leave_and_resume_return_to_the_stop() -> None:
    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    tour = TourState(Opener(session))
    tour.start("forget")
    where = (session.t, session.phase)
    session.first()
    tour.leave()
    assert not tour.active and tour.shown is None
    assert (session.t, session.phase) == (0, 0)  # leaving does not move the cursor
    shown = tour.resume()
    assert tour.active and shown.stop.key == "forget"
    assert (session.t, session.phase) == where
    assert tour.previous() and tour.shown.stop.key == "belt"


def test_unknown_stop_is_refused() -> None:
    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    tour = TourState(Opener(session))
    with pytest.raises(ValueError, match="no tour stop 'nope'"):
        tour.start("nope")
    assert not tour.active


def test_the_output_stop_shows_the_gender_read_out(visited) -> None:
    # The narration says the gate is open and the stored sign reaches h before the pronoun.
    _, t, _, unit, _, _, trace = next(s for s in visited if s[0].stop.key == "output")
    tokens = trace.tokens
    assert tokens is not None and tokens[t + 1] in ("he", "she", "his", "her", "him", "hers")
    assert trace.gate("o")[0, t, unit] > 0.5
    c, h = trace.c[0, t, unit], trace.h[0, t, unit]
    assert np.sign(c) == np.sign(h) and abs(h) > 0.3


def test_opening_something_else_steps_out_of_the_tour() -> None:
    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    opener = Opener(session)
    tour = TourState(opener)
    tour.start("forget")
    opener.open_scenario("sine")
    assert not tour.active and tour.shown is None
    assert tour.resume().stop.key == "forget"
    assert opener.current.source == "subject-gender"
    tour.detach()
