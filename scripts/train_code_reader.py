"""Train the code-reader scenario's model: a character-level LSTM on Python's own standard
library, with lstm-sim's trainer (no PyTorch), then find the units that track strings,
comments, docstrings and indentation and write them into the model's metadata.

The shipped model is made in two stages, then its units are picked and scored:

    OPENBLAS_NUM_THREADS=1 python scripts/train_code_reader.py --out base.npz
    OPENBLAS_NUM_THREADS=1 python scripts/train_code_reader.py --shape-indent base.npz \
        --out shaped.npz
    OPENBLAS_NUM_THREADS=1 python scripts/train_code_reader.py --analyse shaped.npz \
        [--out resources/models/scenarios/code_reader.npz]

The first stage (options [--hidden 256] [--layers 1] [--steps 22000] [--activity-l1 0.001]
[--seed 0]; defaults are the shipped model's) is about 50 minutes on one core and learns
from the text alone: its string, comment and docstring units emerge with no labels. The
small L1 penalty on the hidden state's activity is what gives the model a comment unit:
without it (same seed, size and steps) the best comment unit marks the prose of
docstrings as well (held-out AUC 0.85, the most a unit that is high on all prose can
reach there); with weight 0.001 one unit is high in comments and low in docstrings (AUC
0.97), and 0.003 gives 0.89.

The second stage is NOT label-free. Unit 210 of the first stage's model follows the
indentation depth, but as a saturating count (its cell state falls by less with every
level), so its Pearson r with the depth is only -0.63 on held-out code, and even a linear
read-out of all 256 cell states reaches 0.81. ``--shape-indent`` therefore fine-tunes the
first stage's model for ``--shape-steps`` updates (2400: about 5 minutes on one core)
with an auxiliary loss: ``--indent-weight`` (2) times the squared gap between one unit's
hidden state and a target linear in the depth of the line read so far. The unit is the
one whose activity follows the depth best on the training selection before shaping; the
string and comment units are left to the next-character loss, as before. It brings unit
210's h to r -0.94 on the held-out modules and -0.91 on pyqtgraph's, at a cost of 0.02
nats per character of held-out loss; weight 4 reaches -0.96 but leaves the string unit
at exactly 0.950. The model's metadata (``indent_shaping``, ``shaped_unit``,
``shaping_command``; ``shaping_seconds`` is the whole run, picking units included), its
description (the Guide's text), the tour and the README say so.

Seeded: the same arguments give the same weights. Units are picked on a slice of the
training text by :func:`lstm_sim.model.code_reader.best_unit` (the ranking the GUI's
find-units list uses, over c, h and every gate of every layer) and their scores are then
measured on the held-out modules, which training never saw, and on modules of pyqtgraph
(code from outside the standard library, by other authors). Picking and scoring takes a
few minutes on one core, far longer on a busy machine. A checkpoint is written every few
minutes; ``--resume`` continues from one (with fresh Adam moments, so a resumed run is not
bit-identical to an uninterrupted one, and its metadata says so); ``--shape-indent``
writes its weights to ``--checkpoint`` before picking units. ``--analyse`` only picks and
scores the units of a trained model again, keeping its weights and training record.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from lstm_sim.engine.backprop import BackwardBuffers, backward
from lstm_sim.engine.batch import ForwardCache, forward
from lstm_sim.engine.formats import load_model, save_native
from lstm_sim.engine.loops import compiled_if_available
from lstm_sim.engine.network import Network
from lstm_sim.engine.optim import Adam, clip_grad_norm
from lstm_sim.engine.probes import rank_units, roc_auc
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
    read_units,
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
        "--shape-indent",
        type=Path,
        metavar="BASE.npz",
        help="do not train from scratch: fine-tune BASE with an auxiliary loss that pulls one "
        "unit's h towards the indentation depth, then pick and score the units",
    )
    parser.add_argument("--shape-steps", type=int, default=2400, help="updates of --shape-indent")
    parser.add_argument("--shape-lr", type=float, default=5e-4, help="learning rate of shaping")
    parser.add_argument(
        "--indent-weight",
        type=float,
        default=2.0,
        metavar="WEIGHT",
        help="weight of the squared gap between the shaped unit's h and its target, per character",
    )
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


INDENT_PER_LEVEL = 0.2
"""The shaped unit's target rises by this much per indentation level, from -0.8 at depth
0, and stops at +-0.95 (depth 8.75): linear over the depths code has, inside tanh's range."""


def indent_target(depth: np.ndarray, sign: float) -> np.ndarray:
    """What the shaped unit's h is pulled towards at each character of indentation
    ``depth`` (leading spaces / 4), with the unit's own ``sign``."""
    return sign * np.clip(INDENT_PER_LEVEL * depth - 0.8, -0.95, 0.95)


def shape_indent(
    network: Network,
    data: TextData,
    depth: np.ndarray,
    found: FoundUnit,
    args: argparse.Namespace,
    rng: np.random.Generator,
) -> tuple[Network, float, float]:
    """Fine-tune ``network`` on ``data`` by the next-character loss (with the same
    activity penalty) plus ``args.indent_weight`` times the mean squared gap between
    unit ``found.unit``'s h and :func:`indent_target` of each character's ``depth``.
    Batches are drawn as lstm-sim's trainer draws them (B streams read chunk after
    chunk, the state carried over, a random offset per pass); the last
    ``1 - args.decay_at`` of the updates run at a tenth of ``args.shape_lr``. Returns the
    network, its mean next-character loss and its mean squared gap over the last
    hundred updates."""
    network = network.astype(np.float32)
    loops = compiled_if_available()
    steps, batch = args.seq_len, args.batch
    stream = (len(data.ids) - 1) // batch
    cache = ForwardCache.allocate(network, steps, batch, token_ids=True)
    buffers = BackwardBuffers(network, steps, batch)
    optimizer = Adam(network.state_dict(), lr=args.shape_lr)
    dh_extra = np.zeros((steps, batch, network.hidden_size), np.float32)
    sign = 1.0 if found.raw >= 0 else -1.0
    scale = 1.0 / (steps * batch)
    position, state = stream, None
    losses: list[tuple[float, float]] = []
    started = time.perf_counter()
    log(f"shaping unit {found.unit}'s h towards the indentation depth, sign {sign:+.0f}")
    for update in range(1, args.shape_steps + 1):
        if update == int(args.decay_at * args.shape_steps) + 1:
            optimizer.lr = args.shape_lr / 10
        carry = position + steps <= stream
        if not carry:
            position = int(rng.integers(0, stream - steps + 1))
        index = (np.arange(batch) * stream + position)[None, :] + np.arange(steps)[:, None]
        position += steps
        cache.inputs[...] = data.ids[index]
        h0, c0 = state if carry and state is not None else (None, None)
        forward(network, cache, h0, c0, loops)
        gap = cache.h_all[-1, 1:, :, found.unit] - indent_target(depth[index], sign)
        dh_extra[:, :, found.unit] = (2.0 * args.indent_weight * scale) * gap
        grads = backward(
            network,
            cache,
            data.ids[index + 1],
            "xent",
            buffers,
            scale=scale,
            activity_l1=args.activity_l1,
            loops=loops,
            dh_extra=dh_extra,
        )
        clip_grad_norm(grads.params, TrainConfig.clip)
        optimizer.step(grads.params)
        assert cache.c_all is not None
        state = (cache.h_all[:, -1].copy(), cache.c_all[:, -1].copy())
        losses = [*losses[-99:], (grads.loss, float(np.mean(gap**2)))]
        if update % 100 == 0 or update == args.shape_steps:
            loss, gap_loss = np.mean(losses, axis=0)
            log(
                f"shaping update {update}/{args.shape_steps} loss {loss:.4f} "
                f"gap {gap_loss:.4f} {time.perf_counter() - started:.0f} s"
            )
    loss, gap_loss = np.mean(losses, axis=0)
    return network, float(loss), float(gap_loss)


def held_out_loss(reading: CodeReading) -> float:
    """Mean cross-entropy of the next character, in nats, over ``reading``."""
    probs = reading.trace.probs
    assert probs is not None
    next_ids = np.argmax(reading.trace.x[1:], axis=1)
    return float(-np.mean(np.log(probs[np.arange(next_ids.size), next_ids])))


def find_named_units(
    network: Network, train_text: str, held_out: CodeReading, outside_text: str
) -> tuple[list[dict], list[dict], list[str]]:
    """Pick each pattern's unit on the end of the training text and score it on the
    held-out modules and on the code from outside the standard library. Returns the units
    as written to the metadata with each set's scores, and report lines."""
    selection = read_code(network, train_text[-SELECTION_CHARS:])
    picked = [best_unit(network, selection, pattern.name, QUANTITIES) for pattern in PATTERNS]
    del selection  # the trace of every quantity: hundreds of MB
    labels, columns = read_units(network, outside_text, picked)
    units, outside, lines = [], [], []
    for k, (pattern, found) in enumerate(zip(PATTERNS, picked, strict=True)):
        measured = unit_score(network, held_out, found)
        ranked = rank_units(columns[:, [k]], labels[pattern.name], pattern.kind)
        for scores, score, raw in (
            (units, measured.score, measured.raw),
            (outside, float(ranked.scores[0]), float(ranked.raw[0])),
        ):
            unit = FoundUnit(pattern.name, found.quantity, found.layer, found.unit, score, raw)
            scores.append(unit.as_dict())
        # The best any unit reaches on the held-out text itself, for comparison.
        ceiling = best_unit(network, held_out, pattern.name, QUANTITIES)
        metric = "AUC" if pattern.kind == "auc" else "r"
        lines.append(
            f"{pattern.name}: {found.quantity}[{found.layer}] unit {found.unit}, held-out "
            f"{metric} {measured.raw:.3f}, outside the stdlib {ranked.raw[0]:.3f} (picked at "
            f"{found.raw:.3f}; best held-out unit {ceiling.quantity}[{ceiling.layer}] "
            f"{ceiling.unit} at {ceiling.raw:.3f})"
        )
    return units, outside, lines


def auc_outside_docstrings(held_out: CodeReading, found: dict) -> float:
    """max(AUC, 1 - AUC) of the unit ``found`` (as in the metadata) for its pattern over
    the held-out characters outside triple-quoted strings. A comment unit learned without
    labels tends to mark the prose of docstrings too; this says how well it tells
    comments from code."""
    outside = ~held_out.labels.in_docstring
    values = unit_values(held_out.trace, found["quantity"], found["layer"])[:, [found["unit"]]]
    auc = float(roc_auc(values[outside], held_out.labels[found["pattern"]][outside])[0])
    return max(auc, 1.0 - auc)


def describe(
    units: list[dict],
    outside: list[dict],
    comment_outside_docstrings: float,
    shaped_unit: int | None,
) -> str:
    """The scenario's description (the Guide's text), naming the units and their scores on
    both held-out sets, saying which unit an auxiliary signal shaped and, when the comment
    unit also marks docstrings, how well it does leaving them aside."""
    by_name = {u["pattern"]: u for u in units}
    outside_by_name = {u["pattern"]: u for u in outside}
    comments = "# comments"
    if comment_outside_docstrings >= by_name["in_comment"]["score"] + 0.05:
        comments = (
            f"# comments (AUC {comment_outside_docstrings:.2f} leaving docstrings aside: it "
            "marks their prose too)"
        )

    def unit(name: str) -> str:
        u = by_name[name]
        layer = f" of layer {u['layer']}" if len({v["layer"] for v in units}) > 1 else ""
        return f"unit {u['unit']}{layer}"

    def binary(name: str) -> str:
        u = by_name[name]
        polarity = "high" if u["raw"] >= 0.5 else "low"
        return (
            f"{unit(name)} (its {QUANTITY_TITLES[u['quantity']]} is {polarity} inside; "
            f"ROC AUC {u['score']:.2f} on held-out code)"
        )

    indent = by_name["indent"]
    direction = "rises" if indent["raw"] >= 0 else "falls"
    indent_sentence = (
        f"The {QUANTITY_TITLES[indent['quantity']]} of {unit('indent')} {direction} with the "
        f"indentation depth of the line (Pearson r {indent['raw']:.2f} on held-out code)."
    )
    if shaped_unit is not None:
        shaped = "this unit" if shaped_unit == indent["unit"] else f"unit {shaped_unit}"
        indent_sentence += (
            f" Unlike the others, {shaped} was shaped by an auxiliary training signal: after "
            "the label-free training, a loss pulled its hidden state towards the depth. The "
            "string and comment units emerged on their own."
        )
    out = outside_by_name
    return (
        "A character-level LSTM trained on Python's standard library reads code it has "
        "never seen. A few of its units learned, with no labels, what a reader of code "
        f"keeps track of: {binary('in_string')} tracks one-line string literals, "
        f"{binary('in_comment')} tracks {comments}, and {binary('in_docstring')} tracks "
        f"docstrings. {indent_sentence} On code from outside the standard library "
        f"(pyqtgraph), the same units score ROC AUC {out['in_string']['score']:.2f} for "
        f"strings and {out['in_comment']['score']:.2f} for comments, and r "
        f"{out['indent']['raw']:.2f} for indentation. Colour the text by a unit to see it "
        "switch at the opening quote or '#' and back at the end; Find units ranks every "
        "unit for a pattern on any text you paste."
    )


def analyse(
    network: Network,
    corpus: Corpus,
    held_out_corpus: Corpus,
    outside_corpus: Corpus,
    shaped_unit: int | None,
) -> dict[str, str]:
    """The metadata that names the units, measured on ``network`` as it is; logs the
    report and whether the issue's targets are reached. ``shaped_unit``: the unit an
    auxiliary signal shaped, if any."""
    held_out = read_code(network, held_out_corpus.text)
    units, outside, lines = find_named_units(network, corpus.text, held_out, outside_corpus.text)
    comment_unit = next(u for u in units if u["pattern"] == "in_comment")
    comment_outside = auc_outside_docstrings(held_out, comment_unit)
    lines.append(f"in_comment unit outside docstrings: held-out AUC score {comment_outside:.3f}")
    loss_held_out = held_out_loss(held_out)
    lines.append(f"held-out loss {loss_held_out:.4f} nats per character")
    for line in lines:
        log(line)
    for name, scores in (("held-out", units), ("outside the stdlib", outside)):
        reached = {u["pattern"]: u["score"] for u in scores}
        for pattern, target in CLAIM_TARGETS.items():
            verdict = "reached" if reached[pattern] >= target else "NOT reached"
            log(f"{name} target {pattern} >= {target}: {verdict} ({reached[pattern]:.3f})")
    return {
        "title": "Code reader: Karpathy's cells that read Python",
        "description": describe(units, outside, comment_outside, shaped_unit),
        "comment_auc_outside_docstrings": f"{comment_outside:.4f}",
        "units": json.dumps(units),
        "outside_stdlib_units": json.dumps(outside),
        "unit_report": "\n".join(lines),
        "units_picked_on": (
            f"the last {SELECTION_CHARS:,} training characters, over "
            f"{', '.join(QUANTITIES)}; scores are on the held-out modules (units) and on "
            "modules of pyqtgraph (outside_stdlib_units)"
        ),
        "train_files": ", ".join(corpus.files),
        "train_chars": str(len(corpus.text)),
        "held_out_files": ", ".join(held_out_corpus.files),
        "outside_stdlib_files": ", ".join(outside_corpus.files),
        "held_out_loss": f"{loss_held_out:.4f}",
    }


def command_line() -> str:
    """This run's command, as the metadata records it."""
    return "OPENBLAS_NUM_THREADS=1 python " + shlex.join(
        [str(Path(sys.argv[0]).as_posix()), *sys.argv[1:]]
    )


ANALYSIS_KEYS = ("analysis_command",)
"""Metadata of a base model that its shaped successor does not inherit."""


def shape(
    args: argparse.Namespace,
    corpus: Corpus,
    held_out_corpus: Corpus,
    outside_corpus: Corpus,
    started: float,
) -> None:
    """The second stage: fine-tune the model ``args.shape_indent`` with the auxiliary
    indentation signal (see :func:`shape_indent`), pick and score the units again, and
    write it to ``args.out`` with both stages' records."""
    base = load_model(args.shape_indent)
    selection = read_code(base, corpus.text[-SELECTION_CHARS:])
    found = best_unit(base, selection, "indent", QUANTITIES)
    del selection  # the trace of every quantity: hundreds of MB
    log(
        f"before shaping: indent unit {found.quantity}[{found.layer}] {found.unit}, "
        f"r {found.raw:.3f} on the training selection"
    )
    vocab = Vocabulary(VOCABULARY)
    data = TextData(vocab, vocab.indices(list(corpus.text)))
    rng = np.random.default_rng(args.seed)
    shaped, loss, gap = shape_indent(base, data, corpus.labels.indent, found, args, rng)
    shaped = shaped.astype(base.dtype)
    # Picking and scoring the units takes longer than shaping on a busy machine: keep the
    # weights first.
    save_native(shaped, args.checkpoint)
    log(f"wrote the shaped weights to {args.checkpoint}; picking and scoring units")
    sign = "" if found.raw >= 0 else "-"
    record = {
        key: value
        for key, value in base.metadata.items()
        if key not in ANALYSIS_KEYS and key not in ("units", "description", "unit_report")
    }
    shaped.metadata = {
        **record,
        **analyse(shaped, corpus, held_out_corpus, outside_corpus, found.unit),
        "indent_shaping": (
            f"after the label-free training, unit {found.unit}'s hidden state h was pulled "
            f"towards the indentation depth by an auxiliary loss, {args.indent_weight:g} x "
            f"(h - target)^2 per character with target {sign}clip({INDENT_PER_LEVEL:g} x depth "
            f"- 0.8, -0.95, 0.95), for {args.shape_steps} updates of fine-tuning; the string, "
            "comment and docstring units were left to the next-character loss"
        ),
        "shaped_unit": str(found.unit),
        "shaping_command": command_line(),
        "shaping_seconds": f"{time.perf_counter() - started:.0f}",
        "shaping_seed": str(args.seed),
        "shaping_final_loss": f"{loss:.4f}",
        "shaping_final_gap": f"{gap:.4f}",
    }
    shaped.source = "scripts/train_code_reader.py"
    save_native(shaped, args.out)
    size = args.out.stat().st_size
    log(f"wrote {args.out} ({size / 1e6:.2f} MB) after {time.perf_counter() - started:.0f} s")


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    corpus = load_corpus("train", max_chars=10**8)
    held_out_corpus = load_corpus("held_out", max_chars=10**8)
    outside_corpus = load_corpus("outside_stdlib", max_chars=10**8)
    log(f"training on {len(corpus.text):,} characters of: {', '.join(corpus.files)}")
    log(
        f"held out: {len(held_out_corpus.text):,} characters of: {', '.join(held_out_corpus.files)}"
    )
    log(
        f"outside the standard library: {len(outside_corpus.text):,} characters of: "
        f"{', '.join(outside_corpus.files)}"
    )
    if args.shape_indent is not None:
        shape(args, corpus, held_out_corpus, outside_corpus, started)
        return
    if args.analyse is not None:
        # Units only: the weights and the record of their training stay as they are.
        network = load_model(args.analyse)
        shaped_unit = network.metadata.get("shaped_unit")
        network.metadata.update(
            analyse(
                network,
                corpus,
                held_out_corpus,
                outside_corpus,
                None if shaped_unit is None else int(shaped_unit),
            )
        )
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
        **analyse(network, corpus, held_out_corpus, outside_corpus, None),
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
