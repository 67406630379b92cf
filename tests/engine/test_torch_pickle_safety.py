"""Hostile .pt files: nothing runs, nothing shared is changed, nothing large is allocated.

Every pickle here is written opcode by opcode by the test, in tmp_path. Payloads would
create a canary file if they ran; each test asserts it does not exist afterwards, and
``test_payloads_are_real`` shows that the stdlib unpickler does run them. The bombs run in
a subprocess capped at 1 GiB of address space and a timeout.
"""

from __future__ import annotations

import os
import pickle
import shlex
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.errors import ModelFileError
from lstm_sim.engine.formats.pickle_machine import Limits, unpickle
from lstm_sim.engine.formats.safetensors_file import read_safetensors
from lstm_sim.engine.formats.torch_pickle import read_torch_contents, read_torch_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "torch"
MEMORY_CAP = 2**30


# -- writing pickles and torch zips by hand ---------------------------------------------


def _text(value: str) -> bytes:
    """BINUNICODE: push ``value``."""
    raw = value.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def _global(module: str, name: str) -> bytes:
    return f"c{module}\n{name}\n".encode()


def _call(module: str, name: str, *args: bytes) -> bytes:
    """GLOBAL module.name, MARK, args, TUPLE, REDUCE: push ``module.name(*args)``."""
    return _global(module, name) + b"(" + b"".join(args) + b"tR"


def _storage(key: str, numel: int, kind: str = "FloatStorage") -> bytes:
    """BINPERSID ("storage", torch.<kind>, key, "cpu", numel)."""
    fields = _text("storage") + _global("torch", kind) + _text(key) + _text("cpu")
    return b"(" + fields + _int(numel) + b"tQ"


def _int(value: int) -> bytes:
    """BININT, or LONG1 beyond 32 bits."""
    if -(2**31) <= value < 2**31:
        return b"J" + struct.pack("<i", value)
    raw = value.to_bytes(9, "little", signed=True)
    return b"\x8a\x09" + raw


def _ints(*values: int) -> bytes:
    return b"(" + b"".join(_int(v) for v in values) + b"t"


def _tensor(storage: bytes, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> bytes:
    args = storage + _int(offset) + _ints(*size) + _ints(*stride) + b"\x89"
    return _global("torch._utils", "_rebuild_tensor_v2") + b"(" + args + b"tR"


def _state_dict(**tensors: bytes) -> bytes:
    items = b"".join(_text(k) + v for k, v in tensors.items())
    return b"\x80\x02}(" + items + b"u."


def _torch_zip(path: Path, pickled: bytes, storages: dict[str, bytes] | None = None) -> Path:
    """A zip laid out as torch.save writes it, around an arbitrary data.pkl."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")
        for key, raw in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", raw)
    return path


def _rezip(source: Path, dest: Path, replace: Callable[[str, bytes], bytes]) -> Path:
    """``source`` copied member by member, each member's bytes passed through ``replace``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(dest, "w") as new:
        for info in old.infolist():
            new.writestr(info, replace(info.filename, old.read(info)))
    return dest


# -- poisoning: nothing a load touches outlives it ---------------------------------------

POISONERS = {
    # The reported attack: BUILD a new element type onto the allowed storage marker.
    "build onto FloatStorage": _global("torch", "FloatStorage")
    + b"}"
    + _text("name")
    + _text("DoubleStorage")
    + b"sb",
    "slot-state BUILD onto FloatStorage": _global("torch", "FloatStorage")
    + b"N}"
    + _text("dtype")
    + _text("<f8")
    + b"s\x86b",
    "build onto the tensor rebuild": _global("torch._utils", "_rebuild_tensor_v2")
    + b"}"
    + _text("__defaults__")
    + b"Ns"
    + b"b",
    "build onto OrderedDict": _global("collections", "OrderedDict") + b"}" + _text("x") + b"Nsb",
    "setitem onto a global": _global("torch", "FloatStorage") + _text("k") + b"Ns",
    "append onto a global": _global("collections", "OrderedDict") + b"Na",
    "build onto a tensor": _tensor(_storage("0", 2), 0, (2,), (1,)) + b"}" + _text("x") + b"Nsb",
    "setitem onto a storage": _storage("0", 2) + _text("k") + b"Ns",
}


@pytest.mark.parametrize("poison", POISONERS.values(), ids=list(POISONERS))
def test_poisoning_is_refused_and_later_loads_are_exact(tmp_path: Path, poison: bytes) -> None:
    genuine = read_safetensors(FIXTURES / "lstm2.safetensors")  # an independent reader
    hostile = _torch_zip(
        tmp_path / "poison.pt", b"\x80\x02" + poison + b".", {"0": np.zeros(2, "<f4").tobytes()}
    )
    with pytest.raises(ModelFileError, match=r"refused to load: its pickle (BUILDs|applies)"):
        read_torch_file(hostile)
    for _ in range(2):  # the same process, after the attempt: exactly the file's weights
        loaded = read_torch_file(FIXTURES / "lstm2.pt")
        assert loaded.keys() == genuine.keys()
        for key, value in genuine.items():
            assert loaded[key].dtype == value.dtype and loaded[key].tobytes() == value.tobytes()


def test_each_load_gets_fresh_records() -> None:
    calls = {"collections.OrderedDict": dict}
    first = unpickle(b"\x80\x02" + _global("torch", "FloatStorage") + b".", calls=calls,
                     persistent_load=lambda pid: pid)  # fmt: skip
    second = unpickle(b"\x80\x02" + _global("torch", "FloatStorage") + b".", calls=calls,
                      persistent_load=lambda pid: pid)  # fmt: skip
    assert first == second and first is not second
    with pytest.raises(AttributeError):
        first.name = "DoubleStorage"  # frozen: not even this process can change it


# -- bombs: bounded before allocation -----------------------------------------------------


def _capped_read(path: Path, *, plain_pickle: bool = False) -> subprocess.CompletedProcess[str]:
    """Read ``path`` in a child limited to 1 GiB of address space (or, with
    ``plain_pickle``, run the stdlib unpickler on its data.pkl, to show the bomb is real)."""
    script = f"""
import resource, sys, zipfile
resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))
path = sys.argv[1]
if {plain_pickle!r}:
    import pickle
    with zipfile.ZipFile(path) as archive:
        data = archive.read("archive/data.pkl")
    try:
        pickle.loads(data)
    except MemoryError:
        print("MemoryError")
    raise SystemExit(0)
from lstm_sim.engine.formats.errors import ModelFileError
from lstm_sim.engine.formats.torch_pickle import read_torch_contents
try:
    read_torch_contents(path)
except ModelFileError as err:
    print("ModelFileError:", err)
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_memo_index_bomb(tmp_path: Path) -> None:
    # 13 bytes that make the C unpickler grow its memo table to 2.4 GB.
    bomb = _torch_zip(
        tmp_path / "memo.pt", b"\x80\x02K\x00r" + struct.pack("<I", 150_000_000) + b"."
    )
    real = _capped_read(bomb, plain_pickle=True)
    assert real.stdout.strip() == "MemoryError", real.stderr
    done = _capped_read(bomb)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ModelFileError:") and "memo index 150000000" in done.stdout


def test_stride_zero_bomb(tmp_path: Path) -> None:
    # One float viewed as a (40000, 10000) tensor: a copy would take 1.6 GB.
    pickled = _state_dict(w=_tensor(_storage("0", 1), 0, (40_000, 10_000), (0, 0)))
    bomb = _torch_zip(tmp_path / "stride.pt", pickled, {"0": np.ones(1, "<f4").tobytes()})
    done = _capped_read(bomb)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ModelFileError:") and "repeats elements" in done.stdout


@pytest.mark.parametrize(
    ("size", "stride", "offset", "message"),
    [
        ((2**31 - 1, 2**31 - 1), (0, 1), 0, "reaches element"),
        ((2**31 - 1,), (0,), 0, "repeats elements: 2147483647 from a storage of 4"),
        ((4,), (1,), 1, "reaches element 4, but its storage holds 4"),
        ((2, 2), (-1, 1), 0, "do not fit"),
        ((0, 2**62), (1, 1), 0, "beyond any real tensor"),
    ],
)
def test_views_are_checked_against_their_storage(
    tmp_path: Path, size: tuple[int, ...], stride: tuple[int, ...], offset: int, message: str
) -> None:
    pickled = _state_dict(w=_tensor(_storage("0", 4), offset, size, stride))
    path = _torch_zip(tmp_path / "view.pt", pickled, {"0": np.ones(4, "<f4").tobytes()})
    with pytest.raises(ModelFileError, match=message):
        read_torch_file(path)


def test_empty_tensors_need_no_storage(tmp_path: Path) -> None:
    pickled = _state_dict(w=_tensor(_storage("0", 0), 0, (0, 5), (5, 1)))
    path = _torch_zip(tmp_path / "empty.pt", pickled, {"0": b""})
    assert read_torch_file(path)["w"].shape == (0, 5)


def test_storage_sizes_are_bounded_before_reading(tmp_path: Path) -> None:
    huge = _state_dict(w=_tensor(_storage("0", 2**31 - 1), 0, (1,), (1,)))
    path = _torch_zip(tmp_path / "numel.pt", huge, {"0": np.ones(4, "<f4").tobytes()})
    with pytest.raises(ModelFileError, match=r"holds 16 bytes, expected 2147483647 elements"):
        read_torch_file(path)
    fits = _state_dict(w=_tensor(_storage("0", 4), 0, (4,), (1,)))
    path = _torch_zip(tmp_path / "cap.pt", fits, {"0": np.ones(4, "<f4").tobytes()})
    with pytest.raises(ModelFileError, match="above the limit of 15"):
        read_torch_contents(path, max_bytes=15)
    assert read_torch_contents(path, max_bytes=16).state_dict["w"].tolist() == [1, 1, 1, 1]


def test_many_views_of_one_storage_are_bounded(tmp_path: Path) -> None:
    # 40 transposed copies of a 256 KiB storage: 10 MiB from 256 KiB on disk.
    view = _tensor(_storage("0", 2**16), 0, (256, 256), (1, 256))
    pickled = _state_dict(**{f"w{i}": view for i in range(40)})
    path = _torch_zip(tmp_path / "views.pt", pickled, {"0": np.ones(2**16, "<f4").tobytes()})
    with pytest.raises(ModelFileError, match="more than 4 times"):
        read_torch_file(path)


def _nested_dicts(levels: int, shared: bool) -> bytes:
    """Dicts nested ``levels`` deep; ``shared`` puts the inner one under two keys."""
    out = b"\x80\x02}q\x000"
    for level in range(1, levels + 1):
        inner = b"h" + bytes([level - 1])
        out += b"}(" + _text("a") + inner + (_text("b") + inner if shared else b"") + b"u"
        out += b"q" + bytes([level]) + b"0"
    return out + b"h" + bytes([levels]) + b"."


@pytest.mark.parametrize(
    ("pickled", "message"),
    [
        (b"\x80\x02N" + b"\x85" * 100 + b".", "nests tuples deeper than 64"),
        (_nested_dicts(250, shared=False), "nest deeper than 200"),
        (_nested_dicts(40, shared=True), "refers to more than 1000000 values"),
        (b"\x80\x02}q\x00h\x00" + _text("me") + b"h\x00s0.", "contains itself"),
        (b"\x80\x02h\x07.", "memo slot 7, which it never filled"),
        (b"\x80\x02\x8b" + struct.pack("<i", 2**30) + b".", "1073741824-byte integer"),
        (b"\x80\x02X\xff\xff\xff\x7f.", "ends early"),
        (b"\x80\x02\x82\x01.", "opcode"),
    ],
    ids=["tuples", "dicts", "shared", "cycle", "memo", "long", "string", "extension"],
)
def test_structure_bombs_are_refused(tmp_path: Path, pickled: bytes, message: str) -> None:
    with pytest.raises(ModelFileError, match=message):
        read_torch_file(_torch_zip(tmp_path / "s.pt", pickled))


def test_value_count_is_bounded() -> None:
    with pytest.raises(ModelFileError, match="more than 100 values"):
        unpickle(b"\x80\x02]" + b"N" * 200 + b".", calls={}, persistent_load=print,
                 limits=Limits(max_values=100))  # fmt: skip


# -- payloads: refused or read inertly, never run ------------------------------------------


def _payloads(canary: Path) -> dict[str, bytes]:
    """Pickle fragments that push one value and, under the stdlib unpickler, create
    ``canary``."""
    touch = f"touch {shlex.quote(str(canary))}"
    code = f"open({str(canary)!r}, 'w').close()"
    evaluated = _call("builtins", "eval", _text(code))
    return {
        "os.system": _call("os", "system", _text(touch)),
        "posix.system": _call("posix", "system", _text(touch)),
        "eval": evaluated,
        "exec": _call("builtins", "exec", _text(code)),
        "subprocess": _call(
            "subprocess", "call", b"](" + _text("touch") + _text(str(canary)) + b"e"
        ),
        "stack_global": b"\x8c\x02os\x8c\x06system\x93(" + _text(touch) + b"tR",
        "inst": b"(" + _text(touch) + b"ios\nsystem\n",
        "obj": b"(" + _global("os", "system") + _text(touch) + b"o",
        "nested": _call("collections", "OrderedDict", b"](" + _text("k") + evaluated + b"\x86e"),
        "persistent_id": b"("
        + _text("storage")
        + evaluated
        + _text("0")
        + _text("cpu")
        + b"K\x01tQ",
        "tensor_rebuild": _call(
            "torch._tensor",
            "_rebuild_from_type_v2",
            _global("builtins", "eval") + _global("builtins", "object"),
            b"(" + _text(code) + b"t}",
        ),
    }


PAYLOAD_NAMES = list(_payloads(Path("x")))
# Under plain pickle these need torch importable (tensor_rebuild) or a persistent_load
# hook (persistent_id: the payload runs while its id is built, before the hook is asked).
STDLIB_RUNNABLE = [name for name in PAYLOAD_NAMES if name != "tensor_rebuild"]


@pytest.mark.parametrize("name", STDLIB_RUNNABLE)
def test_payloads_are_real(tmp_path: Path, name: str) -> None:
    """This test's own bytes (never a user's file) under the stdlib unpickler do run."""
    canary = tmp_path / "canary"
    try:
        pickle.loads(b"\x80\x02" + _payloads(canary)[name] + b".")
    except pickle.UnpicklingError:
        assert name == "persistent_id"  # no hook to resolve the id, after eval ran
    assert canary.exists()


def _splice_tail(pickled: bytes, payload: bytes) -> bytes:
    """The payload run after the whole pickle, its value discarded (POP)."""
    assert pickled.endswith(b".")
    return pickled[:-1] + payload + b"0."


def _splice_attribute(pickled: bytes, payload: bytes) -> bytes:
    """The payload as the root module's attribute ``evil``: inside its BUILD state."""
    at = pickled.rindex(b"ub")
    return pickled[:at] + _text("evil") + payload + pickled[at:]


CARRIERS = {
    "state_dict": ("lstm2.pt", "data.pkl", _splice_tail),
    "whole_module_tail": ("tiny_lm_whole.pt", "data.pkl", _splice_tail),
    "whole_module_attribute": ("tiny_lm_whole.pt", "data.pkl", _splice_attribute),
    "torchscript_attribute": ("tiny_lm_script.pt", "data.pkl", _splice_attribute),
    "torchscript_tail": ("tiny_lm_trace.pt", "data.pkl", _splice_tail),
    "torchscript_constants": ("tiny_lm_script.pt", "constants.pkl", _splice_tail),
}


@pytest.mark.parametrize("carrier", list(CARRIERS))
@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_payloads_never_run(tmp_path: Path, name: str, carrier: str) -> None:
    canary = tmp_path / "canary"
    fixture, member, splice = CARRIERS[carrier]
    payload = _payloads(canary)[name]

    def hide(filename: str, raw: bytes) -> bytes:
        return splice(raw, payload) if filename.endswith(f"/{member}") else raw

    evil = _rezip(FIXTURES / fixture, tmp_path / fixture, hide)
    genuine = read_torch_file(FIXTURES / fixture)
    try:
        contents = read_torch_contents(evil)
    except ValueError as err:
        assert isinstance(err, ModelFileError)
        assert "refused to load" in str(err) or "storage" in str(err)
        if "whole" in carrier and "refused to load" in str(err):
            assert "torch.save(model.state_dict(), path)" in str(err)
    else:  # read inertly: exactly the genuine tensors, the payload a mere record
        assert name in ("inst", "obj") or member == "constants.pkl"
        assert list(contents.state_dict) == list(genuine)
        for key, value in genuine.items():
            assert contents.state_dict[key].tobytes() == value.tobytes()
    assert not canary.exists()


def test_torchscript_code_is_read_never_run(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    run = f"__import__('os').system('touch {canary}')"

    def poison_code(filename: str, raw: bytes) -> bytes:
        if not filename.endswith("code/__torch__/torch/nn/modules/rnn.py"):
            return raw
        text = raw.decode().replace(
            "hidden_size : Final[int] = 4", f"hidden_size : Final[int] = {run}"
        )
        assert run in text
        return (f"{run}\n" + text + f"\n{run}\n").encode()

    evil = _rezip(FIXTURES / "tiny_lm_script.pt", tmp_path / "code.pt", poison_code)
    contents = read_torch_contents(evil)
    lstm = next(r for r in contents.modules or () if r.path == "lstm")
    assert "hidden_size" not in lstm.options and lstm.options["num_layers"] == 2
    assert not canary.exists()
    net = load_model(evil)
    assert net.hidden_size == 4 and not canary.exists()
