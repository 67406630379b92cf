"""Both passes of a bidirectional layer at once: each pass's series in time order, taken
from the recorded trace, and where each pass is while the other is followed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record
from lstm_sim.model.both_passes import (
    both_steps_caption,
    output_reader,
    pass_series,
    pass_steps,
    runs_both_ways,
    steps_caption,
)
from lstm_sim.model.session import Session

STEPS = 7


def bidirectional(kind: str) -> Network:
    return Network.random(kind, 3, 4, np.random.default_rng(1), num_layers=2, bidirectional=True)


def inputs() -> np.ndarray:
    return np.random.default_rng(2).normal(size=(STEPS, 3))


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_each_pass_is_its_own_recorded_arrays_in_time_order(kind: str) -> None:
    network = bidirectional(kind)
    trace = record(network, inputs())
    assert trace.h_all_reverse is not None
    for layer in range(2):
        forward = pass_series(trace, layer, "forward", "h")
        reverse = pass_series(trace, layer, "reverse", "h")
        np.testing.assert_array_equal(forward, trace.h_all[layer, 1:])
        # The reverse pass's state after reading x_t sits at index t.
        np.testing.assert_array_equal(reverse, trace.h_all_reverse[layer, :STEPS])
        # What the next layer reads at t is the two, joined.
        np.testing.assert_array_equal(np.hstack([forward, reverse]), trace.layer_output(layer))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_the_series_are_what_the_window_shows_when_it_follows_each_pass(kind: str) -> None:
    session = Session(bidirectional(kind), inputs())
    gates = "ifgo" if kind == "lstm" else "rzn"
    quantities = ("h", "c", *gates) if kind == "lstm" else ("h", *gates)
    for layer in range(2):
        session.select_layer(layer)
        for followed in ("forward", "reverse"):
            session.follow(followed)
            shown = session.shown
            for key in quantities:
                expected = {"h": shown.h, "c": shown.c}.get(key)
                expected = shown.gate(key) if expected is None else expected
                got = pass_series(session.trace, layer, followed, key)
                assert got.shape == (STEPS, 4)
                np.testing.assert_array_equal(got, expected[layer])


def test_a_missing_pass_or_quantity_is_refused_by_name() -> None:
    forward = bidirectional("gru")
    one_way = replace(
        forward, layers=[replace(forward.layers[0], direction="reverse", reverse=None)]
    )
    one_way = replace(one_way, layers=one_way.layers[:1])
    trace = record(one_way, inputs())
    with pytest.raises(ValueError, match="runs reverse only: it has no forward pass"):
        pass_series(trace, 0, "forward", "h")
    with pytest.raises(ValueError, match="a GRU has no cell state c"):
        pass_series(trace, 0, "reverse", "c")
    with pytest.raises(ValueError, match="gate must be one of r, z, n"):
        pass_series(trace, 0, "reverse", "f")
    with pytest.raises(ValueError, match="not 'sideways'"):
        pass_series(trace, 0, "sideways", "h")  # type: ignore[arg-type]
    assert not runs_both_ways(one_way, 0)
    assert runs_both_ways(forward, 1)


def test_the_passes_step_together_from_their_own_ends() -> None:
    # After k + 1 steps the forward pass has read x_0..x_k, the reverse x_{T-1}..x_{T-1-k}.
    assert pass_steps(12, "forward", 3) == {"forward": 3, "reverse": 8}
    assert pass_steps(12, "reverse", 8) == {"reverse": 8, "forward": 3}
    assert pass_steps(12, "forward", 0) == {"forward": 0, "reverse": 11}
    assert pass_steps(1, "reverse", 0) == {"reverse": 0, "forward": 0}
    with pytest.raises(ValueError, match=r"step 12 is outside 0\.\.11"):
        pass_steps(12, "forward", 12)
    assert steps_caption(12, "forward", 3) == "reverse at t = 8"
    assert steps_caption(12, "reverse", 11) == "forward at t = 0"
    assert both_steps_caption(12, "forward", 3) == (
        "forward at t = 3 · reverse at t = 8 · step 4 of 12"
    )
    # Following the reverse pass, t = 8 is its 4th step too.
    assert both_steps_caption(12, "reverse", 8) == both_steps_caption(12, "forward", 3)


def test_who_reads_the_joined_output() -> None:
    network = bidirectional("lstm")
    assert output_reader(network, 0) == "layer 1"
    assert output_reader(network, 1) == "the model's output"
