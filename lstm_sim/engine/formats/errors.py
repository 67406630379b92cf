"""The one error a reader of a user's file may raise.

Every reader (model files, inputs, targets, token ids, training data, sessions) raises
:class:`ModelFileError` or :class:`InputFileError` and nothing else: the CLI prints it as
one line and exits 2, the window shows it in a dialog and keeps the session on screen. Both
are ValueErrors, so callers written against the older contract still catch them.
"""

from __future__ import annotations

from pathlib import Path

MESSAGE_LIMIT = 300
"""Characters a file error's message may hold: a message is read, not scrolled."""


def one_line(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """``message`` on one line of at most ``limit`` characters (elided in the middle, so
    the file name at the start and the finding at the end both survive)."""
    flat = " ".join(message.split())
    if len(flat) <= limit:
        return flat
    keep = limit - 5
    return f"{flat[: keep - keep // 3]} ... {flat[-(keep // 3) :]}"


class FileReadError(ValueError):
    """A file lstm-sim was asked to read is not what it should be; the message is one line
    that names the file, what was expected and what was found."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class ModelFileError(FileReadError):
    """A model file (or a session's model) cannot be read."""


class InputFileError(FileReadError):
    """An inputs, targets, token-ids, h0/c0 or training-data file cannot be read."""


def describe_failure(path: Path, err: BaseException) -> str:
    """One line naming ``path`` and what went wrong, for any exception a reader let out:
    a reader's own ValueError keeps its words, anything else is named by its type."""
    if isinstance(err, ValueError):
        return str(err) if str(err).startswith(str(path)) else f"{path}: {err}"
    if isinstance(err, RecursionError):
        found = "structures nested too deeply to read"
    elif isinstance(err, MemoryError):
        found = "sizes that do not fit in memory"
    else:
        found = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return f"{path}: expected a readable {path.suffix or 'extension-less'} file, found {found}"
