"""Reading ``.safetensors`` files: a JSON header and raw arrays, no code at all.

Keys are the PyTorch state_dict names (``safetensors.torch.save_file(model.state_dict())``),
so the arrays go through :mod:`lstm_sim.engine.formats.torch_state_dict` like a ``.pt``.
NumPy has no bfloat16, so ``BF16`` tensors are read from their bytes here (a bfloat16 is
the upper half of a float32, so the float32 values are exact); every other dtype is read
by the safetensors library. float16 arrays stay float16, and the network built from them
notes its upcast.

The header is first checked on the bytes :func:`load_model` read: every tensor's declared
shape against its byte range, the file's real size and the cap, before any array is read.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from lstm_sim.engine.formats.limits import check_array, max_bytes, read_regular_file

_HEADER_LIMIT = 100 * 1024 * 1024  # the library's own limit on the JSON header
_ITEMSIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip


def _header(path: Path) -> tuple[dict[str, dict[str, object]], int]:
    """The JSON header (without ``__metadata__``) and where the data starts."""
    with path.open("rb") as handle:
        raw = handle.read(8)
        if len(raw) != 8:
            raise ValueError("expected an 8-byte header length, the file is shorter")
        (length,) = struct.unpack("<Q", raw)
        if length > _HEADER_LIMIT:
            raise ValueError(f"header length {length} is over the limit {_HEADER_LIMIT}")
        header = json.loads(handle.read(length))
    if not isinstance(header, dict):
        raise ValueError(f"header is a JSON {type(header).__name__}, expected an object")
    header.pop("__metadata__", None)
    return header, 8 + length


def _bfloat16(path: Path, entry: dict[str, object], start: int, name: str) -> np.ndarray:
    shape = entry.get("shape")
    offsets = entry.get("data_offsets")
    if not (isinstance(shape, list) and isinstance(offsets, list) and len(offsets) == 2):
        raise ValueError(f"tensor {name!r} has no shape or data_offsets in the header")
    count = int(np.prod(shape, dtype=np.int64))
    begin, end = int(offsets[0]), int(offsets[1])
    if end - begin != 2 * count or begin < 0:
        raise ValueError(
            f"tensor {name!r} of shape {shape} spans {end - begin} bytes, expected {2 * count}"
        )
    with path.open("rb") as handle:
        handle.seek(start + begin)
        raw = handle.read(end - begin)
    if len(raw) != end - begin:
        raise ValueError(f"tensor {name!r} runs past the end of the file")
    halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32)
    return (halves << 16).view(np.float32).reshape(shape)


def bfloat16_names(path: Path) -> list[str]:
    """The names of the file's bfloat16 tensors (read as float32), for the upcast note."""
    try:
        header, _ = _header(path)
    except (OSError, ValueError):
        return []
    return [k for k, v in header.items() if isinstance(v, dict) and v.get("dtype") == "BF16"]


def _check_header(data: bytes, budget: int) -> None:
    if len(data) < 8:
        raise ValueError(
            f"expected a safetensors file (8-byte header length first), found {len(data)} bytes"
        )
    length = int.from_bytes(data[:8], "little")
    if length > len(data) - 8:
        raise ValueError(
            f"expected a safetensors file: its header claims {length} bytes, "
            f"the file holds {len(data) - 8} after the length"
        )
    try:
        header = json.loads(data[8 : 8 + length].decode("utf-8"))  # the format says UTF-8
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"expected a safetensors JSON header, could not parse it: {err}") from None
    if not isinstance(header, dict):
        raise ValueError(
            f"expected a safetensors header object, found a JSON {type(header).__name__}"
        )
    body = len(data) - 8 - length
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("shape"), list):
            raise ValueError(f"expected a dtype, shape and data_offsets for {name!r}")
        dtype, shape = entry.get("dtype"), entry["shape"]
        if dtype not in _ITEMSIZES or not all(isinstance(n, int) for n in shape):
            raise ValueError(f"tensor {name!r} has dtype {dtype!r} and shape {shape}")
        nbytes = check_array(f"tensor {name!r}", shape, _ITEMSIZES[dtype], body, budget)
        budget -= nbytes


def read_safetensors(
    path: Path, data: bytes | None = None, budget: int | None = None
) -> dict[str, np.ndarray]:
    """Every array in the file by name (``data``: its bytes, when already read; ``budget``:
    the cap, :func:`.limits.max_bytes` by default); ValueError when it is not a
    safetensors file."""
    # Imported on use, like every reader's library: opening another format never loads it.
    from safetensors import safe_open

    budget = max_bytes(budget)
    if data is None:
        data = read_regular_file(path, budget, "model file")
    _check_header(data, budget)
    try:
        header, start = _header(path)
        arrays: dict[str, np.ndarray] = {}
        with safe_open(path, framework="numpy") as tensors:
            for name in tensors.keys():  # noqa: SIM118 (safe_open is not a mapping)
                entry = header.get(name)
                if isinstance(entry, dict) and entry.get("dtype") == "BF16":
                    arrays[name] = _bfloat16(path, entry, start, name)
                else:
                    arrays[name] = tensors.get_tensor(name)
        return arrays
    except Exception as err:  # safetensors raises its own error types for a bad header
        raise ValueError(
            f"expected a safetensors file (8-byte header length, JSON header, data), "
            f"could not read it: {err}"
        ) from None
