"""``lstm-sim export``: an animation or a still of the cell for slides, rendered off screen.

    lstm-sim export MODEL|--scenario NAME --from T[:PHASE] --to T[:PHASE] --out FILE
                    [--size WxH] [--fps N] [--theme dark] [--view cell|unrolled|present]
                    [--sequence]

OUT ending in .gif or .apng is an animation (Pillow), .mp4 a video (imageio-ffmpeg),
.png/.svg/.pdf one still of the --to moment (.png with --sequence: one file per frame).
A progress line goes to stderr; Ctrl+C cancels and leaves no partial file.
"""

from __future__ import annotations

import argparse
import os
import sys

from lstm_sim.cli import CommandError
from lstm_sim.cli.gui import THEMES, window_size
from lstm_sim.cli.output_path import check_output
from lstm_sim.model import Session


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="render the cell stepping from one moment to another as a GIF, APNG, MP4 or still",
        description=(
            "Render the cell diagram from --from to --to, phase by phase with its flow "
            "animation, at any size: .gif/.apng/.mp4 animations, .png/.svg/.pdf stills of "
            "the --to moment, or a .png sequence."
        ),
    )
    parser.add_argument("model", nargs="?", help="a model file (or give --scenario)")
    parser.add_argument("--scenario", metavar="NAME", help="a lecture scenario's model and input")
    parser.add_argument(
        "--from",
        dest="start",
        default="0:0",
        metavar="T[:PHASE]",
        help="first moment: step T, phase number or key (default 0:0)",
    )
    parser.add_argument(
        "--to",
        dest="stop",
        metavar="T[:PHASE]",
        help="last moment (default: the end of the --from step)",
    )
    parser.add_argument(
        "--out", required=True, metavar="FILE", help=".gif, .apng, .mp4, .png, .svg or .pdf"
    )
    parser.add_argument(
        "--size",
        type=window_size,
        default=(1280, 720),
        metavar="WxH",
        help="pixels (points for PDF) of every frame (default 1280x720)",
    )
    parser.add_argument("--fps", type=int, default=12, help="frames per second (default 12)")
    parser.add_argument("--theme", choices=THEMES, default="light", help="colour theme")
    parser.add_argument(
        "--view",
        choices=("cell", "unrolled", "present"),
        default="cell",
        help=(
            "the cell as the window draws it (default); the chain of steps unrolled in time; "
            "or the cell as presentation mode draws it (high contrast, projector-sized text)"
        ),
    )
    parser.add_argument(
        "--sequence", action="store_true", help="with a .png: one file per frame, OUT_0001.png ..."
    )


def _session(args: argparse.Namespace) -> Session:
    """The model file or scenario opened as the window opens it (the one Opener)."""
    if (args.model is None) == (args.scenario is None):
        raise CommandError("give a model file or --scenario NAME (one of them)")
    from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network
    from lstm_sim.model.opening import Opener

    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    opener = Opener(session)
    try:
        if args.scenario is not None:
            opener.open_scenario(args.scenario)
        else:
            opener.open_file(args.model)
    finally:
        opener.detach()
    return session


def run(args: argparse.Namespace) -> int:
    # Nothing is shown: every frame is rendered into an image, with or without a display.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from lstm_sim.gui.animation_export import ExportCancelled, ExportError, export, parse_moment
    from lstm_sim.gui.app import create_application

    # Refused before any frame is rendered: a long export is never lost for want of a folder.
    check_output(args.out, {"the model": args.model})
    create_application()
    session = _session(args)
    try:
        start = parse_moment(args.start, session)
        stop = (
            parse_moment(args.stop, session) if args.stop else (start[0], len(session.phases) - 1)
        )
    except ExportError as err:
        raise CommandError(str(err)) from None

    def progress(done: int, total: int) -> bool:
        print(f"\rexporting: frame {done} of {total}", end="", file=sys.stderr, flush=True)
        return True

    try:
        written = export(
            session,
            start,
            stop,
            args.out,
            size=args.size,
            fps=args.fps,
            theme=args.theme,
            view=args.view,
            sequence=args.sequence,
            progress=progress,
        )
    except ExportCancelled:
        print("\nexport cancelled: nothing was written", file=sys.stderr)
        return 1
    except ExportError as err:
        raise CommandError(str(err)) from None
    finally:
        print(file=sys.stderr)
    first, last = written[0], written[-1]
    what = str(first) if len(written) == 1 else f"{len(written)} files, {first.name} .. {last.name}"
    print(f"wrote {what} ({args.size[0]}x{args.size[1]})")
    return 0
