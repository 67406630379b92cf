"""``lstm-sim trace MODEL ...``: run one sequence and write everything it computed.

OUT.npz holds every recorded array (h, c, each gate, the pre-activations, x, h0/c0,
logits/probs, vocab/tokens) and OUT.csv one row per (layer, step, unit); the names are
documented in :mod:`lstm_sim.engine.formats.trace_files`, which writes both. Without
``--grad``, ``--clamp`` or ``--break`` the CSV is recorded and written in chunks (NaN is
still found and reported), and ``--quantities h,c,f`` keeps
only the named per-unit quantities (:mod:`~lstm_sim.engine.formats.chunked_trace_files`),
so a long sequence never has to fit in memory whole.

With ``--grad`` the loss of the sequence is backpropagated through time: OUT.npz gains
``loss`` (a scalar), ``step_loss`` (T,), ``dh`` and, for an LSTM, ``dc`` (L, T, H), the
total gradient reaching h_t and c_t, and ``grad.<name>`` for every parameter under its
name in the model file (``encoder.lstm.weight_ih_l0``, a head's ``fc1.weight``; a
``bias=False`` layer gets no bias gradients); OUT.csv gains ``dh`` and ``dc`` columns.
Targets come from ``--targets`` (.npy: (T,) token ids for xent, -1 for none; (T, K) values
for mse) or, for text or token ids into a language model, are the next tokens.

``--tokens IDS.npy`` feeds a (T,) array of integer token ids to a model that reads tokens
(an embedding or a vocabulary). Whatever the model's reader assumed or left out is printed
as one ``lstm-sim trace: note:`` line each on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from lstm_sim.cli import CommandError
from lstm_sim.cli.break_report import break_lines
from lstm_sim.cli.info import add_external_data_option
from lstm_sim.cli.output_path import check_output
from lstm_sim.engine.backprop import (
    LOSSES,
    Gradients,
    LossKind,
    default_loss,
    gradients,
    next_token_targets,
)
from lstm_sim.engine.expressions import parse_expression
from lstm_sim.engine.file_names import by_file_name
from lstm_sim.engine.formats import SUFFIXES, load_model
from lstm_sim.engine.formats.chunked_trace_files import (
    chosen_quantities,
    write_csv_in_chunks,
    write_quantities_npz,
)
from lstm_sim.engine.formats.inputs import (
    read_array,
    read_initial_state,
    read_inputs,
    read_text_file,
    read_token_ids,
    tokens_of_text,
)
from lstm_sim.engine.formats.trace_files import write_trace
from lstm_sim.engine.interventions import (
    check_clamps,
    first_affected_step,
    lowest_layer,
    parse_clamp,
    rerun_with_clamps,
)
from lstm_sim.engine.network import Network
from lstm_sim.engine.nonfinite import NonFinite, first_nonfinite, first_nonfinite_gradient
from lstm_sim.engine.trace import Trace, record

EXIT_NONFINITE = 3
"""The trace was written, but the run produced NaN or infinity somewhere."""
EXIT_STATUS = (
    "exit status: 0 written; 2 an error, nothing written (one line on stderr); "
    f"{EXIT_NONFINITE} written, but the run or its gradients hold NaN or infinity (a "
    "'note:' line on stderr names the first step, layer, quantity and unit)"
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "trace",
        help="run a sequence through a model and write every gate at every step",
        description=(
            "Run one sequence through a model and write every intermediate quantity of "
            "every layer at every step to OUT (.npz arrays or a .csv table)."
        ),
        epilog=EXIT_STATUS,
    )
    parser.add_argument("model", help=f"the model file ({', '.join(SUFFIXES)})")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--inputs", metavar="X", help="a (T, D) array: .npy, or .csv of numbers")
    source.add_argument("--text", metavar="STR", help="text, cut by the model's tokenizer")
    source.add_argument("--text-file", metavar="F", help="a UTF-8 text file, used like --text")
    source.add_argument(
        "--tokens", metavar="IDS.npy", help="(T,) integer token ids, for a model that reads tokens"
    )
    parser.add_argument("--out", required=True, metavar="OUT", help="where to write: .npz or .csv")
    parser.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        help="compute in this precision (default: the model's own)",
    )
    parser.add_argument("--prefix", help="which recurrent module of a PyTorch state_dict to read")
    add_external_data_option(parser)
    parser.add_argument(
        "--nonlinearity",
        choices=("tanh", "relu"),
        help="what a PyTorch nn.RNN used (its state_dict does not say; tanh by default)",
    )
    parser.add_argument(
        "--h0", metavar="H.npy", help="initial hidden state (L, H), zeros if absent"
    )
    parser.add_argument("--c0", metavar="C.npy", help="initial cell state (L, H), LSTM only")
    parser.add_argument(
        "--quantities",
        metavar="NAMES",
        help="write only these per-unit quantities, comma-separated (e.g. h,c,f; the CSV's "
        "column names), recorded in chunks so a long sequence fits in memory",
    )
    parser.add_argument(
        "--grad",
        action="store_true",
        help="also backpropagate the sequence's loss: dh, dc and every parameter's gradient",
    )
    parser.add_argument(
        "--targets",
        metavar="Y.npy",
        help="targets for --grad: (T,) token ids (-1: none) or (T, K) values; "
        "with text input the next tokens are the default",
    )
    parser.add_argument(
        "--break",
        dest="breaks",
        action="append",
        default=[],
        metavar="EXPR",
        help="print 'break: t=N layer=L EXPR' for every step and layer where the condition "
        "holds (repeatable; e.g. 'f[3] > 0.9', 'layer 1: norm(c) > 5'); a model with reverse "
        "passes adds pass=forward|reverse, and 'reverse: EXPR' looks at that pass only",
    )
    parser.add_argument(
        "--first", action="store_true", help="with --break: print only the first hit"
    )
    parser.add_argument(
        "--clamp",
        dest="clamps",
        action="append",
        default=[],
        metavar="SPEC",
        help="record a what-if run: '[layer L:] QUANTITY[UNITS] OP VALUE @ STEPS' with OP "
        "=, += or *= and STEPS t, a:b or all, e.g. 'f[3] = 1 @ 5:10' (repeatable)",
    )
    parser.add_argument(
        "--loss",
        choices=LOSSES,
        help="loss for --grad: next-token cross-entropy or mean squared error "
        "(default: xent for a softmax readout, mse otherwise)",
    )


def backpropagate(network: Network, trace: Trace, args: argparse.Namespace) -> Gradients:
    """The gradients of the sequence's loss, for ``--grad``, under the file's names."""
    if args.targets is not None:
        targets = read_array(args.targets, "targets")
    else:
        found = next_token_targets(network, trace)
        if found is None:
            raise CommandError(
                "--grad needs --targets Y.npy unless the input is text or token ids into a "
                "model whose outputs are its tokens"
            )
        targets = found
    loss: LossKind = args.loss or default_loss(network, trace)
    grads = gradients(network, trace, targets, loss)
    return replace(grads, params=by_file_name(network, grads.params))


def print_notes(network: Network) -> None:
    """One ``note:`` line on stderr for each thing the model's reader assumed or left out."""
    for note in network.notes:
        print(f"lstm-sim trace: note: {note}", file=sys.stderr)


def write_in_chunks(
    network: Network,
    inputs: np.ndarray | list[str],
    out: Path,
    quantities: str | None,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
) -> int:
    """Record and write without holding the whole trace: a .csv streamed chunk by chunk,
    or an .npz of the named quantities. Returns the exit status, as :func:`run` does."""
    names = None if quantities is None else [n.strip() for n in quantities.split(",") if n]
    found: list[NonFinite] = []

    def check(start: int, trace: Trace) -> None:
        first = None if found else first_nonfinite(trace)
        if first is not None and first.step is not None:
            found.append(dataclasses.replace(first, step=first.step + start))
        elif first is not None:
            found.append(first)

    # NumPy's overflow warnings name no step; the note below says where, once.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if out.suffix.lower() == ".csv":
            write_csv_in_chunks(network, inputs, out, names, h0, c0, on_chunk=check)
        else:
            write_quantities_npz(network, inputs, out, names or [], h0, c0, on_chunk=check)
    if names is not None and out.suffix.lower() == ".npz":
        print(
            f"lstm-sim trace: note: {out} holds only "
            f"{', '.join(chosen_quantities(network, names))} (and the initial state and "
            "tokens); x, logits and probs are left out with --quantities",
            file=sys.stderr,
        )
    print(
        f"wrote {out}: {len(inputs)} steps through {network.num_layers} "
        f"{network.kind.upper()} layer(s) of {network.hidden_size} units"
    )
    for first in found:
        print(
            f"lstm-sim trace: note: the run produced NaN or infinity, first at "
            f"{first.describe()}; written as computed",
            file=sys.stderr,
        )
    return EXIT_NONFINITE if found else 0


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".npz", ".csv"):
        raise CommandError(f"--out {out}: expected a file ending in .npz or .csv")
    if args.targets is not None and not args.grad:
        raise CommandError("--targets is used only with --grad")
    conditions = [parse_expression(text) for text in args.breaks]
    clamps = [parse_clamp(text) for text in args.clamps]
    if clamps and args.grad:
        raise CommandError(
            "--grad through a clamped run is not supported: a clamp has no gradient, so the "
            "numbers would not be the model's; record the clamped run without --grad"
        )
    check_output(
        out,
        {
            "the model": args.model,
            "--inputs": args.inputs,
            "--text-file": args.text_file,
            "--tokens": args.tokens,
            "--h0": args.h0,
            "--c0": args.c0,
            "--targets": args.targets,
        },
    )
    network = load_model(
        args.model,
        args.prefix,
        nonlinearity=args.nonlinearity,
        allow_external_data=args.allow_external_data,
    )
    check_clamps(network, clamps)
    chosen = [
        option
        for option, used in (
            ("--clamp", clamps),
            ("--quantities", args.quantities is not None),
        )
        if used
    ]
    if chosen and not network.is_plain:
        raise CommandError(
            f"{chosen[0]} does not support this model yet: {network.variants()[0]}; "
            "record it without that option"
        )
    if args.dtype is not None:
        network = network.astype(args.dtype)
    if args.inputs is not None:
        inputs: np.ndarray | list[str] = read_inputs(args.inputs)
    elif args.tokens is not None:
        inputs = read_token_ids(network, args.tokens)
    elif args.text is not None:
        inputs = tokens_of_text(network, args.text, "--text")
    else:
        inputs = read_text_file(network, args.text_file)
    h0 = None if args.h0 is None else read_initial_state(network, args.h0, "h0")
    c0 = None if args.c0 is None else read_initial_state(network, args.c0, "c0")
    if args.quantities is not None and (args.grad or clamps or conditions):
        raise CommandError(
            "--quantities records the run in chunks; --grad, --clamp and --break need it whole"
        )
    if (
        network.is_plain  # a variant network's .csv is written from the whole trace
        and not (args.grad or clamps or conditions)
        and (out.suffix.lower() == ".csv" or args.quantities is not None)
    ):
        return write_in_chunks(network, inputs, out, args.quantities, h0, c0)
    # NumPy's overflow warnings name no step; report_nonfinite says where, once.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        trace = record(network, inputs, h0, c0)
        first = first_affected_step(clamps, trace.num_steps)
        if first is not None:
            rerun_with_clamps(network, trace, clamps, first, lowest_layer(clamps))
        grads = backpropagate(network, trace, args) if args.grad else None
    if clamps and first is None:
        print("lstm-sim trace: note: no clamp reaches a step of this sequence", file=sys.stderr)
    extra = {"clamps": np.array([c.text for c in clamps], dtype=np.str_)} if clamps else {}
    if clamps and out.suffix.lower() == ".csv":
        print(
            "lstm-sim trace: note: a .csv holds no clamp specs; they are: "
            + "; ".join(args.clamps),
            file=sys.stderr,
        )
    break_found = break_lines(conditions, trace, grads, first_only=args.first)
    write_trace(network, trace, out, grads, extra=extra)
    # After the run, so a failed run's stderr stays the one error line.
    print_notes(network)
    print(
        f"wrote {out}: {trace.num_steps} steps through {network.num_layers} "
        f"{network.kind.upper()} layer(s) of {network.hidden_size} units"
    )
    for line in break_found:
        print(line)
    return report_nonfinite(trace, grads)


def report_nonfinite(trace: Trace, grads: Gradients | None) -> int:
    """A ``note:`` line on stderr for the first NaN or infinity of the run and of its
    gradients; the exit status: 0, or :data:`EXIT_NONFINITE` when there was one."""
    notes = []
    first = first_nonfinite(trace)
    if first is not None:
        notes.append(f"the run produced NaN or infinity, first at {first.describe()}")
    first_gradient = None if grads is None else first_nonfinite_gradient(grads)
    if first_gradient is not None:
        notes.append(f"the gradients hold NaN or infinity, first at {first_gradient.describe()}")
    for note in notes:
        print(f"lstm-sim trace: note: {note}; written as computed", file=sys.stderr)
    return EXIT_NONFINITE if notes else 0
