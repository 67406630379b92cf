"""``lstm-sim train``: train a small LSTM or RNN and save it as a native .npz model.

Data is a text file (character or word tokens, next-token prediction), an .npz of numeric
sequences (``x`` (N, T, D) and ``y`` (N, T, K), mean squared error), or a built-in task.
Progress goes to stderr on one line. Ctrl+C stops training and writes nothing; the model
file is written under a temporary name and renamed, so it is never half-written.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

from lstm_sim.cli import CommandError
from lstm_sim.cli.output_path import check_output
from lstm_sim.engine.formats import save_native
from lstm_sim.engine.formats.inputs import read_sequences, read_text
from lstm_sim.engine.loops import DISABLE_VARIABLE
from lstm_sim.model.tasks import TASKS, make_task
from lstm_sim.model.training import (
    Data,
    NonFiniteLoss,
    Progress,
    SequenceData,
    TextData,
    TrainConfig,
    Trainer,
    new_network,
)

EXIT_NONFINITE = 3
"""Training stopped at a NaN or infinite loss or gradient."""
EXIT_STATUS = (
    "exit status: 0 trained and saved; 2 an error before training, such as data holding "
    "NaN or infinity, or an --out that cannot be written (one line on stderr); "
    f"{EXIT_NONFINITE} stopped at the first update whose loss or gradient was NaN or "
    "infinite, named on stderr; 130 interrupted (Ctrl+C). Only 0 writes a file."
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a small LSTM or RNN on text, sequences or a built-in task",
        description=(
            "Train a network with Adam and truncated backpropagation through time, then "
            "save it as an lstm-sim .npz model."
        ),
        epilog=EXIT_STATUS,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--data", metavar="FILE", help="a UTF-8 text file, or an .npz with arrays x and y"
    )
    source.add_argument("--task", choices=sorted(TASKS), help="a built-in task")
    parser.add_argument("--kind", choices=("lstm", "gru", "rnn"), default="lstm")
    parser.add_argument("--hidden", type=int, default=64, metavar="H", help="units per layer")
    parser.add_argument("--layers", type=int, default=1, metavar="L")
    parser.add_argument("--steps", type=int, default=1000, metavar="N", help="Adam updates")
    parser.add_argument("--out", required=True, metavar="MODEL.npz")
    parser.add_argument("--seq-len", type=int, default=64, help="time steps per update")
    parser.add_argument("--batch", type=int, default=32, help="sequences per update")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate")
    parser.add_argument("--clip", type=float, default=5.0, help="largest gradient norm")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tokenizer", choices=("char", "word"), default="char")


def load_data(args: argparse.Namespace, rng: np.random.Generator) -> Data:
    """The training data the arguments name."""
    if args.task is not None:
        return make_task(args.task, rng)
    path = Path(args.data)
    if path.suffix.lower() == ".npz":
        return SequenceData(*read_sequences(path))
    return TextData.from_text(read_text(path, "training text"), args.tokenizer)


def progress_line(p: Progress) -> str:
    """One line of progress for a terminal: step/N, loss, gradient norm, tokens/s."""
    width = 24
    filled = int(width * p.step / p.steps)
    bar = "#" * filled + "-" * (width - filled)
    return (
        f"[{bar}] {p.step}/{p.steps}  loss {p.loss:.4f}  |grad| {p.grad_norm:.3f}  "
        f"{p.tokens_per_second:,.0f} tokens/s  {p.elapsed:.1f}s"
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix != ".npz":
        raise CommandError(f"--out must end in .npz, got {out.name!r}")
    # Checked before training, so that a long run is never lost for want of a folder.
    check_output(out, {"--data": args.data})
    if args.hidden < 1 or args.layers < 1:
        raise CommandError(
            f"--hidden and --layers must be at least 1, got {args.hidden}, {args.layers}"
        )
    rng = np.random.default_rng(args.seed)
    data = load_data(args, rng)
    config = TrainConfig(
        steps=args.steps, seq_len=args.seq_len, batch_size=args.batch, lr=args.lr, clip=args.clip
    )
    network = new_network(data, args.kind, args.hidden, args.layers, rng)
    trainer = Trainer(network, data, config, rng)
    hint = ""
    if network.kind == "gru":
        hint = " (the compiled loops cover LSTM and RNN layers, not GRU ones)"
    elif trainer.loops_name == "NumPy":
        hint = (
            " (pip install 'lstm-sim[fast]' compiles them)"
            if importlib.util.find_spec("numba") is None
            else f" ({DISABLE_VARIABLE} is set, or NumPy's BLAS was not found)"
        )
    print(f"note: the loops over time run on {trainer.loops_name}{hint}", file=sys.stderr)
    last = None
    try:
        for last in trainer.run():
            print("\r" + progress_line(last), end="", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print(f"\ninterrupted at update {trainer.step}; nothing written", file=sys.stderr)
        return 130
    except NonFiniteLoss as err:
        print(f"\nlstm-sim train: error: {err}; nothing written", file=sys.stderr)
        return EXIT_NONFINITE
    print(file=sys.stderr)
    trained = trainer.result()
    trained.metadata.update(
        {
            "trained_on": args.task or Path(args.data).name,
            "steps": str(trainer.step),
            "final_loss": f"{last.loss:.6g}" if last is not None else "",
            "seed": str(args.seed),
        }
    )
    try:
        save_native(trained, out)
    except KeyboardInterrupt:
        print(f"interrupted while saving; {out} is as it was", file=sys.stderr)
        return 130
    print(f"wrote {out} ({trained.num_parameters:,} parameters)")
    return 0
