"""Train the code-reader scenario's model: a character-level LSTM on Python's own standard
library, with lstm-sim's trainer (no PyTorch), then find the units that track strings,
comments and docstrings and write them into the model's metadata.

    OPENBLAS_NUM_THREADS=1 python scripts/train_code_reader.py \
        [--hidden 256] [--layers 1] [--steps 22000] [--activity-l1 0.001] [--seed 0] \
        [--out resources/models/scenarios/code_reader.npz]
    python scripts/train_code_reader.py --analyse MODEL.npz --out MODEL.npz

The defaults are the shipped model's (about 50 minutes of training on one core, then a
few minutes picking units). The small L1 penalty on the hidden state's activity is what
gives the model a comment unit: without it (same seed, size and steps) the best comment
unit marks the prose of docstrings as well (held-out AUC 0.85, the most a unit that is
high on all prose can reach there); with weight 0.001 one unit is high in comments and
low in docstrings (AUC 0.97), and 0.003 gives 0.89.

Seeded: the same arguments give the same weights. Units are picked on a slice of the
training text by :func:`lstm_sim.model.code_reader.best_unit` (the ranking the GUI's
find-units list uses, over c, h and every gate of every layer) and their scores are then
measured on the held-out modules, which training never saw. A
checkpoint is written every few minutes; ``--resume`` continues from one (with fresh Adam
moments, so a resumed run is not bit-identical to an uninterrupted one, and its metadata
says so). ``--analyse`` only picks and scores the units of a trained model again, keeping
its weights and training record.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from lstm_sim.engine.formats import load_model, save_native
from lstm_sim.engine.network import Network
from lstm_sim.engine.probes import roc_auc
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.code_reader import (
    CLAIM_TARGETS,
    MODEL_RESOURCE,
    PATTERNS,
    QUANTITIES,
    QUANTITY_TITLES,
    CodeReading,
    FoundUnit,
    best_unit,
    read_code,
    unit_score,
    unit_values,
)
from lstm_sim.model.scenarios.python_code import VOCABULARY, Corpus, load_corpus
from lstm_sim.model.training import TextData, TrainConfig, Trainer, new_network

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "resources" / MODEL_RESOURCE
SELECTION_CHARS = 150_000  # the end of the training text, where units are picked


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=256, metavar="H")
    parser.add_argument("--layers", type=int, default=1, metavar="L")
    parser.add_argument("--steps", type=int, default=22_000, help="Adam updates in all")
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument(
        "--decay-at",
        type=float,
        default=0.8,
        help="fraction of the steps after which the learning rate drops tenfold",
    )
    parser.add_argument(
        "--activity-l1",
        type=float,
        default=0.001,
        metavar="WEIGHT",
        help="weight of the sum of |h| added to each step's loss: it makes units single-purpose",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="MODEL.npz")
    parser.add_argument(
        "--checkpoint", type=Path, default=Path("code_reader.checkpoint.npz"), metavar="FILE"
    )
    parser.add_argument("--checkpoint-every", type=float, default=180.0, metavar="SECONDS")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument(
        "--analyse",
        type=Path,
        metavar="MODEL.npz",
        help="do not train: pick and score the units of this model and write it to --out",
    )
    return parser.parse_args()


def log(message: str) -> None:
    print(message, flush=True)


def train(
    network: Network, data: TextData, args: argparse.Namespace, rng: np.random.Generator
) -> tuple[Network, float]:
    """Train ``network`` from step ``network.metadata['step']`` (0 when fresh) to
    ``args.steps``: at ``args.lr``, then a tenth of it for the last stretch. Returns the
    network and its mean training loss over the last report."""
    done = int(network.metadata.get("step", "0"))
    decay_step = int(args.decay_at * args.steps)
    stages = [(done, decay_step, args.lr), (max(done, decay_step), args.steps, args.lr / 10)]
    loss = float("nan")
    for first, last, lr in stages:
        if last <= first:
            continue
        log(f"steps {first}..{last} at lr {lr:g}")
        config = TrainConfig(
            steps=last - first,
            seq_len=args.seq_len,
            batch_size=args.batch,
            lr=lr,
            activity_l1=args.activity_l1,
            report_every=30,
        )
        trainer = Trainer(network, data, config, rng)
        saved = time.perf_counter()
        for progress in trainer.run():
            step = first + progress.step
            loss = progress.loss
            log(
                f"step {step}/{args.steps} loss {loss:.4f} "
                f"{progress.tokens_per_second:,.0f} tokens/s {progress.elapsed:.0f} s"
            )
            if time.perf_counter() - saved >= args.checkpoint_every or progress.done:
                network = trainer.result()
                network.metadata.update(step=str(step), loss=f"{loss:.4f}")
                save_native(network, args.checkpoint)
                saved = time.perf_counter()
        network = trainer.result()
        network.metadata.update(step=str(last), loss=f"{loss:.4f}")
    return network, loss


def held_out_loss(reading: CodeReading) -> float:
    """Mean cross-entropy of the next character, in nats, over ``reading``."""
    probs = reading.trace.probs
    assert probs is not None
    next_ids = np.argmax(reading.trace.x[1:], axis=1)
    return float(-np.mean(np.log(probs[np.arange(next_ids.size), next_ids])))


def find_named_units(
    network: Network, train_text: str, held_out: CodeReading
) -> tuple[list[dict], list[str]]:
    """Pick each pattern's unit on the end of the training text and score it on the
    held-out modules. Returns the units (as written to the metadata) and report lines."""
    selection = read_code(network, train_text[-SELECTION_CHARS:])
    units, lines = [], []
    for pattern in PATTERNS:
        picked = best_unit(network, selection, pattern.name, QUANTITIES)
        measured = unit_score(network, held_out, picked)
        unit = FoundUnit(
            pattern.name,
            picked.quantity,
            picked.layer,
            picked.unit,
            measured.score,
            measured.raw,
        )
        units.append(unit.as_dict())
        # The best any unit reaches on the held-out text itself, for comparison.
        ceiling = best_unit(network, held_out, pattern.name, QUANTITIES)
        metric = "AUC" if pattern.kind == "auc" else "r"
        lines.append(
            f"{pattern.name}: {picked.quantity}[{picked.layer}] unit {picked.unit}, held-out "
            f"{metric} {measured.raw:.3f} (picked at {picked.raw:.3f}; best held-out unit "
            f"{ceiling.quantity}[{ceiling.layer}] {ceiling.unit} at {ceiling.raw:.3f})"
        )
    return units, lines


def auc_outside_docstrings(held_out: CodeReading, found: dict) -> float:
    """max(AUC, 1 - AUC) of the unit ``found`` (as in the metadata) for its pattern over
    the held-out characters outside triple-quoted strings. A comment unit learned without
    labels tends to mark the prose of docstrings too; this says how well it tells
    comments from code."""
    outside = ~held_out.labels.in_docstring
    values = unit_values(held_out.trace, found["quantity"], found["layer"])[:, [found["unit"]]]
    auc = float(roc_auc(values[outside], held_out.labels[found["pattern"]][outside])[0])
    return max(auc, 1.0 - auc)


def describe(units: list[dict], comment_outside_docstrings: float) -> str:
    """The scenario's description, naming the units and, when the comment unit also
    marks docstrings, how well it does leaving them aside."""
    by_name = {u["pattern"]: u for u in units}
    comments = "# comments"
    if comment_outside_docstrings >= by_name["in_comment"]["score"] + 0.05:
        comments = (
            f"# comments (AUC {comment_outside_docstrings:.2f} leaving docstrings aside: it "
            "marks their prose too)"
        )

    def unit(name: str) -> str:
        u = by_name[name]
        layer = f" of layer {u['layer']}" if len({v["layer"] for v in units}) > 1 else ""
        polarity = "high" if u["raw"] >= 0.5 else "low"
        return (
            f"unit {u['unit']}{layer} (its {QUANTITY_TITLES[u['quantity']]} is {polarity} inside; "
            f"ROC AUC {u['score']:.2f} on held-out code)"
        )

    return (
        "A character-level LSTM trained on Python's standard library reads code it has "
        "never seen. A few of its units learned, with no labels, what a reader of code "
        f"keeps track of: {unit('in_string')} tracks one-line string literals, "
        f"{unit('in_comment')} tracks {comments}, and {unit('in_docstring')} tracks "
        "docstrings. Colour "
        "the text by a unit to see it switch at the opening quote or '#' and back at the "
        "end; Find units ranks every unit for a pattern on any text you paste."
    )


def analyse(network: Network, corpus: Corpus, held_out_corpus: Corpus) -> dict[str, str]:
    """The metadata that names the units, measured on ``network`` as it is; logs the
    report and whether the issue's targets are reached."""
    held_out = read_code(network, held_out_corpus.text)
    units, lines = find_named_units(network, corpus.text, held_out)
    comment_unit = next(u for u in units if u["pattern"] == "in_comment")
    comment_outside = auc_outside_docstrings(held_out, comment_unit)
    lines.append(f"in_comment unit outside docstrings: held-out AUC score {comment_outside:.3f}")
    loss_held_out = held_out_loss(held_out)
    lines.append(f"held-out loss {loss_held_out:.4f} nats per character")
    for line in lines:
        log(line)
    reached = {u["pattern"]: u["score"] for u in units}
    for name, target in CLAIM_TARGETS.items():
        verdict = "reached" if reached[name] >= target else "NOT reached"
        log(f"target {name} AUC >= {target}: {verdict} ({reached[name]:.3f})")
    return {
        "title": "Code reader: Karpathy's cells that read Python",
        "description": describe(units, comment_outside),
        "comment_auc_outside_docstrings": f"{comment_outside:.4f}",
        "units": json.dumps(units),
        "unit_report": "\n".join(lines),
        "units_picked_on": (
            f"the last {SELECTION_CHARS:,} training characters, over "
            f"{', '.join(QUANTITIES)}; scores are on the held-out modules"
        ),
        "train_files": ", ".join(corpus.files),
        "train_chars": str(len(corpus.text)),
        "held_out_files": ", ".join(held_out_corpus.files),
        "held_out_loss": f"{loss_held_out:.4f}",
    }


def command_line() -> str:
    """This run's command, as the metadata records it."""
    return "OPENBLAS_NUM_THREADS=1 python " + shlex.join(
        [str(Path(sys.argv[0]).as_posix()), *sys.argv[1:]]
    )


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    corpus = load_corpus("train", max_chars=10**8)
    held_out_corpus = load_corpus("held_out", max_chars=10**8)
    log(f"training on {len(corpus.text):,} characters of: {', '.join(corpus.files)}")
    log(
        f"held out: {len(held_out_corpus.text):,} characters of: {', '.join(held_out_corpus.files)}"
    )
    if args.analyse is not None:
        # Units only: the weights and the record of their training stay as they are.
        network = load_model(args.analyse)
        network.metadata.update(analyse(network, corpus, held_out_corpus))
        network.metadata["analysis_command"] = command_line()
        save_native(network, args.out)
        log(f"wrote {args.out} after {time.perf_counter() - started:.0f} s")
        return
    vocab = Vocabulary(VOCABULARY)
    data = TextData(vocab, vocab.indices(list(corpus.text)))
    rng = np.random.default_rng(args.seed)
    if args.resume:
        network = load_model(args.checkpoint)
        log(f"resuming from {args.checkpoint} at step {network.metadata.get('step')}")
    else:
        network = new_network(data, "lstm", args.hidden, args.layers, rng)
    network, loss = train(network, data, args, rng)
    network.metadata = {
        **analyse(network, corpus, held_out_corpus),
        "training_command": command_line(),
        "training_seconds": f"{time.perf_counter() - started:.0f}",
        "resumed": "yes" if args.resume else "no",
        "seed": str(args.seed),
        "steps": str(args.steps),
        "tokens_per_step": str(args.seq_len * args.batch),
        "final_loss": f"{loss:.4f}",
        "python": sys.version.split()[0],
    }
    network.source = "scripts/train_code_reader.py"
    save_native(network, args.out)
    size = args.out.stat().st_size
    log(f"wrote {args.out} ({size / 1e6:.2f} MB) after {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
