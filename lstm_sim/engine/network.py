"""The parameters of a recurrent network: stacked LSTM, GRU or tanh-RNN layers, with an
optional input encoder in front (a one-hot vocabulary, an embedding table, or both) and an
optional readout behind (one Linear, or an exact MLP head ending in one).

Names and layouts follow PyTorch: an LSTM layer holds ``weight_ih`` (4H, D),
``weight_hh`` (4H, H), ``bias_ih`` and ``bias_hh`` (4H,), gate blocks in the order
i, f, g, o; a GRU layer holds 3H rows, blocks r, z, n, with ``bias_hh``'s n block kept
apart (it sits inside the reset product, so it does not add to ``bias_ih``'s); a simple
RNN layer holds the same with H rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from lstm_sim.engine.gates import GATES as GATES  # its home is gates.py; re-exported here
from lstm_sim.engine.head import Activation, HeadStage, output_features, stage_arrays
from lstm_sim.engine.vocab import Vocabulary

Kind = Literal["lstm", "rnn", "gru"]
ReadoutKind = Literal["softmax", "linear"]


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


@dataclass
class Layer:
    """One recurrent layer, in PyTorch's layout."""

    weight_ih: np.ndarray  # (G*H, D)
    weight_hh: np.ndarray  # (G*H, H)
    bias_ih: np.ndarray  # (G*H,)
    bias_hh: np.ndarray  # (G*H,)

    @property
    def input_size(self) -> int:
        return int(self.weight_ih.shape[1])


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

    def __post_init__(self) -> None:
        self.validate()

    # -- sizes -------------------------------------------------------------------------
    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def hidden_size(self) -> int:
        return int(self.layers[0].weight_hh.shape[1])

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
        hidden = int(first.shape[1])
        rows = gate_rows(self.kind) * hidden
        for k, layer in enumerate(self.layers):
            d = layer.weight_ih.shape[1] if layer.weight_ih.ndim == 2 else -1
            if k > 0:
                d = hidden
            check_array(f"weight_ih_l{k}", layer.weight_ih, (rows, d))
            check_array(f"weight_hh_l{k}", layer.weight_hh, (rows, hidden))
            check_array(f"bias_ih_l{k}", layer.bias_ih, (rows,))
            check_array(f"bias_hh_l{k}", layer.bias_hh, (rows,))
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
        features = output_features(self.head, hidden)
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
            out[f"weight_ih_l{k}"] = layer.weight_ih
            out[f"weight_hh_l{k}"] = layer.weight_hh
            out[f"bias_ih_l{k}"] = layer.bias_ih
            out[f"bias_hh_l{k}"] = layer.bias_hh
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
            Layer(
                arrays[f"weight_ih_l{k}"],
                arrays[f"weight_hh_l{k}"],
                arrays[f"bias_ih_l{k}"],
                arrays[f"bias_hh_l{k}"],
            )
            for k in range(self.num_layers)
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
    ) -> Network:
        """PyTorch's default initialisation: every weight uniform in ±1/sqrt(H)."""
        if min(hidden_size, input_size, num_layers, 1 if output_size is None else output_size) < 1:
            raise ValueError(
                f"sizes must be positive, got input_size={input_size}, "
                f"hidden_size={hidden_size}, num_layers={num_layers}, output_size={output_size}"
            )
        bound = 1.0 / np.sqrt(hidden_size)
        rows = gate_rows(kind) * hidden_size

        def uniform(*shape: int) -> np.ndarray:
            return rng.uniform(-bound, bound, size=shape).astype(dtype)

        layers = [
            Layer(
                uniform(rows, input_size if k == 0 else hidden_size),
                uniform(rows, hidden_size),
                uniform(rows),
                uniform(rows),
            )
            for k in range(num_layers)
        ]
        readout = None
        if output_size is not None:
            readout = Readout(uniform(output_size, hidden_size), uniform(output_size), readout_kind)
        return cls(kind, layers, vocab=vocab, readout=readout, source="random initialisation")
