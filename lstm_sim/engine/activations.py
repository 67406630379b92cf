"""The activation functions a recurrent cell may be given, each with its derivative.

PyTorch fixes its cells' functions (σ for the gates, tanh for the candidate and the
cell output); ONNX stores them by name in a node's ``activations`` list, with
``activation_alpha`` / ``activation_beta``, and Keras in a layer's ``activation`` and
``recurrent_activation``. :func:`onnx_activation` and :func:`keras_activation` turn those
names into an :class:`Activation`; ONNX's defaults for alpha and beta are its operators'
own (HardSigmoid α = 0.2, β = 0.5; LeakyRelu α = 0.01; ThresholdedRelu and Elu α = 1).

Keras 3's ``hard_sigmoid`` is not ONNX's: it is relu6(a + 3) / 6, that is
clip(a/6 + 0.5, 0, 1), slope 1/6 and offset 0.5 (``keras.activations.hard_sigmoid`` in
Keras 3.15; Keras 2 used slope 0.2 like ONNX). Both are :class:`Activation` ``HardSigmoid``
with their own alpha and beta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ONNX_NAMES = (
    "Sigmoid",
    "Tanh",
    "Relu",
    "HardSigmoid",
    "LeakyRelu",
    "ThresholdedRelu",
    "ScaledTanh",
    "Affine",
    "Elu",
    "Softsign",
    "Softplus",
)
"""Every activation the ONNX RNN, GRU and LSTM operators name."""

_ONNX_DEFAULTS: dict[str, tuple[float, float]] = {
    "HardSigmoid": (0.2, 0.5),
    "LeakyRelu": (0.01, 0.0),
    "ThresholdedRelu": (1.0, 0.0),
    "Elu": (1.0, 0.0),
}
_NEEDS_ALPHA_BETA = ("ScaledTanh", "Affine")

KERAS_HARD_SIGMOID_SLOPE = 1.0 / 6.0
KERAS_HARD_SIGMOID_OFFSET = 0.5

_KERAS_NAMES: dict[str, tuple[str, float, float]] = {
    "sigmoid": ("Sigmoid", 0.0, 0.0),
    "tanh": ("Tanh", 0.0, 0.0),
    "relu": ("Relu", 0.0, 0.0),
    "hard_sigmoid": ("HardSigmoid", KERAS_HARD_SIGMOID_SLOPE, KERAS_HARD_SIGMOID_OFFSET),
    "linear": ("Affine", 1.0, 0.0),
    "softsign": ("Softsign", 0.0, 0.0),
    "softplus": ("Softplus", 0.0, 0.0),
    "elu": ("Elu", 1.0, 0.0),
}


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + e^-a), written as 0.5·tanh(a/2) + 0.5, which never overflows."""
    return 0.5 * np.tanh(0.5 * a) + 0.5


@dataclass(frozen=True)
class Activation:
    """One named function y = act(a), elementwise, with ONNX's alpha and beta."""

    name: str
    alpha: float = 0.0
    beta: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in ONNX_NAMES:
            raise ValueError(
                f"activation must be one of {', '.join(ONNX_NAMES)}, got {self.name!r}"
            )

    def __call__(self, a: np.ndarray) -> np.ndarray:
        alpha, beta = self.alpha, self.beta
        match self.name:
            case "Sigmoid":
                return sigmoid(a)
            case "Tanh":
                return np.tanh(a)  # type: ignore[no-any-return]
            case "Relu":
                return np.maximum(a, 0)  # type: ignore[no-any-return]
            case "HardSigmoid":
                return np.clip(alpha * a + beta, 0, 1)
            case "LeakyRelu":
                return np.where(a >= 0, a, alpha * a)
            case "ThresholdedRelu":
                return np.where(a > alpha, a, 0).astype(a.dtype)
            case "ScaledTanh":
                return alpha * np.tanh(beta * a)
            case "Affine":
                return alpha * a + beta
            case "Elu":
                return np.where(a >= 0, a, alpha * np.expm1(np.minimum(a, 0)))
            case "Softsign":
                return a / (1 + np.abs(a))  # type: ignore[no-any-return]
            case _:  # Softplus: log(1 + e^a), stable for large a
                return np.logaddexp(a, 0).astype(a.dtype)  # type: ignore[no-any-return]

    def derivative(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """d act / d a at pre-activation ``a`` whose value is ``y`` (reused where cheaper)."""
        alpha, beta = self.alpha, self.beta
        one = np.ones_like(a)
        match self.name:
            case "Sigmoid":
                return y * (1 - y)  # type: ignore[no-any-return]
            case "Tanh":
                return 1 - y * y  # type: ignore[no-any-return]
            case "Relu":
                return (a > 0).astype(a.dtype)
            case "HardSigmoid":  # flat where the clip holds it at 0 or 1
                linear = alpha * a + beta
                return np.where((linear > 0) & (linear < 1), alpha, 0).astype(a.dtype)
            case "LeakyRelu":
                return np.where(a >= 0, one, alpha).astype(a.dtype)
            case "ThresholdedRelu":
                return (a > alpha).astype(a.dtype)
            case "ScaledTanh":
                return alpha * beta * (1 - np.tanh(beta * a) ** 2)
            case "Affine":
                return alpha * one
            case "Elu":
                return np.where(a >= 0, one, y + alpha).astype(a.dtype)
            case "Softsign":
                return 1 / (1 + np.abs(a)) ** 2  # type: ignore[no-any-return]
            case _:  # Softplus' = σ
                return sigmoid(a)


SIGMOID = Activation("Sigmoid")
TANH = Activation("Tanh")


def onnx_activation(name: str, alpha: float | None = None, beta: float | None = None) -> Activation:
    """The activation an ONNX node names, with the operator's defaults for a missing alpha
    or beta (ScaledTanh and Affine have none: both must be given)."""
    if name not in ONNX_NAMES:
        raise ValueError(f"ONNX activation {name!r} is not one of {', '.join(ONNX_NAMES)}")
    default_alpha, default_beta = _ONNX_DEFAULTS.get(name, (0.0, 0.0))
    if name in _NEEDS_ALPHA_BETA and (alpha is None or beta is None):
        raise ValueError(f"ONNX activation {name} needs both activation_alpha and _beta")
    return Activation(
        name,
        default_alpha if alpha is None else float(alpha),
        default_beta if beta is None else float(beta),
    )


def keras_activation(name: str) -> Activation:
    """The activation a Keras 3 layer's config names (``hard_sigmoid`` with Keras 3's
    slope 1/6, not ONNX's 0.2)."""
    if name not in _KERAS_NAMES:
        raise ValueError(f"Keras activation {name!r} is not one of {', '.join(_KERAS_NAMES)}")
    onnx_name, alpha, beta = _KERAS_NAMES[name]
    return Activation(onnx_name, alpha, beta)


def clipped(a: np.ndarray, clip: float | None) -> np.ndarray:
    """ONNX's cell clip: the input of every gate activation held to [-clip, clip]
    (``clip`` None: unchanged). ONNX Runtime clips the gates' pre-activations only,
    never the cell state c before h(c)."""
    return a if clip is None else np.clip(a, -clip, clip)


def clip_derivative(a: np.ndarray, clip: float | None) -> np.ndarray | float:
    """d clipped(a) / d a: 1 inside [-clip, clip], 0 where the clip holds a at a bound."""
    return 1.0 if clip is None else (np.abs(a) <= clip).astype(a.dtype)


_USES_ALPHA = ("HardSigmoid", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "Affine", "Elu")
_USES_BETA = ("HardSigmoid", "ScaledTanh", "Affine")


def onnx_activation_list(
    names: list[str], alphas: list[float] | None = None, betas: list[float] | None = None
) -> list[Activation]:
    """An ONNX node's ``activations`` with its ``activation_alpha`` and ``_beta`` lists.

    The lists hold values only for the functions that take them, consumed in the order of
    ``names`` (ONNX Runtime's reading; the specification says "in the order of activation
    functions"); a function whose values are missing gets its operator's defaults.
    """
    alpha_values, beta_values = list(alphas or []), list(betas or [])
    result = []
    for name in names:
        alpha = alpha_values.pop(0) if name in _USES_ALPHA and alpha_values else None
        beta = beta_values.pop(0) if name in _USES_BETA and beta_values else None
        result.append(onnx_activation(name, alpha, beta))
    return result
