"""Train the code-reader scenario's model: a character-level LSTM on Python's own standard
library, with lstm-sim's trainer (no PyTorch), then find the units that track strings,
comments, docstrings and indentation and write them into the model's metadata.

The shipped model is made in two stages, each of which picks and scores the units:

    OPENBLAS_NUM_THREADS=1 python scripts/train_code_reader.py --out base.npz
    OPENBLAS_NUM_THREADS=1 python scripts/train_code_reader.py --shape base.npz \
        --out resources/models/scenarios/code_reader.npz

The first stage (options [--hidden 256] [--layers 1] [--steps 22000] [--activity-l1 0.001]
[--seed 0]; defaults are the shipped model's) is about 50 minutes on one core and learns
from the text alone: its string, comment and docstring units emerge with no labels. The
small L1 penalty on the hidden state's activity is what gives the model a comment unit:
without it (same seed, size and steps) the best comment unit marks the prose of
docstrings as well (held-out AUC 0.85, the most a unit that is high on all prose can
reach there); with weight 0.001 one unit is high in comments and low in docstrings (AUC
0.97), and 0.003 gives 0.89.

The second stage is NOT label-free. The first stage's units fall short in two ways.
Unit 210 follows the indentation depth, but as a saturating count (its cell state falls
by less with every level), so its Pearson r with the depth is only -0.63 on held-out
code, and even a linear read-out of all 256 cell states reaches 0.81. And the emerged
string and comment units (c of units 156 and 82: AUC 0.963 and 0.965 on the held-out
stdlib modules) do worse on pyqtgraph's code, 0.939 and 0.843: the comment unit is
lower, not higher, in comments inside open brackets (commented-out entries of dict and
list literals spread over lines), which are 11% of pyqtgraph's comment characters
against 3% of the training text's and 1% of the held-out modules', so its AUC on those
characters is 0.26. ``--shape`` therefore fine-tunes the first stage's model for
``--shape-steps`` updates (2400: about 6 minutes on one core) with three auxiliary
losses on the hidden state h of the units picked, before shaping, on the training
selection for the indentation depth, strings and comments: ``--indent-weight`` (2) times
the squared gap between h and a target linear in the depth of the line read so far, and
``--string-weight`` and ``--comment-weight`` (2 each) times a squared hinge that pulls h
to at least 0.5 inside the pattern and to at most 0 outside it (signs follow the unit's
own leaning). Labels come from ``tokenize`` on the training text only; the docstring
unit is left to the next-character loss. The units picked after shaping are the shaped
ones (c of units 156 and 82, h of unit 210). On the held-out modules and on pyqtgraph's:
strings AUC 0.991 and 0.976, comments 0.998 and 0.988 (0.945 on pyqtgraph's comments
inside brackets), indentation r -0.936 and -0.904. It costs 0.027 nats per character of
held-out loss (0.990 to 1.017; shaping the indentation unit alone cost 0.023), and the
docstring unit, not shaped, drops from 0.91 (unit 183) to 0.85 (unit 133). String and
comment weights of 1 save only 0.001 nats and leave less margin on pyqtgraph's code
(strings 0.968, comments 0.975). The model's
metadata (``unit_shaping``, ``shaped_units``, ``shaping_command``, ``base_held_out_loss``;
``shaping_seconds`` is the whole run, picking units included), its description (the
Guide's text), the tour and the README say so.

Seeded: the same arguments give the same weights. Units are picked on a slice of the
training text by :func:`lstm_sim.model.code_reader.best_unit` (the ranking the GUI's
find-units list uses, over c, h and every gate of every layer) and their scores are then
measured on the held-out modules, which training never saw, and on modules of pyqtgraph
(code from outside the standard library, by other authors). Picking and scoring takes a
few minutes on one core, far longer on a busy machine. A checkpoint is written every few
minutes; ``--resume`` continues from one (with fresh Adam moments, so a resumed run is not
bit-identical to an uninterrupted one, and its metadata says so); ``--shape``
writes its weights to ``--checkpoint`` before picking units. ``--analyse`` only picks and
scores the units of a trained model again, keeping its weights and training record.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from dataclasses import dataclass
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
from lstm_sim.model.scenarios.python_code import VOCABULARY, CodeLabels, Corpus, load_corpus
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
        "--shape",
        type=Path,
        metavar="BASE.npz",
        help="do not train from scratch: fine-tune BASE with auxiliary losses that pull the "
        "indentation, string and comment units' h towards their labels, then pick and score "
        "the units",
    )
    parser.add_argument("--shape-steps", type=int, default=2400, help="updates of --shape")
    parser.add_argument("--shape-lr", type=float, default=5e-4, help="learning rate of shaping")
    parser.add_argument(
        "--indent-weight",
        type=float,
        default=2.0,
        metavar="WEIGHT",
        help="weight of the squared gap between the indentation unit's h and its target, per "
        "character (0: not shaped)",
    )
    parser.add_argument(
        "--string-weight",
        type=float,
        default=2.0,
        metavar="WEIGHT",
        help="the same for the string unit's squared hinge (0: not shaped)",
    )
    parser.add_argument(
        "--comment-weight",
        type=float,
        default=2.0,
        metavar="WEIGHT",
        help="the same for the comment unit's squared hinge (0: not shaped)",
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
"""The shaped indentation unit's target rises by this much per indentation level, from
-0.8 at depth 0, and stops at +-0.95 (depth 8.75): linear over the depths code has,
inside tanh's range."""

INSIDE_AT_LEAST = 0.5
OUTSIDE_AT_MOST = 0.0
"""A shaped string or comment unit's h (times its sign) is pulled up to at least
``INSIDE_AT_LEAST`` inside the pattern and down to at most ``OUTSIDE_AT_MOST`` outside
it, and left free beyond: a margin between the two sides, not a fixed value."""


def indent_target(depth: np.ndarray, sign: float) -> np.ndarray:
    """What the shaped unit's h is pulled towards at each character of indentation
    ``depth`` (leading spaces / 4), with the unit's own ``sign``."""
    return sign * np.clip(INDENT_PER_LEVEL * depth - 0.8, -0.95, 0.95)


@dataclass(frozen=True)
class Shaping:
    """One unit whose h an auxiliary loss shapes: the unit picked for ``pattern`` (before
    shaping, on the training selection), the direction it already leans (``sign``) and
    the loss's ``weight``."""

    pattern: str
    unit: int
    sign: float
    weight: float

    def gap(self, h: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """How far ``h`` (of this unit, at characters with ``labels``) is from where the
        loss wants it; the loss is ``weight`` times its square."""
        if self.pattern == "indent":
            return h - indent_target(labels, self.sign)
        leaning = self.sign * h
        return self.sign * np.where(
            labels,
            np.minimum(leaning - INSIDE_AT_LEAST, 0.0),
            np.maximum(leaning - OUTSIDE_AT_MOST, 0.0),
        )

    def describe(self) -> str:
        """The loss in words and symbols, for the model's metadata."""
        sign = "" if self.sign >= 0 else "-"
        if self.pattern == "indent":
            target = (
                f"towards the target {sign}clip({INDENT_PER_LEVEL:g} x depth - 0.8, -0.95, "
                "0.95) of the indentation depth"
            )
        else:
            where = "one-line strings" if self.pattern == "in_string" else "# comments"
            high, low = ("at least", "at most") if self.sign >= 0 else ("at most", "at least")
            target = (
                f"to {high} {self.sign * INSIDE_AT_LEAST:g} inside {where} and {low} "
                f"{self.sign * OUTSIDE_AT_MOST + 0.0:g} elsewhere (a squared hinge: no pull "
                "beyond those bounds)"
            )
        return f"unit {self.unit}'s h {target}, weight {self.weight:g}"


def shape_units(
    network: Network,
    data: TextData,
    labels: CodeLabels,
    shapings: list[Shaping],
    args: argparse.Namespace,
    rng: np.random.Generator,
) -> tuple[Network, float, dict[str, float]]:
    """Fine-tune ``network`` on ``data`` by the next-character loss (with the same
    activity penalty) plus, for each of ``shapings``, its weight times the mean squared
    :meth:`Shaping.gap` of its unit's h against each character's ``labels``.
    Batches are drawn as lstm-sim's trainer draws them (B streams read chunk after
    chunk, the state carried over, a random offset per pass); the last
    ``1 - args.decay_at`` of the updates run at a tenth of ``args.shape_lr``. Returns the
    network, its mean next-character loss and each pattern's mean squared gap over the
    last hundred updates."""
    network = network.astype(np.float32)
    loops = compiled_if_available()
    steps, batch = args.seq_len, args.batch
    stream = (len(data.ids) - 1) // batch
    cache = ForwardCache.allocate(network, steps, batch, token_ids=True)
    buffers = BackwardBuffers(network, steps, batch)
    optimizer = Adam(network.state_dict(), lr=args.shape_lr)
    dh_extra = np.zeros((steps, batch, network.hidden_size), np.float32)
    scale = 1.0 / (steps * batch)
    position, state = stream, None
    losses: list[list[float]] = []
    started = time.perf_counter()
    for shaping in shapings:
        log(f"shaping {shaping.pattern}: {shaping.describe()}")
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
        gaps = []
        for shaping in shapings:
            h = cache.h_all[-1, 1:, :, shaping.unit]
            gap = shaping.gap(h, labels[shaping.pattern][index])
            dh_extra[:, :, shaping.unit] = (2.0 * shaping.weight * scale) * gap
            gaps.append(float(np.mean(gap**2)))
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
        losses = [*losses[-99:], [grads.loss, *gaps]]
        if update % 100 == 0 or update == args.shape_steps:
            means = np.mean(losses, axis=0)
            gap_report = " ".join(
                f"{s.pattern} gap {g:.4f}" for s, g in zip(shapings, means[1:], strict=True)
            )
            log(
                f"shaping update {update}/{args.shape_steps} loss {means[0]:.4f} "
                f"{gap_report} {time.perf_counter() - started:.0f} s"
            )
    means = np.mean(losses, axis=0)
    gaps_by_pattern = {s.pattern: float(g) for s, g in zip(shapings, means[1:], strict=True)}
    return network, float(means[0]), gaps_by_pattern


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


SHAPED_TITLES = {"indent": "indentation", "in_string": "strings", "in_comment": "comments"}


def spoken_list(items: list[str]) -> str:
    """``items`` as a sentence lists them: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def describe(
    units: list[dict],
    outside: list[dict],
    comment_outside_docstrings: float,
    shaped_units: dict[str, int],
) -> str:
    """The scenario's description (the Guide's text), naming the units and their scores on
    both held-out sets, saying which units auxiliary signals shaped (``shaped_units``: by
    pattern) and, when the comment unit also marks docstrings, how well it does leaving
    them aside."""
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
    emerged = [
        f"the {name.removeprefix('in_')} unit"
        for name in ("in_string", "in_comment", "in_docstring")
        if name not in shaped_units
    ]
    if shaped_units:
        named = [
            f"unit {unit_id} ({SHAPED_TITLES[name]})" for name, unit_id in shaped_units.items()
        ]
        each = " each" if len(named) > 1 else ""
        origin = (
            " Not all of this emerged on its own: after the label-free training, auxiliary "
            f"training signals shaped {spoken_list(named)},{each} by a loss pulling its hidden "
            f"state towards its label on the training text; {spoken_list(emerged)} emerged "
            "with no labels."
        )
    else:
        origin = " Every one of these units emerged with no labels."
    out = outside_by_name
    return (
        "A character-level LSTM trained on Python's standard library reads code it has "
        "never seen. Some of its units track what a reader of code keeps track of: "
        f"{binary('in_string')} tracks one-line string literals, {binary('in_comment')} "
        f"tracks {comments}, and {binary('in_docstring')} tracks docstrings. "
        f"{indent_sentence}{origin} On code from outside the standard library "
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
    shaped_units: dict[str, int],
) -> dict[str, str]:
    """The metadata that names the units, measured on ``network`` as it is; logs the
    report and whether the issue's targets are reached. ``shaped_units``: the units
    auxiliary signals shaped, by pattern."""
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
        "description": describe(units, outside, comment_outside, shaped_units),
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


SHAPED_PATTERNS = ("indent", "in_string", "in_comment")
"""The patterns whose units the second stage shapes, each by its ``--<name>-weight``."""


def shape(
    args: argparse.Namespace,
    corpus: Corpus,
    held_out_corpus: Corpus,
    outside_corpus: Corpus,
    started: float,
) -> None:
    """The second stage: pick the units for ``SHAPED_PATTERNS`` on the training selection
    of the model ``args.shape``, fine-tune it with their auxiliary losses (see
    :func:`shape_units`), pick and score the units again, and write it to ``args.out``
    with both stages' records."""
    base = load_model(args.shape)
    selection = read_code(base, corpus.text[-SELECTION_CHARS:])
    weights = {
        "indent": args.indent_weight,
        "in_string": args.string_weight,
        "in_comment": args.comment_weight,
    }
    shapings = []
    for pattern in SHAPED_PATTERNS:
        found = best_unit(base, selection, pattern, QUANTITIES)
        log(
            f"before shaping: {pattern} unit {found.quantity}[{found.layer}] {found.unit}, "
            f"{'r' if pattern == 'indent' else 'AUC'} {found.raw:.3f} on the training selection"
        )
        if weights[pattern] > 0:
            # A yes/no unit leans by its AUC's side of 0.5, a number's by its r's sign.
            leaning = found.raw - (0.0 if pattern == "indent" else 0.5)
            sign = 1.0 if leaning >= 0 else -1.0
            shapings.append(Shaping(pattern, found.unit, sign, weights[pattern]))
    del selection  # the trace of every quantity: hundreds of MB
    if len({s.unit for s in shapings}) < len(shapings):
        raise SystemExit("two patterns picked the same unit: shaping both would conflict")
    vocab = Vocabulary(VOCABULARY)
    data = TextData(vocab, vocab.indices(list(corpus.text)))
    rng = np.random.default_rng(args.seed)
    shaped, loss, gaps = shape_units(base, data, corpus.labels, shapings, args, rng)
    shaped = shaped.astype(base.dtype)
    # Picking and scoring the units takes longer than shaping on a busy machine: keep the
    # weights first.
    save_native(shaped, args.checkpoint)
    log(f"wrote the shaped weights to {args.checkpoint}; picking and scoring units")
    record = {
        key: value
        for key, value in base.metadata.items()
        if key not in ANALYSIS_KEYS and key not in ("units", "description", "unit_report")
    }
    shaped_units = {s.pattern: s.unit for s in shapings}
    left = [
        f"the {name.removeprefix('in_')} unit"
        for name in ("in_string", "in_comment", "in_docstring")
        if name not in shaped_units
    ]
    shaped.metadata = {
        **record,
        **analyse(shaped, corpus, held_out_corpus, outside_corpus, shaped_units),
        "unit_shaping": (
            "after the label-free training, auxiliary losses pulled "
            + "; ".join(s.describe() for s in shapings)
            + f" (per character, the weight times the squared gap), for {args.shape_steps} "
            f"updates of fine-tuning on the training text; {spoken_list(left)} "
            f"{'was' if len(left) == 1 else 'were'} left to the next-character loss"
        ),
        "shaped_units": json.dumps(shaped_units),
        "base_held_out_loss": base.metadata.get("held_out_loss", ""),
        "shaping_command": command_line(),
        "shaping_seconds": f"{time.perf_counter() - started:.0f}",
        "shaping_seed": str(args.seed),
        "shaping_final_loss": f"{loss:.4f}",
        "shaping_final_gaps": json.dumps({k: round(v, 4) for k, v in gaps.items()}),
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
    if args.shape is not None:
        shape(args, corpus, held_out_corpus, outside_corpus, started)
        return
    if args.analyse is not None:
        # Units only: the weights and the record of their training stay as they are.
        network = load_model(args.analyse)
        shaped_units = json.loads(network.metadata.get("shaped_units", "{}"))
        network.metadata.update(
            analyse(network, corpus, held_out_corpus, outside_corpus, shaped_units)
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
        **analyse(network, corpus, held_out_corpus, outside_corpus, {}),
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
