"""The window on the user's own inputs, as the command line opens it: the sequence's
length and a typed sentence edited in the Inputs dock, a module picked in the chooser, an
RNN switched to ReLU, File ▸ Load inputs…; the session first, then every view."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from lstm_sim.cli.gui import build_parser, input_source
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.torch_state_dict import RecurrentModule
from lstm_sim.engine.trace import record
from lstm_sim.gui.app import create_application, open_first
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.gui.panels.module_chooser import ModuleChooser
from lstm_sim.model import Session
from lstm_sim.model.app_state import AppState
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network
from lstm_sim.model.input_source import InputSource
from lstm_sim.resources import resource_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RNN = FIXTURES / "torch" / "rnn_relu.pt"
SEQ2SEQ = FIXTURES / "own" / "seq2seq.pt"
WORDS = resource_path("models/scenarios/subject_gender.npz")


@pytest.fixture
def launch(qtbot, settle) -> Iterator[Callable[..., MainWindow]]:
    """A window started from command-line words, through the code the CLI runs."""
    create_application()
    windows: list[MainWindow] = []

    def start(*argv: str) -> MainWindow:
        args = build_parser().parse_args(list(argv))
        state = AppState(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
        model = args.model or args.model_file
        problem, _choice = open_first(
            state, model, args.scenario, input_source(args), args.prefix, args.nonlinearity
        )
        assert problem is None, problem
        window = MainWindow(state.session, state=state)
        qtbot.addWidget(window)
        window.resize(1280, 720)
        window.show()
        qtbot.waitExposed(window)
        settle(window)
        windows.append(window)
        return window

    yield start
    for window in windows:
        window.close()
    QApplication.processEvents()


def assert_views_follow(window: MainWindow) -> None:
    """Every view shows the session's sequence: its length and its numbers."""
    session = window.session
    steps = session.num_steps
    window.flush_views()
    assert window.timeline.maximum() == steps - 1
    assert window.position_label.text() == f"t = {session.t} / {steps - 1}"
    assert window.sequence_editor.length_label.text().startswith(f"T = {steps} step")
    np.testing.assert_array_equal(window.state_plot.selected["h"].yData, session.trace.h[0, :, 0])
    for key, image in window.gate_heatmaps.images.items():  # o, f, i, g; h for an RNN
        values = session.trace.h if key == "h" else session.trace.gate(key)
        np.testing.assert_array_equal(image.image, values[session.layer].T)
    assert window.equation.title.text().startswith(f"t = {session.t} ·")


def test_opens_with_inputs_and_edits_the_sequence_length(launch, tmp_path: Path) -> None:
    x = np.random.default_rng(2).uniform(-1, 1, (7, 3)).astype(np.float32)  # the model's dtype
    np.save(tmp_path / "x.npy", x)
    window = launch(str(RNN), "--inputs", str(tmp_path / "x.npy"))
    session, opener = window.session, window.state.opener
    assert opener.current.inputs == InputSource("inputs", str(tmp_path / "x.npy"))
    np.testing.assert_array_equal(session.trace.x, x)
    assert_views_follow(window)

    session.seek(3)
    window.sequence_editor.insert_button.click()
    assert session.num_steps == 8 and session.t == 3
    np.testing.assert_array_equal(session.trace.x, np.insert(x, 3, x[3], axis=0))
    assert_views_follow(window)
    window.sequence_editor.append_button.click()
    assert session.num_steps == 9 and session.t == 8  # the cursor goes to the new step
    session.seek(3)
    window.sequence_editor.remove_button.click()  # the copy inserted at 3
    assert session.num_steps == 8
    np.testing.assert_array_equal(session.trace.x, np.vstack([x, x[-1:]]))
    expected = record(session.network, np.vstack([x, x[-1:]]))
    np.testing.assert_array_equal(session.trace.h_all, expected.h_all)
    assert_views_follow(window)
    assert window.action("undo").isEnabled()
    window.action("undo").trigger()
    assert session.num_steps == 9
    assert_views_follow(window)


def test_a_typed_sentence_runs_and_unknown_words_are_listed(launch) -> None:
    window = launch(str(WORDS), "--text", "alice lost her bag")
    session, editor = window.session, window.sequence_editor
    assert session.tokens == ("alice", "lost", "her", "bag")
    assert (
        editor.sentence_row.isVisibleTo(window) and editor.sentence.text() == "alice lost her bag"
    )
    editor.sentence.setText("Alicia lost her bag . she was sad")
    assert not editor.run_sentence()
    assert session.num_steps == 4  # unchanged
    assert editor.problem.isVisibleTo(window)
    text = editor.problem.text()
    assert "'Alicia' (step 0): nearest 'olivia', 'alice'" in text and "'sad' (step 7)" in text
    editor.sentence.setText("alice lost her bag . she was sat")
    editor.run_button.click()
    assert session.tokens == ("alice", "lost", "her", "bag", ".", "she", "was", "sat")
    assert not editor.problem.isVisibleTo(window)
    assert_views_follow(window)
    window.flush_views()
    assert window.token_strip.isVisibleTo(window)


def test_several_modules_open_through_the_chooser(launch, qtbot) -> None:
    window = launch()
    shown: list[list[str]] = []

    def choose(path: str, candidates: Sequence[RecurrentModule], parent: QWidget | None) -> str:
        # The real dialog, shown without blocking, answered as a user answers it.
        chooser = ModuleChooser(path, candidates, parent)
        qtbot.addWidget(chooser)
        chooser.show()
        table = chooser.table
        shown.extend(
            [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())
        )
        chooser.select("encoder")
        chooser.accept()
        assert chooser.result() == QDialog.DialogCode.Accepted
        return chooser.chosen

    window.opening.ask_for_module = choose
    assert window.open_model(str(SEQ2SEQ))
    assert shown == [["decoder", "LSTM", "1", "4", "3"], ["encoder", "LSTM", "1", "4", "3"]]
    session, opening = window.session, window.state.opener.current
    assert (opening.kind, opening.prefix) == ("file", "encoder")
    encoder = load_model(SEQ2SEQ, "encoder")
    np.testing.assert_array_equal(session.network.layers[0].weight_hh, encoder.layers[0].weight_hh)
    assert window.windowTitle().startswith("seq2seq.pt")
    assert_views_follow(window)


def test_a_cancelled_choice_keeps_the_session(launch) -> None:
    window = launch()
    before = window.session.network
    window.opening.ask_for_module = lambda path, candidates, parent: None
    assert not window.open_model(str(SEQ2SEQ))
    assert window.session.network is before


def test_an_rnn_switches_to_relu_from_the_status_bar(launch, tmp_path: Path) -> None:
    x = np.random.default_rng(4).uniform(-1, 1, (6, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    window = launch(str(RNN), "--inputs", str(tmp_path / "x.npy"))
    switch = window.nonlinearity_switch
    assert switch.widget.isVisibleTo(window) and switch.combo.currentText() == "tanh"
    assert "assumed" in switch.widget.toolTip()
    window.session.insert_step(6)  # an edit the switch keeps
    switch.combo.setCurrentText("relu")
    switch.combo.activated.emit(1)
    session = window.session
    assert session.network.nonlinearity == "relu" and session.num_steps == 7
    assert window.state.opener.current.nonlinearity == "relu"
    expected = record(load_model(RNN, nonlinearity="relu"), np.vstack([x, x[-1:]]))
    np.testing.assert_array_equal(session.trace.h_all, expected.h_all)
    assert not window.notes_label.isVisibleTo(window)  # nothing is assumed any more
    assert switch.combo.currentText() == "relu" and "as you chose" in switch.widget.toolTip()
    assert_views_follow(window)


def test_the_switch_is_hidden_for_a_model_without_a_choice(launch) -> None:
    window = launch()
    assert not window.nonlinearity_switch.widget.isVisibleTo(window)


def test_load_inputs_is_undoable_and_a_bad_file_is_a_dialog(
    launch, tmp_path: Path, monkeypatch
) -> None:
    window = launch(str(RNN))
    session = window.session
    before = session.trace.x.copy()
    np.save(tmp_path / "x.npy", np.ones((3, 3)))
    np.save(tmp_path / "h0.npy", np.full((1, 4), 0.25))
    source = InputSource("inputs", str(tmp_path / "x.npy"), str(tmp_path / "h0.npy"))
    assert window.opening.load_inputs(source)
    assert session.num_steps == 3 and session.initial_state()[0][0, 0] == 0.25
    assert "Edit ▸ Undo" in window.statusBar().currentMessage()
    assert_views_follow(window)
    window.action("undo").trigger()
    np.testing.assert_array_equal(session.trace.x, before)

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    np.save(tmp_path / "wide.npy", np.ones((3, 8)))
    assert not window.opening.load_inputs(InputSource("inputs", str(tmp_path / "wide.npy")))
    assert len(shown) == 1 and "wide.npy" in shown[0] and "expected" in shown[0]
    np.testing.assert_array_equal(session.trace.x, before)


def test_load_inputs_is_in_the_file_menu_with_a_shortcut(launch) -> None:
    window = launch()
    action = window.action("load_inputs")
    assert action in window.menus["file"].actions()
    assert action.shortcut().toString() == "Ctrl+L" and "undoable" in action.toolTip()
    assert ("Load inputs", "Ctrl+L") in window.commands.shortcut_rows


def test_the_load_inputs_dialog_names_what_to_load(launch, tmp_path: Path, monkeypatch) -> None:
    from lstm_sim.gui.panels.load_inputs_dialog import LoadInputsDialog

    window = launch(str(RNN))
    np.save(tmp_path / "x.npy", np.ones((2, 3)))
    filled: list[LoadInputsDialog] = []

    def answer(dialog: LoadInputsDialog) -> int:
        assert not dialog.c0.isEnabled()  # an RNN has no cell state
        dialog.sequence.setText(str(tmp_path / "x.npy"))
        filled.append(dialog)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(LoadInputsDialog, "exec", answer)
    window.action("load_inputs").trigger()
    assert filled and filled[0].source() == InputSource("inputs", str(tmp_path / "x.npy"))
    assert window.session.num_steps == 2
    assert window.state.opener.current.inputs == filled[0].source()
