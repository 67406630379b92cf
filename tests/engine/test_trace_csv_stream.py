"""The trace CSV, streamed block by block, is byte for byte the CSV written whole."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.backprop import gradients
from lstm_sim.engine.formats import trace_files
from lstm_sim.engine.formats.trace_files import csv_columns, write_csv
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace, record
from lstm_sim.engine.vocab import Vocabulary


def csv_written_whole(trace: Trace, grads=None) -> bytes:  # type: ignore[no-untyped-def]
    """How write_csv made the file before it streamed: every column as one list."""
    layers, steps, hidden = trace.num_layers, trace.num_steps, trace.hidden_size
    layer, t, unit = (a.ravel().tolist() for a in np.indices((layers, steps, hidden)))
    columns = csv_columns(trace, grads)
    header = ["layer", "t", "unit", *columns]
    values = [layer, t, unit, *(c.ravel().tolist() for c in columns.values())]
    if trace.tokens is not None:
        header.insert(2, "token")
        values.insert(2, [trace.tokens[k] for k in t])
    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow(header)
    writer.writerows(zip(*values, strict=True))
    return handle.getvalue().encode("utf-8")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_streamed_csv_equals_the_whole_csv_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dtype: type
) -> None:
    monkeypatch.setattr(trace_files, "ROW_BLOCK_STEPS", 4)  # several blocks per layer
    rng = np.random.default_rng(5)
    vocab = Vocabulary(tuple("ab ,\n"), "char")
    network = Network.random(
        "lstm", 5, 3, rng, num_layers=2, output_size=5, vocab=vocab, dtype=dtype
    )
    text = list("ab, a\nba b,")
    trace = record(network, text)
    grads = gradients(network, trace, np.append(vocab.indices(text)[1:], -1), "xent")
    for with_grads in (None, grads):
        out = tmp_path / "trace.csv"
        write_csv(trace, out, with_grads)
        assert out.read_bytes() == csv_written_whole(trace, with_grads)


def test_numeric_rnn_csv_streams_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace_files, "ROW_BLOCK_STEPS", 3)
    rng = np.random.default_rng(6)
    network = Network.random("rnn", 2, 4, rng)
    trace = record(network, rng.uniform(-1, 1, size=(10, 2)))
    out = tmp_path / "rnn.csv"
    write_csv(trace, out)
    assert out.read_bytes() == csv_written_whole(trace)
