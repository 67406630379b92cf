"""``lstm-sim diff A.npz B.npz``: where two recorded runs part.

Prints ``first difference: t=N layer=L quantity=Q unit=U |a-b|=X`` and exits 1 when the
runs differ by more than ``--tol`` somewhere, or says they agree and exits 0 (2: a file
cannot be read or the runs cannot be compared).
"""

from __future__ import annotations

import argparse

from lstm_sim.engine.formats.trace_reader import read_trace_arrays
from lstm_sim.engine.trace_diff import COMPARED, compared_quantities, first_difference


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="compare two trace files and name the first step where they part",
        description=(
            "Compare two trace .npz files (written by 'lstm-sim trace' or in its format) and "
            "print the first step, layer, quantity and unit where they differ by more than "
            "the tolerance. Exit 1 when they part, 0 when they agree."
        ),
    )
    parser.add_argument("a", metavar="A.npz", help="the first run")
    parser.add_argument("b", metavar="B.npz", help="the run to compare it with")
    parser.add_argument(
        "--tol", type=float, default=1e-6, help="largest |a-b| that counts as equal (1e-6)"
    )


def run(args: argparse.Namespace) -> int:
    a = read_trace_arrays(args.a, COMPARED)
    b = read_trace_arrays(args.b, COMPARED)
    found = first_difference(a, b, args.tol)
    if found is not None:
        print(found)
        return 1
    shared = compared_quantities(a, b)
    layers, steps, _ = a[shared[0]].shape
    print(
        f"no difference above {args.tol:g} in {', '.join(shared)} "
        f"({steps} steps, {layers} layer(s))"
    )
    return 0
