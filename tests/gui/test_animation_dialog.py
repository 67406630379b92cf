"""File ▸ Export animation: writes the asked steps at the asked size, and a cancel in the
progress dialog leaves no file."""

from __future__ import annotations

import pytest

from lstm_sim.gui import animation_dialog
from lstm_sim.gui.animation_dialog import export_with_progress

Image = pytest.importorskip("PIL.Image")


def test_the_export_writes_the_steps_at_the_size(make_window, tmp_path):
    window = make_window()
    out = tmp_path / "cell.gif"
    written = export_with_progress(window, str(out), 1, 2, (320, 180), 12)
    assert written == [out]
    with Image.open(out) as gif:
        assert gif.size == (320, 180)
        # 2 steps of 6 phases, each with its flow frames: more frames than phases.
        assert gif.n_frames > 2 * len(window.session.phases)
    assert window.action("export_animation").text().startswith("Export &animation")


def test_a_cancelled_export_leaves_nothing(make_window, tmp_path, monkeypatch):
    window = make_window()
    monkeypatch.setattr(animation_dialog.QProgressDialog, "wasCanceled", lambda self: True)
    out = tmp_path / "cell.gif"
    assert export_with_progress(window, str(out), 0, 3, (320, 180), 12) == []
    assert list(tmp_path.iterdir()) == []
    assert "cancelled" in window.statusBar().currentMessage()
    window.statusBar().clearMessage()  # its timeout timer must not outlive the test


def test_the_dialog_offers_every_view(make_window, tmp_path):
    from lstm_sim.gui.animation_dialog import AnimationSettings
    from lstm_sim.gui.animation_export import VIEWS

    window = make_window()
    settings = AnimationSettings(window.session, window)
    offered = [settings.view_box.itemData(k) for k in range(settings.view_box.count())]
    assert sorted(offered) == sorted(VIEWS) and settings.view() == "cell"
    settings.view_box.setCurrentIndex(offered.index("unrolled"))
    out = tmp_path / "chain.gif"
    assert export_with_progress(window, str(out), 0, 1, (320, 180), 12, settings.view()) == [out]
    with Image.open(out) as gif:
        assert gif.n_frames == 2 * len(window.session.phases)  # no flow frames in the chain
    settings.deleteLater()
