"""Karpathy's code-reading cells, without Qt: which units of a character model of Python
source track strings, comments, docstrings, indentation, brackets or the position in a
line, and how saturated each unit's gates are (Karpathy, Johnson & Fei-Fei 2015).

Everything works on any text the user pastes: the text is put on the corpus alphabet,
recorded through the network once, labelled by :mod:`.scenarios.python_code`, and each
unit's per-character values are scored against a label by :mod:`lstm_sim.engine.probes`
(ROC AUC for a yes/no pattern, Pearson correlation for a number). The GUI's find-units
list and the training script that picks the units named in the shipped model both rank
with :func:`find_units`, so what the scenario claims is what the list shows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.chunked import record_quantities
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.network import Network
from lstm_sim.engine.probes import ProbeKind, Saturation, gate_saturation, rank_units
from lstm_sim.engine.trace import Trace, record
from lstm_sim.model.scenario import CheckResult
from lstm_sim.model.scenarios.python_code import (
    CLAIM,
    MODEL_RESOURCE,
    CodeLabels,
    Split,
    clean_source,
    label_source,
    load_corpus,
)
from lstm_sim.model.scenarios.python_code import DEFAULT_TEXT as DEFAULT_TEXT
from lstm_sim.resources import resource_path

QUANTITIES = ("c", "h", "i", "f", "g", "o")
"""What a unit can be read by: the cell state c, the hidden state h, or one gate."""
GRU_QUANTITIES = ("h", "z", "r", "n")
"""A GRU's: the hidden state (all its memory), the update and reset gates, the candidate."""
QUANTITY_TITLES = {
    "c": "cell state c",
    "h": "hidden state h",
    "i": "input gate i",
    "f": "forget gate f",
    "g": "candidate g",
    "o": "output gate o",
    "z": "update gate z",
    "r": "reset gate r",
    "n": "candidate n",
}


def quantities_for(kind: str) -> tuple[str, ...]:
    """What a unit of a ``kind`` network can be read by (a simple RNN: h only)."""
    return {"lstm": QUANTITIES, "gru": GRU_QUANTITIES}.get(kind, ("h",))


SATURATION_GATES = ("i", "f", "o")
"""The sigmoid gates whose saturation the paper measures."""


@dataclass(frozen=True)
class Pattern:
    """A property of each character that a unit may track.

    name: the label of :class:`CodeLabels`; title: what the GUI lists; kind: "auc" for a
    yes/no property, "correlation" for a number.
    """

    name: str
    title: str
    kind: ProbeKind


PATTERNS = (
    Pattern("in_string", "inside a one-line string literal", "auc"),
    Pattern("in_comment", "inside a # comment", "auc"),
    Pattern("in_docstring", "inside a triple-quoted string (docstring)", "auc"),
    Pattern("indent", "indentation depth (leading spaces / 4)", "correlation"),
    Pattern("bracket_depth", "bracket depth", "correlation"),
    Pattern("line_position", "position in the line", "correlation"),
)


def pattern_named(name: str) -> Pattern:
    """The :class:`Pattern` called ``name``."""
    for pattern in PATTERNS:
        if pattern.name == name:
            return pattern
    raise ValueError(f"no pattern {name!r}; patterns are {', '.join(p.name for p in PATTERNS)}")


@dataclass(frozen=True)
class CodeReading:
    """A text recorded through a network, with its per-character labels.

    text: the characters the network read (T,); trace: the recording, (L, T, ...);
    labels: :class:`CodeLabels` of ``text``, each (T,).
    """

    text: str
    trace: Trace
    labels: CodeLabels


def read_code(network: Network, text: str) -> CodeReading:
    """Record ``text`` through ``network`` after putting it on the corpus alphabet (tabs
    expanded, characters beyond printable ASCII shown as '?')."""
    _check_character_model(network)
    cleaned = clean_source(text)
    if len(cleaned) < 2:
        raise ValueError(f"text has {len(cleaned)} characters; finding units needs at least 2")
    return CodeReading(cleaned, record(network, list(cleaned)), label_source(cleaned))


def read_units(
    network: Network, text: str, units: Sequence[FoundUnit]
) -> tuple[CodeLabels, np.ndarray]:
    """The labels of ``text`` (put on the corpus alphabet as :func:`read_code` does) and
    the values of only ``units`` over it, (T, K), recorded in chunks: what scoring a few
    units needs, without the trace of every quantity at every step, so a text of any
    length fits in memory."""
    _check_character_model(network)
    cleaned = clean_source(text)
    if len(cleaned) < 2:
        raise ValueError(f"text has {len(cleaned)} characters; finding units needs at least 2")
    names = sorted({found.quantity for found in units})
    layers = sorted({found.layer for found in units})
    unit_ids = sorted({found.unit for found in units})
    known = quantities_for(network.kind)
    for name in names:
        if name not in known:
            raise ValueError(f"quantity must be one of {', '.join(known)}, got {name!r}")
    kept = record_quantities(network, list(cleaned), names, units=unit_ids, layers=layers)
    columns = [
        kept[found.quantity][layers.index(found.layer), :, unit_ids.index(found.unit)]
        for found in units
    ]
    return label_source(cleaned), np.stack(columns, axis=1)


def reading_of_trace(trace: Trace) -> CodeReading:
    """A :class:`CodeReading` of a trace already recorded on characters (the session's)."""
    if trace.tokens is None or any(len(token) != 1 for token in trace.tokens):
        raise ValueError("the trace was not recorded on characters; code patterns need text")
    text = "".join(trace.tokens)
    return CodeReading(text, trace, label_source(text))


def _check_character_model(network: Network) -> None:
    if network.kind not in ("lstm", "gru"):
        raise ValueError(f"code reading needs an LSTM or a GRU, got a {network.kind} network")
    if network.vocab is None or network.vocab.tokenizer != "char":
        raise ValueError("code reading needs a character-level model (a 'char' vocabulary)")


def unit_values(trace: Trace, quantity: str, layer: int) -> np.ndarray:
    """The per-step values of every unit of ``layer`` read by ``quantity``, (T, H)."""
    if trace.kind not in ("lstm", "gru"):
        raise ValueError(f"code reading needs an LSTM or GRU trace, got a {trace.kind} trace")
    if not 0 <= layer < trace.num_layers:
        raise ValueError(f"layer {layer} is out of range for {trace.num_layers} layers")
    known = quantities_for(trace.kind)
    if quantity not in known:
        raise ValueError(f"quantity must be one of {', '.join(known)}, got {quantity!r}")
    if quantity == "c":
        assert trace.c is not None
        return np.asarray(trace.c[layer])
    if quantity == "h":
        return np.asarray(trace.h[layer])
    return np.asarray(trace.gate(quantity)[layer])


@dataclass(frozen=True)
class UnitScore:
    """One unit's fit to a pattern: ``score`` is max(AUC, 1 - AUC) or |r| (higher is
    better, 1 is perfect), ``raw`` the AUC or r itself, ``sign`` -1 when the unit is low
    where the pattern holds (or falls as the number grows)."""

    unit: int
    score: float
    raw: float
    sign: int


def find_units(
    network: Network,
    source: Trace | CodeReading | str,
    pattern: str,
    quantity: str = "c",
    layer: int = 0,
) -> list[UnitScore]:
    """Every unit of ``layer``, best first, by how well ``quantity`` tracks ``pattern``
    over the characters of ``source`` (a text to record, a recorded reading, or a trace
    recorded on characters)."""
    if isinstance(source, str):
        return _find_units_in_text(network, source, pattern, quantity, layer)
    reading = reading_of_trace(source) if isinstance(source, Trace) else source
    if reading.trace.hidden_size != network.hidden_size:
        raise ValueError(
            f"the trace has H={reading.trace.hidden_size}, the network H={network.hidden_size}"
        )
    return _rank(reading.labels, unit_values(reading.trace, quantity, layer), pattern)


def _find_units_in_text(
    network: Network, text: str, pattern: str, quantity: str, layer: int
) -> list[UnitScore]:
    """:func:`find_units` over a text, recording only ``quantity`` of ``layer`` (in
    chunks) rather than the whole trace."""
    _check_character_model(network)
    known = quantities_for(network.kind)
    if quantity not in known:
        raise ValueError(f"quantity must be one of {', '.join(known)}, got {quantity!r}")
    if not 0 <= layer < network.num_layers:
        raise ValueError(f"layer {layer} is out of range for {network.num_layers} layers")
    cleaned = clean_source(text)
    if len(cleaned) < 2:
        raise ValueError(f"text has {len(cleaned)} characters; finding units needs at least 2")
    values = record_quantities(network, list(cleaned), [quantity], layers=[layer])[quantity][0]
    return _rank(label_source(cleaned), values, pattern)


def _rank(all_labels: CodeLabels, values: np.ndarray, pattern: str) -> list[UnitScore]:
    """Every unit of ``values`` (T, H), best first, by how well it tracks ``pattern``."""
    chosen = pattern_named(pattern)
    labels = all_labels[chosen.name]
    if chosen.kind == "auc" and labels.all() == labels.any():
        inside = "every" if labels.any() else "no"
        raise ValueError(f"{inside} character of the text is {chosen.title}; nothing to compare")
    if chosen.kind == "correlation" and np.ptp(labels) == 0:
        raise ValueError(f"the {chosen.title} never changes in the text; nothing to correlate")
    ranking = rank_units(values, labels, chosen.kind)
    return [
        UnitScore(int(unit), float(score), float(ranking.raw[unit]), int(sign))
        for unit, score, sign in zip(ranking.units, ranking.scores, ranking.signs, strict=True)
    ]


@dataclass(frozen=True)
class FoundUnit:
    """The unit that tracks ``pattern`` best over every layer and the quantities searched."""

    pattern: str
    quantity: str
    layer: int
    unit: int
    score: float
    raw: float

    def as_dict(self) -> dict[str, str | int | float]:
        return {
            "pattern": self.pattern,
            "quantity": self.quantity,
            "layer": self.layer,
            "unit": self.unit,
            "score": round(self.score, 4),
            "raw": round(self.raw, 4),
        }


def best_unit(
    network: Network,
    source: CodeReading,
    pattern: str,
    quantities: tuple[str, ...] = QUANTITIES,
) -> FoundUnit:
    """The best unit for ``pattern`` over every layer and each of ``quantities`` (all that
    the GUI can colour by, unless told), by the ranking of :func:`find_units`."""
    found = []
    for layer in range(network.num_layers):
        for quantity in quantities:
            top = find_units(network, source, pattern, quantity, layer)[0]
            found.append(FoundUnit(pattern, quantity, layer, top.unit, top.score, top.raw))
    return max(found, key=lambda unit: unit.score)


def unit_score(network: Network, source: CodeReading, found: FoundUnit) -> UnitScore:
    """How well the unit ``found`` tracks its pattern over ``source``, scored as
    :func:`find_units` scores it (on that unit's column alone: ranking all H units would
    cost H times as much)."""
    if source.trace.hidden_size != network.hidden_size:
        raise ValueError(
            f"the trace has H={source.trace.hidden_size}, the network H={network.hidden_size}"
        )
    pattern = pattern_named(found.pattern)
    values = unit_values(source.trace, found.quantity, found.layer)[:, [found.unit]]
    ranking = rank_units(values, source.labels[pattern.name], pattern.kind)
    return UnitScore(
        found.unit, float(ranking.scores[0]), float(ranking.raw[0]), int(ranking.signs[0])
    )


@dataclass(frozen=True)
class UnitSaturation:
    """The paper's saturation measure for the sigmoid gates of one layer.

    gates: ("i", "f", "o"); left, right: (3, H), the fraction of steps each unit's gate
    spends below 0.1 and above 0.9 (a point per unit of the paper's scatter plot).
    """

    gates: tuple[str, ...]
    left: np.ndarray
    right: np.ndarray

    def of(self, gate: str) -> Saturation:
        if gate not in self.gates:
            raise ValueError(f"gate must be one of {', '.join(self.gates)}, got {gate!r}")
        k = self.gates.index(gate)
        return Saturation(self.left[k], self.right[k])


def unit_saturation(source: Trace | CodeReading, layer: int = 0) -> UnitSaturation:
    """Per unit, the fraction of the recorded characters at which each sigmoid gate of
    ``layer`` is saturated."""
    trace = source.trace if isinstance(source, CodeReading) else source
    by_gate = gate_saturation([trace], layer)
    return UnitSaturation(
        SATURATION_GATES,
        np.stack([by_gate[gate].left for gate in SATURATION_GATES]),
        np.stack([by_gate[gate].right for gate in SATURATION_GATES]),
    )


def shipped_units(network: Network) -> dict[str, FoundUnit]:
    """The units a model's metadata names (key ``units``, a JSON list written by
    scripts/train_code_reader.py), by pattern; empty when it names none."""
    text = network.metadata.get("units")
    if text is None:
        return {}
    try:
        entries = json.loads(text)
        units = {
            entry["pattern"]: FoundUnit(
                str(entry["pattern"]),
                str(entry["quantity"]),
                int(entry["layer"]),
                int(entry["unit"]),
                float(entry["score"]),
                float(entry["raw"]),
            )
            for entry in entries
        }
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(f"the model's metadata 'units' cannot be read: {err}") from None
    return units


def load_code_reader() -> Network:
    """The shipped character model of Python source."""
    return load_model(resource_path(MODEL_RESOURCE))


CLAIM_TARGETS = {"in_string": 0.95, "in_comment": 0.95, "indent": 0.85}
"""The score on held-out code that the unit a model names for each pattern must reach
(issue 15's targets): max(AUC, 1 - AUC) for strings and comments, |Pearson r| for the
indentation depth."""


OUTSIDE_STDLIB_TARGETS = CLAIM_TARGETS
"""The scores the named units must reach on the modules of pyqtgraph (code from outside
the standard library, never trained on): the same as on the held-out stdlib modules."""


def check_claims(
    network: Network | None = None,
    held_out: CodeReading | None = None,
    outside: CodeReading | None = None,
) -> CheckResult:
    """Re-measure what a code-reading model's metadata claims (the shipped model's, unless
    given): each named unit's score on the held-out standard-library modules against
    ``CLAIM_TARGETS``, and on pyqtgraph's modules against ``OUTSIDE_STDLIB_TARGETS``.
    ``held_out``, ``outside``: those texts
    as ``network`` reads them, if already recorded. ValueError when pyqtgraph is not
    installed and ``outside`` is not given."""
    network = network or load_code_reader()
    named = shipped_units(network)
    missing = [pattern for pattern in CLAIM_TARGETS if pattern not in named]
    if missing:
        raise ValueError(f"the model's metadata names no unit for {', '.join(missing)}")
    units = [named[pattern] for pattern in CLAIM_TARGETS]
    numbers, passed = {}, True
    checks: tuple[tuple[str, CodeReading | None, Split, dict[str, float]], ...] = (
        ("", held_out, "held_out", CLAIM_TARGETS),
        ("pyqtgraph ", outside, "outside_stdlib", OUTSIDE_STDLIB_TARGETS),
    )
    for where, reading, split, targets in checks:
        labels, columns = _named_columns(network, units, reading, split)
        for k, found in enumerate(units):
            kind = pattern_named(found.pattern).kind
            score = float(rank_units(columns[:, [k]], labels[found.pattern], kind).scores[0])
            metric = "auc" if kind == "auc" else "r"
            numbers[f"{where}{found.pattern}_{metric} (unit {found.unit}, {found.quantity})"] = (
                score
            )
            if found.pattern in targets:
                passed = passed and score >= targets[found.pattern]
    return CheckResult("code-reader", CLAIM, numbers, passed)


def _named_columns(
    network: Network, units: Sequence[FoundUnit], reading: CodeReading | None, split: Split
) -> tuple[CodeLabels, np.ndarray]:
    """The labels of a split's text and the values of ``units`` over it, (T, K): from
    ``reading`` when given, else recorded keeping only those units' columns (the trace of
    everything over a whole split would take gigabytes)."""
    if reading is None:
        return read_units(network, load_corpus(split, max_chars=10**8).text, units)
    columns = [unit_values(reading.trace, u.quantity, u.layer)[:, u.unit] for u in units]
    return reading.labels, np.stack(columns, axis=1)
