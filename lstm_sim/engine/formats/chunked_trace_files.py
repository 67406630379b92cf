"""Writing a long recording without holding it: the trace's .csv streamed chunk by chunk,
or an .npz of only the quantities asked for.

The .csv is the one :mod:`.trace_files` writes, byte for byte (its rows are ordered by
layer first, so each layer's rows come from a pass of :func:`chunk_traces` of their
own: L passes of the recording, each holding one chunk). The .npz holds each quantity
named (L, T, H) under its CSV column name, ``h0`` (and ``c0``) (L, H), and ``vocab`` and
``tokens`` as :mod:`.trace_files` writes them; ``x``, ``logits`` and ``probs`` are left
out. Both are written atomically (:mod:`lstm_sim.engine.atomic_write`).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lstm_sim.engine.atomic_write import atomic_write, atomic_write_text
from lstm_sim.engine.chunked import (
    ChunkHook,
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


def write_csv_in_chunks(
    network: Network,
    inputs: np.ndarray | Sequence[str] | Sequence[float],
    path: str | Path,
    names: Sequence[str] | None = None,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    chunk_steps: int | None = None,
    on_chunk: ChunkHook | None = None,
) -> None:
    """The CSV of a recording of ``inputs`` (only the columns ``names``, every one unless
    given), recorded ``chunk_steps`` steps at a time; ``on_chunk`` sees every chunk's
    trace once, in step order (in the first layer's pass)."""
    out = Path(path)
    columns = chosen_quantities(network, names)
    tokens = as_tokens(inputs)
    block = trace_files.ROW_BLOCK_STEPS
    with atomic_write_text(out) as handle:
        writer = csv.writer(handle)
        writer.writerow(csv_header(columns, tokens is not None))
        for layer in range(network.num_layers):
            for start, trace in chunk_traces(network, inputs, chunk_steps, h0, c0):
                if on_chunk is not None and layer == 0:
                    on_chunk(start, trace)
                arrays = [quantity(trace, name)[layer] for name in columns]
                for first in range(0, trace.num_steps, block):
                    blocks = [array[first : first + block] for array in arrays]
                    writer.writerows(csv_row_block(layer, start + first, tokens, blocks))


def write_quantities_npz(
    network: Network,
    inputs: np.ndarray | Sequence[str] | Sequence[float],
    path: str | Path,
    names: Sequence[str],
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    chunk_steps: int | None = None,
    on_chunk: ChunkHook | None = None,
) -> None:
    """An .npz of only the quantities ``names`` of a recording of ``inputs``."""
    out = Path(path)
    columns = chosen_quantities(network, names)
    arrays = record_quantities(
        network, inputs, columns, chunk_steps=chunk_steps, h0=h0, c0=c0, on_chunk=on_chunk
    )
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
    with atomic_write(out) as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]
