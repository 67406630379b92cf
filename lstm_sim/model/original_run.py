"""The run without the clamps, kept only from where it can differ from the clamped run.

Every step before the first one a clamp affects is the same in both runs, so the session
keeps the original from a step ``start`` at or before that one (the *tail*, an ordinary
:class:`Trace` of the steps start..T-1 whose step 0 is step ``start``) and reads the
earlier steps from the clamped trace itself; likewise only the layers from the lowest
clamped one up, as the layers below run the same in both. A first clamp near the end of a
long run then copies what follows it, not the whole run.

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
"""Trace arrays with a layer axis first and time second."""
READOUT = ("logits", "probs")
"""Trace arrays of the readout, time first."""


def steps_from(trace: Trace, start: int, stop: int | None = None, layer: int = 0) -> Trace:
    """A copy of the steps start..stop-1 of the layers from ``layer`` up, and of the
    readout, as a trace of their own: its inputs are what layer ``layer`` reads, and its
    h_all and c_all at index 0 hold the state before step ``start``."""
    arrays: dict[str, np.ndarray | None] = {}
    for name in LAYERED:
        array = getattr(trace, name)
        end = stop + 1 if stop is not None and name in ("h_all", "c_all") else stop
        arrays[name] = None if array is None else array[layer:, start:end].copy()
    for name in READOUT:
        array = getattr(trace, name)
        arrays[name] = None if array is None else array[start:stop].copy()
    ids = trace.token_ids if layer == 0 else None
    return Trace(
        kind=trace.kind,
        x=trace.layer_input(layer)[start:stop].copy(),
        tokens=None if trace.tokens is None or layer else trace.tokens[start:stop],
        token_ids=None if ids is None else ids[start:stop].copy(),
        **arrays,  # type: ignore[arg-type]
    )


def _place(target: Trace, source: Trace, start: int, layer: int) -> None:
    """Write ``source``'s layers and readout into ``target`` from step ``start`` and
    layer ``layer`` on (not its inputs, which clamps never change)."""
    for name in LAYERED:
        kept = getattr(source, name)
        if kept is not None:
            getattr(target, name)[layer:, start:] = kept
    for name in READOUT:
        kept = getattr(source, name)
        if kept is not None:
            getattr(target, name)[start:] = kept


def upper_layers(network: Network, layer: int) -> Network:
    """The layers of ``network`` from ``layer`` up, with its readout: a network that
    reads what layer ``layer`` reads, sharing the weights."""
    if layer == 0:
        return network
    return dataclasses.replace(network, layers=network.layers[layer:], vocab=None, embedding=None)


def block_start(step: int) -> int:
    """The first step of the block of :data:`PRODUCT_BLOCK` steps that ``step`` is in."""
    return step - step % PRODUCT_BLOCK


class OriginalRun:
    """The run without clamps beside ``trace``, the clamped one: the steps before
    ``start`` and the layers below ``layer`` are read from ``trace`` (the runs agree
    there, as no clamp acts on them or before them), the rest from ``tail``."""

    def __init__(self, trace: Trace, first: int | None, layer: int = 0) -> None:
        """Keep ``trace``, still the run without clamps, from the block of ``first`` (the
        first step the clamps to come affect; None: they act on no step) on, and from
        ``layer`` (the lowest layer they act on) up."""
        if trace.directions or trace.m is not None or trace.mask is not None:
            # Their arrays are not kept here; clamps refuse such networks before this.
            raise ValueError("the run without clamps is kept for plain forward layers only")
        self.trace = trace
        self.start = trace.num_steps if first is None else block_start(first)
        self.layer = layer
        self.tail = steps_from(trace, self.start, None, layer)

    @property
    def nbytes(self) -> int:
        """The memory the kept tail takes."""
        arrays = [getattr(self.tail, name) for name in (*LAYERED, *READOUT)]
        arrays += [self.tail.x, self.tail.token_ids]
        return sum(array.nbytes for array in arrays if array is not None)

    def keep_from(self, first: int | None, layer: int) -> None:
        """Keep the original from the block of ``first`` and from ``layer`` up too, when
        that is more than is kept; call it before the clamps that act from there are run,
        while the trace still holds the original outside the tail."""
        start = self.start if first is None else min(self.start, block_start(first))
        layer = min(layer, self.layer)
        if (start, layer) == (self.start, self.layer):
            return
        kept = steps_from(self.trace, start, None, layer)
        # Where the old tail is, the trace holds the clamped run: take the tail's.
        _place(kept, self.tail, self.start - start, self.layer - layer)
        self.tail, self.start, self.layer = kept, start, layer

    def restore(self) -> None:
        """Write the original back into the trace: the run as it was before any clamp."""
        _place(self.trace, self.tail, self.start, self.layer)

    def rerun(self, network: Network, start: int) -> None:
        """Follow an edit of the trace's inputs or initial state at step ``start`` (0 for
        a weight), after the clamped trace was rerun from there: the trace holds the new
        original outside the tail, so the tail starts from its state and reads its
        inputs."""
        tail, trace, layer = self.tail, self.trace, self.layer
        tail.x[...] = trace.layer_input(layer)[self.start :]
        if layer == 0:
            tail.tokens = None if trace.tokens is None else trace.tokens[self.start :]
            ids = trace.token_ids
            tail.token_ids = None if ids is None else ids[self.start :].copy()
        if tail.num_steps == 0:
            return
        if start < self.start:
            tail.h_all[:, 0] = trace.h_all[layer:, self.start]
            if tail.c_all is not None and trace.c_all is not None:
                tail.c_all[:, 0] = trace.c_all[layer:, self.start]
        rerun_from(upper_layers(network, layer), tail, max(start - self.start, 0))

    # -- reading ---------------------------------------------------------------------------
    def _kept(self, layer: int, t: int) -> bool:
        return layer >= self.layer and t >= self.start

    def step(self, layer: int, t: int) -> StepRecord:
        """Views of everything ``layer`` computed at step ``t`` in the run without clamps."""
        if not self._kept(layer, t):
            return self.trace.step(layer, t)
        kept = self.tail.step(layer - self.layer, t - self.start)
        return dataclasses.replace(kept, layer=layer, t=t)

    def series(self, name: str, layer: int, first: int = 0) -> np.ndarray:
        """``name`` ('h', 'c' or a gate) of ``layer`` from step ``first`` on, (T - first, H):
        a view of the tail or the trace, a joined copy when it spans both."""
        if layer < self.layer:
            below: np.ndarray = self._quantity(self.trace, name)[layer, first:]
            return below
        kept: np.ndarray = self._quantity(self.tail, name)[layer - self.layer]
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
        whole = steps_from(self.trace, 0)
        _place(whole, self.tail, self.start, self.layer)
        return whole

    @staticmethod
    def _quantity(trace: Trace, name: str) -> np.ndarray:
        values = trace.h if name == "h" else trace.c if name == "c" else trace.gate(name)
        if values is None:
            raise ValueError(f"a {trace.kind} trace records no {name!r}")
        return values
