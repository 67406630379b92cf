"""Where two runs part: a planted difference is found at its step, layer, quantity and
unit, agreement within the tolerance is agreement, and bad trace files are refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine import Network, record
from lstm_sim.engine.formats.errors import InputFileError
from lstm_sim.engine.formats.trace_files import write_trace
from lstm_sim.engine.formats.trace_reader import read_trace_arrays
from lstm_sim.engine.trace_diff import COMPARED, Difference, difference_map, first_difference


@pytest.fixture
def run(tmp_path: Path) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    network = Network.random("lstm", 3, 4, rng, num_layers=2)
    trace = record(network, rng.standard_normal((30, 3)))
    path = write_trace(network, trace, tmp_path / "a.npz")
    return read_trace_arrays(path, COMPARED)


def planted(run: dict[str, np.ndarray], name: str, where: tuple[int, int, int], by: float):
    other = {k: v.copy() for k, v in run.items()}
    other[name][where] += by
    return other


def test_identical_runs_agree(run: dict[str, np.ndarray]) -> None:
    assert first_difference(run, {k: v.copy() for k, v in run.items()}) is None


def test_a_planted_difference_is_found_where_it_was_planted(run: dict[str, np.ndarray]) -> None:
    found = first_difference(run, planted(run, "c", (1, 17, 2), 1e-3), tolerance=1e-6)
    assert found == Difference(17, 1, "c", 2, run["c"][1, 17, 2], run["c"][1, 17, 2] + 1e-3)
    assert str(found) == "first difference: t=17 layer=1 quantity=c unit=2 |a-b|=0.001"


def test_the_earliest_step_then_layer_then_quantity_wins(run: dict[str, np.ndarray]) -> None:
    other = planted(run, "h", (0, 20, 3), 1.0)
    other["f"][1, 12, 0] += 1.0
    other["c"][1, 12, 1] += 1.0
    other["h"][0, 12, 1] += 1.0
    found = first_difference(run, other)
    assert found is not None and (found.t, found.layer, found.quantity, found.unit) == (
        12,
        0,
        "h",
        1,
    )
    del other["h"]
    found = first_difference(run, other)
    assert found is not None and (found.layer, found.quantity) == (1, "f")


def test_the_tolerance_and_non_finite_values(run: dict[str, np.ndarray]) -> None:
    assert first_difference(run, planted(run, "h", (0, 3, 0), 1e-9), tolerance=1e-6) is None
    assert first_difference(run, planted(run, "h", (0, 3, 0), 1e-9), tolerance=0) is not None
    nan = planted(run, "h", (0, 3, 0), np.nan)
    assert first_difference(nan, nan) is None
    found = first_difference(run, nan)
    assert found is not None and found.t == 3 and np.isnan(found.size)
    assert np.isnan(difference_map(run["h"], nan["h"])[0, 3, 0])


def test_runs_of_different_shapes_are_refused(run: dict[str, np.ndarray]) -> None:
    shorter = {k: v[:, :10] for k, v in run.items()}
    with pytest.raises(ValueError, match="expected the same"):
        first_difference(run, shorter)
    with pytest.raises(ValueError, match="share no per-unit quantity"):
        first_difference(run, {"x": np.zeros(3)})


def test_a_damaged_or_hostile_trace_file_is_one_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputFileError, match=r"broken\.npz"):
        read_trace_arrays(broken, COMPARED)
    objects = tmp_path / "objects.npz"
    np.savez(objects, h=np.array([{"a": 1}], dtype=object))
    with pytest.raises(InputFileError, match="expected numbers"):
        read_trace_arrays(objects, COMPARED)
    lying = tmp_path / "lying.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    with zipfile.ZipFile(lying, "w") as archive:
        archive.writestr("h.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(InputFileError, match="declares"):
        read_trace_arrays(lying, COMPARED)
