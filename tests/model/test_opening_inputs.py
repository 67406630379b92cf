"""Opening a file on the user's inputs, with a prefix and a nonlinearity, through the
one Opener: the opening records how, a bad file changes nothing, a file with several
recurrent modules asks for a choice, and an RNN's tanh can be switched to ReLU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.errors import InputFileError
from lstm_sim.engine.trace import record
from lstm_sim.model import Session
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network
from lstm_sim.model.input_source import InputSource, sequence_file
from lstm_sim.model.opening import ModuleChoiceNeeded, Opener
from lstm_sim.resources import resource_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RNN = FIXTURES / "torch" / "rnn_relu.pt"  # a state_dict: its nonlinearity is not recorded
SEQ2SEQ = FIXTURES / "own" / "seq2seq.pt"  # an encoder and a decoder LSTM


@pytest.fixture
def opener() -> Opener:
    return Opener(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(1).uniform(-1, 1, (7, 3)))
    return path


def test_a_file_opens_on_given_inputs_and_h0(opener: Opener, inputs: Path, tmp_path: Path):
    h0 = tmp_path / "h0.npy"
    np.save(h0, np.full((1, 4), 0.5))
    source = InputSource("inputs", str(inputs), str(h0))
    opening = opener.open_file(RNN, inputs=source, nonlinearity="relu")
    assert (opening.inputs, opening.nonlinearity, opening.prefix) == (source, "relu", None)
    network = load_model(RNN, nonlinearity="relu")
    expected = record(network, np.load(inputs), np.full((1, 4), 0.5))
    assert np.array_equal(opener.session.trace.h_all, expected.h_all)


def test_bad_inputs_leave_the_session_as_it_was(opener: Opener, tmp_path: Path) -> None:
    wide = tmp_path / "wide.npy"
    np.save(wide, np.zeros((4, 5)))
    before = (opener.session.network, opener.session.trace, opener.current)
    with pytest.raises(InputFileError, match=r"--inputs .*wide\.npy: inputs x has shape"):
        opener.open_file(RNN, inputs=InputSource("inputs", str(wide)))
    with pytest.raises(InputFileError, match="no such inputs file"):
        opener.open_file(RNN, inputs=InputSource("inputs", str(tmp_path / "none.npy")))
    assert (opener.session.network, opener.session.trace, opener.current) == before


def test_several_modules_ask_for_a_choice(opener: Opener) -> None:
    with pytest.raises(ModuleChoiceNeeded) as caught:
        opener.open_file(SEQ2SEQ)
    choice = caught.value
    assert [m.prefix for m in choice.candidates] == ["decoder", "encoder"]
    assert "choose one (--prefix" in str(choice) and opener.current.kind == "demo"
    opening = opener.open_file(SEQ2SEQ, prefix="encoder")
    assert opening.prefix == "encoder" and opener.session.network.hidden_size == 4


def test_load_inputs_is_an_undoable_edit_that_keeps_the_opening(opener: Opener, inputs: Path):
    opener.open_file(RNN)
    before = opener.session.trace.x.copy()
    source = sequence_file(str(inputs), opener.session.network)
    assert source.kind == "inputs"
    opener.load_inputs(source)
    assert opener.session.num_steps == 7 and opener.current.inputs == source
    assert opener.current.kind == "file"  # a new sequence is not a new network
    opener.session.undo()
    assert np.array_equal(opener.session.trace.x, before)


def test_an_assumed_tanh_can_be_switched_to_relu(opener: Opener, inputs: Path) -> None:
    assert opener.nonlinearity_choice() is None  # the demo LSTM has none
    opener.open_file(RNN, inputs=InputSource("inputs", str(inputs)))
    assert opener.nonlinearity_choice() == "tanh"
    opener.session.insert_step(0)  # the user's sequence survives the switch
    x = opener.session.trace.x.copy()
    opening = opener.set_nonlinearity("relu")
    assert opening.nonlinearity == "relu" and opener.session.network.nonlinearity == "relu"
    assert opener.nonlinearity_choice() == "relu"
    expected = record(load_model(RNN, nonlinearity="relu"), x)
    assert np.array_equal(opener.session.trace.h_all, expected.h_all)


def test_a_text_file_needs_a_vocabulary(tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("the cat", encoding="utf-8")
    network = load_model(RNN)
    assert sequence_file(str(text), network).kind == "text_file"
    with pytest.raises(InputFileError, match=r"found \.json"):
        sequence_file(str(tmp_path / "x.json"), network)


def test_unknown_words_in_given_text_are_listed_with_the_nearest(opener: Opener) -> None:
    words = resource_path("models/scenarios/subject_gender.npz")
    source = InputSource("text", "alice lost her bag . she was sad")
    with pytest.raises(InputFileError, match=r"--text: 1 token is not .* 'sad' \(step 7\)"):
        opener.open_file(words, inputs=source)
    assert opener.current.kind == "demo"


def test_a_npy_of_integers_is_token_ids_for_a_model_that_reads_tokens(
    opener: Opener, tmp_path: Path
) -> None:
    embedded = FIXTURES / "own" / "word_lstm2.pt"  # an nn.Embedding (11, 6) in front
    ids, rows = tmp_path / "ids.npy", tmp_path / "rows.npy"
    np.save(ids, np.array([3, 1, 4, 1, 5]))
    np.save(rows, np.zeros((2, 6)))
    opener.open_file(embedded)
    network = opener.session.network
    assert sequence_file(str(ids), network).kind == "tokens"
    assert sequence_file(str(rows), network).kind == "inputs"
    opener.load_inputs(sequence_file(str(ids), network))
    assert opener.session.trace.token_ids is not None
    assert list(opener.session.trace.token_ids) == [3, 1, 4, 1, 5]
    opener.session.insert_step(5)  # ids stay ids through a length edit
    assert list(opener.session.trace.token_ids) == [3, 1, 4, 1, 5, 5]
