"""The ``lstm-sim`` command line.

``lstm-sim [MODEL] [--screenshot PNG ...]`` opens the window; ``lstm-sim COMMAND ...``
runs a headless subcommand. Each subcommand lives in its own module with
``add_parser(subparsers)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

# lstm-sim's matrices are small (H up to a few hundred), where OpenBLAS's worker threads
# busy-wait and, with the window and a training worker sharing the cores, make a product
# several times slower than one thread does. Set before anything imports NumPy; a user's
# own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType, ModuleType

from lstm_sim import __version__
from lstm_sim.cli import gui

COMMANDS = ("diff", "export", "info", "scenarios", "tour", "trace", "train")
"""The subcommands, each a module of this package with ``add_parser`` and ``run``."""


def _subcommands() -> dict[str, ModuleType]:
    # Imported only when a command or --help runs: opening the window needs none of them,
    # and they pull in the file readers and the scenario registry (tens of ms at start).
    return {name: importlib.import_module(f"lstm_sim.cli.{name}") for name in COMMANDS}


class CommandError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lstm-sim",
        description="Step an LSTM one gate and one time step at a time.",
        epilog="Run 'lstm-sim [MODEL]' with no command to open the simulator window on MODEL "
        "(the built-in demo when omitted). Exit status: 0 done; 1 a check or comparison "
        "failed (scenarios --check, diff); 2 an error, named in one line on stderr; 3 the "
        "run met NaN or infinity (trace writes it with a note, train stops); 130 "
        "interrupted. 'lstm-sim COMMAND --help' says what each command returns.",
        # The window's options are listed here too; abbreviating them would claim a
        # command's own options ("export --to" would be ambiguous with "--tour").
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"lstm-sim {__version__}")
    gui.add_window_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _subcommands().values():
        module.add_parser(subparsers)
    return parser


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Turn a polite kill into SystemExit while a command runs, so a write in progress
    removes its temporary file as it does on Ctrl+C; the default action would end the
    process on the spot."""

    def leave(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        args = build_parser().parse_args(argv)
        try:
            with _sigterm_as_exit():
                return int(_subcommands()[args.command].run(args))
        except (CommandError, ValueError, FileNotFoundError, OSError) as err:
            print(f"lstm-sim {args.command}: error: {err}", file=sys.stderr)
            return 2
    if any(a in ("-h", "--help", "--version") for a in argv):
        build_parser().parse_args(argv)
    return gui.main(argv)
