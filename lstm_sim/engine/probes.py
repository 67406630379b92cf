"""Unit probes: which hidden units track a property of the input, and how saturated the
gates are (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and Understanding Recurrent
Networks").

Every function takes per-step values of all units, (T, H), and per-step labels, (T,),
so several recorded sequences can be probed together by concatenating them along time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from lstm_sim.engine.trace import Trace

ProbeKind = Literal["auc", "correlation"]

SATURATION_LOW = 0.1
SATURATION_HIGH = 0.9


UNIT_BLOCK_ELEMENTS = 1 << 22
"""Values ranked at a time (steps × units): units are scored independently, so a long
text is ranked a block of units at a time, with a few (T, block) temporaries instead of
(T, H) ones (a million characters of 256 units would take 15 GB at once)."""


def _check_values(values: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values`` as given (converted per block by the caller) and ``labels``, checked."""
    values = np.asarray(values)
    labels = np.asarray(labels)
    if values.ndim != 2 or values.shape[0] < 2:
        raise ValueError(f"values has shape {values.shape}, expected (T, H) with T >= 2")
    if labels.shape != (values.shape[0],):
        raise ValueError(f"labels has shape {labels.shape}, expected ({values.shape[0]},)")
    for block in _unit_blocks(values):
        if not np.all(np.isfinite(values[:, block])):
            raise ValueError(f"values of shape {values.shape} holds NaN or infinite values")
    return values, labels


def _unit_blocks(values: np.ndarray) -> list[slice]:
    """Column slices of ``values`` (T, H) of about UNIT_BLOCK_ELEMENTS values each; one
    slice of every column when the whole array is that small."""
    steps, units = values.shape
    width = max(1, UNIT_BLOCK_ELEMENTS // max(steps, 1))
    return [slice(k, min(k + width, units)) for k in range(0, units, width)]


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of each column of ``values`` (T, H); tied values share the mean of
    the ranks they span, as in the Mann-Whitney U statistic."""
    steps = values.shape[0]
    order = np.argsort(values, axis=0, kind="stable")
    ordered = np.take_along_axis(values, order, axis=0)
    index = np.arange(steps)[:, None]
    starts_run = np.ones(values.shape, dtype=bool)
    starts_run[1:] = ordered[1:] != ordered[:-1]
    ends_run = np.ones(values.shape, dtype=bool)
    ends_run[:-1] = starts_run[1:]
    # First and last sorted position of the run of equal values each position is in.
    first = np.maximum.accumulate(np.where(starts_run, index, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends_run, index, steps - 1)[::-1], axis=0)[::-1]
    ranks = np.empty(values.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=0)
    return ranks


def roc_auc(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """ROC AUC of each unit as a detector of ``labels``: the probability that a random
    positive step has a higher value than a random negative one, ties counting half.

    values: (T, H); labels: (T,) bool. Returns (H,) in [0, 1]; 0.5 is chance, below 0.5
    the unit tracks the complement.
    """
    values, labels = _check_values(values, labels)
    positive = labels.astype(bool)
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"labels need both classes, got {n_pos} positive and {n_neg} negative")
    rank_sum = np.concatenate(
        [
            average_ranks(np.asarray(values[:, block], dtype=np.float64))[positive].sum(axis=0)
            for block in _unit_blocks(values)
        ]
    )
    # Mann-Whitney: U = R_pos - n_pos(n_pos+1)/2 counts the (positive, negative) pairs
    # ordered correctly; AUC = U / (n_pos n_neg).
    return np.asarray((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def pearson(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Pearson correlation of each unit with a numeric label (indentation depth, bracket
    depth, position in the line). values: (T, H); labels: (T,). Returns (H,) in [-1, 1];
    a unit that never changes tracks nothing and gets 0."""
    values, labels = _check_values(values, labels)
    y = labels.astype(np.float64)
    y = y - y.mean()
    y_norm = np.sqrt(y @ y)
    if y_norm == 0.0:
        raise ValueError(f"labels of shape {labels.shape} are constant; correlation needs spread")
    return np.concatenate(
        [_pearson_block(values[:, block], y, y_norm) for block in _unit_blocks(values)]
    )


def _pearson_block(values: np.ndarray, y: np.ndarray, y_norm: float) -> np.ndarray:
    """Pearson r of each column of ``values`` with the centred labels ``y``."""
    v = np.asarray(values, dtype=np.float64)
    v = v - v.mean(axis=0)
    v_norm = np.sqrt(np.einsum("th,th->h", v, v))
    covariance = y @ v
    with np.errstate(invalid="ignore", divide="ignore"):
        r = covariance / (v_norm * y_norm)
    return np.where(v_norm > 0.0, np.clip(r, -1.0, 1.0), 0.0)


@dataclass(frozen=True)
class UnitRanking:
    """Units sorted best first by how well they track a label.

    units, scores, signs: (H,). For "auc" the score is max(AUC, 1 - AUC) and the sign
    is -1 where the unit is low on the label's steps; for "correlation" the score is |r|
    and the sign that of r. ``raw`` is the AUC or r of each unit, indexed by unit.
    """

    kind: ProbeKind
    units: np.ndarray
    scores: np.ndarray
    signs: np.ndarray
    raw: np.ndarray

    @property
    def best(self) -> int:
        return int(self.units[0])


def rank_units(values: np.ndarray, labels: np.ndarray, kind: ProbeKind) -> UnitRanking:
    """Rank the H units of ``values`` (T, H) by how well they track ``labels`` (T,):
    ``"auc"`` for a binary label, ``"correlation"`` for a numeric one."""
    if kind == "auc":
        raw = roc_auc(values, labels)
        score = np.maximum(raw, 1.0 - raw)
        sign = np.where(raw >= 0.5, 1, -1)
    elif kind == "correlation":
        raw = pearson(values, labels)
        score = np.abs(raw)
        sign = np.where(raw >= 0.0, 1, -1)
    else:
        raise ValueError(f"kind must be 'auc' or 'correlation', got {kind!r}")
    # Stable on -score: equal scores keep unit order, so the ranking is deterministic.
    order = np.argsort(-score, kind="stable")
    return UnitRanking(kind, order, score[order], sign[order], raw)


@dataclass(frozen=True)
class Saturation:
    """Per unit, the fraction of steps a gate spends saturated: left (< low) and right
    (> high), each (H,). A unit with both near 0 works as a soft, graded gate."""

    left: np.ndarray
    right: np.ndarray


def saturation(
    gate_values: np.ndarray,
    low: float = SATURATION_LOW,
    high: float = SATURATION_HIGH,
) -> Saturation:
    """Left- and right-saturated fractions of each unit's gate values (T, H)."""
    gate_values = np.asarray(gate_values)
    if gate_values.ndim != 2 or gate_values.shape[0] == 0:
        raise ValueError(f"gate values have shape {gate_values.shape}, expected (T, H), T >= 1")
    if not low < high:
        raise ValueError(f"low {low} must be below high {high}")
    return Saturation((gate_values < low).mean(axis=0), (gate_values > high).mean(axis=0))


def gate_saturation(traces: list[Trace], layer: int) -> dict[str, Saturation]:
    """The paper's measure for the sigmoid gates i, f and o of ``layer``, pooled over the
    steps of all ``traces``."""
    if not traces:
        raise ValueError("gate saturation needs at least one trace, got none")
    for trace in traces:
        if trace.kind != "lstm":
            raise ValueError(f"gate saturation needs LSTM traces, got a {trace.kind} trace")
        if not 0 <= layer < trace.num_layers:
            raise ValueError(f"layer {layer} is out of range for {trace.num_layers} layers")
    return {
        gate: saturation(np.concatenate([t.gate(gate)[layer] for t in traces])) for gate in "ifo"
    }


@dataclass(frozen=True)
class SwitchUnit:
    """The unit whose cell state best holds a binary state that is reset at known steps
    (the lecture's example: the gender of the current subject, reset at each new name).

    unit: the unit; score and sign: its max(AUC, 1 - AUC) for the state and whether c
    is high (+1) or low (-1) in the positive state. reset_steps: (K,) for each switch,
    the step in the window after it where the unit's forget gate is lowest;
    forget_at_reset: (K,) that gate value, near 0 when the old state is wiped.
    ranking: all units ranked by how well their cell state holds the state.
    """

    unit: int
    score: float
    sign: int
    reset_steps: np.ndarray
    forget_at_reset: np.ndarray
    ranking: UnitRanking


def find_switch_unit(
    cell: np.ndarray,
    forget: np.ndarray,
    state: np.ndarray,
    known: np.ndarray,
    switches: np.ndarray,
    window: int = 3,
) -> SwitchUnit:
    """Find the unit whose cell value c_t tracks ``state`` and where its forget gate resets.

    cell, forget: (T, H) c_t and f_t of one layer; state: (T,) bool, the state after
    step t; known: (T,) bool, steps where the state is defined (before the first switch
    it is not); switches: (T,) bool, steps where a new state begins. The reset of each
    switch is looked for in steps s..s+window-1, since a model may close the gate at
    the word that starts the switch or a step or two later.
    """
    cell = np.asarray(cell)
    forget = np.asarray(forget)
    if forget.shape != cell.shape:
        raise ValueError(f"forget has shape {forget.shape}, expected cell's {cell.shape}")
    steps = cell.shape[0]
    for name, array in (("state", state), ("known", known), ("switches", switches)):
        if np.shape(array) != (steps,):
            raise ValueError(f"{name} has shape {np.shape(array)}, expected ({steps},)")
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    known = np.asarray(known, dtype=bool)
    ranking = rank_units(cell[known], np.asarray(state, dtype=bool)[known], "auc")
    unit = ranking.best
    starts = np.flatnonzero(switches)
    # Candidate steps s..s+window-1 of every switch, clipped at the end of the sequence.
    candidates = np.minimum(starts[:, None] + np.arange(window)[None, :], steps - 1)
    lowest = np.argmin(forget[candidates, unit], axis=1)
    reset_steps = candidates[np.arange(starts.size), lowest]
    return SwitchUnit(
        unit=unit,
        score=float(ranking.scores[0]),
        sign=int(ranking.signs[0]),
        reset_steps=reset_steps,
        forget_at_reset=forget[reset_steps, unit].astype(np.float64),
        ranking=ranking,
    )
