"""A character-level corpus of Python source, and what a reader knows at each character,
for the code-reading cells of Karpathy, Johnson & Fei-Fei (2015).

The corpus is Python's own standard library, which ships with every Python install: a
fixed list of training modules and a different, fixed list of held-out modules. A third,
fixed list of modules of pyqtgraph (which lstm-sim installs) is code from outside the
standard library, by other authors, for checking that what the model learned is not the
standard library's house style. A module missing from this install is left out, and
``Corpus.files`` says which were used.
Text is mapped onto printable ASCII plus newline (tabs expanded, anything else becomes
'?'), so every character is one of ``VOCABULARY``.

Labels come from the ``tokenize`` module and describe the context *after* reading
character t, as a model's h_t can know it: the opening quote of a string is already
inside it, its closing quote is outside again, a '#' is inside its comment and the
newline that ends the comment is not.
"""

from __future__ import annotations

import importlib.util
import io
import sysconfig
import token
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.model.scenario import Scenario

Split = Literal["train", "held_out", "outside_stdlib"]

VOCABULARY: tuple[str, ...] = ("\n", *(chr(k) for k in range(32, 127)))

# Top-level modules of Python 3.11 that later versions keep too: the modules 3.12 and 3.13
# remove are left out, as are this.py (rot13 prose) and _sysconfigdata (a build's
# settings); sorted.
TRAIN_FILES = (
    "__future__.py", "__hello__.py", "_aix_support.py", "_bootsubprocess.py",
    "_collections_abc.py", "_compat_pickle.py", "_compression.py", "_markupbase.py",
    "_osx_support.py", "_py_abc.py", "_pydecimal.py", "_pyio.py", "_sitebuiltins.py",
    "_strptime.py", "_threading_local.py", "_weakrefset.py", "abc.py", "antigravity.py",
    "argparse.py", "ast.py", "base64.py", "bdb.py", "bisect.py", "bz2.py", "cProfile.py",
    "calendar.py", "cmd.py", "code.py", "codecs.py", "codeop.py", "colorsys.py",
    "compileall.py", "configparser.py", "contextlib.py", "contextvars.py", "copy.py",
    "copyreg.py", "csv.py", "dataclasses.py", "datetime.py", "decimal.py", "difflib.py",
    "dis.py", "doctest.py", "enum.py", "filecmp.py", "fileinput.py", "fnmatch.py",
    "fractions.py", "ftplib.py", "functools.py", "genericpath.py", "getopt.py",
    "getpass.py", "gettext.py", "glob.py", "graphlib.py", "gzip.py", "hashlib.py",
    "heapq.py", "hmac.py", "imaplib.py", "inspect.py", "io.py", "ipaddress.py",
    "keyword.py", "linecache.py", "locale.py", "lzma.py", "mailbox.py", "mimetypes.py",
    "modulefinder.py", "netrc.py", "ntpath.py", "nturl2path.py", "numbers.py", "opcode.py",
    "operator.py", "optparse.py", "os.py", "pathlib.py", "pdb.py", "pickle.py",
    "pickletools.py", "pkgutil.py", "platform.py", "plistlib.py", "poplib.py",
    "posixpath.py", "pprint.py", "profile.py", "pstats.py", "pty.py", "py_compile.py",
    "pyclbr.py", "pydoc.py", "quopri.py", "random.py", "reprlib.py", "rlcompleter.py",
    "runpy.py", "secrets.py", "shelve.py", "shlex.py", "shutil.py", "signal.py", "site.py",
    "smtplib.py", "socket.py", "sre_compile.py", "sre_constants.py", "sre_parse.py",
    "ssl.py", "stat.py", "statistics.py", "stringprep.py", "struct.py", "subprocess.py",
    "symtable.py", "sysconfig.py", "tabnanny.py", "tarfile.py", "threading.py", "token.py",
    "tokenize.py", "trace.py", "traceback.py", "tty.py", "turtle.py", "types.py",
    "typing.py", "uuid.py", "warnings.py", "wave.py", "webbrowser.py", "zipapp.py",
    "zipfile.py", "zipimport.py",
)  # fmt: skip
TRAIN_PACKAGES = (
    "asyncio", "collections", "concurrent", "ctypes", "curses", "dbm", "email", "html",
    "http", "idlelib", "importlib", "json", "logging", "multiprocessing", "re", "sqlite3",
    "tkinter", "tomllib", "turtledemo", "unittest", "urllib", "venv", "wsgiref", "xml",
    "xmlrpc", "zoneinfo",
)  # fmt: skip
"""Packages whose every module, outside their test folders, follows ``TRAIN_FILES``."""
TEST_FOLDERS = frozenset({"test", "tests", "idle_test"})
HELD_OUT_FILES = (
    "queue.py", "sched.py", "selectors.py", "socketserver.py", "string.py", "tempfile.py",
    "textwrap.py", "timeit.py", "tracemalloc.py", "weakref.py",
)  # fmt: skip
OUTSIDE_STDLIB_PACKAGE = "pyqtgraph"
OUTSIDE_STDLIB_FILES = (
    "pyqtgraph/colormap.py", "pyqtgraph/dockarea/DockArea.py",
    "pyqtgraph/exporters/SVGExporter.py", "pyqtgraph/flowchart/Node.py",
    "pyqtgraph/graphicsItems/InfiniteLine.py", "pyqtgraph/graphicsItems/LegendItem.py",
    "pyqtgraph/graphicsItems/TargetItem.py", "pyqtgraph/multiprocess/parallelizer.py",
    "pyqtgraph/parametertree/SystemSolver.py", "pyqtgraph/widgets/SpinBox.py",
)  # fmt: skip
"""Modules of pyqtgraph 0.14 (a dependency, pinned below 0.15), relative to the folder
that holds the package: ten files of different kinds (widgets, items, an exporter, a
solver, a process pool), none of them in the training text."""

BINARY_LABELS = ("in_string", "in_comment", "in_docstring")
NUMERIC_LABELS = ("indent", "bracket_depth", "line_position")

_OPENING, _CLOSING = "([{", ")]}"


def stdlib_dir() -> Path:
    """Where this Python's standard library source lives."""
    return Path(sysconfig.get_paths()["stdlib"])


def outside_stdlib_dir() -> Path:
    """The folder that holds the installed pyqtgraph package (found without importing
    it); ValueError when it is not installed."""
    spec = importlib.util.find_spec(OUTSIDE_STDLIB_PACKAGE)
    if spec is None or spec.origin is None:
        raise ValueError(
            f"{OUTSIDE_STDLIB_PACKAGE} is not installed: no code from outside the standard "
            "library to read"
        )
    return Path(spec.origin).parent.parent


def clean_source(text: str) -> str:
    """``text`` on the corpus alphabet: newlines normalised, tabs expanded to Python's
    8-column stops, every other character outside printable ASCII replaced by '?'."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(8)
    allowed = set(VOCABULARY)
    if all(ch in allowed for ch in text):
        return text
    return "".join(ch if ch in allowed else "?" for ch in text)


@dataclass(frozen=True)
class CodeLabels:
    """Per-character labels of a text of T characters, each (T,).

    in_string: inside a one-line string literal (quotes ' or ", f-strings included).
    in_comment: inside a '#' comment. in_docstring: inside a triple-quoted string,
    docstring or not. indent: leading spaces of the current line read so far, / 4.
    bracket_depth: brackets opened and not yet closed, outside strings and comments.
    line_position: characters of the current line read so far (0 after a newline).
    """

    in_string: np.ndarray
    in_comment: np.ndarray
    in_docstring: np.ndarray
    indent: np.ndarray
    bracket_depth: np.ndarray
    line_position: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in BINARY_LABELS + NUMERIC_LABELS:
            raise ValueError(
                f"no label {name!r}; labels are {', '.join(BINARY_LABELS + NUMERIC_LABELS)}"
            )
        return np.asarray(getattr(self, name))

    def slice(self, start: int, stop: int) -> CodeLabels:
        """The labels of characters start..stop-1."""
        return CodeLabels(
            *(getattr(self, name)[start:stop] for name in BINARY_LABELS + NUMERIC_LABELS)
        )


def _line_starts(chars: np.ndarray) -> np.ndarray:
    """Offset of the first character of each line, with line 1 at index 1 (tokenize's
    numbering) and one past the end appended."""
    newlines = np.flatnonzero(chars == ord("\n")) + 1
    return np.concatenate([[0, 0], newlines, [chars.size + 1]]).astype(np.int64)


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    """Every token ``tokenize`` can make of ``text``; after an error it carries on from
    the next line, so broken or partial code still gets most of its labels."""
    # Lines as tokenize's readline sees them: split at '\n' only.
    lines = io.StringIO(text).readlines()
    found: list[tokenize.TokenInfo] = []
    first_line = 0
    while first_line < len(lines):
        chunk = "".join(lines[first_line:])
        last_row = 0
        try:
            for tok in tokenize.generate_tokens(io.StringIO(chunk).readline):
                last_row = tok.end[0]
                found.append(
                    tok._replace(
                        start=(tok.start[0] + first_line, tok.start[1]),
                        end=(tok.end[0] + first_line, tok.end[1]),
                    )
                )
            break
        except (tokenize.TokenError, SyntaxError) as error:
            row = error.args[1][0] if isinstance(error, tokenize.TokenError) else error.lineno
            # Skip past the line that failed, and always move on by at least one line.
            first_line += max(row or 0, last_row, 1)
    return found


def _is_triple_quoted(literal: str) -> bool:
    body = literal.lstrip("rRbBuUfF")
    return body[:3] in ('"""', "'''")


def _layout_labels(chars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(leading spaces read so far, line_position) of each character, both (T,), from
    the text alone, so they hold even where tokenize gives up."""
    index = np.arange(chars.size)
    is_newline = chars == ord("\n")
    # Characters of the line read so far: distance to the last newline at or before t.
    line_position = index - np.maximum.accumulate(np.where(is_newline, index, -1))
    # A newline belongs to the line it ends.
    line = np.cumsum(is_newline) - is_newline
    line_start = np.concatenate([[0], np.flatnonzero(is_newline) + 1])[line]
    # First character of each line that is not a space (a newline counts as one).
    other = chars != ord(" ")
    first_other = np.full(int(line[-1]) + 1, chars.size, dtype=np.int64)
    np.minimum.at(first_other, line[other], index[other])
    first_other = first_other[line]
    spaces = np.where(index < first_other, index - line_start + 1, first_other - line_start)
    return np.where(is_newline, 0, spaces), line_position


def label_source(text: str) -> CodeLabels:
    """Label every character of ``text`` (already on the corpus alphabet); see
    :class:`CodeLabels`."""
    chars = np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)
    size = chars.size
    if size == 0:
        empty = np.zeros(0, dtype=bool)
        return CodeLabels(empty, empty, empty, np.zeros(0), np.zeros(0, np.int64), empty)
    spaces, line_position = _layout_labels(chars)
    in_string = np.zeros(size, dtype=bool)
    in_comment = np.zeros(size, dtype=bool)
    in_docstring = np.zeros(size, dtype=bool)
    bracket_step = np.zeros(size, dtype=np.int64)
    starts = _line_starts(chars)
    # Python 3.12 splits f-strings into start, middle and end tokens; 3.11 has one STRING.
    fstring_start = getattr(token, "FSTRING_START", None)
    fstring_end = getattr(token, "FSTRING_END", None)
    open_fstrings: list[tuple[int, bool]] = []
    for tok in _tokens(text):
        begin = int(starts[tok.start[0]] + tok.start[1])
        end = int(starts[tok.end[0]] + tok.end[1])
        if tok.type == tokenize.COMMENT:
            in_comment[begin:end] = True
        elif tok.type == tokenize.STRING:
            # Inside from the opening quote up to the closing quote(s), which end it.
            quote = begin + len(tok.string) - len(tok.string.lstrip("rRbBuUfF"))
            triple = _is_triple_quoted(tok.string)
            (in_docstring if triple else in_string)[quote : end - (3 if triple else 1)] = True
        elif tok.type == fstring_start:
            prefix = len(tok.string.rstrip("'\""))
            open_fstrings.append((begin + prefix, _is_triple_quoted(tok.string)))
        elif tok.type == fstring_end and open_fstrings:
            quote, triple = open_fstrings.pop()
            (in_docstring if triple else in_string)[quote : end - len(tok.string)] = True
        elif tok.type == tokenize.OP and not open_fstrings:
            if tok.string in _OPENING:
                bracket_step[begin] = 1
            elif tok.string in _CLOSING:
                bracket_step[begin] = -1
    return CodeLabels(
        in_string=in_string,
        in_comment=in_comment,
        in_docstring=in_docstring,
        indent=spaces / 4.0,
        # Unbalanced code (a fragment, or a line tokenize skipped) never goes below 0.
        bracket_depth=np.maximum(np.cumsum(bracket_step), 0),
        line_position=line_position,
    )


@dataclass(frozen=True)
class Corpus:
    """Source text joined file after file (each ends with a newline) and its labels.

    files: the module names used, in order; offsets: (F+1,) where each file starts in
    ``text``, with len(text) last.
    """

    text: str
    files: tuple[str, ...]
    offsets: np.ndarray
    labels: CodeLabels


def split_files(split: Split, directory: Path | None = None) -> tuple[str, ...]:
    """The ``split``'s modules, as paths relative to ``directory`` (the standard library,
    or for ``outside_stdlib`` the folder holding pyqtgraph): the held-out or the
    outside-the-standard-library list, or ``TRAIN_FILES`` followed by each of
    ``TRAIN_PACKAGES``'s modules outside its test folders, in sorted order. Missing ones
    are included; the corpus skips them."""
    if split == "held_out":
        return HELD_OUT_FILES
    if split == "outside_stdlib":
        return OUTSIDE_STDLIB_FILES
    directory = stdlib_dir() if directory is None else directory
    in_packages = [
        path.relative_to(directory).as_posix()
        for package in TRAIN_PACKAGES
        for path in sorted((directory / package).rglob("*.py"))
        if not TEST_FOLDERS & set(path.relative_to(directory).parts)
    ]
    return (*TRAIN_FILES, *in_packages)


def load_corpus(
    split: Split = "train", max_chars: int = 2_000_000, directory: Path | None = None
) -> Corpus:
    """Read the ``split``'s modules in list order, whole files only, until the next one
    would pass ``max_chars``; label each file on its own (a file is what ``tokenize``
    understands). ``directory``: where the modules are, by default the standard library
    or, for ``outside_stdlib``, the folder holding pyqtgraph."""
    if split not in ("train", "held_out", "outside_stdlib"):
        raise ValueError(f"split must be 'train', 'held_out' or 'outside_stdlib', got {split!r}")
    if max_chars < 1:
        raise ValueError(f"max_chars must be >= 1, got {max_chars}")
    if directory is None:
        directory = outside_stdlib_dir() if split == "outside_stdlib" else stdlib_dir()
    names = split_files(split, directory)
    texts: list[str] = []
    used: list[str] = []
    total = 0
    for name in names:
        path = directory / name
        if not path.is_file():
            continue
        text = clean_source(path.read_text(encoding="utf-8", errors="replace"))
        if not text.endswith("\n"):
            text += "\n"
        if total + len(text) > max_chars:
            break
        texts.append(text)
        used.append(name)
        total += len(text)
    if not texts:
        raise ValueError(f"no {split} module of {directory} fits in max_chars={max_chars}")
    parts = [label_source(text) for text in texts]
    labels = CodeLabels(
        *(
            np.concatenate([getattr(p, name) for p in parts])
            for name in BINARY_LABELS + NUMERIC_LABELS
        )
    )
    offsets = np.cumsum([0, *(len(t) for t in texts)])
    return Corpus("".join(texts), tuple(used), offsets, labels)


# -- the scenario: Karpathy's code reader ------------------------------------------------
MODEL_RESOURCE = "models/scenarios/code_reader.npz"
TITLE = "Karpathy's code reader"
SUMMARY = (
    "A character-level LSTM trained on Python source. The code reader colours the text by "
    "any unit; Find units ranks the units that track strings, comments, indentation and "
    "brackets, and the gate-saturation plot shows which gates act as switches."
)
CLAIM = (
    "on standard-library modules it never read and on modules of pyqtgraph (code from "
    "outside the standard library), the unit named for one-line string literals reaches "
    "ROC AUC >= 0.95, the one named for # comments >= 0.95 and the one named for the "
    "indentation depth |Pearson r| >= 0.85; all three units were shaped by auxiliary "
    "training signals (losses pulling each towards its label on the training text), the "
    "docstring unit emerged on its own"
)

DEFAULT_TEXT = """\
    for o, a in opts:
        if o in ("-n", "--number"):
            number = int(a)
        if o in ("-s", "--setup"):
            setup.append(a)
        if o in ("-u", "--unit"):
            if a in units:
                time_unit = a
            else:
                print("Unrecognized unit. Please select nsec, usec, msec, or sec.",
                      file=sys.stderr)
                return 2
        if o in ("-r", "--repeat"):
            repeat = int(a)
            if repeat <= 0:
                repeat = 1
        if o in ("-p", "--process"):
            timer = time.process_time
        if o in ("-v", "--verbose"):
            if verbose:
                precision += 1
            verbose += 1
        if o in ("-h", "--help"):
            print(__doc__, end=' ')
            return 0
    setup = "\\n".join(setup) or "pass"

    # Include the current directory, so that local imports work (sys.path
    # contains the directory of this script, rather than the current
    # directory)
    import os
    sys.path.insert(0, os.curdir)
    if _wrap_timer is not None:
        timer = _wrap_timer(timer)
"""
"""The text the scenario opens on: ``main()`` of the standard library's timeit.py
(Python 3.11), a held-out module the model never trained on, with one-line strings,
comments, brackets and four levels of indentation."""


def _measure(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    # The measurement reads the corpus through lstm_sim.model.code_reader, which builds on
    # this module: imported when a check runs, not when the registry is listed.
    from lstm_sim.model.code_reader import check_claims

    result = check_claims(networks[0])
    return result.passed, result.numbers


def _describe_input() -> str:
    return (
        f"{len(DEFAULT_TEXT)} characters of timeit.py: {DEFAULT_TEXT.splitlines()[0].strip()} ..."
    )


SCENARIO = Scenario(
    name="code-reader",
    title=TITLE,
    summary=(
        "a character-level LSTM of Python source with units for strings, comments and indentation"
    ),
    claim=CLAIM,
    models=(MODEL_RESOURCE,),
    make_input=lambda: tuple(DEFAULT_TEXT),
    measure=_measure,
    # Trained for an hour by scripts/train_code_reader.py: beyond the training panel.
    training=None,
    view="code_reader",
    picker_text=SUMMARY,
    names_unit=False,
    describe_input=_describe_input,
)
