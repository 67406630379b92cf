"""Training a network on text or on numeric sequences, as a generator a worker thread runs.

The trainer works on a float32 copy of the parameters: the caller's network is untouched
until it takes :meth:`Trainer.result`. Every random choice comes from the
``numpy.random.Generator`` passed in, so the same seed gives the same weights whatever
the machine's speed (progress reports depend on the clock; the arithmetic never does).

Text is trained with truncated backpropagation through time: the token stream is cut
into B parallel streams, each step reads the next ``seq_len`` tokens of every stream,
and the state at the end of a chunk is the initial state of the next (no gradient
crosses the boundary). Numeric or token sequences start each sequence from a zero state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from lstm_sim.engine.backprop import BackwardBuffers, LossKind, backward
from lstm_sim.engine.batch import ForwardCache, forward
from lstm_sim.engine.loops import Loops, compiled_if_available
from lstm_sim.engine.network import Kind, Network
from lstm_sim.engine.optim import Adam, clip_grad_norm
from lstm_sim.engine.vocab import Tokenizer, Vocabulary


@dataclass(frozen=True)
class TextData:
    """One long text as token ids (N,) in ``vocab``; trained to predict the next token."""

    vocab: Vocabulary
    ids: np.ndarray

    @classmethod
    def from_text(cls, text: str, tokenizer: Tokenizer = "char") -> TextData:
        """Tokenise ``text`` and build the vocabulary of its tokens, in sorted order."""
        # A throwaway vocabulary cuts the text exactly as the final one will.
        tokens = Vocabulary(("?",), tokenizer).tokenize(text)
        if len(tokens) < 2:
            raise ValueError(f"text has {len(tokens)} tokens; training needs at least 2")
        vocab = Vocabulary(tuple(sorted(set(tokens))), tokenizer)
        return cls(vocab, vocab.indices(tokens))

    @property
    def loss(self) -> LossKind:
        return "xent"


def _check_finite(name: str, values: np.ndarray) -> None:
    """ValueError naming the first NaN or infinity of training data: it would turn every
    loss after it into NaN and the weights with it."""
    if values.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(values)
    if bad.any():
        index = tuple(int(k) for k in np.unravel_index(int(np.argmax(bad)), values.shape))
        raise ValueError(
            f"{name} of shape {values.shape} hold {int(bad.sum())} NaN or infinite "
            f"value(s), the first {values[index]} at (sequence, step, ...) = {index}; "
            "training needs finite numbers"
        )


class NonFiniteLoss(ValueError):
    """Training met a loss or gradient that is NaN or infinite and stopped there, before
    the optimiser used it."""


@dataclass(frozen=True)
class SequenceData:
    """N sequences of T steps, each trained from a zero initial state.

    inputs: (N, T) token ids of ``vocab``, or (N, T, D) values. targets: (N, T) token ids
    (-1 where a step has no target) for cross-entropy, or (N, T, K) values for MSE.
    """

    inputs: np.ndarray
    targets: np.ndarray
    vocab: Vocabulary | None = None

    def __post_init__(self) -> None:
        x, y = self.inputs, self.targets
        if x.ndim not in (2, 3) or x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"inputs have shape {x.shape}, expected (N, T) ids or (N, T, D)")
        if y.shape[:2] != x.shape[:2] or y.ndim not in (2, 3):
            raise ValueError(
                f"targets have shape {y.shape}, expected (N, T) ids or (N, T, K) with "
                f"(N, T) = {x.shape[:2]} as the inputs"
            )
        for name, values in (("inputs", x), ("targets", y)):
            _check_finite(name, values)
        if x.ndim == 2 and not np.issubdtype(x.dtype, np.integer):
            raise ValueError(f"inputs of shape {x.shape} must be integer token ids")
        if x.ndim == 2 and self.vocab is not None and (x.min() < 0 or x.max() >= len(self.vocab)):
            raise ValueError(
                f"inputs of shape {x.shape} hold ids {x.min()}..{x.max()}, expected "
                f"0..{len(self.vocab) - 1}"
            )

    @property
    def loss(self) -> LossKind:
        return "xent" if self.targets.ndim == 2 else "mse"

    @property
    def input_size(self) -> int:
        if self.inputs.ndim == 3:
            return int(self.inputs.shape[2])
        return len(self.vocab) if self.vocab is not None else int(self.inputs.max()) + 1

    @property
    def output_size(self) -> int:
        if self.targets.ndim == 3:
            return int(self.targets.shape[2])
        return max(self.input_size, int(self.targets.max()) + 1)


Data = TextData | SequenceData
State = tuple[np.ndarray | None, np.ndarray | None]
"""h and c (L, B, H) at the end of a chunk; None for a zero state."""


@dataclass(frozen=True)
class TrainConfig:
    """steps: optimiser updates; seq_len: steps of BPTT per update; batch_size: sequences
    per update; clip: the global gradient norm is scaled down to at most this;
    activity_l1: weight of Σ_j |h_j| of the top layer added to each target's loss (0: none)."""

    steps: int
    seq_len: int = 64
    batch_size: int = 32
    lr: float = 2e-3
    clip: float = 5.0
    activity_l1: float = 0.0
    report_every: float = 0.25  # seconds between progress reports

    def __post_init__(self) -> None:
        for name in ("steps", "seq_len", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.lr > 0 or not self.clip > 0:
            raise ValueError(f"lr and clip must be positive, got {self.lr} and {self.clip}")
        if not self.activity_l1 >= 0:
            raise ValueError(f"activity_l1 must be at least 0, got {self.activity_l1}")


@dataclass(frozen=True)
class Progress:
    """A report: ``loss`` is the mean loss per target since the previous report,
    ``grad_norm`` the last update's gradient norm before clipping, ``tokens_per_second``
    the rate since the previous report, ``elapsed`` seconds since training began."""

    step: int
    steps: int
    loss: float
    grad_norm: float
    tokens_per_second: float
    elapsed: float
    done: bool = False
    stopped: bool = False


def new_network(
    data: Data, kind: Kind, hidden_size: int, num_layers: int, rng: np.random.Generator
) -> Network:
    """A freshly initialised network shaped for ``data``: a softmax readout over the
    vocabulary for tokens, a linear readout for values."""
    if isinstance(data, TextData):
        size = len(data.vocab)
        return Network.random(
            kind,
            size,
            hidden_size,
            rng,
            num_layers=num_layers,
            output_size=size,
            vocab=data.vocab,
            dtype=np.float32,
        )
    return Network.random(
        kind,
        data.input_size,
        hidden_size,
        rng,
        num_layers=num_layers,
        output_size=data.output_size,
        readout_kind="softmax" if data.loss == "xent" else "linear",
        vocab=data.vocab if data.inputs.ndim == 2 else None,
        dtype=np.float32,
    )


STRUCTURAL_METADATA = (
    "scenario",
    "module",
    "readout_module",
    "nonlinearity",
    "nodes",
    "predicts",
)
"""Metadata keys that say where a model's layers came from or what data it trains on;
every other key (a description, the units it names, measured claims, how it was trained)
describes particular weights."""


def retrained_metadata(
    metadata: dict[str, str], title: str, steps: int, loss: float | None, from_scratch: bool
) -> dict[str, str]:
    """The metadata of a model trained in the window from one titled ``title`` with
    ``metadata`` (``loss``: the last one reported, None before any report): the
    structural keys stay, the claims about the old weights go (they may no longer hold),
    and the description says what happened."""
    kept = {key: metadata[key] for key in STRUCTURAL_METADATA if key in metadata}
    origin = f"a new model shaped for the data of {title}" if from_scratch else title
    ending = "" if loss is None else f", ending at a loss of {loss:.4f}"
    kept["description"] = (
        f"Trained in the Training panel: {steps:,} updates from {origin}{ending}. What "
        "the original model's guide said about particular units or accuracies may no "
        "longer hold for these weights: select a unit and step through to see what it "
        "does now."
    )
    kept["trained_with"] = f"lstm-sim Training panel, {steps} updates{ending}"
    return kept


@dataclass
class _Chunk:
    inputs: np.ndarray  # (T, B) ids or (T, B, D)
    targets: np.ndarray  # (T, B) ids or (T, B, K)
    carry: bool  # start from the state the previous chunk ended in
    origin: str  # which part of the data, for a message about this batch


class _TextBatches:
    """Consecutive chunks of B parallel streams over the text, wrapping at its end."""

    def __init__(self, data: TextData, seq_len: int, batch: int, rng: np.random.Generator):
        self.ids, self.rng = data.ids, rng
        self.batch = min(batch, len(data.ids) - 1)
        self.stream = (len(data.ids) - 1) // self.batch
        self.seq_len = min(seq_len, self.stream)
        self.pos = self.stream  # forces a fresh epoch on the first chunk

    def next(self) -> _Chunk:
        carry = True
        if self.pos + self.seq_len > self.stream:
            # A new pass starts at a random offset, so chunk boundaries move between passes.
            self.pos = int(self.rng.integers(0, self.stream - self.seq_len + 1))
            carry = False
        starts = np.arange(self.batch) * self.stream + self.pos
        index = starts[None, :] + np.arange(self.seq_len)[:, None]  # (T, B)
        origin = (
            f"tokens {self.pos}..{self.pos + self.seq_len - 1} of each of {self.batch} "
            f"streams of {self.stream} tokens"
        )
        self.pos += self.seq_len
        return _Chunk(self.ids[index], self.ids[index + 1], carry, origin)


class _SequenceBatches:
    """Minibatches of whole sequences in a shuffled order, each cut into chunks."""

    def __init__(self, data: SequenceData, seq_len: int, batch: int, rng: np.random.Generator):
        self.data, self.rng = data, rng
        self.batch = min(batch, data.inputs.shape[0])
        self.seq_len = seq_len
        self.order = np.empty(0, np.intp)
        self.rows = np.empty(0, np.intp)
        self.pos = data.inputs.shape[1]

    def next(self) -> _Chunk:
        length = self.data.inputs.shape[1]
        carry = True
        if self.pos >= length:
            if self.order.size < self.batch:
                self.order = self.rng.permutation(self.data.inputs.shape[0])
            self.rows, self.order = self.order[: self.batch], self.order[self.batch :]
            self.pos, carry = 0, False
        span = slice(self.pos, min(self.pos + self.seq_len, length))
        self.pos = span.stop
        # (B, T, ...) → (T, B, ...): time first, as the engine runs it
        inputs = np.swapaxes(self.data.inputs[self.rows, span], 0, 1)
        targets = np.swapaxes(self.data.targets[self.rows, span], 0, 1)
        rows = ", ".join(str(row) for row in self.rows[:8]) + (", ..." if self.batch > 8 else "")
        origin = f"sequences {rows}, steps {span.start}..{span.stop - 1}"
        return _Chunk(inputs, targets, carry, origin)


class Trainer:
    """Adam on minibatches with gradient clipping; iterate :meth:`run` for progress.

    The loops over time run compiled when numba is installed (``lstm-sim[fast]``; the
    first run on a machine compiles them, a few seconds) unless ``compiled`` is False or
    the network is a GRU (whose loops are NumPy's only);
    ``loops_name`` names what runs them. numba is imported by the first update (or by
    asking for ``loops_name``), so a trainer built on the GUI thread does not wait for it.
    """

    def __init__(
        self,
        network: Network,
        data: Data,
        config: TrainConfig,
        rng: np.random.Generator,
        compiled: bool = True,
    ) -> None:
        if data.loss == "xent" and network.output_size is None:
            raise ValueError("training on token targets needs a network with a readout")
        tokens = isinstance(data, TextData) or data.inputs.ndim == 2
        input_size = len(data.vocab) if isinstance(data, TextData) else data.input_size
        if tokens and network.input_size < input_size:
            raise ValueError(
                f"the data has {input_size} tokens but weight_ih_l0 has shape "
                f"{network.layers[0].weight_ih.shape}"
            )
        self.config, self.data = config, data
        self._dtype = network.dtype
        self._network = network.astype(np.float32)  # a copy, trained in float32
        self._batches = (
            _TextBatches(data, config.seq_len, config.batch_size, rng)
            if isinstance(data, TextData)
            else _SequenceBatches(data, config.seq_len, config.batch_size, rng)
        )
        self._optimizer = Adam(self._network.state_dict(), lr=config.lr)
        self._caches: dict[tuple[int, int], tuple[ForwardCache, BackwardBuffers]] = {}
        self._compiled = compiled
        self._stop = threading.Event()
        self.step = 0

    @cached_property
    def _loops(self) -> Loops | None:
        # The compiled loops run LSTM and simple RNN layers; a GRU's run in NumPy.
        compiled = self._compiled and self._network.kind != "gru"
        return compiled_if_available() if compiled else None

    @property
    def loops_name(self) -> str:
        """What runs the loops over time: "NumPy", or numba and its version."""
        return "NumPy" if self._loops is None else self._loops.name

    def stop(self) -> None:
        """Ask :meth:`run` to finish after the update in progress; safe from any thread."""
        self._stop.set()

    def result(self) -> Network:
        """A copy of the trained network, in the dtype the caller's network had."""
        return self._network.astype(self._dtype)

    def _buffers(
        self, steps: int, batch: int, tokens: bool
    ) -> tuple[ForwardCache, BackwardBuffers]:
        key = (steps, batch)
        if key not in self._caches:
            self._caches[key] = (
                ForwardCache.allocate(self._network, steps, batch, token_ids=tokens),
                BackwardBuffers(self._network, steps, batch),
            )
        return self._caches[key]

    def _diverged(self, finding: str, chunk: _Chunk) -> NonFiniteLoss:
        return NonFiniteLoss(
            f"training stopped at update {self.step + 1} of {self.config.steps}: {finding} "
            f"on its batch ({chunk.origin})"
        )

    def train_step(self, chunk: _Chunk, state: State) -> tuple[float, int, float, State]:
        """One update on ``chunk``; returns (loss sum, targets counted, gradient norm, the
        state at the chunk's end)."""
        steps, batch = chunk.targets.shape[:2]
        tokens = chunk.inputs.ndim == 2
        cache, buffers = self._buffers(steps, batch, tokens)
        cache.inputs[...] = chunk.inputs
        h0, c0 = state if chunk.carry else (None, None)
        # Overflow is reported below as a non-finite loss that names this batch, not as
        # NumPy's warnings, which name no update.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            forward(self._network, cache, h0, c0, self._loops)
            counted = int(np.count_nonzero(chunk.targets >= 0)) if tokens else steps * batch
            loss = self.data.loss
            grads = backward(
                self._network,
                cache,
                chunk.targets,
                loss,
                buffers,
                scale=1.0 / max(counted, 1),
                activity_l1=self.config.activity_l1,
                loops=self._loops,
            )
            if not np.isfinite(grads.loss):
                raise self._diverged(f"the loss is {grads.loss}", chunk)
            norm = clip_grad_norm(grads.params, self.config.clip)
            if not np.isfinite(norm):
                raise self._diverged(f"the gradient norm is {norm}", chunk)
        self._optimizer.step(grads.params)
        end_state = (
            cache.h_all[:, -1].copy(),
            None if cache.c_all is None else cache.c_all[:, -1].copy(),
        )
        return grads.loss * counted, counted, norm, end_state

    def run(self) -> Iterator[Progress]:
        """Train, yielding a :class:`Progress` every ``report_every`` seconds, after the
        first update and at the end (``done``; ``stopped`` too when :meth:`stop` ended it).
        Closing the generator also stops cleanly, between two updates."""
        config = self.config
        start = last_report = time.perf_counter()
        loss_sum, counted, tokens, norm = 0.0, 0, 0, 0.0
        last_loss = float("nan")
        state: State = (None, None)
        while self.step < config.steps and not self._stop.is_set():
            chunk = self._batches.next()
            step_loss, step_count, norm, state = self.train_step(chunk, state)
            self.step += 1
            loss_sum += step_loss
            counted += step_count
            tokens += chunk.targets.shape[0] * chunk.targets.shape[1]
            now = time.perf_counter()
            if self.step == 1 or now - last_report >= config.report_every:
                last_loss = loss_sum / max(counted, 1)
                rate = tokens / max(now - last_report, 1e-9)
                yield Progress(self.step, config.steps, last_loss, norm, rate, now - start)
                last_report, loss_sum, counted, tokens = now, 0.0, 0, 0
        now = time.perf_counter()
        if counted:
            last_loss = loss_sum / counted
        rate = tokens / max(now - last_report, 1e-9) if tokens else 0.0
        yield Progress(
            self.step,
            config.steps,
            last_loss,
            norm,
            rate,
            now - start,
            done=True,
            stopped=self._stop.is_set(),
        )
