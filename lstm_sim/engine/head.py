"""The layers between the last recurrent layer's h and the readout: an MLP head, read exactly.

A head is a chain of stages applied to h_t (H,) before the final Linear (the
:class:`~lstm_sim.engine.network.Readout`): a ``Dense`` (``y = W x + b``), an
``Activation`` (ReLU, tanh, exact or tanh-approximated GELU, sigmoid) or a ``LayerNorm``
(``y = (x - mean) / sqrt(var + eps) · weight + bias``, the biased variance, as PyTorch
and Keras compute it). Anything else is not a stage: a reader that meets it leaves the
whole head out and says so, rather than computing a truncated one.

:func:`head_forward` keeps every stage's input so :func:`head_backward` can return the
exact gradients of the same arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from lstm_sim.engine.cells import sigmoid

ActivationName = Literal["relu", "tanh", "gelu", "gelu_tanh", "sigmoid"]
ACTIVATIONS: tuple[ActivationName, ...] = ("relu", "tanh", "gelu", "gelu_tanh", "sigmoid")

_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


@dataclass
class Dense:
    """``y = x @ weight.T + bias``: a ``nn.Linear`` or a Keras ``Dense`` without activation."""

    weight: np.ndarray  # (F_out, F_in)
    bias: np.ndarray  # (F_out,)


@dataclass
class Activation:
    """An elementwise nonlinearity; ``gelu`` is the exact erf form, ``gelu_tanh`` the
    tanh approximation (``nn.GELU(approximate='tanh')``)."""

    name: ActivationName


@dataclass
class LayerNorm:
    """Normalisation over the features of each step, with an affine weight and bias."""

    weight: np.ndarray  # (F,)
    bias: np.ndarray  # (F,)
    eps: float = 1e-5


HeadStage = Dense | Activation | LayerNorm


def stage_arrays(stage: HeadStage) -> tuple[np.ndarray, ...]:
    """The stage's parameters, (weight, bias) or none."""
    return () if isinstance(stage, Activation) else (stage.weight, stage.bias)


def stage_astype(stage: HeadStage, dtype: np.dtype) -> HeadStage:
    """The stage with its parameters as contiguous ``dtype`` arrays."""
    if isinstance(stage, Activation):
        return stage
    weight = np.ascontiguousarray(stage.weight, dtype)
    bias = np.ascontiguousarray(stage.bias, dtype)
    return Dense(weight, bias) if isinstance(stage, Dense) else LayerNorm(weight, bias, stage.eps)


def describe_stage(stage: HeadStage) -> str:
    """One stage in a word or two: ``Linear 8→16``, ``ReLU``, ``LayerNorm(16, eps=1e-05)``."""
    if isinstance(stage, Dense):
        return f"Linear {stage.weight.shape[1]}→{stage.weight.shape[0]}"
    if isinstance(stage, LayerNorm):
        return f"LayerNorm({stage.weight.shape[0]}, eps={stage.eps:g})"
    return {"gelu_tanh": "GELU(tanh)", "relu": "ReLU", "gelu": "GELU"}.get(
        stage.name, stage.name.capitalize()
    )


def output_features(stages: Sequence[HeadStage], features: int) -> int:
    """The size of the head's output for an input of ``features``; ValueError naming the
    first stage whose shape does not fit."""
    for k, stage in enumerate(stages):
        if isinstance(stage, Dense):
            if stage.weight.ndim != 2 or stage.weight.shape[1] != features:
                raise ValueError(
                    f"head.{k}.weight has shape {stage.weight.shape}, expected (F, {features})"
                )
            if stage.bias.shape != (stage.weight.shape[0],):
                raise ValueError(
                    f"head.{k}.bias has shape {stage.bias.shape}, "
                    f"expected ({stage.weight.shape[0]},)"
                )
            features = int(stage.weight.shape[0])
        elif isinstance(stage, LayerNorm):
            for part, array in (("weight", stage.weight), ("bias", stage.bias)):
                if array.shape != (features,):
                    raise ValueError(
                        f"head.{k}.{part} has shape {array.shape}, expected ({features},)"
                    )
            if not stage.eps > 0:
                raise ValueError(f"head.{k} LayerNorm eps is {stage.eps}, expected > 0")
        elif stage.name not in ACTIVATIONS:
            raise ValueError(f"head.{k} activation {stage.name!r} is not one of {ACTIVATIONS}")
    return features


def _activate(name: ActivationName, x: np.ndarray) -> np.ndarray:
    return np.asarray(_activate_any(name, x))


def _activate_any(name: ActivationName, x: np.ndarray) -> object:
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return sigmoid(x)
    if name == "gelu":  # x Φ(x) = x · (1 + erf(x / √2)) / 2
        return (x * 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))).astype(x.dtype)
    # x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³)))
    return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))


def _activation_derivative(name: ActivationName, x: np.ndarray) -> np.ndarray:
    """d activation / dx at the stage's input x."""
    return np.asarray(_derivative_any(name, x))


def _derivative_any(name: ActivationName, x: np.ndarray) -> object:
    if name == "relu":
        return (x > 0).astype(x.dtype)
    if name == "tanh":
        return 1.0 - np.tanh(x) ** 2
    if name == "sigmoid":
        s = sigmoid(x)
        return s * (1.0 - s)
    if name == "gelu":  # Φ(x) + x φ(x)
        cdf = 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
        return (cdf + x * pdf).astype(x.dtype)
    inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
    t = np.tanh(inner)
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _SQRT_2_OVER_PI * (
        1.0 + 3 * 0.044715 * x * x
    )


def head_forward(stages: Sequence[HeadStage], x: np.ndarray) -> list[np.ndarray]:
    """Every stage's input and, last, the head's output: x (N, H) → [x, ..., y (N, F)]."""
    values = [x]
    for stage in stages:
        if isinstance(stage, Dense):
            x = x @ stage.weight.T + stage.bias
        elif isinstance(stage, LayerNorm):
            mean = x.mean(axis=-1, keepdims=True)
            var = x.var(axis=-1, keepdims=True)  # biased, as both frameworks compute it
            x = (x - mean) / np.sqrt(var + stage.eps) * stage.weight + stage.bias
        else:
            x = _activate(stage.name, x)
        values.append(x)
    return values


def head_backward(
    stages: Sequence[HeadStage], values: list[np.ndarray], dy: np.ndarray
) -> tuple[np.ndarray, list[tuple[np.ndarray, ...]]]:
    """dL/dx and each stage's parameter gradients (in :func:`stage_arrays` order), given
    ``values`` from :func:`head_forward` and dy = dL/d(output), (N, F)."""
    grads: list[tuple[np.ndarray, ...]] = [()] * len(stages)
    for k in range(len(stages) - 1, -1, -1):
        stage, x = stages[k], values[k]
        if isinstance(stage, Dense):
            grads[k] = (dy.T @ x, dy.sum(axis=0))
            dy = dy @ stage.weight
        elif isinstance(stage, LayerNorm):
            mean = x.mean(axis=-1, keepdims=True)
            inv_std = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + stage.eps)
            x_hat = (x - mean) * inv_std
            grads[k] = ((dy * x_hat).sum(axis=0), dy.sum(axis=0))
            d_hat = dy * stage.weight
            # dx = (d_hat - mean(d_hat) - x_hat · mean(d_hat ⊙ x_hat)) / σ
            dy = inv_std * (
                d_hat
                - d_hat.mean(axis=-1, keepdims=True)
                - x_hat * (d_hat * x_hat).mean(axis=-1, keepdims=True)
            )
        else:
            dy = dy * _activation_derivative(stage.name, x)
    return dy, grads
