"""Every reader raises ModelFileError / InputFileError and nothing else.

Two halves: whatever a reader lets out (RecursionError, MemoryError, a library's own
error) becomes the documented error at the one boundary; and broken files of each format,
which used to escape as BadZipFile, zlib.error, RecursionError, KeyError and the like, are
refused in one line naming the file.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import lstm_sim.engine.formats as formats
from lstm_sim.cli import main
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.errors import InputFileError, ModelFileError
from lstm_sim.engine.formats.inputs import read_array, read_inputs, read_sequences, read_text
from lstm_sim.engine.formats.trace_files import write_trace
from lstm_sim.engine.formats.trace_reader import read_trace_arrays
from lstm_sim.engine.trace import record
from lstm_sim.engine.trace_diff import COMPARED

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MODELS = Path(__file__).resolve().parents[2] / "resources" / "models"
MODEL_FILES = {
    ".npz": MODELS / "example_lstm2.npz",
    ".pt": FIXTURES / "torch" / "lstm2.pt",
    ".safetensors": FIXTURES / "torch" / "lstm2.safetensors",
    ".keras": FIXTURES / "keras" / "lstm2.keras",
    ".h5": FIXTURES / "keras" / "lstm2_legacy.h5",
    ".onnx": FIXTURES / "onnx" / "lstm2.onnx",
}
ESCAPES: list[BaseException] = [
    RecursionError("maximum recursion depth exceeded"),
    MemoryError(),
    KeyError("weight"),
    zipfile.BadZipFile("Bad CRC-32"),
    zlib.error("invalid distance too far back"),
    EOFError(),
    AttributeError("'NoneType' object has no attribute 'shape'"),
    IndexError("index out of range"),
    TypeError("unhashable type"),
    OSError("Unable to synchronously open object"),
    RuntimeError("h5py internal error"),
    UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
]


def _check(err: pytest.ExceptionInfo[ValueError], path: Path) -> None:
    message = str(err.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message and len(message) <= 300, message


@pytest.mark.parametrize("suffix", list(MODEL_FILES))
@pytest.mark.parametrize("escape", ESCAPES, ids=lambda e: type(e).__name__)
def test_anything_a_model_reader_lets_out_becomes_one_model_file_error(
    monkeypatch: pytest.MonkeyPatch, suffix: str, escape: BaseException
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise escape

    if suffix == ".onnx":
        monkeypatch.setattr(formats, "read_onnx", broken)
    elif suffix in formats._NETWORK_READERS:
        monkeypatch.setitem(formats._NETWORK_READERS, suffix, broken)
    else:
        description, _ = formats._STATE_DICT_READERS[suffix]
        monkeypatch.setitem(formats._STATE_DICT_READERS, suffix, (description, broken))
    path = MODEL_FILES[suffix]
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    _check(err, path)
    assert type(escape).__name__ in str(err.value) or isinstance(
        escape, (RecursionError, MemoryError, ValueError)
    )


def test_ctrl_c_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setitem(formats._NETWORK_READERS, ".npz", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_model(MODEL_FILES[".npz"])


def _deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _rezip(source: Path, change: Callable[[str, bytes], bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(buffer, "w") as new:
        for info in old.infolist():
            new.writestr(info, change(info.filename, old.read(info)))
    return buffer.getvalue()


def _bad_crc(data: bytes) -> bytes:
    """The zip with the first member's stored CRC changed in both headers."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        at = out.index(signature) + offset
        out[at] ^= 0xFF
    return bytes(out)


def _deep_metadata_npz() -> bytes:
    def change(name: str, body: bytes) -> bytes:
        if name != "metadata.npy":
            return body
        buffer = io.BytesIO()
        np.save(buffer, np.array(("[" * 100_000) + ("]" * 100_000)))
        return buffer.getvalue()

    return _rezip(MODEL_FILES[".npz"], change)


def _deep_keras_config() -> bytes:
    return _rezip(
        MODEL_FILES[".keras"],
        lambda name, body: _deep_json(100_000) if name == "config.json" else body,
    )


def _deep_safetensors() -> bytes:
    header = b'{"a": ' + _deep_json(100_000) + b"}"
    return struct.pack("<Q", len(header)) + header


BROKEN: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "first half": lambda data: data[: len(data) // 2],
    "last half": lambda data: data[len(data) // 2 :],
    "middle zeroed": lambda data: (
        data[: len(data) // 3] + bytes(len(data) // 3) + data[2 * len(data) // 3 :]
    ),
    "noise": lambda data: np.random.default_rng(0).bytes(len(data)),
    "bad crc": lambda data: _bad_crc(data) if data[:2] == b"PK" else data[:-1],
}


@pytest.mark.parametrize("suffix", list(MODEL_FILES))
@pytest.mark.parametrize("damage", list(BROKEN))
def test_broken_model_files_are_refused_in_one_line(
    tmp_path: Path, suffix: str, damage: str
) -> None:
    if suffix in (".h5", ".keras"):
        pytest.importorskip("h5py")
    if suffix == ".onnx":
        pytest.importorskip("onnx")
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(BROKEN[damage](MODEL_FILES[suffix].read_bytes()))
    try:
        load_model(path)  # zeroed weights or a member nobody reads can still load
    except ModelFileError as err:
        message = str(err)
        assert message.startswith(str(path)) and "\n" not in message and len(message) <= 300
    else:
        assert damage in ("middle zeroed", "bad crc"), "a truncated or empty file loaded"


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("damage", list(BROKEN))
def test_listing_a_broken_files_modules_is_refused_in_one_line(
    tmp_path: Path, suffix: str, damage: str
) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(BROKEN[damage](MODEL_FILES[suffix].read_bytes()))
    try:
        formats.recurrent_modules_in(path)
    except ModelFileError as err:
        message = str(err)
        assert message.startswith(str(path)) and "\n" not in message and len(message) <= 300
    fifo = tmp_path / f"fifo{suffix}"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="FIFO"):
        formats.recurrent_modules_in(fifo)


@pytest.mark.parametrize(
    ("suffix", "make"),
    [
        (".npz", _deep_metadata_npz),
        (".keras", _deep_keras_config),
        (".safetensors", _deep_safetensors),
    ],
)
def test_nesting_deep_enough_to_overflow_the_stack_is_refused(
    tmp_path: Path, suffix: str, make: Callable[[], bytes]
) -> None:
    path = tmp_path / f"deep{suffix}"
    path.write_bytes(make())
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    _check(err, path)


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    x = np.arange(18, dtype=np.float64).reshape(6, 3)
    np.save(tmp_path / "x.npy", x)
    np.savetxt(tmp_path / "x.csv", x, delimiter=",")
    np.savez_compressed(tmp_path / "train.npz", x=x[None], y=x[None, :, :1])
    (tmp_path / "text.txt").write_text("hello")
    network = load_model(MODEL_FILES[".pt"])
    write_trace(network, record(network, x), tmp_path / "trace.npz")
    names = ("x.npy", "x.csv", "train.npz", "text.txt", "trace.npz")
    return {name: tmp_path / name for name in names}


INPUT_READERS: dict[str, Callable[[Path], object]] = {
    "x.npy": read_inputs,
    "x.csv": read_inputs,
    "train.npz": read_sequences,
    "text.txt": read_text,
    "trace.npz": lambda path: read_trace_arrays(path, COMPARED),
}


@pytest.mark.parametrize("name", list(INPUT_READERS))
@pytest.mark.parametrize("damage", list(BROKEN))
def test_broken_input_files_are_refused_in_one_line(
    inputs: dict[str, Path], tmp_path: Path, name: str, damage: str
) -> None:
    broken = tmp_path / f"broken-{name}"
    broken.write_bytes(BROKEN[damage](inputs[name].read_bytes()))
    try:
        INPUT_READERS[name](broken)
    except InputFileError as err:
        message = str(err)
        assert message.startswith(str(broken)) and "\n" not in message and len(message) <= 300


def test_a_missing_or_odd_input_file_is_one_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such h0 file"):
        read_array(tmp_path / "h0.npy", "h0")
    np.save(tmp_path / "words.npy", np.array(["a", "b"]))
    with pytest.raises(InputFileError, match="expected an array of numbers for targets"):
        read_array(tmp_path / "words.npy", "targets")
    shutil.copy(MODEL_FILES[".npz"], tmp_path / "model.npz")
    with pytest.raises(InputFileError, match=r"expected x .* \(missing x, y\)"):
        read_sequences(tmp_path / "model.npz")


def test_the_cli_reports_a_terabyte_npy_and_broken_training_data_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3000000000000, 1), }"
    header += " " * (-(len(header) + 11) % 64) + "\n"
    huge = tmp_path / "huge.npy"
    huge.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    model = str(MODEL_FILES[".pt"])
    assert main(["trace", model, "--inputs", str(huge), "--out", str(tmp_path / "t.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "21.8 TiB" in err, err
    data = tmp_path / "data.npz"
    data.write_bytes(b"PK\x03\x04" + bytes(40))
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "m.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(data) in err, err
    assert json.dumps(err)  # printable
