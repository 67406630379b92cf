"""The readers of a user's input files raise InputFileError naming the file, what was
expected and what was found, and never unpickle."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine import Network
from lstm_sim.engine.formats.errors import InputFileError
from lstm_sim.engine.formats.inputs import (
    read_initial_state,
    read_inputs,
    read_text_file,
    read_token_ids,
)
from lstm_sim.engine.vocab import Vocabulary


@pytest.fixture
def lstm() -> Network:
    return Network.random("lstm", 3, 4, np.random.default_rng(0), num_layers=2)


def test_npy_and_csv_inputs_read_the_same(tmp_path: Path) -> None:
    x = np.arange(6.0).reshape(3, 2)
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "x.csv").write_text("# steps\n0,1\n2,3\n4,5\n", encoding="utf-8")
    assert np.array_equal(read_inputs(tmp_path / "x.npy"), x)
    assert np.array_equal(read_inputs(tmp_path / "x.csv"), x)


@pytest.mark.parametrize(
    ("name", "content", "found"),
    [
        ("x.txt", b"1,2", "found .txt"),
        ("x.csv", b"1,a\n", "expected comma-separated numbers"),
        ("x.npy", None, "no such inputs file"),
    ],
)
def test_bad_inputs_name_the_file(tmp_path: Path, name: str, content: bytes | None, found: str):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=found) as caught:
        read_inputs(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_a_pickled_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputFileError, match=r"expected a \.npy array of numbers"):
        read_inputs(path)


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
    with pytest.raises(InputFileError, match="cannot read it as UTF-8"):
        read_text_file(network, path)
