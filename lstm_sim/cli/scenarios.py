"""``lstm-sim scenarios [NAME] [--check]``: the lecture's demos.

Without NAME, one line per scenario. With NAME, its title, what to watch and where, its
model files and opening input; ``--check`` re-measures the model's claim on held-out data
and exits 1 if it fails. ``--model FILE`` (once per model the scenario has) checks other
files instead of the shipped ones, e.g. a model retrained from scratch.
"""

from __future__ import annotations

import argparse
import textwrap

import numpy as np

from lstm_sim.engine.formats import load_model
from lstm_sim.model.scenario_registry import LISTED, CheckResult, Scenario, get


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scenarios",
        help="list the lecture's demos, describe one, or check its model's claim",
        description="List the lecture's demos; with NAME, describe one and optionally check "
        "that its model really does what the description says.",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="a scenario's name")
    parser.add_argument(
        "--check",
        action="store_true",
        help="measure the model's claim on held-out data (exit status 1 if it fails)",
    )
    parser.add_argument(
        "--model",
        action="append",
        metavar="FILE",
        help="with --check: a model file to check instead of the shipped one (repeat for "
        "a scenario with two models, in the listed order)",
    )


def input_preview(scenario: Scenario, width: int = 76) -> str:
    """The opening input in a line or two: the scenario's own words for it, its tokens,
    or its shape and first values."""
    if scenario.describe_input is not None:
        return scenario.describe_input()
    inputs = scenario.default_input()
    if isinstance(inputs, np.ndarray):
        first = ", ".join(f"{v:.2f}" for v in inputs[:6, 0])
        return f"{inputs.shape[0]} steps of {inputs.shape[1]} value(s): {first}, ..."
    return textwrap.shorten(f"{len(inputs)} tokens: {' '.join(inputs)}", width)


def print_result(result: CheckResult) -> None:
    print(f"claim: {result.claim}")
    width = max(len(key) for key in result.numbers)
    for key, value in result.numbers.items():
        print(f"  {key:<{width}}  {value:.4g}")
    print("PASS" if result.passed else "FAIL")


def run(args: argparse.Namespace) -> int:
    if args.name is None:
        if args.check or args.model:
            raise ValueError("--check and --model need a scenario NAME")
        width = max(len(s.name) for s in LISTED)
        for scenario in LISTED:
            print(f"{scenario.name:<{width}}  {scenario.title} — {scenario.summary}")
        return 0
    if args.model and not args.check:
        raise ValueError("--model is used only with --check")
    scenario = get(args.name)
    if args.check:
        networks = None if not args.model else tuple(load_model(path) for path in args.model)
        result = scenario.check(networks)
        print(f"{scenario.name}: {scenario.title}")
        print_result(result)
        return 0 if result.passed else 1
    print(f"{scenario.name}: {scenario.title}")
    print(textwrap.fill(scenario.description(), 88))
    print("models: " + ", ".join(str(path) for path in scenario.model_paths()))
    print("opening input: " + input_preview(scenario))
    return 0
