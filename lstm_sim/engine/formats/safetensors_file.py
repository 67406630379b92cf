"""Reading ``.safetensors`` files: a JSON header and raw arrays, no code at all.

Keys are the PyTorch state_dict names (``safetensors.torch.save_file(model.state_dict())``),
so the arrays go through :mod:`lstm_sim.engine.formats.torch_state_dict` like a ``.pt``.
The header is read here first, and every tensor's declared shape checked against its byte
range, the file's real size and the cap, before safetensors reads any array.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load

from lstm_sim.engine.formats.limits import check_array, max_bytes, read_regular_file

_ITEMSIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip


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
    budget = max_bytes(budget)
    if data is None:
        data = read_regular_file(path, budget, "model file")
    _check_header(data, budget)
    try:
        return load(data)
    except Exception as err:  # safetensors raises its own error types for a bad header
        raise ValueError(
            f"expected a safetensors file (8-byte header length, JSON header, data), "
            f"could not read it: {err}"
        ) from None
