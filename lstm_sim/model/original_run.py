"""The run without the clamps, kept only from where it can differ from the clamped run.

Every step before the first one a clamp affects is the same in both runs, so the session
keeps the original from a step ``start`` at or before that one (the *tail*, an ordinary
:class:`Trace` of the steps start..T-1 whose step 0 is step ``start``) and reads the
earlier steps from the clamped trace itself. A first clamp near the end of a long run
then copies what follows it, not the whole run.

``start`` is a multiple of :data:`PRODUCT_BLOCK`: the engine makes its products over time
in blocks counted from step 0, so a rerun of the tail falls in the same blocks as a rerun
of the whole trace and gives the same bits.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import PRODUCT_BLOCK, StepRecord, Trace, rerun_from

LAYERED = ("h_all", "c_all", "pre", "act", "fc", "ig", "tanh_c", "hn")
"""Trace arrays with a layer axis first and time second; the others have time first."""
TIME_FIRST = ("x", "token_ids", "logits", "probs")


def _steps(array: np.ndarray, name: str, start: int, stop: int | None = None) -> np.ndarray:
    """The view of ``array`` (the trace's ``name``) on the steps start..stop-1; for h_all
    and c_all, whose index 0 is the initial state, index ``start`` is the state before
    step ``start``."""
    return array[:, start:stop] if name in LAYERED else array[start:stop]


def steps_from(trace: Trace, start: int, stop: int | None = None) -> Trace:
    """A copy of the steps start..stop-1 of ``trace`` as a trace of their own (its h_all
    and c_all at index 0: the state before step ``start``, and one past ``stop`` - 1)."""
    arrays: dict[str, np.ndarray | None] = {}
    for name in (*LAYERED, *TIME_FIRST):
        array = getattr(trace, name)
        if array is None:
            arrays[name] = None
        elif name in ("h_all", "c_all"):
            arrays[name] = _steps(array, name, start, None if stop is None else stop + 1).copy()
        else:
            arrays[name] = _steps(array, name, start, stop).copy()
    tokens = None if trace.tokens is None else trace.tokens[start:stop]
    return Trace(kind=trace.kind, tokens=tokens, **arrays)  # type: ignore[arg-type]


def _joined(head: Trace, tail: Trace) -> Trace:
    """``head``'s steps followed by ``tail``'s, where ``tail`` starts from the state
    ``head`` ends in (the last state of ``head`` is dropped in favour of tail's first)."""
    arrays: dict[str, np.ndarray | None] = {}
    for name in (*LAYERED, *TIME_FIRST):
        first, second = getattr(head, name), getattr(tail, name)
        if first is None or second is None:
            arrays[name] = None
            continue
        if name in ("h_all", "c_all"):
            first = first[:, :-1]
        arrays[name] = np.concatenate([first, second], axis=1 if name in LAYERED else 0)
    tokens = None if head.tokens is None or tail.tokens is None else head.tokens + tail.tokens
    return Trace(kind=head.kind, tokens=tokens, **arrays)  # type: ignore[arg-type]


def block_start(step: int) -> int:
    """The first step of the block of :data:`PRODUCT_BLOCK` steps that ``step`` is in."""
    return step - step % PRODUCT_BLOCK


class OriginalRun:
    """The run without clamps beside ``trace``, the clamped one: steps before ``start``
    are read from ``trace`` (the runs agree there), the rest from ``tail``."""

    def __init__(self, trace: Trace, first: int | None) -> None:
        """Keep ``trace``, still the run without clamps, from the block of ``first`` (the
        first step the clamps to come affect; None: they act on no step) on."""
        self.trace = trace
        self.start = trace.num_steps if first is None else block_start(first)
        self.tail = steps_from(trace, self.start)

    @property
    def nbytes(self) -> int:
        """The memory the kept tail takes."""
        return sum(
            getattr(self.tail, name).nbytes
            for name in (*LAYERED, *TIME_FIRST)
            if getattr(self.tail, name) is not None
        )

    def keep_from(self, first: int | None) -> None:
        """Keep the original from the block of ``first`` on too, when that is before
        ``start``; call it before the clamps that act from ``first`` are run, while the
        trace still holds the original's steps before ``start``."""
        if first is None or block_start(first) >= self.start:
            return
        start = block_start(first)
        self.tail = _joined(steps_from(self.trace, start, self.start), self.tail)
        self.start = start

    def restore(self) -> None:
        """Write the original back into the trace: the run as it was before any clamp."""
        for name in (*LAYERED, *TIME_FIRST):
            kept = getattr(self.tail, name)
            if kept is not None:
                _steps(getattr(self.trace, name), name, self.start)[...] = kept

    def rerun(self, network: Network, start: int) -> None:
        """Follow an edit of the trace's inputs or initial state at step ``start`` (0 for
        a weight), after the clamped trace was rerun from there: the trace holds the new
        original before ``self.start``, so the tail starts from its state there."""
        tail, trace = self.tail, self.trace
        tail.x[...] = _steps(trace.x, "x", self.start)
        tail.tokens = None if trace.tokens is None else trace.tokens[self.start :]
        ids = trace.token_ids
        tail.token_ids = None if ids is None else ids[self.start :].copy()
        if tail.num_steps == 0:
            return
        if start < self.start:
            tail.h_all[:, 0] = trace.h_all[:, self.start]
            if tail.c_all is not None and trace.c_all is not None:
                tail.c_all[:, 0] = trace.c_all[:, self.start]
        rerun_from(network, tail, max(start - self.start, 0))

    # -- reading ---------------------------------------------------------------------------
    def step(self, layer: int, t: int) -> StepRecord:
        """Views of everything ``layer`` computed at step ``t`` in the run without clamps."""
        if t < self.start:
            return self.trace.step(layer, t)
        return dataclasses.replace(self.tail.step(layer, t - self.start), t=t)

    def series(self, name: str, layer: int, first: int = 0) -> np.ndarray:
        """``name`` ('h', 'c' or a gate) of ``layer`` from step ``first`` on, (T - first, H):
        a view of the tail from ``start`` on, a joined copy when ``first`` is earlier."""
        kept: np.ndarray = self._quantity(self.tail, name)[layer]
        if first >= self.start:
            return kept[first - self.start :]
        earlier = self._quantity(self.trace, name)[layer, first : self.start]
        return np.concatenate([earlier, kept])

    def readout_at(self, name: str, t: int) -> np.ndarray | None:
        """The readout's ``name`` ('logits' or 'probs') at step ``t``, (V,); None when the
        network records none."""
        source, row = (self.trace, t) if t < self.start else (self.tail, t - self.start)
        array: np.ndarray | None = getattr(source, name)
        return None if array is None else array[row]

    def whole(self) -> Trace:
        """The run without clamps as a trace of its own: a copy of every step."""
        return _joined(steps_from(self.trace, 0, self.start), self.tail)

    @staticmethod
    def _quantity(trace: Trace, name: str) -> np.ndarray:
        values = trace.h if name == "h" else trace.c if name == "c" else trace.gate(name)
        if values is None:
            raise ValueError(f"a {trace.kind} trace records no {name!r}")
        return values
