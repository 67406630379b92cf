"""No mutated file makes a reader escape its contract, hang, crash, swell or look outside.

Two hundred mutants of each format (model files, inputs, training data, traces), made
reproducibly from the committed fixtures and shipped models by ``tests/fuzz_files.py``, loaded in
worker processes under a 1 GiB address-space limit and a hang timeout. ``bench/fuzz.py``
runs the same with thousands.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("h5py")
pytest.importorskip("onnx")
if not sys.platform.startswith("linux"):
    pytest.skip("the workers' memory limit reads /proc", allow_module_level=True)

_spec = importlib.util.spec_from_file_location(
    "fuzz_files", Path(__file__).resolve().parent.parent / "fuzz_files.py"
)
assert _spec is not None and _spec.loader is not None
fuzz_files = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_files"] = fuzz_files  # dataclasses look their module up
_spec.loader.exec_module(fuzz_files)

PER_FORMAT = 200


def test_mutated_files_are_read_or_refused_in_one_line(tmp_path: Path) -> None:
    summary = fuzz_files.run(PER_FORMAT, seed=20261130, folder=tmp_path)
    report = fuzz_files.report(summary)
    assert summary.problems == [], report
    assert summary.files == PER_FORMAT * len(fuzz_files.FORMATS), report
    assert set(summary.outcomes) == {"ok", "refused"}, report
    for kind, counts in summary.by_format.items():
        # Each format both survives harmless mutations and refuses harmful ones.
        assert counts["ok"] > 0 and counts["refused"] > PER_FORMAT // 2, (kind, report)


def test_the_driver_notices_each_way_a_reader_can_fail(tmp_path: Path) -> None:
    """Readers that escape, open another file, swell, crash or hang are all reported,
    and the files after a crash or a hang are still read."""
    kinds = ["escape", "open", "swell", "crash", "hang", "fine"]
    jobs = [(k, f"selftest-{kind}", str(tmp_path / f"f{k}")) for k, kind in enumerate(kinds)]
    for _, _, path in jobs:
        Path(path).write_bytes(b"x")
    summary = fuzz_files.Summary()
    pending = jobs
    while pending:
        pending = fuzz_files.run_batch(pending, tmp_path, False, summary, hang_seconds=3)
    assert summary.outcomes == Counter(
        {"escaped KeyError": 1, "escaped MemoryError": 1, "ok": 2, "crash": 1, "hang": 1}
    ), summary.problems
    problems = "\n".join(summary.problems)
    for sign in ("KeyError", "outputs.npz", "MemoryError", "crashed", "hung for over"):
        assert sign in problems, problems
    assert len(summary.problems) == 5, problems
