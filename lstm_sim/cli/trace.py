"""``lstm-sim trace MODEL ...``: run one sequence and write everything it computed.

OUT.npz holds every recorded array (h, c, each gate, the pre-activations, x, h0/c0,
logits/probs, vocab/tokens) and OUT.csv one row per (layer, step, unit); the names are
documented in :mod:`lstm_sim.engine.formats.trace_files`, which writes both. Without
``--grad`` the CSV is recorded and written in chunks, and ``--quantities h,c,f`` keeps
only the named per-unit quantities (:mod:`~lstm_sim.engine.formats.chunked_trace_files`),
so a long sequence never has to fit in memory whole.

With ``--grad`` the loss of the sequence is backpropagated through time: OUT.npz gains
``loss`` (a scalar), ``step_loss`` (T,), ``dh`` and, for an LSTM, ``dc`` (L, T, H), the
total gradient reaching h_t and c_t, and ``grad.<name>`` for every parameter under its
PyTorch name; OUT.csv gains ``dh`` and ``dc`` columns. Targets come from ``--targets``
(.npy: (T,) token ids for xent, -1 for none; (T, K) values for mse) or, for text, are the
next tokens of the text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from lstm_sim.cli import CommandError
from lstm_sim.engine.backprop import LOSSES, Gradients, gradients
from lstm_sim.engine.formats import SUFFIXES, load_model
from lstm_sim.engine.formats.chunked_trace_files import (
    chosen_quantities,
    write_csv_in_chunks,
    write_quantities_npz,
)
from lstm_sim.engine.formats.trace_files import write_trace
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace, record


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "trace",
        help="run a sequence through a model and write every gate at every step",
        description=(
            "Run one sequence through a model and write every intermediate quantity of "
            "every layer at every step to OUT (.npz arrays or a .csv table)."
        ),
    )
    parser.add_argument("model", help=f"the model file ({', '.join(SUFFIXES)})")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--inputs", metavar="X", help="a (T, D) array: .npy, or .csv of numbers")
    source.add_argument("--text", metavar="STR", help="text, cut by the model's tokenizer")
    source.add_argument("--text-file", metavar="F", help="a UTF-8 text file, used like --text")
    parser.add_argument("--out", required=True, metavar="OUT", help="where to write: .npz or .csv")
    parser.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        help="compute in this precision (default: the model's own)",
    )
    parser.add_argument("--prefix", help="which recurrent module of a PyTorch state_dict to read")
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
        "--loss",
        choices=LOSSES,
        help="loss for --grad: next-token cross-entropy or mean squared error "
        "(default: xent for a softmax readout, mse otherwise)",
    )


def _load_npy(path: str, what: str) -> np.ndarray:
    """A numeric array from a .npy file, never unpickling it."""
    if not Path(path).is_file():
        raise CommandError(f"{path}: no such {what} file")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise CommandError(f"{path}: expected a .npy array of numbers for {what}: {err}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        found = type(array).__name__ if not isinstance(array, np.ndarray) else array.dtype
        raise CommandError(f"{path}: expected a .npy array of numbers for {what}, found {found}")
    return array


def read_inputs(path: str) -> np.ndarray:
    """The (T, D) inputs in a .npy or a comma-separated .csv file ('#' starts a comment)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        return _load_npy(path, "inputs")
    if suffix != ".csv":
        raise CommandError(
            f"{path}: expected inputs in a .npy or .csv file, found {suffix or 'no suffix'}"
        )
    if not Path(path).is_file():
        raise CommandError(f"{path}: no such inputs file")
    try:
        return np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as err:
        raise CommandError(
            f"{path}: expected comma-separated numbers, one row per step: {err}"
        ) from None


def read_tokens(network: Network, text: str) -> list[str]:
    """``text`` cut into the model's tokens; unknown tokens are reported by the engine."""
    if network.vocab is None:
        raise CommandError("this model has no vocabulary, so it reads --inputs, not text")
    tokens = network.vocab.tokenize(text)
    if not tokens:
        raise CommandError("the text is empty: give at least one token")
    return tokens


def backpropagate(network: Network, trace: Trace, args: argparse.Namespace) -> Gradients:
    """The gradients of the sequence's loss, for ``--grad``."""
    if args.targets is not None:
        targets = _load_npy(args.targets, "targets")
    elif trace.tokens is not None and network.vocab is not None:
        # Next-token prediction: step t is scored on token t+1; the last step has no target.
        ids = network.vocab.indices(trace.tokens)
        targets = np.append(ids[1:], -1)
    else:
        raise CommandError("--grad needs --targets Y.npy when the input is not text")
    softmax = network.readout is not None and network.readout.kind == "softmax"
    loss = args.loss or ("xent" if softmax else "mse")
    return gradients(network, trace, targets, loss)


def write_in_chunks(
    network: Network,
    inputs: np.ndarray | list[str],
    out: Path,
    quantities: str | None,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
) -> None:
    """Record and write without holding the whole trace: a .csv streamed chunk by chunk,
    an .npz of the named quantities; an .npz of everything is written whole."""
    names = None if quantities is None else [n.strip() for n in quantities.split(",") if n]
    if out.suffix.lower() == ".csv":
        write_csv_in_chunks(network, inputs, out, names, h0, c0)
    elif names is not None:
        write_quantities_npz(network, inputs, out, names, h0, c0)
        print(
            f"note: {out} holds only {', '.join(chosen_quantities(network, names))} (and the "
            "initial state and tokens); x, logits and probs are left out with --quantities",
            file=sys.stderr,
        )
    else:
        write_trace(network, record(network, inputs, h0, c0), out)
    print(
        f"wrote {out}: {len(inputs)} steps through {network.num_layers} "
        f"{network.kind.upper()} layer(s) of {network.hidden_size} units"
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".npz", ".csv"):
        raise CommandError(f"--out {out}: expected a file ending in .npz or .csv")
    if args.targets is not None and not args.grad:
        raise CommandError("--targets is used only with --grad")
    network = load_model(args.model, args.prefix, nonlinearity=args.nonlinearity)
    if args.dtype is not None:
        network = network.astype(args.dtype)
    if args.inputs is not None:
        inputs: np.ndarray | list[str] = read_inputs(args.inputs)
    elif args.text is not None:
        inputs = read_tokens(network, args.text)
    else:
        try:
            text = Path(args.text_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise CommandError(f"{args.text_file}: cannot read it as UTF-8 text: {err}") from None
        inputs = read_tokens(network, text)
    h0 = None if args.h0 is None else _load_npy(args.h0, "h0")
    c0 = None if args.c0 is None else _load_npy(args.c0, "c0")
    if not args.grad:
        write_in_chunks(network, inputs, out, args.quantities, h0, c0)
        return 0
    if args.quantities is not None:
        raise CommandError("--quantities is for a recording alone; --grad writes everything")
    trace = record(network, inputs, h0, c0)
    grads = backpropagate(network, trace, args) if args.grad else None
    write_trace(network, trace, out, grads)
    print(
        f"wrote {out}: {trace.num_steps} steps through {network.num_layers} "
        f"{network.kind.upper()} layer(s) of {network.hidden_size} units"
    )
    return 0
