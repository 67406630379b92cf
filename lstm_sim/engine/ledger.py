"""The memory ledger: where an LSTM cell's value came from.

Unrolling c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t down to the initial state gives

    c_t = c_0 ⊙ Π_{r=0..t} f_r  +  Σ_{s=0..t} (i_s ⊙ g_s) ⊙ Π_{r=s+1..t} f_r

so each unit's cell value is exactly a sum of what every earlier step s wrote, scaled by
the forget gates it passed since. The products are built directly as suffix products of
the recorded gates, never by dividing one cumulative product by another: a product that
underflows to 0 is a real fact (the write was forgotten), not a division hazard.

Steps are indexed like the trace: step t reads c_all[:, t] (c_{t-1}) and writes
c_all[:, t + 1] (c_t); "c_0" here is the initial state, c_all[:, 0]. A step Keras's input
mask skipped kept c as it was: it counts as f = 1 and writes nothing (the gates the
kernels computed there were discarded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.trace import Trace


@dataclass(frozen=True)
class Ledger:
    """c_t of one layer split into what each step wrote.

    contributions: (t+1, H), or (t+1,) for one unit: row s is i_s ⊙ g_s ⊙ Π_{r=s+1..t} f_r.
    initial: (H,), or a 0-d array for one unit: c_0 ⊙ Π_{r=0..t} f_r.
    c: (H,), or 0-d: c_t as the trace recorded it.
    retention: (t+1, H), or (t+1,): Π_{r=s+1..t} f_r, the share of step s's write that
    is still in the cell at t (1 for s = t).
    All arrays are float64 whatever the trace's dtype, so the sum is as exact as the
    recorded gates allow.
    """

    layer: int
    t: int
    unit: int | None
    contributions: np.ndarray
    initial: np.ndarray
    c: np.ndarray
    retention: np.ndarray

    def total(self) -> np.ndarray:
        """initial + Σ_s contributions[s]: equals ``c`` up to rounding, (H,) or 0-d."""
        return np.asarray(self.initial + self.contributions.sum(axis=0))


def _check_lstm(trace: Trace, layer: int) -> None:
    if trace.kind != "lstm" or trace.c_all is None or trace.ig is None:
        raise ValueError(f"a memory ledger needs an LSTM trace, got a {trace.kind} trace")
    if not 0 <= layer < trace.num_layers:
        raise ValueError(f"layer {layer} is out of range for {trace.num_layers} layers")


def _check_unit(trace: Trace, unit: int | None) -> None:
    # A cell unit: H of them, even where a projection makes h narrower.
    if unit is not None and not 0 <= unit < trace.cell_size:
        raise ValueError(f"unit {unit} is out of range for hidden size {trace.cell_size}")


def suffix_products(f: np.ndarray) -> np.ndarray:
    """Π_{r=s+1..t} f_r for every s = 0..t, where t = len(f) - 1.

    f: (t+1, ...) forget gates of steps 0..t. Returns the same shape; the last row is 1
    (nothing has been forgotten of what step t itself wrote).
    """
    if f.ndim < 1 or f.shape[0] == 0:
        raise ValueError(f"forget gates f have shape {f.shape}, expected (t+1, ...) with t >= 0")
    out = np.ones(f.shape, dtype=np.float64)
    # Reverse cumulative product of f_t, f_{t-1}, ..., f_1: row s gets f_{s+1}···f_t.
    out[:-1] = np.cumprod(f[:0:-1].astype(np.float64), axis=0)[::-1]
    return out


def memory_ledger(trace: Trace, layer: int, t: int, unit: int | None = None) -> Ledger:
    """Decompose c_t of ``layer`` into the contributions of steps 0..t and of c_0.

    With ``unit`` the arrays hold that unit only: contributions (t+1,), the rest 0-d.
    """
    _check_lstm(trace, layer)
    _check_unit(trace, unit)
    if not 0 <= t < trace.num_steps:
        raise ValueError(f"step {t} is out of range for a sequence of {trace.num_steps}")
    assert trace.c_all is not None and trace.ig is not None
    columns = slice(None) if unit is None else unit
    f, ig = _acting_gates(trace, layer, t + 1, columns)
    retention = suffix_products(f)
    c0 = trace.c_all[layer, 0, columns].astype(np.float64)
    return Ledger(
        layer=layer,
        t=t,
        unit=unit,
        contributions=ig * retention,  # (i_s ⊙ g_s) ⊙ Π_{r=s+1..t} f_r
        initial=c0 * f[0] * retention[0],  # c_0 ⊙ Π_{r=0..t} f_r
        c=np.asarray(trace.c_all[layer, t + 1, columns], dtype=np.float64),
        retention=retention,
    )


def _acting_gates(
    trace: Trace, layer: int, stop: int, columns: slice | int
) -> tuple[np.ndarray, np.ndarray]:
    """f and i ⊙ g (float64) of steps 0..stop-1 as they acted on c: a masked step kept c."""
    assert trace.ig is not None
    f = trace.gate("f")[layer, :stop, columns]
    ig = trace.ig[layer, :stop, columns].astype(np.float64)
    if trace.mask is not None:
        read = trace.mask[:stop].reshape(-1, *([1] * (f.ndim - 1)))
        f, ig = np.where(read, f, 1.0).astype(f.dtype), np.where(read, ig, 0.0)
    return f, ig


def ledger_history(trace: Trace, layer: int, unit: int) -> tuple[np.ndarray, np.ndarray]:
    """Every step's ledger for one unit at once, for a heatmap of writes and erasures.

    Returns (contributions, initial): contributions (T, T) with [t, s] the share of c_t
    that step s wrote (0 where s > t), and initial (T,) the share of c_0 in c_t.
    Row t equals ``memory_ledger(trace, layer, t, unit)``; memory is O(T²).
    """
    _check_lstm(trace, layer)
    _check_unit(trace, unit)
    assert trace.c_all is not None and trace.ig is not None
    f, ig = _acting_gates(trace, layer, trace.num_steps, unit)
    f = f.astype(np.float64)
    steps = f.shape[0]
    # factors[s, r] = f_r for r > s and 1 otherwise, so its running product along r is
    # retained[s, t] = Π_{r=s+1..t} f_r: no division by a product that may be 0.
    later = np.triu(np.ones((steps, steps), dtype=bool), k=1)
    factors = np.where(later, f[None, :], 1.0)
    retained = np.cumprod(factors, axis=1)
    written_by_then = np.tril(np.ones((steps, steps), dtype=bool))  # [t, s]: s <= t
    contributions = np.where(written_by_then, retained.T * ig[None, :], 0.0)
    initial = trace.c_all[layer, 0, unit] * f[0] * retained[0]
    return contributions, np.asarray(initial, dtype=np.float64)
