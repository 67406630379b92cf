"""Writing a long recording without holding it: the trace's .csv streamed chunk by chunk,
or an .npz of only the quantities asked for.

The .csv is the one :mod:`.trace_files` writes, byte for byte (its rows are ordered by
layer first, so each layer's rows come from a pass of :func:`chunk_traces` of their
own: L passes of the recording, each holding one chunk). The .npz holds each quantity
named (L, T, H) under its CSV column name, ``h0`` (and ``c0``) (L, H), and ``vocab`` and
``tokens`` as :mod:`.trace_files` writes them; ``x``, ``logits`` and ``probs`` are left
out. Both are written to a temporary file in the target folder and renamed into place.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lstm_sim.engine.chunked import (
    chunk_traces,
    quantity,
    quantity_names,
    record_quantities,
)
from lstm_sim.engine.formats import trace_files
from lstm_sim.engine.formats.trace_files import csv_header, csv_row_block
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import as_tokens


def chosen_quantities(network: Network, names: Sequence[str] | None) -> list[str]:
    """``names`` in the order the CSV lists them (every per-unit quantity when None);
    ValueError naming any the network does not have."""
    known = quantity_names(network)
    if names is None:
        return list(known)
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ValueError(
            f"no quantity {', '.join(map(repr, unknown)) or 'named'} in a {network.kind} "
            f"network; choose from {', '.join(known)}"
        )
    return [name for name in known if name in names]


def _temporary_beside(path: Path, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    return Path(name)


def write_csv_in_chunks(
    network: Network,
    inputs: np.ndarray | Sequence[str] | Sequence[float],
    path: str | Path,
    names: Sequence[str] | None = None,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    chunk_steps: int | None = None,
) -> None:
    """The CSV of a recording of ``inputs`` (only the columns ``names``, every one unless
    given), recorded ``chunk_steps`` steps at a time."""
    out = Path(path)
    columns = chosen_quantities(network, names)
    tokens = as_tokens(inputs)
    block = trace_files.ROW_BLOCK_STEPS
    temporary = _temporary_beside(out, ".csv")
    try:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(csv_header(columns, tokens is not None))
            for layer in range(network.num_layers):
                for start, trace in chunk_traces(network, inputs, chunk_steps, h0, c0):
                    arrays = [quantity(trace, name)[layer] for name in columns]
                    for first in range(0, trace.num_steps, block):
                        blocks = [array[first : first + block] for array in arrays]
                        writer.writerows(csv_row_block(layer, start + first, tokens, blocks))
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)


def write_quantities_npz(
    network: Network,
    inputs: np.ndarray | Sequence[str] | Sequence[float],
    path: str | Path,
    names: Sequence[str],
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    chunk_steps: int | None = None,
) -> None:
    """An .npz of only the quantities ``names`` of a recording of ``inputs``."""
    out = Path(path)
    columns = chosen_quantities(network, names)
    arrays = record_quantities(network, inputs, columns, chunk_steps=chunk_steps, h0=h0, c0=c0)
    shape = (network.num_layers, network.hidden_size)
    for name, value in (("h0", h0), ("c0", c0)):
        if name == "h0" or network.kind == "lstm":
            initial = np.zeros(shape, network.dtype) if value is None else value
            arrays[name] = np.asarray(initial, network.dtype).reshape(shape)
    if network.vocab is not None:
        arrays["vocab"] = np.array(network.vocab.tokens, dtype=np.str_)
    tokens = as_tokens(inputs)
    if tokens is not None:
        arrays["tokens"] = np.array(tokens, dtype=np.str_)
    temporary = _temporary_beside(out, ".npz")
    try:
        with temporary.open("wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
