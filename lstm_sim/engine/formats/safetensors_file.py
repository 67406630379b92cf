"""Reading ``.safetensors`` files: a JSON header and raw arrays, no code at all.

Keys are the PyTorch state_dict names (``safetensors.torch.save_file(model.state_dict())``),
so the arrays go through :mod:`lstm_sim.engine.formats.torch_state_dict` like a ``.pt``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every array in the file by name; ValueError when it is not a safetensors file."""
    # Imported on use, like every reader's library: opening another format never loads it.
    from safetensors.numpy import load_file

    try:
        return load_file(path)
    except Exception as err:  # safetensors raises its own error types for a bad header
        raise ValueError(
            f"expected a safetensors file (8-byte header length, JSON header, data), "
            f"could not read it: {err}"
        ) from None
