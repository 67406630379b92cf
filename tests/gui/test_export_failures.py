"""The window's exports (trace, diagram as SVG or PNG) that fail before their rename
leave the previous file as it was, no temporary file, and a dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from lstm_sim.engine import atomic_write
from lstm_sim.gui.main_window import MainWindow

OLD = b"the previous export\n"


def _fail_rename(source: object, target: object) -> None:
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("name", ["trace.npz", "trace.csv", "cell.svg", "cell.png"])
def test_a_failed_export_keeps_the_old_file(make_window, tmp_path, monkeypatch, name):
    window: MainWindow = make_window()
    errors: list[tuple[str, str]] = []
    monkeypatch.setattr(window, "show_error", lambda title, text: errors.append((title, text)))
    monkeypatch.setattr(atomic_write.os, "replace", _fail_rename)
    target = tmp_path / name
    target.write_bytes(OLD)
    if name.startswith("trace"):
        assert not window.files.export_trace(str(target))
    else:
        chosen = (str(target), "")
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: chosen)
        (window.files.export_svg if name.endswith("svg") else window.files.export_png)()
    assert len(errors) == 1 and "No space left" in errors[0][1]
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_exports_write_complete_files(make_window, tmp_path, monkeypatch):
    window: MainWindow = make_window()
    for name in ("cell.svg", "cell.png"):
        chosen = (str(tmp_path / name), "")
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, c=chosen, **kw: c)
        (window.files.export_svg if name.endswith("svg") else window.files.export_png)()
    assert (tmp_path / "cell.svg").read_text(encoding="utf-8").rstrip().endswith("</svg>")
    assert (tmp_path / "cell.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cell.png", "cell.svg"]
    assert Path(tmp_path / "cell.png").stat().st_size > 1000
