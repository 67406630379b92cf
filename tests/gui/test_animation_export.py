"""Exports for slides: every phase (and the flow between them) becomes a frame at the
asked size, stills render at 4K and as vectors, and a cancelled or refused export leaves
no file behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine import Network
from lstm_sim.gui.animation_export import (
    ExportCancelled,
    ExportError,
    Moment,
    export,
    moments,
    parse_moment,
)
from lstm_sim.model import Session

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture
def session(qapp: object) -> Session:
    network = Network.random("lstm", 3, 6, np.random.default_rng(0))
    return Session(network, np.random.default_rng(1).standard_normal((5, 3)))


def test_moments_walk_every_phase_with_the_flow_between() -> None:
    frames = moments(6, (0, 0), (1, 5), flow_frames=3)
    ends = [m for m in frames if m.progress == 1.0]
    assert [(m.t, m.phase) for m in ends] == [(t, p) for t in range(2) for p in range(6)]
    assert len(frames) == 12 + 11 * 3
    assert frames[1:4] == [Moment(0, 1, 0.25), Moment(0, 1, 0.5), Moment(0, 1, 0.75)]
    with pytest.raises(ExportError, match="ends before it starts"):
        moments(6, (2, 0), (1, 5), 3)


def test_moments_are_parsed_by_number_or_phase_key(session: Session) -> None:
    assert parse_moment("3", session) == (3, 5)
    assert parse_moment("3:forget", session) == (3, 1)
    assert parse_moment("0:0", session) == (0, 0)
    for bad, message in [("9", "outside"), ("1:belt", "no phase"), ("x", "expected T")]:
        with pytest.raises(ExportError, match=message):
            parse_moment(bad, session)


def test_a_gif_of_two_steps_has_every_phase_at_the_asked_size(
    session: Session, tmp_path: Path
) -> None:
    out = tmp_path / "two.gif"
    seen: list[tuple[int, int]] = []
    export(
        session,
        (0, 0),
        (1, 5),
        out,
        size=(640, 360),
        flow_frames=2,
        progress=lambda done, total: seen.append((done, total)) is None,
    )
    with PIL.open(out) as gif:
        assert gif.size == (640, 360) and gif.n_frames == 12 + 11 * 2
        gif.seek(0)
        first = np.asarray(gif.convert("RGB"))
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("RGB"))
    assert not np.array_equal(first, last)  # the cell fills in as the step runs
    assert seen[-1] == (34, 34) and [d for d, _ in seen] == list(range(35))


def test_an_apng_and_a_png_sequence(session: Session, tmp_path: Path) -> None:
    export(session, (0, 4), (0, 5), tmp_path / "a.apng", size=(320, 180), flow_frames=1)
    with PIL.open(tmp_path / "a.apng") as apng:
        assert apng.n_frames == 3 and apng.size == (320, 180)
    written = export(
        session, (0, 4), (0, 5), tmp_path / "f.png", size=(320, 180), flow_frames=1, sequence=True
    )
    assert [p.name for p in written] == ["f_0001.png", "f_0002.png", "f_0003.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.apng", *[p.name for p in written]]


def test_stills_at_4k_and_as_vectors(session: Session, tmp_path: Path) -> None:
    export(session, (0, 0), (2, 3), tmp_path / "big.png", size=(3840, 2160))
    with PIL.open(tmp_path / "big.png") as still:
        assert still.size == (3840, 2160)
        pixels = np.asarray(still.convert("L"))
    assert pixels.std() > 5  # a drawing, not an empty page
    export(session, (0, 0), (2, 3), tmp_path / "cell.svg")
    assert "<svg" in (tmp_path / "cell.svg").read_text(encoding="utf-8")[:2000]
    export(session, (0, 0), (2, 3), tmp_path / "cell.pdf")
    assert (tmp_path / "cell.pdf").read_bytes().startswith(b"%PDF")


def test_a_cancelled_export_leaves_nothing_behind(session: Session, tmp_path: Path) -> None:
    old = tmp_path / "old.gif"
    export(session, (0, 0), (0, 1), old, size=(320, 180), flow_frames=1)
    before = old.read_bytes()
    for name, sequence in (("old.gif", False), ("seq.png", True)):
        with pytest.raises(ExportCancelled):
            export(
                session,
                (0, 0),
                (1, 5),
                tmp_path / name,
                size=(320, 180),
                sequence=sequence,
                progress=lambda done, total: done < 5,
            )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.gif"]
    assert old.read_bytes() == before


def test_lstm_sim_export_on_the_command_line(
    qapp: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gate.gif"
    args = ["export", "--scenario", "subject-gender", "--from", "22:0", "--to", "22:forget"]
    assert main([*args, "--out", str(out), "--size", "480x270", "--fps", "8"]) == 0
    assert "wrote" in capsys.readouterr().out
    with PIL.open(out) as gif:
        assert gif.size == (480, 270) and gif.n_frames == 2 + 5
    assert main([*args, "--out", str(tmp_path / "x.bmp")]) == 2
    assert "expected an output ending in" in capsys.readouterr().err


def test_the_unrolled_chain_is_a_frame_per_phase(session: Session, tmp_path: Path) -> None:
    out = tmp_path / "chain.gif"
    session.seek(4, 5)
    export(session, (1, 0), (2, 5), out, size=(640, 360), view="unrolled")
    with PIL.open(out) as gif:
        # No flow inside a phase in the chain: 12 phases, 12 frames.
        assert gif.size == (640, 360) and gif.n_frames == 12
        gif.seek(0)
        first = np.asarray(gif.convert("RGB"), dtype=int)
        gif.seek(11)
        last = np.asarray(gif.convert("RGB"), dtype=int)
    assert np.abs(first - last).sum() > 0  # the chain moved on
    assert (session.t, session.phase) == (4, 5)  # the session on screen did not
    export(session, (0, 0), (2, 5), tmp_path / "chain.svg", view="unrolled")
    assert "<svg" in (tmp_path / "chain.svg").read_text(encoding="utf-8")[:2000]


def test_the_present_view_is_high_contrast_with_larger_text(
    session: Session, tmp_path: Path
) -> None:
    from lstm_sim.gui.animation_export import FrameRenderer
    from lstm_sim.gui.presentation import PROJECTOR_TEXT_PX_AT_1080

    for size in ((1920, 1080), (1280, 720), (640, 360)):
        cell, present = (FrameRenderer(session, size, view=view) for view in ("cell", "present"))
        assert present.palette.name == "light-contrast" and cell.palette.name == "light"
        rect = present.scene.sceneRect()
        scale = min(size[0] / rect.width(), size[1] / rect.height())
        # As presentation mode sizes it for the screen's height, never below the window's.
        wanted = PROJECTOR_TEXT_PX_AT_1080 * size[1] / 1080
        assert present.scene.smallest_text_px() * scale >= wanted - 0.5, size
        assert present.scene.smallest_text_px() >= cell.scene.smallest_text_px(), size
    out = tmp_path / "present.png"
    export(session, (0, 0), (0, 5), out, size=(640, 360), view="present")
    with PIL.open(out) as still:
        assert still.size == (640, 360)
    with pytest.raises(ExportError, match="the views are"):
        export(session, (0, 0), (0, 5), tmp_path / "x.png", view="chain")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["present.png"]


def test_an_mp4_without_imageio_ffmpeg_says_what_to_install(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "imageio_ffmpeg", None)  # not installed
    with pytest.raises(ExportError, match=r"pip install 'lstm-sim\[video\]'"):
        export(session, (0, 0), (0, 5), tmp_path / "cell.mp4", size=(320, 180))
    assert list(tmp_path.iterdir()) == []


def test_lstm_sim_export_takes_a_view(
    qapp: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for view in ("unrolled", "present"):
        out = tmp_path / f"{view}.png"
        args = ["export", "--scenario", "subject-gender", "--from", "22:0", "--to", "22"]
        assert main([*args, "--out", str(out), "--size", "480x270", "--view", view]) == 0
        with PIL.open(out) as still:
            assert still.size == (480, 270)
