"""File ▸ Export trace writes the same files as ``lstm-sim trace`` on the same model and
inputs, edits included; File ▸ Recent files remembers what was opened."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from lstm_sim.cli import main
from lstm_sim.engine.formats import save_native
from lstm_sim.gui.main_window import MainWindow


def load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def dismiss_status(window: MainWindow, path: Path) -> None:
    """Check the export's status message, then clear it (it would time out in 5 s)."""
    assert window.statusBar().currentMessage() == f"Trace written to {path}"
    window.statusBar().clearMessage()


def cli_trace(tmp_path: Path, window: MainWindow, out: Path) -> None:
    session = window.session
    model = tmp_path / "model.npz"
    save_native(session.network, model)
    text = session.network.vocab.join(session.tokens)
    assert main(["trace", str(model), "--text", text, "--out", str(out)]) == 0


@pytest.mark.parametrize("edit", [False, True])
def test_npz_export_equals_the_cli(qtbot, make_window, settle, tmp_path, edit) -> None:
    window = make_window()
    if edit:
        window.inputs.edit_cell(window.inputs.sequence, 0, 0, "Dan")  # recomputed from t = 0
    assert window.files.export_trace(str(tmp_path / "window.npz"))
    dismiss_status(window, tmp_path / "window.npz")
    cli_trace(tmp_path, window, tmp_path / "cli.npz")
    ours, theirs = load_npz(tmp_path / "window.npz"), load_npz(tmp_path / "cli.npz")
    assert set(ours) == set(theirs) and {"f", "c", "tokens"} <= set(ours)
    for key in theirs:
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
    assert (ours["tokens"][0] == "Dan") == edit


def test_csv_export_equals_the_cli(qtbot, make_window, tmp_path) -> None:
    window = make_window()
    assert window.files.export_trace(str(tmp_path / "window.csv"))
    dismiss_status(window, tmp_path / "window.csv")
    cli_trace(tmp_path, window, tmp_path / "cli.csv")
    ours = (tmp_path / "window.csv").read_text(encoding="utf-8")
    assert ours == (tmp_path / "cli.csv").read_text(encoding="utf-8")
    session = window.session
    rows = ours.splitlines()
    assert len(rows) == 1 + session.num_steps * session.network.hidden_size


def test_an_unwritable_export_gets_a_dialog(qtbot, make_window, tmp_path, monkeypatch) -> None:
    window = make_window()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: shown.append(text))
    assert not window.files.export_trace(str(tmp_path / "trace.txt"))
    assert not window.files.export_trace(str(tmp_path / "missing" / "trace.npz"))
    assert len(shown) == 2 and ".npz or .csv" in shown[0]


def test_recent_files_remember_opened_models(qtbot, make_window, tmp_path) -> None:
    window = make_window()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window.files.settings = settings
    paths = []
    for seed in range(2):
        path = tmp_path / f"m{seed}.npz"
        save_native(window.session.network, path)
        assert window.open_model(str(path))
        paths.append(str(path.resolve()))
    assert window.files.recent_files == paths[::-1]
    actions = window.files.recent_menu.actions()
    assert [a.text() for a in actions] == ["m1.npz", "m0.npz"]
    actions[1].trigger()
    assert window.session.title == "m0.npz"
    assert window.files.recent_files[0] == paths[0]
    settings.sync()
    again = MainWindow(window.session, settings=settings)
    assert again.files.recent_files == [paths[0], paths[1]]
    again.close()
