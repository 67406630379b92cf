"""``lstm-sim [MODEL | SESSION.lstmsim] [--inputs X | --text STR | --text-file F | --tokens
IDS.npy] [--prefix P] [--nonlinearity tanh|relu] [--h0 H.npy] [--c0 C.npy] [--screenshot PNG
...]``: the options of the window, the model and input options named and read as ``lstm-sim
trace`` reads them.

Qt is imported only when the window really opens, so ``lstm-sim --help`` and the
headless subcommands stay fast and work without a display.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lstm_sim.model.input_source import InputSource, SequenceKind

from lstm_sim.cli.display import display_problem

THEMES = ("light", "dark")


def window_size(text: str) -> tuple[int, int]:
    """``1600x900`` → (1600, 900)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT such as 1600x900, got {text!r}"
        ) from None
    if not (200 <= width <= 10000 and 200 <= height <= 10000):
        raise argparse.ArgumentTypeError(f"size {text} is outside 200x200 .. 10000x10000")
    return width, height


def steps_count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"steps must be >= 0, got {value}")
    return value


def add_window_options(parser: argparse.ArgumentParser) -> None:
    """The window's options, shared by the top-level help and the window's own parser."""
    group = parser.add_argument_group("window options (when no COMMAND is given)")
    group.add_argument("--model", metavar="M", help="model file to open (same as MODEL)")
    group.add_argument(
        "--scenario",
        metavar="NAME",
        help="open a lecture scenario with its trained model ('lstm-sim scenarios' lists them)",
    )
    group.add_argument(
        "--screenshot",
        metavar="PNG",
        help="render the window to PNG and exit instead of opening it (works offscreen)",
    )
    group.add_argument(
        "--steps",
        type=steps_count,
        default=0,
        metavar="N",
        help="with --screenshot: advance N phases first (default 0)",
    )
    group.add_argument("--size", type=window_size, metavar="WxH", help="window size, e.g. 1600x900")
    group.add_argument(
        "--theme", choices=THEMES, help="colour theme (default: the last run's, else light)"
    )
    group.add_argument(
        "--present",
        action="store_true",
        help="start in presentation mode (full screen; with --screenshot, at --size)",
    )
    group.add_argument(
        "--tour",
        nargs="?",
        const="",
        metavar="CHAPTER",
        help="start the lecture tour, at CHAPTER if given ('lstm-sim tour' lists them)",
    )
    source = group.add_mutually_exclusive_group()
    source.add_argument(
        "--inputs", metavar="X", help="run on these (T, D) inputs: .npy, or .csv of numbers"
    )
    source.add_argument(
        "--text", metavar="STR", help="run on this text, cut by the model's tokenizer"
    )
    source.add_argument("--text-file", metavar="F", help="a UTF-8 text file, used like --text")
    source.add_argument(
        "--tokens", metavar="IDS.npy", help="(T,) integer token ids, for a model that reads tokens"
    )
    group.add_argument(
        "--prefix", help="which recurrent module of a PyTorch file to open (asked when omitted)"
    )
    group.add_argument(
        "--nonlinearity",
        choices=("tanh", "relu"),
        help="what a PyTorch nn.RNN used (its state_dict does not say; tanh by default)",
    )
    group.add_argument("--h0", metavar="H.npy", help="initial hidden state (L, H), zeros if absent")
    group.add_argument("--c0", metavar="C.npy", help="initial cell state (L, H), LSTM only")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lstm-sim",
        description="Open the simulator window on MODEL, or on the built-in demo.",
    )
    parser.add_argument(
        "model_file",
        nargs="?",
        metavar="MODEL",
        help="model file (.npz, .pt, .safetensors) or a saved session (.lstmsim)",
    )
    add_window_options(parser)
    return parser


def input_source(args: argparse.Namespace) -> InputSource | None:
    """The inputs the command line gives instead of the model's default ones, if any."""
    from lstm_sim.model.input_source import InputSource

    kind: SequenceKind | None = next(
        (k for k in ("inputs", "text", "text_file", "tokens") if getattr(args, k) is not None),
        None,
    )
    if kind is None and args.h0 is None and args.c0 is None:
        return None
    value = "" if kind is None else str(getattr(args, kind))
    return InputSource(kind, value, args.h0, args.c0)


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.model and args.model_file and args.model != args.model_file:
        parser.error(f"two models given: {args.model_file} and --model {args.model}")
    model = args.model or args.model_file
    model_options = args.prefix is not None or args.nonlinearity is not None
    if model_options and (model is None or str(model).endswith(".lstmsim")):
        parser.error("--prefix and --nonlinearity apply to a model file: give MODEL")
    if args.scenario is not None:
        if args.model or args.model_file:
            parser.error("give a model or --scenario, not both")
        from lstm_sim.model.scenario_registry import check_name

        try:
            check_name(args.scenario)
        except ValueError as err:
            print(f"lstm-sim: error: {err}", file=sys.stderr)
            return 2
    sources = ("scenario", "model", "model_file", "inputs", "text", "text_file", "tokens")
    if args.tour is not None and any(getattr(args, name) for name in sources):
        parser.error("the tour opens its own scenarios: give --tour or a model/--scenario")
    if args.tour:
        from lstm_sim.model.tour import stop

        try:
            stop(args.tour)
        except ValueError as err:
            print(f"lstm-sim: error: {err}", file=sys.stderr)
            return 2
    if args.screenshot is not None:
        from lstm_sim.cli import CommandError
        from lstm_sim.cli.output_path import check_output

        inputs = {"--inputs": args.inputs, "--text-file": args.text_file, "--tokens": args.tokens}
        try:
            check_output(
                args.screenshot,
                {"the model": model, **inputs, "--h0": args.h0, "--c0": args.c0},
            )
        except CommandError as err:
            print(f"lstm-sim: error: {err}", file=sys.stderr)
            return 2
    problem = display_problem()
    if problem is not None and args.screenshot is not None:
        # A screenshot needs no screen: Qt renders it offscreen alike.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif problem is not None:
        print(f"lstm-sim: error: {problem}", file=sys.stderr)
        return 2
    from lstm_sim.collector_pause import pause_collection, resume_collection

    pause_collection()  # until the window's first views are up: see collector_pause
    try:
        from lstm_sim.gui.app import run

        return run(
            model,
            scenario=args.scenario,
            inputs=input_source(args),
            prefix=args.prefix,
            nonlinearity=args.nonlinearity,
            screenshot=args.screenshot,
            steps=args.steps,
            size=args.size,
            theme=args.theme,
            present=args.present,
            tour=args.tour,
        )
    finally:
        resume_collection()
