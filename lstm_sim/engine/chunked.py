"""Recording a long sequence in chunks, keeping only what an analysis asks for.

:func:`lstm_sim.engine.trace.record` keeps every intermediate of every step: about 13
numbers per unit, layer and step for an LSTM. An analysis that reads one quantity (or a
few units of it) over a long text needs a small part of that. Here the sequence is run
``chunk_steps`` steps at a time, each chunk starting from the state the previous one
ended in, and only the named quantities are copied out; the peak memory is one chunk's
trace plus the arrays kept. The numbers are those of a whole-sequence recording, bit for
bit: the recurrence is the same step, and the input projection of a step does not
depend on the other steps in its chunk, as long as a chunk has two steps or more (BLAS
multiplies a single row by another kernel, which rounds differently).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from lstm_sim.engine.gates import gate_slice
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace, record

CHUNK_STEPS = 4096
"""Steps per chunk: a chunk's trace of a 2-layer H=256 LSTM is then about 110 MB."""

LSTM_QUANTITIES = (
    *("pre_i", "pre_f", "pre_g", "pre_o"),
    *("i", "f", "g", "o", "fc", "ig", "c", "tanh_c", "h"),
)
GRU_QUANTITIES = ("pre_r", "pre_z", "pre_n", "r", "z", "n", "hn", "h")
RNN_QUANTITIES = ("a", "h")
QUANTITIES = {"lstm": LSTM_QUANTITIES, "gru": GRU_QUANTITIES, "rnn": RNN_QUANTITIES}
"""Each cell kind's per-unit quantities, in the order of the trace's CSV columns."""
ChunkHook = Callable[[int, Trace], None]
"""Called with (first step, trace) of each chunk as it is recorded: a check over the
whole run (NaN, say) that needs no more than one chunk at a time."""
"""The per-unit quantities, each (L, T, H), under the names of the trace's CSV columns."""


def quantity_names(network: Network) -> tuple[str, ...]:
    """Every per-unit quantity a trace of ``network`` holds."""
    return QUANTITIES[network.kind]


def quantity(trace: Trace, name: str) -> np.ndarray:
    """One per-unit quantity of ``trace`` by its CSV column name, a view (L, T, H)."""
    if name not in QUANTITIES[trace.kind]:
        known = QUANTITIES[trace.kind]
        raise ValueError(
            f"a {trace.kind} trace has no quantity {name!r}; it has {', '.join(known)}"
        )
    hidden = trace.hidden_size
    if name == "h":
        return trace.h
    if name == "a":
        return trace.pre
    if name.startswith("pre_"):
        return trace.pre[..., gate_slice(name[-1], hidden, trace.kind)]
    if name in ("i", "f", "g", "o", "r", "z", "n"):
        return trace.gate(name)
    arrays = {"c": trace.c, "fc": trace.fc, "ig": trace.ig, "tanh_c": trace.tanh_c}
    arrays["hn"] = trace.hn
    value = arrays[name]
    assert value is not None
    return value


def chunk_traces(
    network: Network,
    inputs: np.ndarray | Sequence[str] | Sequence[float],
    chunk_steps: int | None = None,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> Iterator[tuple[int, Trace]]:
    """The recording of ``inputs`` as (first step, trace of the next ``chunk_steps``
    steps, ``CHUNK_STEPS`` unless given) pairs, each chunk started from the state the one
    before ended in. A chunk's trace is released when the next one is made, unless the
    caller keeps it."""
    network.refuse_variants("recording in chunks")
    chunk_steps = CHUNK_STEPS if chunk_steps is None else chunk_steps
    if chunk_steps < 2:
        raise ValueError(f"chunk_steps must be at least 2, got {chunk_steps}")
    steps = len(inputs)
    if steps == 0:
        raise ValueError("inputs are empty: a recording needs at least one step")
    start = 0
    while start < steps:
        # A last chunk of one step joins the one before (see the module's docstring).
        size = chunk_steps + 1 if steps - start == chunk_steps + 1 else chunk_steps
        piece = inputs[start : start + size]
        trace = record(network, piece, h0, c0)
        yield start, trace
        h0 = trace.h_all[:, -1].copy()
        c0 = None if trace.c_all is None else trace.c_all[:, -1].copy()
        start += trace.num_steps


def record_quantities(
    network: Network,
    inputs: np.ndarray | Sequence[str] | Sequence[float],
    names: Sequence[str],
    *,
    units: Sequence[int] | None = None,
    layers: Sequence[int] | None = None,
    dtype: np.dtype | type | None = None,
    chunk_steps: int | None = None,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    on_chunk: ChunkHook | None = None,
) -> dict[str, np.ndarray]:
    """Only the quantities ``names`` of a recording of ``inputs``, in chunks.

    Each is (len(layers), T, len(units)): every layer and unit unless given, in
    ``dtype`` (the network's unless given). ``on_chunk`` sees each chunk's trace.
    """
    known = quantity_names(network)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(
            f"no quantity {', '.join(map(repr, unknown))} in a {network.kind} network; "
            f"it has {', '.join(known)}"
        )
    layer_list = list(range(network.num_layers)) if layers is None else list(layers)
    unit_list = list(range(network.hidden_size)) if units is None else list(units)
    for layer in layer_list:
        if not 0 <= layer < network.num_layers:
            raise ValueError(f"layer {layer} is out of range for {network.num_layers} layers")
    for unit in unit_list:
        if not 0 <= unit < network.hidden_size:
            raise ValueError(f"unit {unit} is out of range for H={network.hidden_size}")
    out_dtype = np.dtype(network.dtype if dtype is None else dtype)
    steps = len(inputs)
    kept = {name: np.empty((len(layer_list), steps, len(unit_list)), out_dtype) for name in names}
    every_unit = units is None
    for start, trace in chunk_traces(network, inputs, chunk_steps, h0, c0):
        if on_chunk is not None:
            on_chunk(start, trace)
        stop = start + trace.num_steps
        for name, target in kept.items():
            values = quantity(trace, name)[layer_list]
            target[:, start:stop] = values if every_unit else values[..., unit_list]
    return kept
