"""Recording in chunks equals recording the whole sequence, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.chunked import (
    LSTM_QUANTITIES,
    RNN_QUANTITIES,
    chunk_traces,
    quantity,
    record_quantities,
)
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record
from lstm_sim.engine.vocab import Vocabulary


def char_network(kind: str = "lstm", layers: int = 2) -> Network:
    rng = np.random.default_rng(3)
    vocab = Vocabulary(tuple("abcd \n"), "char")
    return Network.random(kind, len(vocab), 7, rng, num_layers=layers, output_size=6, vocab=vocab)


@pytest.mark.parametrize("chunk", [2, 4, 5, 13, 100])
def test_chunked_recording_equals_the_whole_recording_exactly(chunk: int) -> None:
    network = char_network()
    text = list(np.random.default_rng(1).choice(list("abcd \n"), 53))
    whole = record(network, text)
    kept = record_quantities(network, text, LSTM_QUANTITIES, chunk_steps=chunk)
    for name in LSTM_QUANTITIES:
        np.testing.assert_array_equal(kept[name], quantity(whole, name), err_msg=name)
    # The readout of each chunk too: a chunk is a trace of its own steps.
    logits = np.concatenate([trace.logits for _, trace in chunk_traces(network, text, chunk)])
    np.testing.assert_array_equal(logits, whole.logits)


def test_numeric_inputs_initial_state_and_a_simple_rnn_chunk_exactly() -> None:
    rng = np.random.default_rng(4)
    network = Network.random("rnn", 3, 5, rng, num_layers=2)
    inputs = rng.uniform(-1, 1, size=(41, 3))
    h0 = rng.uniform(-1, 1, size=(2, 5))
    whole = record(network, inputs, h0)
    kept = record_quantities(network, inputs, RNN_QUANTITIES, chunk_steps=6, h0=h0)
    np.testing.assert_array_equal(kept["h"], whole.h)
    np.testing.assert_array_equal(kept["a"], whole.pre)


def test_only_the_units_layers_and_dtype_asked_for_are_kept() -> None:
    network = char_network()
    text = list("abcd ab\nca" * 4)
    whole = record(network, text)
    kept = record_quantities(
        network, text, ["c", "f"], units=[4, 1], layers=[1], dtype=np.float32, chunk_steps=7
    )
    assert set(kept) == {"c", "f"}
    assert kept["c"].shape == (1, len(text), 2) and kept["c"].dtype == np.float32
    np.testing.assert_array_equal(kept["c"], whole.c[[1]][..., [4, 1]].astype(np.float32))
    np.testing.assert_array_equal(kept["f"], whole.gate("f")[[1]][..., [4, 1]].astype(np.float32))


def test_unknown_names_units_and_layers_are_refused() -> None:
    network = char_network()
    with pytest.raises(ValueError, match="no quantity 'q'"):
        record_quantities(network, list("ab"), ["q"])
    with pytest.raises(ValueError, match="unit 9 is out of range"):
        record_quantities(network, list("ab"), ["h"], units=[9])
    with pytest.raises(ValueError, match="layer 2 is out of range"):
        record_quantities(network, list("ab"), ["h"], layers=[2])
    with pytest.raises(ValueError, match="chunk_steps"):
        next(chunk_traces(network, list("ab"), 1))
