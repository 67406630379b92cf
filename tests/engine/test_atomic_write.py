"""Atomic writes: the target changes only when the whole new file is on disk; a failure
or Ctrl+C leaves the old file and no temporary file."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_sim.engine.atomic_write import (
    atomic_path,
    atomic_write,
    atomic_write_text,
    check_writable,
)


def test_a_completed_write_replaces_the_file_and_leaves_nothing_else(tmp_path: Path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_write(target) as handle:
        handle.write(b"new contents")
    with atomic_write_text(tmp_path / "out.csv") as handle:
        handle.write("a,b\r\n1,2\r\n")
    assert target.read_bytes() == b"new contents"
    assert (tmp_path / "out.csv").read_bytes() == b"a,b\r\n1,2\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin", "out.csv"]


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, error):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(type(error)), atomic_write(target) as handle:
        handle.write(b"half")
        assert len(list(tmp_path.iterdir())) == 2  # the temporary sits beside the target
        raise error
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_path_writer_writes_through_the_temporary_name(tmp_path: Path):
    target = tmp_path / "picture.png"
    with atomic_path(target) as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".picture.png.")
        assert temporary.exists() and not target.exists()
        temporary.write_bytes(b"png")
    assert target.read_bytes() == b"png"
    assert [p.name for p in tmp_path.iterdir()] == ["picture.png"]


def test_writing_through_a_symbolic_link_keeps_the_link(tmp_path: Path):
    real = tmp_path / "real.npz"
    real.write_bytes(b"old")
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    with atomic_write(link) as handle:
        handle.write(b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_check_writable_names_the_folder(tmp_path: Path, unwritable_folder: Path):
    (tmp_path / "out").mkdir()
    check_writable(tmp_path / "out" / "model.npz")
    assert list((tmp_path / "out").iterdir()) == []  # the probe is gone
    folder = unwritable_folder
    with pytest.raises(OSError, match=f"cannot write in the folder {folder}"):
        check_writable(folder / "model.npz")
    with pytest.raises(OSError, match="no folder"):
        check_writable(tmp_path / "missing" / "model.npz")
    with pytest.raises(OSError, match="is a folder"):
        check_writable(tmp_path)
