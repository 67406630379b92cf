"""``lstm-sim tour``: the lecture tour's chapters, one per line.

``lstm-sim --tour [CHAPTER]`` opens the window on the tour (at CHAPTER).
"""

from __future__ import annotations

import argparse

from lstm_sim.model.tour import chapter_lines


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser(
        "tour",
        help="list the lecture tour's chapters",
        description="List the lecture tour's chapters in the lecture's order.",
    )


def run(args: argparse.Namespace) -> int:
    print("\n".join(chapter_lines()))
    return 0
