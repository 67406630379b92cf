"""The built-in demo does what its docstring tells a lecturer to watch."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import Network, Vocabulary, record
from lstm_sim.model.demo import (
    DEFAULT_STEPS,
    DEMO_RECURRENT_WEIGHTS,
    DEMO_TOKENS,
    default_inputs,
    demo_inputs,
    demo_network,
    random_model,
)


@pytest.fixture(scope="module")
def trace():
    return record(demo_network(), demo_inputs())


def test_unit_0_overwrites_its_memory_on_a_name_and_keeps_it_otherwise(trace) -> None:
    f, i, c = trace.gate("f")[0, :, 0], trace.gate("i")[0, :, 0], trace.c[0, :, 0]
    names = [t for t, token in enumerate(DEMO_TOKENS) if token in ("Alice", "Bob")]
    assert names == [0, 7]
    for t in names:
        assert f[t] < 0.05 and i[t] > 0.95
    others = [t for t in range(len(DEMO_TOKENS)) if t not in names]
    assert np.all(f[others] > 0.95) and np.all(i[others] < 0.05)
    assert np.all(c[:7] > 0.9) and np.all(c[7:] < -0.9)  # she, then he


def test_unit_0_shows_its_memory_only_before_a_pronoun(trace) -> None:
    h = trace.h[0, :, 0]
    assert h[3] > 0.5 and h[10] < -0.5  # "then" (she follows), "and" (he follows)
    quiet = [t for t in range(len(DEMO_TOKENS)) if t not in (3, 10)]
    assert np.all(np.abs(h[quiet]) < 0.05)


def test_unit_1_counts_words_and_the_full_stop_wipes_it(trace) -> None:
    c = trace.c[0, :, 1]
    assert np.all(np.diff(c[:6]) > 0.05)
    assert abs(c[6]) < 0.01
    assert c[11] > 1.0  # the cell may exceed 1; colours clip, numbers do not


def test_editing_a_name_flips_the_memory() -> None:
    tokens = demo_inputs()
    tokens[0] = "Dan"
    trace = record(demo_network(), tokens)
    assert trace.c[0, 3, 0] < -0.9 and trace.h[0, 3, 0] < -0.5


def test_default_inputs_use_known_tokens_or_a_seeded_sequence() -> None:
    rng = np.random.default_rng(0)
    chars = Network.random("lstm", 4, 3, rng, vocab=Vocabulary(("a", "b", "c", "z")))
    # "quick brown ... lazy dog. Alice sat down, then she read."
    assert default_inputs(chars) == ["c", "b", "a", "z", "c", "a", "a"]
    unknown = Network.random("lstm", 2, 3, rng, vocab=Vocabulary(("€", "¥")))
    assert default_inputs(unknown) == ["€", "¥"]
    numeric = Network.random("rnn", 3, 2, rng)
    x = default_inputs(numeric, seed=4)
    assert x.shape == (DEFAULT_STEPS, 3) and np.all(np.abs(x) <= 1.0)
    np.testing.assert_array_equal(x, default_inputs(numeric, seed=4))
    assert not np.array_equal(x, default_inputs(numeric, seed=5))
    with pytest.raises(ValueError, match="steps"):
        default_inputs(numeric, steps=0)


def test_random_model_is_reproducible_from_its_seed() -> None:
    net_a, x_a = random_model("rnn", 3, 5, 2, seed=9, steps=4)
    net_b, x_b = random_model("rnn", 3, 5, 2, seed=9, steps=4)
    assert (net_a.kind, net_a.num_layers, net_a.hidden_size, x_a.shape) == ("rnn", 2, 5, (4, 3))
    np.testing.assert_array_equal(net_a.layers[1].weight_hh, net_b.layers[1].weight_hh)
    np.testing.assert_array_equal(x_a, x_b)
    with pytest.raises(ValueError, match="sizes must be positive"):
        random_model("lstm", 0, 5, 1, seed=0, steps=3)


def test_the_written_out_recurrent_weights_are_still_the_seeded_draw() -> None:
    # demo.py writes these 64 numbers out so the window need not import numpy.random;
    # every documented figure of the demo depends on their exact bits.
    drawn = np.random.default_rng(7).uniform(-0.15, 0.15, size=(16, 4))
    written = np.array(DEMO_RECURRENT_WEIGHTS)
    assert written.dtype == drawn.dtype and written.shape == drawn.shape
    assert written.tobytes() == drawn.tobytes()
    assert demo_network().layers[0].weight_hh.tobytes() == drawn.tobytes()
