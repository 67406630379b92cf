"""Files that ship inside the package (pretrained models, corpora), found the same way
from a checkout and from an installed wheel."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path


def resource_path(name: str) -> Path:
    """The path of the shipped file ``name`` (relative to this folder)."""
    ref = files(__name__).joinpath(name)
    if not ref.is_file():
        raise FileNotFoundError(f"lstm-sim ships no resource named {name!r}")
    with as_file(ref) as path:  # a real file on disk for wheels and checkouts alike
        return Path(path)
