"""Files that ship beside the code (pretrained models and their training records), found
the same way from a checkout, an editable install and an installed wheel.

They live in the repository's top-level ``resources/`` folder; the wheel carries them
inside this package (pyproject's ``force-include``), where an installed copy finds them.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

CHECKOUT_RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources"
"""Where a checkout keeps them (and an editable install finds them)."""


def resource_path(name: str) -> Path:
    """The path of the shipped file ``name`` (relative to ``resources/``)."""
    installed = files(__name__).joinpath(name)
    if installed.is_file():
        with as_file(installed) as path:  # a real file on disk, also for a zipped install
            return Path(path)
    in_checkout = CHECKOUT_RESOURCES / name
    if in_checkout.is_file():
        return in_checkout
    raise FileNotFoundError(f"lstm-sim ships no resource named {name!r}")
