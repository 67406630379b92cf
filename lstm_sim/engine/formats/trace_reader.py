"""Reading a trace file back: the named arrays of a ``.npz`` written by ``lstm-sim trace``
(or by another tool in the same format), for diffs and reference runs.

Only the members asked for are inflated, each checked from its header before any data is
read (:mod:`.npy`): no object arrays, and a size within what the file holds and the
limit, so a crafted file can neither unpickle anything nor make lstm-sim allocate more
than it stores. Anything wrong is one InputFileError line (:mod:`.inputs`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from lstm_sim.engine.formats.errors import InputFileError
from lstm_sim.engine.formats.inputs import input_boundary
from lstm_sim.engine.formats.limits import read_regular_file
from lstm_sim.engine.formats.npy import NpzMembers

MAX_TRACE_BYTES = 4 << 30
"""Largest array a trace file may ask lstm-sim to hold: far above any trace a window shows."""


def read_trace_arrays(path: str | os.PathLike[str], names: Iterable[str]) -> dict[str, np.ndarray]:
    """The arrays ``names`` that the trace file ``path`` holds (missing ones are left out);
    InputFileError, and nothing else, for a file that is not a readable trace."""
    file = Path(path)
    if file.suffix.lower() != ".npz":
        raise InputFileError(f"{file}: expected a trace file ending in .npz")
    return input_boundary(file, lambda: _read(file, names))


def _read(path: Path, names: Iterable[str]) -> dict[str, np.ndarray]:
    members = NpzMembers(read_regular_file(path, MAX_TRACE_BYTES, "trace file"), MAX_TRACE_BYTES)
    try:
        arrays = {}
        for name in names:
            if name in members:
                array = members[name]
                if array.dtype.kind not in "biuf":
                    raise ValueError(f"{name}: expected numbers, found dtype {array.dtype}")
                arrays[name] = array
        return arrays
    finally:
        members.close()
