"""Hostile files are refused in one line before they can reach outside, hang or swell.

One test per case of issue 10's "Reaching outside" and "Hangs and bombs": HDF5 external
storage, external links, soft-link loops, virtual datasets, FIFOs, ONNX external data,
deflate bombs, headers asking for terabytes, and a reader that spins or crashes.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.errors import InputFileError, ModelFileError
from lstm_sim.engine.formats.inputs import read_array, read_inputs, read_sequences
from lstm_sim.engine.formats.native import native_arrays

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
KNOWN_BYTES = b"root:x:0:0:root:/root:/bin/bash\n" * 4


def _assert_one_line(err: pytest.ExceptionInfo[ValueError], path: Path) -> str:
    message = str(err.value)
    assert "\n" not in message and len(message) <= 300, message
    assert str(path) in message
    return message


def _refused(path: Path, pattern: str, **kwargs: object) -> str:
    start = time.monotonic()
    with pytest.raises(ModelFileError, match=pattern) as err:
        load_model(path, **kwargs)
    assert time.monotonic() - start < 10
    return _assert_one_line(err, path)


# -- HDF5 reaching outside ------------------------------------------------------------------


@pytest.fixture
def h5py():
    return pytest.importorskip("h5py")


def _legacy_h5(h5py, path: Path, build) -> Path:
    """The committed legacy Keras .h5 with ``build(h5, layer_group)`` applied to a copy."""
    shutil.copy(FIXTURES / "keras" / "lstm2_legacy.h5", path)
    with h5py.File(path, "r+") as h5:
        root = h5["model_weights"]
        layer = _text(root.attrs["layer_names"][1])
        build(h5, root[layer])
    return path


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _first_weight(group) -> str:
    return _text(group.attrs["weight_names"][0])


def _swap_for(group, name: str, make) -> None:
    """Replace dataset ``name`` of ``group`` by ``make(group, name, shape)``."""
    shape = group[name].shape
    del group[name]
    make(group, name, shape)


def test_legacy_fixture_reads(h5py) -> None:
    assert load_model(FIXTURES / "keras" / "lstm2_legacy.h5").num_layers == 2


def test_an_hdf5_file_after_a_user_block_still_reads(h5py, tmp_path: Path) -> None:
    path = tmp_path / "user_block.h5"
    with (
        h5py.File(FIXTURES / "keras" / "lstm2_legacy.h5", "r") as source,
        h5py.File(path, "w", userblock_size=1024) as copy,
    ):
        copy.attrs.update(source.attrs)
        source.copy(source["model_weights"], copy, "model_weights")
    assert path.read_bytes()[:8] != b"\x89HDF\r\n\x1a\n"
    assert load_model(path).hidden_size == 5


def test_hdf5_external_storage_is_refused_without_reading_it(h5py, tmp_path: Path) -> None:
    outside = tmp_path / "passwd"
    outside.write_bytes(KNOWN_BYTES * 100)

    def external(group, name, shape):
        nbytes = int(np.prod(shape)) * 4
        group.create_dataset(name, shape=shape, dtype="<f4", external=[(str(outside), 0, nbytes)])

    path = _legacy_h5(
        h5py, tmp_path / "ext.h5", lambda h5, g: _swap_for(g, _first_weight(g), external)
    )
    with h5py.File(path, "r") as h5:  # the file really would load the outside bytes
        layer = h5["model_weights"][_text(h5["model_weights"].attrs["layer_names"][1])]
        leaked = np.asarray(layer[_first_weight(layer)][()]).tobytes()
        assert leaked == (KNOWN_BYTES * 100)[: len(leaked)]
    _refused(path, "keeps its data in external files")


def test_hdf5_external_storage_on_a_fifo_is_refused_not_blocked(h5py, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def external(group, name, shape):
        group.create_dataset(name, shape=shape, dtype="<f4", external=[(str(fifo), 0, 4096)])

    path = _legacy_h5(
        h5py, tmp_path / "fifo.h5", lambda h5, g: _swap_for(g, _first_weight(g), external)
    )
    _refused(path, "external files")


def test_hdf5_external_link_is_refused(h5py, tmp_path: Path) -> None:
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h5:
        h5["w"] = np.full((20, 3), 7.0, np.float32)

    def link(group, name, shape):
        group[name] = h5py.ExternalLink(str(other), "/w")

    path = _legacy_h5(
        h5py, tmp_path / "link.h5", lambda h5, g: _swap_for(g, _first_weight(g), link)
    )
    _refused(path, "external link to .*other.h5")


def test_hdf5_soft_link_loop_is_refused(h5py, tmp_path: Path) -> None:
    def loop(h5, group):
        h5["loop_a"] = h5py.SoftLink("/loop_b")
        h5["loop_b"] = h5py.SoftLink("/loop_a")

    _refused(_legacy_h5(h5py, tmp_path / "loop.h5", loop), "soft link")


def test_hdf5_virtual_dataset_is_refused(h5py, tmp_path: Path) -> None:
    source = tmp_path / "src.h5"
    with h5py.File(source, "w") as h5:
        h5["w"] = np.ones((20, 3), np.float32)

    def virtual(group, name, shape):
        layout = h5py.VirtualLayout(shape=(20, 3), dtype="f4")
        layout[:] = h5py.VirtualSource(str(source), "w", shape=(20, 3))
        group.create_virtual_dataset(name, layout)

    path = _legacy_h5(
        h5py, tmp_path / "vds.h5", lambda h5, g: _swap_for(g, _first_weight(g), virtual)
    )
    _refused(path, "virtual dataset")


def test_hdf5_unusual_filter_is_refused(h5py, tmp_path: Path) -> None:
    def scaled(group, name, shape):
        group.create_dataset(name, data=np.ones(shape, np.float32), scaleoffset=4)

    path = _legacy_h5(
        h5py, tmp_path / "so.h5", lambda h5, g: _swap_for(g, _first_weight(g), scaled)
    )
    _refused(path, "filter 'scaleoffset'")


def test_hdf5_dataset_larger_than_its_storage_is_refused(h5py, tmp_path: Path) -> None:
    """A chunked dataset with no chunks written reads as its fill value: 40 GB from 2 KB."""

    def empty(group, name, shape):
        group.create_dataset(name, shape=(100_000, 100_000), dtype="<f4", chunks=(64, 64))

    path = _legacy_h5(
        h5py, tmp_path / "fill.h5", lambda h5, g: _swap_for(g, _first_weight(g), empty)
    )
    _refused(path, r"declares the shape \(100000, 100000\)")


def test_keras_zip_inner_weights_are_checked_like_an_h5(h5py, tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.write_bytes(KNOWN_BYTES * 100)
    with zipfile.ZipFile(FIXTURES / "keras" / "lstm2.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    inner = io.BytesIO(members["model.weights.h5"])
    with h5py.File(inner, "r+") as h5:
        vars_group = h5["layers"]["lstm"]["cell"]["vars"]
        shape = vars_group["0"].shape
        del vars_group["0"]
        vars_group.create_dataset(
            "0", shape=shape, dtype="<f4", external=[(str(outside), 0, 4 * int(np.prod(shape)))]
        )
    members["model.weights.h5"] = inner.getvalue()
    path = tmp_path / "ext.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    _refused(path, "external files")
    assert not list(tmp_path.glob("*.h5"))  # never extracted next to anything


# -- non-regular files ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".npz", ".pt", ".safetensors", ".h5", ".keras", ".onnx"])
def test_a_fifo_is_refused_before_it_is_opened(tmp_path: Path, suffix: str) -> None:
    fifo = tmp_path / f"model{suffix}"
    os.mkfifo(fifo)
    _refused(fifo, "expected a regular model file, found a FIFO")


def test_a_device_and_a_folder_are_refused(tmp_path: Path) -> None:
    (tmp_path / "dir.npz").mkdir()
    _refused(tmp_path / "dir.npz", "found a folder")
    if Path("/dev/zero").exists():
        (tmp_path / "zero.npz").symlink_to("/dev/zero")
        _refused(tmp_path / "zero.npz", "found a device")
        with pytest.raises(InputFileError, match="found a device"):
            read_array(Path("/dev/zero"), "h0")


def test_a_fifo_as_inputs_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "x.npy"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="FIFO"):
        read_inputs(fifo)


# -- ONNX external data ---------------------------------------------------------------------


@pytest.fixture
def onnx_external(tmp_path: Path):
    """The committed LSTM fixture with its W moved to a file beside it."""
    onnx = pytest.importorskip("onnx")
    model = onnx.load(str(FIXTURES / "onnx" / "lstm2.onnx"))
    tensor = model.graph.initializer[0]
    raw = onnx.numpy_helper.to_array(tensor).astype(
        onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type)
    )
    (tmp_path / "weights.bin").write_bytes(raw.tobytes())
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", "weights.bin"), ("offset", "0"), ("length", str(raw.nbytes))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    path = tmp_path / "ext.onnx"
    path.write_bytes(model.SerializeToString())
    return onnx, model, path


def test_onnx_external_data_needs_permission(onnx_external) -> None:
    _onnx, _model, path = onnx_external
    _refused(path, "keeps its data in another file; refused.*--allow-external-data")
    allowed = load_model(path, allow_external_data=True)
    assert (
        allowed.layers[0].weight_ih.shape
        == load_model(FIXTURES / "onnx" / "lstm2.onnx").layers[0].weight_ih.shape
    )
    np.testing.assert_array_equal(
        allowed.layers[0].weight_ih,
        load_model(FIXTURES / "onnx" / "lstm2.onnx").layers[0].weight_ih,
    )


@pytest.mark.parametrize("location", ["../weights.bin", "/etc/passwd", "sub/weights.bin", ".."])
def test_onnx_external_data_outside_the_folder_is_refused(
    onnx_external,
    tmp_path: Path,
    location: str,
) -> None:
    _onnx, model, _path = onnx_external
    (tmp_path / "sub").mkdir()
    shutil.copy(tmp_path / "weights.bin", tmp_path / "sub" / "weights.bin")
    tensor = model.graph.initializer[0]
    next(e for e in tensor.external_data if e.key == "location").value = location
    path = tmp_path / "sub" / "far.onnx"
    path.write_bytes(model.SerializeToString())
    _refused(path, "expected a file name beside the model", allow_external_data=True)


def test_onnx_external_data_on_a_fifo_is_refused(onnx_external, tmp_path: Path) -> None:
    _onnx, _model, path = onnx_external
    (tmp_path / "weights.bin").unlink()
    os.mkfifo(tmp_path / "weights.bin")
    _refused(path, "found a FIFO", allow_external_data=True)


def test_onnx_initializer_declaring_more_than_it_holds_is_refused(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    model = onnx.load(str(FIXTURES / "onnx" / "lstm2.onnx"))
    tensor = model.graph.initializer[0]
    tensor.dims[:] = [1, 4_000_000_000, 1000]
    path = tmp_path / "big.onnx"
    path.write_bytes(model.SerializeToString())
    _refused(path, r"declares the shape \(1, 4000000000, 1000\)")


# -- bombs ----------------------------------------------------------------------------------


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (-(len(header) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()


def _huge_npy() -> bytes:
    """176 bytes asking for 21.8 TiB."""
    data = _npy_header((3_000_000_000_000,)) + bytes(48)
    assert len(data) == 176
    return data


def test_a_176_byte_npy_asking_for_terabytes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    path.write_bytes(_huge_npy())
    with pytest.raises(InputFileError, match=r"21\.8 TiB") as err:
        read_inputs(path)
    _assert_one_line(err, path)
    with pytest.raises(InputFileError, match="TiB"):
        read_array(path, "targets")


def test_a_terabyte_array_inside_a_model_npz_is_refused(tmp_path: Path) -> None:
    arrays = native_arrays(load_model(FIXTURES / "torch" / "lstm2.pt"))
    path = tmp_path / "m.npz"
    np.savez(path, **arrays)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("weight_ih_l2.npy", _huge_npy())
    _refused(path, r"weight_ih_l2.*21\.8 TiB")


def _deflated_zeros(nbytes: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(nbytes >> 20)]
    return b"".join(parts) + compressor.flush()


def _zip_with_raw_member(
    path: Path, members: dict[str, bytes], raw_name: str, deflated: bytes, size: int
) -> None:
    """A zip with ordinary ``members`` and one member whose deflate stream and stated
    size are given as they are (a bomb: tiny stream, huge size)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with zipfile.ZipFile(path, "a") as archive:
        info = zipfile.ZipInfo(raw_name)
        info.compress_type = zipfile.ZIP_STORED
        archive.writestr(info, deflated)
    # Turn the stored member into a deflated one of the stated size, in both headers.
    data = bytearray(path.read_bytes())
    name = raw_name.encode()
    local = data.index(b"PK\x03\x04" + bytes(0), 0)
    while data[local + 30 : local + 30 + len(name)] != name:
        local = data.index(b"PK\x03\x04", local + 4)
    struct.pack_into("<H", data, local + 8, zipfile.ZIP_DEFLATED)
    struct.pack_into("<I", data, local + 22, size)
    central = data.index(b"PK\x01\x02" + bytes(0))
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<H", data, central + 10, zipfile.ZIP_DEFLATED)
    struct.pack_into("<I", data, central + 24, size)
    path.write_bytes(bytes(data))


def _native_members() -> dict[str, bytes]:
    out = {}
    for key, value in native_arrays(load_model(FIXTURES / "torch" / "lstm2.pt")).items():
        buffer = io.BytesIO()
        np.save(buffer, value)
        out[f"{key}.npy"] = buffer.getvalue()
    return out


def test_an_npz_key_nobody_reads_is_never_inflated(tmp_path: Path) -> None:
    """A 1.5 MB npz with a 1.47 GB key the format does not name loads at once; the junk
    key's stream is not even valid deflate, so reading it would fail."""
    path = tmp_path / "junk.npz"
    junk = os.urandom(1_500_000)
    _zip_with_raw_member(path, _native_members(), "junk.npy", junk, 1_470_000_000)
    start = time.monotonic()
    network = load_model(path)
    assert time.monotonic() - start < 5
    assert network.num_layers == 2


def test_a_deflate_bomb_in_a_named_key_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    members = _native_members()
    del members["weight_ih_l0.npy"]
    bomb = _deflated_zeros(64 << 20)  # ~64 KB of deflate for 64 MiB of zeros
    _zip_with_raw_member(path, members, "weight_ih_l0.npy", bomb, 1_600_000_000)
    _refused(path, "weight_ih_l0.npy would inflate .* refused as a zip bomb")


def test_a_member_inflating_past_its_stated_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "liar.npz"
    members = _native_members()
    real = members.pop("weight_ih_l0.npy")
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    lying = stream.compress(real + bytes(32 << 20)) + stream.flush()
    _zip_with_raw_member(path, members, "weight_ih_l0.npy", lying, len(real))
    _refused(path, "weight_ih_l0|CRC|Bad")


def test_a_pt_deflate_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pt"
    with zipfile.ZipFile(FIXTURES / "torch" / "lstm2.pt") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    pickled = next(name for name in members if name.endswith("data.pkl"))
    del members[pickled]
    _zip_with_raw_member(path, members, pickled, _deflated_zeros(32 << 20), 2_900_000_000)
    _refused(path, "zip bomb")


def test_a_safetensors_header_asking_for_terabytes_is_refused(tmp_path: Path) -> None:
    header = json.dumps(
        {"weight_ih_l0": {"dtype": "F32", "shape": [1 << 20, 1 << 20], "data_offsets": [0, 16]}}
    ).encode()
    path = tmp_path / "big.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(16))
    _refused(path, r"declares the shape \(1048576, 1048576\) \(4\.0 TiB\)")


def test_the_cap_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = FIXTURES / "torch" / "lstm2.safetensors"
    monkeypatch.setenv("LSTM_SIM_MAX_MODEL_BYTES", "100")
    _refused(model, "more than the 100 bytes limit")
    monkeypatch.delenv("LSTM_SIM_MAX_MODEL_BYTES")
    assert load_model(model).num_layers == 2
    _refused(model, "limit", max_bytes=200)


def test_training_data_reads_only_x_and_y(tmp_path: Path) -> None:
    path = tmp_path / "data.npz"
    x, y = np.zeros((2, 5, 3)), np.zeros((2, 5, 1))
    buffers = {}
    for name, array in (("x", x), ("y", y)):
        buffer = io.BytesIO()
        np.save(buffer, array)
        buffers[f"{name}.npy"] = buffer.getvalue()
    _zip_with_raw_member(path, buffers, "extra.npy", os.urandom(4096), 1_470_000_000)
    got_x, got_y = read_sequences(path)
    assert got_x.shape == (2, 5, 3) and got_y.shape == (2, 5, 1)


# -- the HDF5 child: time and crashes -------------------------------------------------------

_HELPERS = """
import os, signal

def spin(h5, budget):
    while True:
        pass

def crash(h5, budget):
    os.kill(os.getpid(), signal.SIGSEGV)

def swell(h5, budget):
    return None, {"x": [bytearray(64 * 2**30)]}
"""


@pytest.fixture
def helpers(h5py, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "hdf5_child_helpers.py").write_text(_HELPERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    import hdf5_child_helpers

    yield hdf5_child_helpers
    sys.modules.pop("hdf5_child_helpers", None)


def _h5_bytes() -> bytes:
    return (FIXTURES / "keras" / "lstm2_legacy.h5").read_bytes()


def test_a_spinning_hdf5_read_is_stopped(helpers, monkeypatch: pytest.MonkeyPatch) -> None:
    from lstm_sim.engine.formats.hdf5_guard import read_guarded

    monkeypatch.setenv("LSTM_SIM_READ_TIMEOUT", "1")
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"took longer than 1 s and was stopped"):
        read_guarded(_h5_bytes(), helpers.spin, 1 << 20)
    assert time.monotonic() - start < 8


def test_a_crashing_hdf5_read_is_reported(helpers) -> None:
    from lstm_sim.engine.formats.hdf5_guard import read_guarded

    with pytest.raises(ValueError, match="crashed"):
        read_guarded(_h5_bytes(), helpers.crash, 1 << 20)


def test_an_hdf5_read_cannot_swell_past_its_memory_limit(helpers) -> None:
    from lstm_sim.engine.formats.hdf5_guard import read_guarded

    with pytest.raises(ValueError, match="MemoryError"):
        read_guarded(_h5_bytes(), helpers.swell, 1 << 20)


def test_hdf5_reads_from_stdin_and_from_a_script_without_a_main_guard(h5py, tmp_path: Path) -> None:
    """The reading server never re-runs the caller's __main__ (multiprocessing would)."""
    model = FIXTURES / "keras" / "lstm2.keras"
    code = (
        "from lstm_sim.engine.formats import load_model\n"
        f"print(load_model({str(model)!r}).hidden_size)\n"
    )
    script = tmp_path / "script.py"
    script.write_text(code)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for command, given in (([sys.executable, "-"], code), ([sys.executable, str(script)], None)):
        run = subprocess.run(
            command, input=given, capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert (run.returncode, run.stdout) == (0, "5\n"), run.stderr
