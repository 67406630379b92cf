"""Writing a recorded trace (and, optionally, its gradients) to .npz or .csv files.

The .npz holds, for an LSTM, ``h c i f g o fc ig tanh_c`` each (L, T, H) and ``pre``
(L, T, 4H) with the gate pre-activations in blocks i, f, g, o; for a GRU ``h r z n hn``
each (L, T, H) (r the reset gate, z the update gate, n the candidate, hn the candidate's
recurrent term W_hn h_{t-1} + b_hn, which r scales) and ``pre`` (L, T, 3H) with the
pre-activations a_r, a_z, a_n in blocks r, z, n (a_n = W_in x_t + b_in + r ⊙ hn); for a
simple RNN ``h`` and its pre-activation ``a`` (L, T, H). Always ``x`` (T, D) as fed,
``h0`` (and ``c0``) (L, H);
with a readout ``logits`` (T, V) and, for softmax, ``probs`` (T, V); with a vocabulary
``vocab`` (V,) and, for token input, ``tokens`` (T,), both unicode, so the file loads with
``allow_pickle=False``.

The .csv has one row per (layer, step, unit) and a column per per-unit quantity, with a
token column for token input; per-sequence arrays (x, logits, probs) are in the .npz only.
An LSTM's columns are ``pre_i pre_f pre_g pre_o i f g o fc ig c tanh_c h``, a GRU's
``pre_r pre_z pre_n r z n hn h``, a simple RNN's ``a h``.

A what-if run (``trace --clamp``) also holds ``clamps`` (N,), the clamp specs as written.

Both are written to a temporary file beside the target and renamed into place
(:mod:`lstm_sim.engine.atomic_write`): an interrupted export leaves the previous file as
it was.

With gradients the .npz gains ``loss`` (a scalar), ``step_loss`` (T,), ``dh`` and, for an
LSTM, ``dc`` (L, T, H), and ``grad.<name>`` for every parameter under its PyTorch name; the
.csv gains ``dh`` and ``dc`` columns.

A network with variant layers adds (see :mod:`lstm_sim.engine.network`):

- reverse and bidirectional layers: ``directions`` (L,) unicode, each layer's
  ``forward``, ``reverse`` or ``bidirectional``, and the reverse passes' quantities under
  the same names with ``_reverse`` (``h_reverse``, ``c_reverse``, ``pre_reverse``,
  ``i_reverse``, ..., ``h0_reverse``), **in time order**: index t is the step that read
  x_t, although the pass ran from x_{T-1} down to x_0; ``h0_reverse`` is the state it
  started from, before reading x_{T-1}. The forward arrays of a reverse-only layer, and the
  reverse arrays of a forward layer, are zeros. With gradients, ``dh_reverse`` and
  ``dc_reverse`` (L, T, ...) in time order too; ``grad.<name>`` carries PyTorch's
  ``_reverse`` names. Time order was chosen over a direction axis so that every array
  lines up with ``x`` and with the forward pass, index for index.
- a projection (``proj_size`` P): ``h`` (and ``h0``, ``dh``) are (L, T, P), and ``m``
  (L, T, H) is o ⊙ tanh(c_t) before W_hr; the .csv is refused (h and c differ in width).
- an input mask (Keras ``Masking``): ``mask`` (T,), True at the steps the layers read.

The .csv lists the reverse quantities as ``_reverse`` columns beside the forward ones.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from lstm_sim.engine.atomic_write import atomic_write, atomic_write_text
from lstm_sim.engine.backprop import Gradients
from lstm_sim.engine.gates import split_gates
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace

TRACE_SUFFIXES = (".npz", ".csv")


def trace_arrays(network: Network, trace: Trace) -> dict[str, np.ndarray]:
    """Every recorded quantity under the names documented above."""
    arrays: dict[str, np.ndarray] = {"x": trace.x, "h": trace.h, "h0": trace.h_all[:, 0]}
    if trace.kind == "lstm":
        c_all, fc, ig, tanh_c = _lstm_arrays(trace)
        arrays |= {"c": c_all[:, 1:], "c0": c_all[:, 0], "pre": trace.pre}
        arrays |= {name: trace.gate(name) for name in "ifgo"}
        arrays |= {"fc": fc, "ig": ig, "tanh_c": tanh_c}
    elif trace.kind == "gru":
        arrays |= {name: trace.gate(name) for name in "rzn"}
        arrays |= {"hn": _gru_hn(trace), "pre": trace.pre}
    else:
        arrays["a"] = trace.pre
    arrays |= variant_arrays(trace)
    if trace.logits is not None:
        arrays["logits"] = trace.logits
    if trace.probs is not None:
        arrays["probs"] = trace.probs
    if network.vocab is not None:
        arrays["vocab"] = np.array(network.vocab.tokens, dtype=np.str_)
    if trace.tokens is not None:
        arrays["tokens"] = np.array(trace.tokens, dtype=np.str_)
    return arrays


def variant_arrays(trace: Trace) -> dict[str, np.ndarray]:
    """The arrays a trace of variant layers adds: ``m``, ``mask``, ``directions`` and the
    reverse passes' quantities, as documented above (empty for a plain network)."""
    arrays: dict[str, np.ndarray] = {}
    if trace.m is not None:
        arrays["m"] = trace.m
    if trace.mask is not None:
        arrays["mask"] = trace.mask
    if not trace.directions:
        return arrays
    arrays["directions"] = np.array(trace.directions, dtype=np.str_)
    steps = trace.num_steps
    reverse = trace.reverse_arrays()
    arrays["h_reverse"] = reverse["h_all_reverse"][:, :steps]
    arrays["h0_reverse"] = reverse["h_all_reverse"][:, steps]
    if "c_all_reverse" in reverse:
        arrays["c_reverse"] = reverse["c_all_reverse"][:, :steps]
        arrays["c0_reverse"] = reverse["c_all_reverse"][:, steps]
    gates = {"lstm": "ifgo", "gru": "rzn"}.get(trace.kind, "")
    hidden = trace.cell_size
    act = reverse.get("act_reverse")
    for k, gate in enumerate(gates):
        assert act is not None
        arrays[f"{gate}_reverse"] = act[..., k * hidden : (k + 1) * hidden]
    arrays["a_reverse" if trace.kind == "rnn" else "pre_reverse"] = reverse["pre_reverse"]
    for name in ("fc", "ig", "tanh_c", "hn", "m"):
        if f"{name}_reverse" in reverse:
            arrays[f"{name}_reverse"] = reverse[f"{name}_reverse"]
    return arrays


def _lstm_arrays(trace: Trace) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """c_all, fc, ig and tanh_c of an LSTM trace, which records all four."""
    if trace.c_all is None or trace.fc is None or trace.ig is None or trace.tanh_c is None:
        raise ValueError("an LSTM trace lacks its cell-state arrays")
    return trace.c_all, trace.fc, trace.ig, trace.tanh_c


def _gru_hn(trace: Trace) -> np.ndarray:
    """hn of a GRU trace, which records it."""
    if trace.hn is None:
        raise ValueError("a GRU trace lacks its hn array")
    return trace.hn


def gradient_arrays(grads: Gradients) -> dict[str, np.ndarray]:
    """The gradients of a sequence's loss under the names documented above."""
    arrays: dict[str, np.ndarray] = {
        "loss": np.asarray(grads.loss),
        "step_loss": grads.step_loss,
        "dh": grads.dh,
    }
    if grads.dc is not None:
        arrays["dc"] = grads.dc
    if grads.dh_reverse is not None:
        arrays["dh_reverse"] = grads.dh_reverse
    if grads.dc_reverse is not None:
        arrays["dc_reverse"] = grads.dc_reverse
    arrays |= {f"grad.{name}": value for name, value in grads.params.items()}
    return arrays


def csv_columns(trace: Trace, grads: Gradients | None = None) -> dict[str, np.ndarray]:
    """The per-unit quantities, each (L, T, H), in the order the CSV lists them."""
    columns: dict[str, np.ndarray]
    if trace.kind == "rnn":
        columns = {"a": trace.pre, "h": trace.h}
    elif trace.kind == "gru":
        pre = split_gates(trace.pre, "gru")
        columns = {f"pre_{g}": a for g, a in zip("rzn", pre, strict=True)}
        columns |= {g: trace.gate(g) for g in "rzn"}
        columns |= {"hn": _gru_hn(trace), "h": trace.h}
    else:
        c_all, fc, ig, tanh_c = _lstm_arrays(trace)
        columns = {f"pre_{g}": pre for g, pre in zip("ifgo", split_gates(trace.pre), strict=True)}
        columns |= {g: trace.gate(g) for g in "ifgo"}
        columns |= {"fc": fc, "ig": ig, "c": c_all[:, 1:], "tanh_c": tanh_c}
        columns["h"] = trace.h
    if trace.m is not None:
        raise ValueError(
            "a projected LSTM's h (P units) and c (H units) cannot share a row per unit: "
            "write an .npz"
        )
    if trace.directions:
        reverse = variant_arrays(trace)
        for name in list(columns):
            source = "a_reverse" if name == "a" else f"{name}_reverse"
            if name.startswith("pre_"):
                block = "ifgo".index(name[4]) if trace.kind == "lstm" else "rzn".index(name[4])
                hidden = trace.cell_size
                pre_block = reverse["pre_reverse"][..., block * hidden : (block + 1) * hidden]
                columns[f"{name}_reverse"] = pre_block
            else:
                columns[f"{name}_reverse"] = reverse[source]
    if grads is not None:
        columns["dh"] = grads.dh
        if grads.dc is not None:
            columns["dc"] = grads.dc
        if grads.dh_reverse is not None:
            columns["dh_reverse"] = grads.dh_reverse
        if grads.dc_reverse is not None:
            columns["dc_reverse"] = grads.dc_reverse
    return columns


ROW_BLOCK_STEPS = 256
"""Steps whose rows are formatted at a time: the CSV is streamed block by block, so its
cost in memory does not grow with T."""


def csv_header(columns: Sequence[str], tokens: bool) -> list[str]:
    """The CSV's first row: layer, t, (token,) unit, then one column per quantity."""
    return ["layer", "t", *(["token"] if tokens else []), "unit", *columns]


def csv_row_block(
    layer: int, first_t: int, tokens: Sequence[str] | None, blocks: Sequence[np.ndarray]
) -> Iterator[tuple[object, ...]]:
    """The rows of ``layer`` at steps first_t.. : ``blocks`` holds one (n, H) array per
    quantity; ``tokens`` the whole sequence's tokens, or None."""
    steps, hidden = blocks[0].shape
    t = np.repeat(np.arange(first_t, first_t + steps), hidden).tolist()
    values = [[layer] * (steps * hidden), t, np.tile(np.arange(hidden), steps).tolist()]
    values += [block.ravel().tolist() for block in blocks]
    if tokens is not None:
        values.insert(2, [tokens[k] for k in t])
    return zip(*values, strict=True)


def csv_rows(
    trace: Trace, grads: Gradients | None = None, block_steps: int | None = None
) -> Iterator[tuple[object, ...]]:
    """Every row of ``trace``'s CSV after the header, by (layer, step, unit), produced a
    block of steps at a time (``ROW_BLOCK_STEPS`` unless given)."""
    block_steps = ROW_BLOCK_STEPS if block_steps is None else block_steps
    columns = list(csv_columns(trace, grads).values())
    for layer in range(trace.num_layers):
        for start in range(0, trace.num_steps, block_steps):
            blocks = [column[layer, start : start + block_steps] for column in columns]
            yield from csv_row_block(layer, start, trace.tokens, blocks)


def write_csv(trace: Trace, path: Path, grads: Gradients | None = None) -> None:
    """One row per (layer, step, unit) of ``trace`` to ``path``."""
    header = csv_header(list(csv_columns(trace, grads)), trace.tokens is not None)
    rows = csv_rows(trace, grads)
    with atomic_write_text(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_trace(
    network: Network,
    trace: Trace,
    path: str | Path,
    grads: Gradients | None = None,
    extra: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write ``trace`` (recorded through ``network``) to a .npz or .csv file, chosen by the
    suffix of ``path``; returns the path written. ``extra`` arrays (e.g. the ``clamps`` of
    a what-if run, as unicode) join a .npz under their own names."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in TRACE_SUFFIXES:
        raise ValueError(f"{out}: expected a file ending in .npz or .csv, found {suffix or 'none'}")
    if suffix == ".csv":
        write_csv(trace, out, grads)
    else:
        arrays = trace_arrays(network, trace)
        if grads is not None:
            arrays |= gradient_arrays(grads)
        with atomic_write(out) as handle:
            # numpy's stub lets a ** argument fill allow_pickle; none of these names is that.
            np.savez(handle, **arrays, **(extra or {}))  # type: ignore[arg-type]
    return out
