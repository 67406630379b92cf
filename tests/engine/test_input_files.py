"""The readers of token ids, text files and initial states raise InputFileError naming
the file, what was expected and what was found (the inputs and arrays they build on are
tested with the file boundary)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine import Network
from lstm_sim.engine.formats.errors import InputFileError
from lstm_sim.engine.formats.inputs import (
    read_initial_state,
    read_text_file,
    read_token_ids,
)
from lstm_sim.engine.vocab import Vocabulary


@pytest.fixture
def lstm() -> Network:
    return Network.random("lstm", 3, 4, np.random.default_rng(0), num_layers=2)


def test_token_ids_need_a_model_that_reads_tokens(tmp_path: Path, lstm: Network) -> None:
    path = tmp_path / "ids.npy"
    np.save(path, np.array([0, 1, 2]))
    with pytest.raises(InputFileError, match="reads feature vectors"):
        read_token_ids(lstm, path)
    reader = replace(lstm, vocab=Vocabulary(("a", "b", "c")))
    assert list(read_token_ids(reader, path)) == [0, 1, 2]
    np.save(path, np.zeros((3, 1), np.int64))
    with pytest.raises(InputFileError, match=r"expected \(T,\) integer token ids"):
        read_token_ids(reader, path)


def test_initial_states_are_checked_against_the_network(tmp_path: Path, lstm: Network) -> None:
    good, wrong = tmp_path / "h0.npy", tmp_path / "wrong.npy"
    np.save(good, np.ones((2, 4)))
    np.save(wrong, np.ones((4,)))
    assert read_initial_state(lstm, good, "h0").shape == (2, 4)
    with pytest.raises(InputFileError, match=r"h0 has shape \(4,\), expected \(L, H\)"):
        read_initial_state(lstm, wrong, "h0")
    rnn = Network.random("rnn", 3, 4, np.random.default_rng(0))
    with pytest.raises(InputFileError, match="simple RNN has no cell state"):
        read_initial_state(rnn, good, "c0")


def test_a_text_file_is_cut_by_the_vocabulary(tmp_path: Path) -> None:
    from lstm_sim.model.demo import demo_network

    network = demo_network()
    assert network.vocab is not None
    path = tmp_path / "t.txt"
    text = " ".join(network.vocab.tokens[:3])
    path.write_text(text, encoding="utf-8")
    assert read_text_file(network, path) == network.vocab.tokenize(text)
    path.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(InputFileError, match=r"t\.txt"):
        read_text_file(network, path)
