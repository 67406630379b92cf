"""The parameters of a recurrent network: stacked LSTM, GRU or tanh-RNN layers, with an
optional input encoder in front (a one-hot vocabulary, an embedding table, or both) and an
optional readout behind (one Linear, or an exact MLP head ending in one).

Names and layouts follow PyTorch: an LSTM layer holds ``weight_ih`` (4H, D),
``weight_hh`` (4H, H), ``bias_ih`` and ``bias_hh`` (4H,), gate blocks in the order
i, f, g, o; a GRU layer holds 3H rows, blocks r, z, n, with ``bias_hh``'s n block kept
apart (it sits inside the reset product, so it does not add to ``bias_ih``'s); a simple
RNN layer holds the same with H rows.

A layer may also carry what the other frameworks store (every default is PyTorch's plain
cell, so a network built without them is exactly the network it always was):

- ``direction``: ``"forward"`` reads x_0 first; ``"reverse"`` runs the layer's own weights
  from x_{T-1} down to x_0 and hands on its h in time order (ONNX ``direction="reverse"``);
  ``"bidirectional"`` runs both, the reverse pass with the weights in ``Layer.reverse``, and
  hands on [forward h_t, reverse h after reading x_t], 2P wide (PyTorch
  ``bidirectional=True``, Keras ``Bidirectional`` with ``merge_mode="concat"``, ONNX
  ``direction="bidirectional"``). :mod:`lstm_sim.engine.bidirectional` has the kernels.
- LSTM only: ``weight_hr`` (P, H), PyTorch's ``proj_size``: h_t = W_hr (o_t ⊙ tanh c_t)
  is P wide and ``weight_hh`` is (4H, P); every layer of a network has the same P, or none
  has a projection. ``peephole`` (3H,), blocks p_i, p_f, p_o (ONNX ``P``, reordered);
  ``coupling`` of the input and forget gates (ONNX ``input_forget``).
- LSTM and GRU: ``clip`` (ONNX's bound on every gate's pre-activation), ``gate_activation``
  (σ: i, f, o or r, z), ``candidate_activation`` (tanh: g or n) and, for an LSTM,
  ``cell_activation`` (tanh: the tanh(c_t) in h_t). A simple RNN's function is the
  network's ``nonlinearity``; its layers keep these defaults.

:mod:`lstm_sim.engine.lstm_variants` states the equations of each option. ``state_dict``
names follow PyTorch: ``weight_hr_l{k}``, and the reverse pass's arrays with the suffix
``_reverse`` (``weight_ih_l0_reverse``); PyTorch has no peepholes, so they are
``peephole_l{k}`` (and ``peephole_l{k}_reverse``).

``Network.mask_value`` is Keras's ``Masking(mask_value)``: a step whose input features all
equal it is skipped by every layer (h and c carried through, see
:mod:`lstm_sim.engine.sequence_mask`).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from lstm_sim.engine.activations import SIGMOID, TANH
from lstm_sim.engine.activations import Activation as CellActivation
from lstm_sim.engine.gates import GATES as GATES  # its home is gates.py; re-exported here
from lstm_sim.engine.head import Activation, HeadStage, output_features, stage_arrays
from lstm_sim.engine.vocab import Vocabulary

if TYPE_CHECKING:  # the variants' kernels load with the first network that has them
    from lstm_sim.engine.lstm_variants import Coupling

Kind = Literal["lstm", "rnn", "gru"]
ReadoutKind = Literal["softmax", "linear"]
Direction = Literal["forward", "reverse", "bidirectional"]
DIRECTIONS: tuple[Direction, ...] = ("forward", "reverse", "bidirectional")
COUPLINGS: tuple[Coupling, ...] = ("none", "input_from_forget", "forget_from_input")
REVERSE_SUFFIX = "_reverse"


FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes a network computes in; a trace has the dtype of ``weight_ih_l0``."""


def check_array(name: str, array: np.ndarray, shape: tuple[int, ...]) -> None:
    """Raise ValueError unless ``array`` has ``shape`` and only finite values."""
    if array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {shape}")
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} of shape {array.shape} holds {bad} NaN or infinite values")


def gate_rows(kind: Kind) -> int:
    """How many blocks of H rows a layer's weight matrices have."""
    return _GATE_ROWS[kind]


_GATE_ROWS: dict[str, int] = {"lstm": 4, "gru": 3, "rnn": 1}


def named_arrays(
    weight_ih: np.ndarray,
    weight_hh: np.ndarray,
    bias_ih: np.ndarray,
    bias_hh: np.ndarray,
    weight_hr: np.ndarray | None,
    peephole: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """A layer's arrays by PyTorch name, the optional two only when the layer has them
    (``peephole`` is lstm-sim's name: PyTorch has no peepholes)."""
    arrays = {
        "weight_ih": weight_ih,
        "weight_hh": weight_hh,
        "bias_ih": bias_ih,
        "bias_hh": bias_hh,
    }
    if weight_hr is not None:
        arrays["weight_hr"] = weight_hr
    if peephole is not None:
        arrays["peephole"] = peephole
    return arrays


@dataclass
class DirectionWeights:
    """The reverse pass's own arrays in a bidirectional layer, shaped as the layer's."""

    weight_ih: np.ndarray  # (G*H, D)
    weight_hh: np.ndarray  # (G*H, P)
    bias_ih: np.ndarray  # (G*H,)
    bias_hh: np.ndarray  # (G*H,)
    weight_hr: np.ndarray | None = None  # (P, H) with a projection
    peephole: np.ndarray | None = None  # (3H,) p_i, p_f, p_o

    def named(self) -> dict[str, np.ndarray]:
        """The arrays by their name without ``_l{k}`` (``peephole`` is not PyTorch's)."""
        return named_arrays(
            self.weight_ih,
            self.weight_hh,
            self.bias_ih,
            self.bias_hh,
            self.weight_hr,
            self.peephole,
        )


@dataclass
class Layer:
    """One recurrent layer, in PyTorch's layout, with the options of the module docstring.

    The four arrays (and ``weight_hr``, ``peephole``) are the forward pass's, or the only
    pass's when ``direction`` is ``"reverse"``; ``reverse`` holds the second pass's arrays
    when, and only when, ``direction`` is ``"bidirectional"``. The options apply to both
    passes.
    """

    weight_ih: np.ndarray  # (G*H, D)
    weight_hh: np.ndarray  # (G*H, P), P = H without a projection
    bias_ih: np.ndarray  # (G*H,)
    bias_hh: np.ndarray  # (G*H,)
    _: KW_ONLY
    weight_hr: np.ndarray | None = None  # (P, H), LSTM proj_size
    peephole: np.ndarray | None = None  # (3H,), LSTM p_i, p_f, p_o
    direction: Direction = "forward"
    reverse: DirectionWeights | None = None
    coupling: Coupling = "none"
    clip: float | None = None
    gate_activation: CellActivation = SIGMOID
    candidate_activation: CellActivation = TANH
    cell_activation: CellActivation = TANH

    @property
    def input_size(self) -> int:
        return int(self.weight_ih.shape[1])

    @property
    def directions(self) -> int:
        """How many passes the layer runs (2 when bidirectional)."""
        return 2 if self.direction == "bidirectional" else 1

    def weights(self) -> DirectionWeights:
        """The layer's own arrays: its forward pass's, or its only pass's when reverse."""
        return DirectionWeights(
            self.weight_ih,
            self.weight_hh,
            self.bias_ih,
            self.bias_hh,
            self.weight_hr,
            self.peephole,
        )

    def with_weights(self, own: DirectionWeights, reverse: DirectionWeights | None) -> Layer:
        """A layer with these options and new arrays (``reverse`` for a bidirectional one)."""
        return replace(
            self,
            weight_ih=own.weight_ih,
            weight_hh=own.weight_hh,
            bias_ih=own.bias_ih,
            bias_hh=own.bias_hh,
            weight_hr=own.weight_hr,
            peephole=own.peephole,
            reverse=reverse,
        )

    def named(self) -> dict[str, np.ndarray]:
        """Every array by its name without ``_l{k}``, the reverse pass's with ``_reverse``."""
        arrays = self.weights().named()
        if self.reverse is not None:
            for name, array in self.reverse.named().items():
                arrays[name + REVERSE_SUFFIX] = array
        return arrays

    def variants(self) -> tuple[str, ...]:
        """What the layer does beyond PyTorch's plain forward cell, one short phrase each
        (empty for a plain layer)."""
        found = []
        if self.direction != "forward":
            found.append(f"{self.direction} direction")
        if self.weight_hr is not None:
            found.append(f"projection (proj_size={self.weight_hr.shape[0]})")
        if self.peephole is not None:
            found.append("peepholes")
        if self.coupling != "none":
            found.append(f"coupled gates ({self.coupling})")
        if self.clip is not None:
            found.append(f"clip {self.clip:g}")
        for role, activation, default in (
            ("gate", self.gate_activation, SIGMOID),
            ("candidate", self.candidate_activation, TANH),
            ("cell output", self.cell_activation, TANH),
        ):
            if activation != default:
                found.append(f"{role} activation {activation.name}")
        return tuple(found)


def _pass_from(
    weights: DirectionWeights, arrays: dict[str, np.ndarray], suffix: str
) -> DirectionWeights:
    """One pass's arrays from ``arrays`` by their state_dict names (``suffix`` is
    ``_l{k}`` or ``_l{k}_reverse``), with the optional arrays ``weights`` has."""
    return DirectionWeights(
        arrays["weight_ih" + suffix],
        arrays["weight_hh" + suffix],
        arrays["bias_ih" + suffix],
        arrays["bias_hh" + suffix],
        None if weights.weight_hr is None else arrays["weight_hr" + suffix],
        None if weights.peephole is None else arrays["peephole" + suffix],
    )


@dataclass
class Readout:
    """``logits = h_last @ weight.T + bias``; softmax makes them probabilities."""

    weight: np.ndarray  # (V, H)
    bias: np.ndarray  # (V,)
    kind: ReadoutKind = "softmax"


@dataclass
class Network:
    """A stack of recurrent layers, all of hidden size H.

    Layer 0 reads the input: D features, the one-hot of ``vocab``, or, with an
    ``embedding`` (V, D), row ``id`` of the table for token id ``id`` (then ``vocab``, when
    there is one, names the V rows). Layer l > 0 reads the h of layer l-1. The ``head``
    stages run between the last h and the readout.

    ``reset_after`` (a GRU's only): True for PyTorch's convention, where the reset gate
    scales W_hn h_{t-1} + b_hn; False resets h_{t-1} before the product (Keras
    ``reset_after=False``, ONNX ``linear_before_reset=0``).

    ``notes`` says, one line each, what the reader assumed or left out (an RNN's tanh a
    state_dict does not record, a head it could not read, a float16 upcast).
    ``param_names`` maps a name of :meth:`state_dict` to the parameter's name in the
    file it came from (``weight_ih_l0`` → ``encoder.lstm.weight_ih_l0``).
    """

    kind: Kind
    layers: list[Layer]
    vocab: Vocabulary | None = None
    readout: Readout | None = None
    nonlinearity: Literal["tanh", "relu"] = "tanh"
    source: str = "built in lstm-sim"
    metadata: dict[str, str] = field(default_factory=dict)
    embedding: np.ndarray | None = None  # (V, D)
    head: tuple[HeadStage, ...] = ()
    notes: tuple[str, ...] = ()
    param_names: dict[str, str] = field(default_factory=dict)
    reset_after: bool = True
    mask_value: float | None = None

    def __post_init__(self) -> None:
        self.validate()

    # -- sizes -------------------------------------------------------------------------
    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def hidden_size(self) -> int:
        """H, the size of every gate and of c (of h too without a projection)."""
        first = self.layers[0]
        return int((first.weight_hh if first.weight_hr is None else first.weight_hr).shape[1])

    @property
    def h_size(self) -> int:
        """P, the size of h: ``proj_size`` with a projection, else H."""
        return int(self.layers[0].weight_hh.shape[1])

    @property
    def proj_size(self) -> int:
        """PyTorch's ``proj_size``: P with a projection, 0 without."""
        return 0 if self.layers[0].weight_hr is None else self.h_size

    def layer_output_size(self, k: int) -> int:
        """What layer ``k`` hands on per step: P, or 2P when it is bidirectional."""
        return self.layers[k].directions * self.h_size

    @property
    def top_size(self) -> int:
        """What the head or readout reads per step: the last layer's output size."""
        return self.layer_output_size(self.num_layers - 1)

    @property
    def is_plain(self) -> bool:
        """True when no layer has an option beyond PyTorch's plain forward cell and no
        input mask is set: the network every part of lstm-sim runs."""
        return not self.variants()

    def refuse_variants(self, purpose: str) -> None:
        """Raise ValueError naming the first variant when the network has one: for the
        parts of lstm-sim (``purpose``) that run plain forward cells only."""
        if not self.is_plain:
            raise ValueError(f"{purpose} does not support this model yet: {self.variants()[0]}")

    def variants(self) -> tuple[str, ...]:
        """What the network does beyond plain forward cells, one phrase each, naming the
        layer (``"layer 0: bidirectional direction"``, ``"input mask value 0"``)."""
        found = [
            f"layer {k}: {phrase}"
            for k, layer in enumerate(self.layers)
            for phrase in layer.variants()
        ]
        if self.mask_value is not None:
            found.append(f"input mask value {self.mask_value:g}")
        return tuple(found)

    @property
    def input_size(self) -> int:
        return self.layers[0].input_size

    @property
    def output_size(self) -> int | None:
        return None if self.readout is None else int(self.readout.weight.shape[0])

    @property
    def num_tokens(self) -> int | None:
        """How many token ids the model reads (V), or None when it reads feature vectors."""
        if self.embedding is not None:
            return int(self.embedding.shape[0])
        return None if self.vocab is None else len(self.vocab)

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].weight_ih.dtype

    @property
    def num_parameters(self) -> int:
        return sum(int(a.size) for a in self.state_dict().values())

    # -- checks and conversions --------------------------------------------------------
    def validate(self) -> None:
        """Raise ValueError naming the first array whose shape or values are wrong."""
        if self.kind not in _GATE_ROWS:
            raise ValueError(f"kind must be 'lstm', 'gru' or 'rnn', got {self.kind!r}")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {self.nonlinearity!r}")
        if not self.layers:
            raise ValueError("a network needs at least one layer, got none")
        for name, array in self.state_dict().items():
            if not isinstance(array, np.ndarray) or array.dtype not in FLOAT_DTYPES:
                found = getattr(array, "dtype", type(array).__name__)
                raise ValueError(f"{name} holds {found}, expected a float32 or float64 array")
        first = self.layers[0].weight_hh
        if first.ndim != 2 or first.shape[1] == 0:
            raise ValueError(f"weight_hh_l0 has shape {first.shape}, expected (G*H, H) with H > 0")
        projection = self.layers[0].weight_hr
        if projection is not None and projection.ndim != 2:
            raise ValueError(f"weight_hr_l0 has shape {projection.shape}, expected (P, H)")
        hidden = self.hidden_size
        rows = gate_rows(self.kind) * hidden
        for k, layer in enumerate(self.layers):
            self._validate_options(k, layer)
            d = layer.weight_ih.shape[1] if layer.weight_ih.ndim == 2 else -1
            if k > 0:
                d = self.layer_output_size(k - 1)
            passes = [("", layer.weights())]
            if layer.reverse is not None:
                passes.append((REVERSE_SUFFIX, layer.reverse))
            for suffix, weights in passes:
                self._validate_pass(f"_l{k}{suffix}", weights, rows, d)
        if self.embedding is not None:
            v = self.embedding.shape[0] if self.embedding.ndim == 2 else -1
            if v == 0:
                raise ValueError("embedding.weight has shape (0, D), expected at least one row")
            check_array("embedding.weight", self.embedding, (v, self.input_size))
        if self.vocab is not None and self.embedding is not None:
            if len(self.vocab) != self.embedding.shape[0]:
                raise ValueError(
                    f"vocabulary has {len(self.vocab)} tokens but embedding.weight has shape "
                    f"{self.embedding.shape}, expected {len(self.vocab)} rows"
                )
        elif self.vocab is not None and len(self.vocab) != self.input_size:
            raise ValueError(
                f"vocabulary has {len(self.vocab)} tokens but weight_ih_l0 has shape "
                f"{self.layers[0].weight_ih.shape}, expected {len(self.vocab)} columns"
            )
        if self.head and self.readout is None:
            raise ValueError("a head's stages need a readout after them, found none")
        features = output_features(self.head, self.top_size)
        if self.readout is not None:
            v = self.readout.weight.shape[0] if self.readout.weight.ndim == 2 else -1
            if v == 0:
                raise ValueError("readout.weight has shape (0, H), expected at least one output")
            check_array("readout.weight", self.readout.weight, (v, features))
            check_array("readout.bias", self.readout.bias, (v,))
            if self.readout.kind not in ("softmax", "linear"):
                raise ValueError(
                    f"readout kind must be 'softmax' or 'linear', got {self.readout.kind!r}"
                )

    def _validate_options(self, k: int, layer: Layer) -> None:
        """Raise ValueError naming layer ``k``'s first option that its kind cannot take."""
        if layer.direction not in DIRECTIONS:
            raise ValueError(
                f"layer {k} direction must be one of {', '.join(DIRECTIONS)}, "
                f"got {layer.direction!r}"
            )
        if (layer.reverse is not None) != (layer.direction == "bidirectional"):
            raise ValueError(
                f"layer {k} is {layer.direction} but "
                f"{'has' if layer.reverse is not None else 'has no'} reverse weights"
            )
        if layer.coupling not in COUPLINGS:
            raise ValueError(f"layer {k} coupling must be one of {', '.join(COUPLINGS)}")
        if layer.clip is not None and not (np.isfinite(layer.clip) and layer.clip > 0):
            raise ValueError(f"layer {k} clip must be a positive number, got {layer.clip}")
        lstm_only = {
            "weight_hr": layer.weight_hr is not None,
            "peephole": layer.peephole is not None,
            "coupling": layer.coupling != "none",
            "cell_activation": layer.cell_activation != TANH,
        }
        not_rnn = {
            "clip": layer.clip is not None,
            "gate_activation": layer.gate_activation != SIGMOID,
            "candidate_activation": layer.candidate_activation != TANH,
        }
        refused = [n for n, used in lstm_only.items() if used and self.kind != "lstm"]
        refused += [n for n, used in not_rnn.items() if used and self.kind == "rnn"]
        if refused:
            raise ValueError(f"layer {k}: {self.kind.upper()} layers have no {refused[0]}")
        if (layer.weight_hr is None) != (self.layers[0].weight_hr is None):
            raise ValueError(f"layer {k}: either every layer has a projection or none has")
        if self.mask_value is not None and not np.isfinite(self.mask_value):
            raise ValueError(f"mask_value must be a finite number, got {self.mask_value}")

    def _validate_pass(self, suffix: str, weights: DirectionWeights, rows: int, d: int) -> None:
        """Check one pass's arrays: G*H rows, d inputs, P = ``self.h_size`` wide h."""
        hidden, width = self.hidden_size, self.h_size
        check_array(f"weight_ih{suffix}", weights.weight_ih, (rows, d))
        check_array(f"weight_hh{suffix}", weights.weight_hh, (rows, width))
        check_array(f"bias_ih{suffix}", weights.bias_ih, (rows,))
        check_array(f"bias_hh{suffix}", weights.bias_hh, (rows,))
        if weights.weight_hr is not None:
            check_array(f"weight_hr{suffix}", weights.weight_hr, (width, hidden))
            if width >= hidden:
                raise ValueError(
                    f"weight_hr{suffix} has shape {weights.weight_hr.shape}: proj_size must "
                    f"be below hidden_size {hidden}"
                )
        elif width != hidden:
            raise ValueError(
                f"weight_hh{suffix} has shape {weights.weight_hh.shape}, expected "
                f"({rows}, {hidden}) without a projection"
            )
        if weights.peephole is not None:
            check_array(f"peephole{suffix}", weights.peephole, (3 * hidden,))

    def astype(self, dtype: type | np.dtype) -> Network:
        """A copy whose arrays all have ``dtype`` (float32 or float64)."""
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        return self.from_arrays({k: v.astype(dtype) for k, v in self.state_dict().items()})

    def copy(self) -> Network:
        """A deep copy: editing its arrays leaves this network untouched."""
        return self.from_arrays({k: v.copy() for k, v in self.state_dict().items()})

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter under PyTorch's name (``readout.weight`` for the readout)."""
        out: dict[str, np.ndarray] = {}
        for k, layer in enumerate(self.layers):
            for name, array in layer.named().items():
                base, reverse, _ = name.partition(REVERSE_SUFFIX)
                out[f"{base}_l{k}{reverse}"] = array
        if self.embedding is not None:
            out["embedding.weight"] = self.embedding
        for k, stage in enumerate(self.head):
            for part, array in zip(("weight", "bias"), stage_arrays(stage), strict=False):
                out[f"head.{k}.{part}"] = array
        if self.readout is not None:
            out["readout.weight"] = self.readout.weight
            out["readout.bias"] = self.readout.bias
        return out

    def from_arrays(self, arrays: dict[str, np.ndarray]) -> Network:
        """A network like this one (kind, vocabulary, readout kind) with new arrays."""
        layers = [
            layer.with_weights(
                _pass_from(layer.weights(), arrays, f"_l{k}"),
                None
                if layer.reverse is None
                else _pass_from(layer.reverse, arrays, f"_l{k}{REVERSE_SUFFIX}"),
            )
            for k, layer in enumerate(self.layers)
        ]
        readout = None
        if self.readout is not None:
            readout = Readout(arrays["readout.weight"], arrays["readout.bias"], self.readout.kind)
        head = tuple(
            stage
            if isinstance(stage, Activation)
            else replace(stage, weight=arrays[f"head.{k}.weight"], bias=arrays[f"head.{k}.bias"])
            for k, stage in enumerate(self.head)
        )
        return replace(
            self,
            layers=layers,
            readout=readout,
            metadata=dict(self.metadata),
            embedding=arrays["embedding.weight"] if self.embedding is not None else None,
            head=head,
            param_names=dict(self.param_names),
        )

    @classmethod
    def random(
        cls,
        kind: Kind,
        input_size: int,
        hidden_size: int,
        rng: np.random.Generator,
        *,
        num_layers: int = 1,
        output_size: int | None = None,
        readout_kind: ReadoutKind = "softmax",
        vocab: Vocabulary | None = None,
        dtype: type = np.float64,
        bidirectional: bool = False,
        proj_size: int = 0,
    ) -> Network:
        """PyTorch's default initialisation: every weight uniform in ±1/sqrt(H).

        ``bidirectional`` and ``proj_size`` as ``torch.nn.LSTM``'s (the latter LSTM only);
        without them the random draws are the same as they always were.
        """
        if min(hidden_size, input_size, num_layers, 1 if output_size is None else output_size) < 1:
            raise ValueError(
                f"sizes must be positive, got input_size={input_size}, "
                f"hidden_size={hidden_size}, num_layers={num_layers}, output_size={output_size}"
            )
        if not 0 <= proj_size < hidden_size:
            raise ValueError(f"proj_size must be in 0..{hidden_size - 1}, got {proj_size}")
        bound = 1.0 / np.sqrt(hidden_size)
        rows = gate_rows(kind) * hidden_size
        width = proj_size or hidden_size
        directions = 2 if bidirectional else 1

        def uniform(*shape: int) -> np.ndarray:
            return rng.uniform(-bound, bound, size=shape).astype(dtype)

        def one_pass(inputs: int) -> DirectionWeights:
            weights = DirectionWeights(
                uniform(rows, inputs), uniform(rows, width), uniform(rows), uniform(rows)
            )
            if proj_size:
                weights.weight_hr = uniform(proj_size, hidden_size)
            return weights

        layers = []
        for k in range(num_layers):
            inputs = input_size if k == 0 else directions * width
            forward = one_pass(inputs)
            layer = Layer(forward.weight_ih, forward.weight_hh, forward.bias_ih, forward.bias_hh)
            if bidirectional:
                layer.direction = "bidirectional"
            layers.append(layer.with_weights(forward, one_pass(inputs) if bidirectional else None))
        readout = None
        if output_size is not None:
            readout = Readout(
                uniform(output_size, directions * width), uniform(output_size), readout_kind
            )
        return cls(kind, layers, vocab=vocab, readout=readout, source="random initialisation")
