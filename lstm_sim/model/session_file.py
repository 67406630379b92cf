"""Saved sessions: one ``.lstmsim`` file holding everything a window shows, so a lecturer
prepares a demo once and reopens it exactly.

The file is a zip of named members, never a pickle:

=================  =====================================================================
member             what
=================  =====================================================================
``session.json``   format name and version, title, tokens (for a token sequence), the
                   clamps, the undo/redo history, breakpoints, watches, cursor, layer,
                   unit and view settings
``model.npz``      the model as lstm-sim's native arrays (:mod:`.formats.native`)
``x.npy``          the input sequence (T, D)
``h0.npy``         the initial hidden state (L, H); ``c0.npy`` the cell state (LSTM)
=================  =====================================================================

Reading checks every member's name, declared size and inflation before reading it, reads
arrays with ``allow_pickle=False``, and raises :class:`ModelFileError` with one line saying what is
wrong; nothing in the file names another file. Writing is atomic.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lstm_sim.engine.atomic_write import atomic_write
from lstm_sim.engine.expressions import ExpressionError
from lstm_sim.engine.formats.errors import ModelFileError
from lstm_sim.engine.formats.limits import check_inflation, max_bytes, read_member
from lstm_sim.engine.interventions import Clamp, ClampError, parse_clamp
from lstm_sim.engine.network import Network
from lstm_sim.model.app_state import AppState
from lstm_sim.model.breakpoints import Breakpoint, compile_breakpoint
from lstm_sim.model.pass_view import record_passes
from lstm_sim.model.session import Edit, SequenceValue, Session
from lstm_sim.model.view_settings import ViewSettings

SUFFIX = ".lstmsim"
FORMAT_NAME = "lstm-sim-session"
FORMAT_VERSION = 1
MAX_JSON_BYTES = 16 << 20
MAX_MODEL_BYTES = 2 << 30
MAX_ARRAY_BYTES = 1 << 30
MEMBER_LIMITS = {
    "session.json": MAX_JSON_BYTES,
    "model.npz": MAX_MODEL_BYTES,
    "x.npy": MAX_ARRAY_BYTES,
    "h0.npy": MAX_ARRAY_BYTES,
    "c0.npy": MAX_ARRAY_BYTES,
}
"""The members a session may hold and the most bytes each may unpack to."""


@dataclass(frozen=True)
class SavedSession:
    """A session file's contents, checked, before anything on screen changes."""

    network: Network
    inputs: np.ndarray | list[str]
    h0: np.ndarray
    c0: np.ndarray | None
    settings: dict[str, Any]
    clamps: tuple[Clamp, ...]
    undo: tuple[Edit, ...]
    redo: tuple[Edit, ...]
    breakpoints: list[Breakpoint]
    watches: list[str]


# -- writing ---------------------------------------------------------------------------------
def _json_value(value: Any) -> Any:
    if isinstance(value, SequenceValue):
        inputs = value.inputs
        return {
            "inputs": list(inputs) if isinstance(inputs, tuple) else inputs.tolist(),
            "ids": isinstance(inputs, np.ndarray) and inputs.dtype.kind in "iu",
            "h0": value.h0.tolist(),
            "c0": None if value.c0 is None else value.c0.tolist(),
        }
    if isinstance(value, tuple) and all(isinstance(c, Clamp) for c in value):
        return [c.text for c in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # "nan", "inf": JSON has no such numbers
    return value


def _edit_json(edit: Edit) -> dict[str, Any]:
    return {
        "target": edit.target,
        "index": list(edit.index),
        "old": _json_value(edit.old),
        "new": _json_value(edit.new),
    }


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def save_session(state: AppState, path: str | os.PathLike[str]) -> Path:
    """Write everything ``state`` shows to ``path`` (ending in .lstmsim), atomically."""
    path = Path(path)
    if path.suffix != SUFFIX:
        raise ValueError(f"a session file must end in {SUFFIX}, got {path.name!r}")
    session, view = state.session, state.view
    trace = session.trace  # clamps never change the inputs or the initial state
    undo, redo = session.history
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "title": session.title,
        "tokens": None if trace.tokens is None else list(trace.tokens),
        "clamps": [c.text for c in session.clamps],
        "undo": [_edit_json(e) for e in undo],
        "redo": [_edit_json(e) for e in redo],
        "breakpoints": [
            {"text": b.text, "enabled": b.enabled, "layer": b.layer}
            for b in state.breakpoints.items
        ],
        "watches": list(state.watches.texts),
        "cursor": [session.t, session.phase],
        "layer": session.layer,
        "unit": session.unit,
        "view": {
            "theme": view.theme,
            "reduced_motion": view.reduced_motion,
            "speed": view.speed,
            "no_spoilers": view.no_spoilers,
        },
    }
    from lstm_sim.engine.formats.native import native_arrays  # with the first save

    model = io.BytesIO()
    np.savez(model, **native_arrays(session.network))  # type: ignore[arg-type]
    members = {
        "session.json": json.dumps(document, indent=1).encode(),
        "model.npz": model.getvalue(),
        "x.npy": _npy(trace.x),
        "h0.npy": _npy(trace.h_all[:, 0]),
    }
    if trace.c_all is not None:
        members["c0.npy"] = _npy(trace.c_all[:, 0])
    with (
        atomic_write(path) as handle,
        zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for name, data in members.items():
            archive.writestr(name, data)
    return path


# -- reading ---------------------------------------------------------------------------------
def _fail(path: Path, message: str) -> ModelFileError:
    return ModelFileError(f"{path.name}: {message}"[:300])


def _read_members(path: Path) -> dict[str, bytes]:
    """Every member, each checked by name, stated size and inflation before it is read
    (the model readers' zip-bomb rules, :mod:`.formats.limits`)."""
    try:
        archive_size = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            for info in infos:
                limit = MEMBER_LIMITS.get(info.filename)
                if limit is None:
                    raise _fail(path, f"unexpected member {info.filename[:60]!r}: not a session")
                if info.file_size > limit:
                    raise _fail(path, f"{info.filename} declares {info.file_size} bytes, too many")
                check_inflation(info, archive_size)
            members = {
                info.filename: read_member(archive, info.filename, archive_size, info.file_size)
                for info in infos
            }
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise _fail(path, f"not a readable session (a zip): {err}") from None
    for required in ("session.json", "model.npz", "x.npy", "h0.npy"):
        if required not in members:
            raise _fail(path, f"the member {required} is missing: not a complete session")
    return members


def _array(path: Path, name: str, data: bytes) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise _fail(path, f"{name} is not a NumPy array: {err}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise _fail(path, f"{name} must hold floating-point numbers")
    return array


def _network(path: Path, data: bytes) -> Network:
    # Imported with the first session read: the window starts without any reader.
    from lstm_sim.engine.formats.native import read_native

    try:
        return read_native(Path("model.npz"), data, max_bytes())
    except ValueError as err:
        raise _fail(path, f"its model: {err}") from None


def _number(value: Any) -> Any:
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    return value


def _sequence_value(value: Any) -> SequenceValue:
    """A whole sequence of a length edit; its fit to the network is checked on restoring."""
    raw = value["inputs"]
    if not isinstance(raw, list) or not raw:
        raise ValueError("a sequence edit's inputs are not a non-empty list")
    inputs: np.ndarray | tuple[str, ...]
    if all(isinstance(token, str) for token in raw):
        inputs = tuple(raw)
    else:
        inputs = np.array(raw, dtype=np.intp if value["ids"] else np.float64)
    c0 = None if value["c0"] is None else np.array(value["c0"], dtype=np.float64)
    return SequenceValue(inputs, np.array(value["h0"], dtype=np.float64), c0)


def _edit(value: Any) -> Edit:
    target, index = str(value["target"]), tuple(int(k) for k in value["index"])
    if target == "sequence":
        return Edit(target, index, _sequence_value(value["old"]), _sequence_value(value["new"]))
    if target == "clamps":
        old = tuple(parse_clamp(str(t)) for t in value["old"])
        new = tuple(parse_clamp(str(t)) for t in value["new"])
        return Edit(target, (), old, new)
    if target == "token":
        return Edit(target, index, str(value["old"]), str(value["new"]))
    return Edit(target, index, float(_number(value["old"])), float(_number(value["new"])))


def read_session(path: str | os.PathLike[str]) -> SavedSession:
    """The session saved in ``path``; ModelFileError (one line) if it is damaged, too
    large or not a session."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such session file")
    members = _read_members(path)
    try:
        document = json.loads(members["session.json"])
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise _fail(path, f"session.json is not valid JSON: {err}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise _fail(path, f"session.json does not say format {FORMAT_NAME!r}")
    version = document.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise _fail(path, f"format_version {version!r}: a newer lstm-sim wrote it")
    network = _network(path, members["model.npz"])
    x = _array(path, "x.npy", members["x.npy"])
    h0 = _array(path, "h0.npy", members["h0.npy"])
    c0 = _array(path, "c0.npy", members["c0.npy"]) if "c0.npy" in members else None
    try:
        tokens = document["tokens"]
        inputs: np.ndarray | list[str] = x if tokens is None else [str(t) for t in tokens]
        clamps = tuple(parse_clamp(str(t)) for t in document["clamps"])
        undo = tuple(_edit(e) for e in document["undo"])
        redo = tuple(_edit(e) for e in document["redo"])
        breakpoints = [
            Breakpoint(
                str(b["text"]),
                bool(b["enabled"]),
                None if b["layer"] is None else int(b["layer"]),
            )
            for b in document["breakpoints"]
        ]
        watches = [str(w) for w in document["watches"]]
        settings = {
            "title": str(document["title"]),
            "cursor": (int(document["cursor"][0]), int(document["cursor"][1])),
            "layer": int(document["layer"]),
            "unit": int(document["unit"]),
            "view": dict(document["view"]),
        }
    except (KeyError, TypeError, ValueError, IndexError) as err:
        if isinstance(err, ClampError):
            raise _fail(path, f"a clamp: {err}") from None
        raise _fail(path, f"session.json lacks or mistypes {err}") from None
    return SavedSession(network, inputs, h0, c0, settings, clamps, undo, redo, breakpoints, watches)


def restore_session(state: AppState, saved: SavedSession) -> None:
    """Show ``saved`` in ``state``; ModelFileError, and ``state`` as it was, if its parts
    do not fit together."""
    session, settings = state.session, saved.settings
    # Everything is checked on a scratch session first: a session that does not fit
    # together is refused before anything on screen changes.
    try:
        scratch = Session(saved.network, saved.inputs, h0=saved.h0, c0=saved.c0)
        scratch.set_clamps(saved.clamps)
        for edit in (*saved.undo, *saved.redo):
            if edit.target == "sequence":  # a length edit's sequences must fit the model
                for side in (edit.old, edit.new):
                    record_passes(saved.network, side.inputs, side.h0, side.c0)
        for breakpoint in saved.breakpoints:
            compile_breakpoint(breakpoint)
        probe = ViewSettings()
        view = settings["view"]
        probe.theme, probe.speed = str(view["theme"]), float(view["speed"])
        t, phase = settings["cursor"]
        if not (0 <= t < scratch.num_steps and 0 <= phase < len(scratch.phases)):
            raise ValueError(f"the cursor {t, phase} is outside the sequence")
        scratch.select_layer(settings["layer"])
        scratch.select_unit(settings["unit"])
    except (ValueError, KeyError, ExpressionError) as err:
        raise ModelFileError(f"the saved session does not fit together: {err}"[:300]) from None
    session.load(saved.network, saved.inputs, settings["title"], h0=saved.h0, c0=saved.c0)
    if saved.clamps:
        session.set_clamps(saved.clamps)
    session.restore_history(saved.undo, saved.redo)
    session.select_layer(settings["layer"])
    session.select_unit(settings["unit"])
    session.seek(*settings["cursor"])
    state.breakpoints.replace_all(saved.breakpoints)
    state.watches.replace_all(saved.watches)
    view = settings["view"]
    state.view.theme = str(view["theme"])
    state.view.reduced_motion = bool(view["reduced_motion"])
    state.view.speed = float(view["speed"])
    state.view.no_spoilers = bool(view["no_spoilers"])
