"""The application state: one network, one input sequence, its recorded trace, and a
cursor (t, phase). Qt-free; views subscribe to its psygnal signals.

Moving the cursor never recomputes: the trace already holds every step. An edit (an
input, h0/c0, a weight, the list of clamps) reruns the trace from the earliest step it
affects and can be undone. While clamps act, the session keeps the run without them beside
the trace (``original``, the ghost the views draw faintly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from psygnal import Signal

from lstm_sim.engine.interventions import (
    Clamp,
    check_clamps,
    first_affected_step,
    lowest_layer,
    rerun_with_clamps,
)
from lstm_sim.engine.network import Network, check_array
from lstm_sim.engine.trace import (
    StepRecord,
    Trace,
    as_tokens,
    rerun_from,
    set_initial_state,
)
from lstm_sim.model.drawable import check_drawable
from lstm_sim.model.original_run import OriginalRun
from lstm_sim.model.pass_view import (
    Pass,
    first_step,
    followed_network,
    followed_trace,
    later_step,
    layer_passes,
    record_passes,
    shown_pass,
)
from lstm_sim.model.phases import Phase, phases_for


@dataclass(frozen=True)
class Edit:
    """One undoable change. ``target`` is 'x', 'token', 'h0', 'c0', a parameter name, or
    'clamps' (``old``/``new`` are then tuples of :class:`Clamp`, ``index`` is empty);
    ``index`` addresses the element that changed."""

    target: str
    index: tuple[int, ...]
    old: Any
    new: Any

    def describe(self) -> str:
        if self.target == "clamps":
            old, new = ("; ".join(c.text for c in side) for side in (self.old, self.new))
            return f"clamps: [{old}] → [{new}]"
        where = ", ".join(str(k) for k in self.index)
        return f"{self.target}[{where}]: {self.old} → {self.new}"


@dataclass(frozen=True)
class SequenceValue:
    """A whole input sequence and the initial state it starts from: the old and new
    value of an edit that replaces the sequence (its length may change)."""

    inputs: np.ndarray | tuple[str, ...]
    h0: np.ndarray
    c0: np.ndarray | None

    def __str__(self) -> str:
        return f"{len(self.inputs)} steps"


class Session:
    """Single source of truth for what is on screen."""

    network_changed = Signal()  # a new network or sequence: views rebuild
    trace_changed = Signal(int)  # the trace was recomputed from this step on
    cursor_changed = Signal(int, int)  # (t, phase index)
    layer_changed = Signal(int)
    unit_changed = Signal(int)  # the selected unit, -1 for none
    history_changed = Signal()  # the undo/redo stacks changed
    pass_changed = Signal(str)  # the followed pass: "forward" or "reverse"

    def __init__(
        self,
        network: Network,
        inputs: np.ndarray | Sequence[str],
        *,
        title: str = "",
        h0: np.ndarray | None = None,
        c0: np.ndarray | None = None,
    ) -> None:
        self.network = network
        self.title = title
        self.trace: Trace = record_passes(network, inputs, h0, c0)
        self.clamps: tuple[Clamp, ...] = ()
        """The interventions acting on ``trace``; change them with :meth:`set_clamps`."""
        self.original: OriginalRun | None = None
        """The run without the clamps while any act (the ghost), else None."""
        self.t = 0
        self.phase = 0
        self.layer = 0
        self.unit = 0
        self.generation = 0
        """Counts the calls of :meth:`load`: state kept about one loaded network (the
        training job's Apply history) compares it instead of object identity."""
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []
        self.followed: Pass = layer_passes(network, 0)[0]
        """The pass the window follows in bidirectional layers; see :attr:`shown`."""
        self._shown: Trace | None = None
        self.t = first_step(self.trace.num_steps, self.followed)
        # Forget the shown pass's copy before any view reads it after a change.
        for signal in (self.network_changed, self.trace_changed, self.pass_changed):
            signal.connect(self._forget_shown, priority=1000)

    # -- what is on screen ---------------------------------------------------------------
    @property
    def phases(self) -> tuple[Phase, ...]:
        return phases_for(self.network.kind)

    @property
    def num_steps(self) -> int:
        return self.trace.num_steps

    @property
    def tokens(self) -> tuple[str, ...] | None:
        return self.trace.tokens

    def inputs(self) -> np.ndarray | list[str]:
        """The input sequence as :meth:`load` takes it: the tokens, or a copy of x (T, D)."""
        tokens = self.trace.tokens
        return list(tokens) if tokens is not None else self.trace.x.copy()

    @property
    def current(self) -> StepRecord:
        """The record of the selected layer at the cursor's step, in the shown pass."""
        return self.shown.step(self.layer, self.t)

    @property
    def shown(self) -> Trace:
        """What the views draw: ``trace`` itself, or with reverse or bidirectional layers
        each layer's shown pass in time order (:func:`~lstm_sim.model.pass_view.followed_trace`)."""
        if self._shown is None:
            self._shown = followed_trace(self.network, self.trace, self.followed)
        return self._shown

    @property
    def shown_network(self) -> Network:
        """The network with the shown passes' weights, the ones :attr:`shown` was made with."""
        return followed_network(self.network, self.followed)

    @property
    def shown_pass(self) -> Pass:
        """The pass shown for the selected layer: the stepper walks time its way."""
        return shown_pass(self.network, self.layer, self.followed)

    @property
    def passes(self) -> tuple[Pass, ...]:
        """The passes the selected layer runs (two when it is bidirectional)."""
        return layer_passes(self.network, self.layer)

    @property
    def at_start(self) -> bool:
        return self.t == first_step(self.num_steps, self.shown_pass) and self.phase == 0

    @property
    def at_end(self) -> bool:
        last_t = self.num_steps - 1 - first_step(self.num_steps, self.shown_pass)
        return self.t == last_t and self.phase == len(self.phases) - 1

    def follow(self, followed: Pass) -> None:
        """Follow the forward or the reverse pass of bidirectional layers; the cursor
        keeps its step. ValueError for another name."""
        if followed not in ("forward", "reverse"):
            raise ValueError(f"the passes are 'forward' and 'reverse', not {followed!r}")
        if followed != self.followed:
            self.followed = followed
            self.pass_changed.emit(followed)

    def _forget_shown(self, *_: object) -> None:
        self._shown = None

    # -- replacing what is simulated -----------------------------------------------------
    def load(
        self,
        network: Network,
        inputs: np.ndarray | Sequence[str],
        title: str = "",
        *,
        h0: np.ndarray | None = None,
        c0: np.ndarray | None = None,
    ) -> None:
        """Simulate a new network on new inputs (from h0/c0, zeros by default); drops the
        clamps. Records first, so a bad pair (or a kind the window does not draw)
        raises ValueError and leaves the session as it was."""
        check_drawable(network)
        trace = record_passes(network, inputs, h0, c0)
        self.network, self.trace, self.title = network, trace, title
        self.clamps, self.original = (), None
        self.generation += 1
        self.t, self.phase, self.layer = 0, 0, 0
        self.unit = 0
        self.followed = layer_passes(network, 0)[0]
        self.t = first_step(self.num_steps, self.shown_pass)
        self._undo.clear()
        self._redo.clear()
        self.network_changed.emit()
        self.history_changed.emit()

    def set_inputs(self, inputs: np.ndarray | Sequence[str]) -> None:
        """Replace the whole input sequence (its length may change); keeps h0 and c0."""
        h0 = self.trace.h_all[:, 0].copy()
        c0 = None if self.trace.c_all is None else self.trace.c_all[:, 0].copy()
        # The clamps stay: they act on the new sequence where their steps exist.
        self._record_with_clamps(record_passes(self.network, inputs, h0, c0))
        self.t = min(self.t, self.num_steps - 1)
        self._undo.clear()
        self._redo.clear()
        self.network_changed.emit()
        self.history_changed.emit()

    def sequence(self) -> np.ndarray | tuple[str, ...]:
        """The input sequence as :meth:`load` takes it, a copy: the tokens, the token ids
        of a model that reads ids without a vocabulary, or x (T, D); as clamps found it
        (they never change the inputs)."""
        trace = self.trace
        if trace.tokens is not None:
            return trace.tokens
        return (trace.token_ids if trace.token_ids is not None else trace.x).copy()

    def initial_state(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Copies of (h0, c0), each (L, H); c0 is None for a simple RNN (clamps act on
        h_t and c_t from step 0 on, never on the initial state)."""
        trace = self.trace
        c_all = trace.c_all
        return trace.h_all[:, 0].copy(), None if c_all is None else c_all[:, 0].copy()

    def replace_sequence(
        self,
        inputs: np.ndarray | Sequence[str],
        h0: np.ndarray | None = None,
        c0: np.ndarray | None = None,
        *,
        start: int = 0,
    ) -> None:
        """Run a new input sequence (its length may change) as one undoable edit; h0 and
        c0 default to the current ones. ``start`` is the first step that changed: the
        cursor goes there. A sequence the network cannot take raises ValueError and
        changes nothing."""
        old_h0, old_c0 = self.initial_state()
        new = SequenceValue(
            tuple(inputs) if as_tokens(inputs) is not None else np.array(inputs),
            old_h0 if h0 is None else np.array(h0),
            old_c0 if c0 is None else np.array(c0),
        )
        record_passes(self.network, new.inputs, new.h0, new.c0)  # raises before anything changes
        old = SequenceValue(self.sequence(), old_h0, old_c0)
        self._apply(Edit("sequence", (start,), old, new))

    def insert_step(self, t: int) -> None:
        """A new step at ``t`` (``num_steps``: after the last), a copy of the input it
        displaces (or of the last one); undoable."""
        if not 0 <= t <= self.num_steps:
            raise ValueError(f"step {t} is outside 0..{self.num_steps}")
        steps = list(self.sequence())
        steps.insert(t, steps[min(t, len(steps) - 1)])
        inputs = np.array(steps) if self.trace.tokens is None else steps
        self.replace_sequence(inputs, start=t)

    def remove_step(self, t: int) -> None:
        """Drop step ``t``; the last step stays (a sequence has at least one). Undoable."""
        if self.num_steps == 1:
            raise ValueError("the sequence has one step left; a sequence needs at least one")
        if not 0 <= t < self.num_steps:
            raise ValueError(f"step {t} is outside 0..{self.num_steps - 1}")
        steps = list(self.sequence())
        del steps[t]
        inputs = np.array(steps) if self.trace.tokens is None else steps
        self.replace_sequence(inputs, start=min(t, len(steps) - 1))

    # -- cursor --------------------------------------------------------------------------
    def seek(self, t: int, phase: int | None = None) -> None:
        """Move the cursor; ``phase`` defaults to the last, showing the whole step."""
        last = len(self.phases) - 1
        t = int(np.clip(t, 0, self.num_steps - 1))
        phase = last if phase is None else int(np.clip(phase, 0, last))
        if (t, phase) != (self.t, self.phase):
            self.t, self.phase = t, phase
            self.cursor_changed.emit(t, phase)

    def next_phase(self) -> bool:
        """Advance one phase, into the next step after the last; False at the end."""
        if self.at_end:
            return False
        if self.phase < len(self.phases) - 1:
            self.seek(self.t, self.phase + 1)
        else:
            self.seek(later_step(self.t, self.shown_pass), 0)
        return True

    def prev_phase(self) -> bool:
        if self.at_start:
            return False
        if self.phase > 0:
            self.seek(self.t, self.phase - 1)
        else:
            self.seek(self.t - self._step_sign, len(self.phases) - 1)
        return True

    @property
    def _step_sign(self) -> int:
        """+1 when the shown pass walks time forward, -1 when it walks it backwards."""
        return later_step(0, self.shown_pass)

    def next_step(self) -> bool:
        """Same phase of the step the shown pass computes next; False at its last step."""
        t = later_step(self.t, self.shown_pass)
        if not 0 <= t < self.num_steps:
            return False
        self.seek(t, self.phase)
        return True

    def prev_step(self) -> bool:
        t = self.t - self._step_sign
        if not 0 <= t < self.num_steps:
            return False
        self.seek(t, self.phase)
        return True

    def first(self) -> None:
        """The first phase of the step the shown pass starts at."""
        self.seek(first_step(self.num_steps, self.shown_pass), 0)

    def last(self) -> None:
        """The whole of the step the shown pass ends at."""
        self.seek(self.num_steps - 1 - first_step(self.num_steps, self.shown_pass))

    def select_layer(self, layer: int) -> None:
        if not 0 <= layer < self.network.num_layers:
            raise ValueError(f"layer {layer} is out of range for {self.network.num_layers}")
        if layer != self.layer:
            self.layer = layer
            self.layer_changed.emit(layer)

    def select_unit(self, unit: int) -> None:
        if not -1 <= unit < self.network.hidden_size:
            raise ValueError(f"unit {unit} is out of range for H={self.network.hidden_size}")
        if unit != self.unit:
            self.unit = unit
            self.unit_changed.emit(unit)

    # -- edits ---------------------------------------------------------------------------
    def set_input(self, t: int, feature: int, value: float) -> None:
        """Set x_t[feature] of a numeric input sequence."""
        if self.trace.tokens is not None:
            raise ValueError("this sequence is made of tokens; use set_token")
        self._apply(Edit("x", (t, feature), float(self.trace.x[t, feature]), float(value)))

    def set_token(self, t: int, token: str) -> None:
        """Replace the token at step t (it must be in the vocabulary)."""
        if self.trace.tokens is None or self.network.vocab is None:
            raise ValueError("this sequence is numeric; use set_input")
        self.network.vocab.indices([token])  # raises ValueError naming an unknown token
        self._apply(Edit("token", (t,), self.trace.tokens[t], token))

    def set_initial(self, which: str, layer: int, unit: int, value: float) -> None:
        """Set h0 or c0 of one unit of one layer."""
        arrays = {"h0": self.trace.h_all, "c0": self.trace.c_all}
        if which not in arrays or arrays[which] is None:
            raise ValueError(f"no initial state {which!r} in a {self.network.kind} network")
        old = float(arrays[which][layer, 0, unit])  # type: ignore[index]
        self._apply(Edit(which, (layer, unit), old, float(value)))

    def set_parameter(self, name: str, index: tuple[int, ...], value: float) -> None:
        """Set one element of a parameter, by its PyTorch name (e.g. 'weight_hh_l0')."""
        params = self.network.state_dict()
        if name not in params:
            raise ValueError(f"no parameter {name!r}; the network has {', '.join(params)}")
        array = params[name]
        in_range = all(0 <= k < n for k, n in zip(index, array.shape, strict=False))
        if len(index) != array.ndim or not in_range:
            raise ValueError(f"index {index} is out of range for {name} of shape {array.shape}")
        self._apply(Edit(name, tuple(int(k) for k in index), float(array[index]), float(value)))

    def set_clamps(self, clamps: Sequence[Clamp]) -> None:
        """Make ``clamps`` the interventions acting on the run (an undoable edit); the
        trace is rerun from the first step where the old and new lists differ.
        ClampError (a ValueError) if one does not fit the network."""
        new = tuple(clamps)
        check_clamps(self.network, new)
        if new != self.clamps:
            self._apply(Edit("clamps", (), self.clamps, new))

    @property
    def history(self) -> tuple[tuple[Edit, ...], tuple[Edit, ...]]:
        """(undo, redo) stacks, oldest first: what a saved session keeps."""
        return tuple(self._undo), tuple(self._redo)

    def restore_history(self, undo: Sequence[Edit], redo: Sequence[Edit]) -> None:
        """Put back the stacks of a saved session whose state already holds every edit
        of ``undo`` and none of ``redo``."""
        self._undo, self._redo = list(undo), list(redo)
        self.history_changed.emit()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> None:
        if self._undo:
            edit = self._undo.pop()
            self._write(edit.target, edit.index, edit.old)
            self._redo.append(edit)
            self.history_changed.emit()

    def redo(self) -> None:
        if self._redo:
            edit = self._redo.pop()
            self._write(edit.target, edit.index, edit.new)
            self._undo.append(edit)
            self.history_changed.emit()

    def _apply(self, edit: Edit) -> None:
        self._write(edit.target, edit.index, edit.new)
        self._undo.append(edit)
        self._redo.clear()
        self.history_changed.emit()

    def _write(self, target: str, index: tuple[int, ...], value: Any) -> None:
        """Write one value and rerun from the earliest step it affects."""
        if target == "sequence":
            self._write_sequence(value, index[0])
            return
        trace = self.trace
        if target == "clamps":
            self._write_clamps(value)
            return
        if target == "token":
            assert self.network.vocab is not None and trace.tokens is not None
            (t,) = index
            tokens = list(trace.tokens)
            tokens[t] = value
            (token_id,) = self.network.vocab.indices([value])
            if self.network.embedding is not None:
                trace.x[t] = self.network.embedding[token_id]  # x_t is the token's row
            else:
                trace.x[t] = self.network.vocab.one_hot([value], dtype=trace.x.dtype)[0]
            if trace.token_ids is not None:
                trace.token_ids[t] = token_id
            trace.tokens = tuple(tokens)
            start = t
        elif target == "x":
            check_array("input value", np.asarray(value, dtype=float), ())
            trace.x[index] = value
            trace.token_ids = None  # x_t is no longer any token's row
            start = index[0]
        elif target in ("h0", "c0"):
            check_array(f"{target} value", np.asarray(value, dtype=float), ())
            h0 = trace.h_all[:, 0].copy()
            c0 = None if trace.c_all is None else trace.c_all[:, 0].copy()
            (h0 if target == "h0" else c0)[index] = value  # type: ignore[index]
            set_initial_state(trace, h0, c0)
            start = 0
        else:
            check_array(f"{target} value", np.asarray(value, dtype=float), ())
            self.network.state_dict()[target][index] = value
            start = 0
        if self.original is None:
            rerun_from(self.network, trace, start)
        else:
            rerun_with_clamps(self.network, trace, self.clamps, start)
            # The ghost sees the same inputs and initial state, without the clamps.
            self.original.rerun(self.network, start)
        if trace.directions:
            start = 0  # a reverse pass reads x_{T-1} first: an edit reaches all its steps
        self.trace_changed.emit(start)

    def _write_sequence(self, sequence: SequenceValue, start: int) -> None:
        """Record ``sequence`` whole: its length may differ, so every view rebuilds; the
        steps before ``start`` come out as they were (the run is deterministic). Clamps
        keep acting where their steps exist, as with :meth:`set_inputs`."""
        self._record_with_clamps(
            record_passes(self.network, sequence.inputs, sequence.h0, sequence.c0)
        )
        self.t = min(start, self.num_steps - 1)
        self.network_changed.emit()

    def _record_with_clamps(self, trace: Trace) -> None:
        """Make ``trace``, a new recording, the session's, with the clamps applied to it
        and the original kept from the first step they affect."""
        self.trace = trace
        if not self.clamps:
            return
        first = first_affected_step(self.clamps, trace.num_steps)
        self.original = OriginalRun(trace, first, lowest_layer(self.clamps))
        if first is not None:
            rerun_with_clamps(self.network, trace, self.clamps, first, lowest_layer(self.clamps))

    def _write_clamps(self, clamps: tuple[Clamp, ...]) -> None:
        """Act with ``clamps`` instead of the current ones, rerunning from the first step
        where the two lists act differently (a removed clamp's steps run free again)."""
        steps = self.num_steps
        changed = [c for c in clamps if c not in self.clamps]
        changed += [c for c in self.clamps if c not in clamps]
        start = first_affected_step(changed, steps)
        if not clamps:
            if self.original is not None:
                self.original.restore()
                self.original = None
            self.clamps = ()
            self.trace_changed.emit(0 if start is None else start)
            return
        # Kept from the first step the new clamps affect, before they run: the trace
        # still holds the original there.
        first = first_affected_step(clamps, steps)
        if self.original is None:
            self.original = OriginalRun(self.trace, first, lowest_layer(clamps))
        else:
            self.original.keep_from(first, lowest_layer(clamps))
        self.clamps = clamps
        if start is not None:
            rerun_with_clamps(self.network, self.trace, clamps, start, lowest_layer(changed))
        self.trace_changed.emit(0 if start is None else start)
