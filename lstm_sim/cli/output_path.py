"""Refusing an output path that would overwrite one of the command's own inputs, and one
that cannot be written, before any work starts."""

from __future__ import annotations

import os
from pathlib import Path

from lstm_sim.cli import CommandError
from lstm_sim.engine.atomic_write import check_writable


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)  # hard links and symbolic links included
    return a.resolve() == b.resolve()


def check_output(out: str | Path, inputs: dict[str, str | None]) -> None:
    """Raise CommandError when ``out`` names the same file as one of ``inputs`` (option
    name → path, None for an option not given) or sits where nothing can be written."""
    target = Path(out)
    for option, path in inputs.items():
        if path is not None and _same_file(target, Path(path)):
            raise CommandError(
                f"--out {out} is the same file as {option} {path}; writing there would "
                "destroy an input: choose another name"
            )
    try:
        check_writable(target)
    except OSError as err:
        raise CommandError(f"--out {out}: {err}") from None
