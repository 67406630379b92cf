"""A .pt file's pickle never runs code: only tensors and dicts are rebuilt."""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.torch_pickle import read_torch_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "torch"


class _Payload:
    """Pickles as a call to os.system: what a malicious model file would contain."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (self.command,)


def _torch_zip(path: Path, pickled: bytes, storages: dict[str, bytes] | None = None) -> Path:
    """A zip laid out as torch.save writes it, around an arbitrary data.pkl."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")
        for key, raw in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", raw)
    return path


def test_code_in_the_pickle_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    pickled = pickle.dumps({"weight_ih_l0": _Payload(f"touch {marker}")}, protocol=2)
    evil = _torch_zip(tmp_path / "evil.pt", pickled)
    with pytest.raises(ValueError, match=r"evil\.pt: refused to load.*(posix|os)\.system"):
        load_model(evil)
    assert not marker.exists()
    # The file really is malicious: plain pickle (on this test's own crafted bytes, never
    # on a user's file) runs the command.
    with zipfile.ZipFile(evil) as archive:
        pickle.loads(archive.read("archive/data.pkl"))
    assert marker.exists()


def test_payload_hidden_after_a_real_tensor_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with zipfile.ZipFile(FIXTURES / "lstm2.pt") as archive:
        genuine = archive.read("lstm2/data.pkl")
    # Splice a call to os.system into the state_dict, before its final STOP opcode.
    payload = pickle.dumps(_Payload(f"touch {marker}"), protocol=2)[2:-1]  # no PROTO/STOP
    spliced = genuine[:-1] + payload + b"0" + b"."  # "0" is POP, discarding the result
    with zipfile.ZipFile(FIXTURES / "lstm2.pt") as source:
        storages = {
            n.split("/data/")[1]: source.read(n) for n in source.namelist() if "/data/" in n
        }
    evil = _torch_zip(tmp_path / "spliced.pt", spliced, storages)
    with pytest.raises(ValueError, match="refused to load"):
        read_torch_file(evil)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("module", "name"),
    [("builtins", "eval"), ("subprocess", "Popen"), ("torch", "load"), ("numpy", "load")],
)
def test_every_other_global_is_refused(tmp_path: Path, module: str, name: str) -> None:
    pickled = f"c{module}\n{name}\n(S'1'\ntR.".encode()
    with pytest.raises(ValueError, match=rf"refused to load.*{module}\.{name}"):
        read_torch_file(_torch_zip(tmp_path / "g.pt", pickled))


def test_malformed_files_are_value_errors(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.")  # pre-1.6 magic number
    with pytest.raises(ValueError, match=r"legacy\.pt: expected a zip archive"):
        load_model(legacy)
    empty = tmp_path / "empty.pt"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("x/readme.txt", "hi")
    with pytest.raises(ValueError, match=r"expected one <folder>/data\.pkl"):
        load_model(empty)
    garbage = _torch_zip(tmp_path / "garbage.pt", b"\x80\x02not a pickle")
    with pytest.raises(ValueError, match=r"garbage\.pt: its data\.pkl could not be read"):
        load_model(garbage)
    with zipfile.ZipFile(FIXTURES / "lstm2.pt") as source:
        pickled = source.read("lstm2/data.pkl")
    no_storage = _torch_zip(tmp_path / "nostorage.pt", pickled)
    with pytest.raises(ValueError, match=r"expected the storage archive/data/0"):
        load_model(no_storage)
    short = _torch_zip(tmp_path / "short.pt", pickled, {str(k): b"\0" * 8 for k in range(8)})
    with pytest.raises(ValueError, match=r"storage archive/data/0 holds 8 bytes, expected 60"):
        load_model(short)
    numbers = _torch_zip(tmp_path / "numbers.pt", pickle.dumps({"epoch": 3}, protocol=2))
    with pytest.raises(ValueError, match="expected a state_dict of tensors, found a dict"):
        load_model(numbers)


def test_tensor_reaching_past_its_storage_is_refused(tmp_path: Path) -> None:
    # A (2, 3) tensor over a storage of 4 floats: a crafted file must not read past it.
    pickled = (
        b"\x80\x02}(X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n("
        b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000"
        b"X\x03\x00\x00\x00cpuK\x04tQK\x00K\x02K\x03\x86K\x03K\x01\x86\x89}tRu."
    )
    path = _torch_zip(tmp_path / "over.pt", pickled, {"0": np.zeros(4, "<f4").tobytes()})
    with pytest.raises(ValueError, match=r"reaches element 5, but its storage holds 4"):
        read_torch_file(path)
