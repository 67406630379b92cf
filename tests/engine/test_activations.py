"""The activation functions ONNX and Keras name, their derivatives and their parameters."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.activations import (
    ONNX_NAMES,
    Activation,
    keras_activation,
    onnx_activation,
    onnx_activation_list,
)

PARAMETERS = {"ScaledTanh": (0.8, 1.3), "Affine": (0.7, -0.2), "ThresholdedRelu": (0.4, 0.0)}


@pytest.mark.parametrize("name", ONNX_NAMES)
def test_derivative_matches_finite_differences(name: str) -> None:
    alpha, beta = PARAMETERS.get(name, (None, None))
    act = onnx_activation(name, alpha, beta)
    a = np.linspace(-4.1, 4.3, 37)  # no point on a kink of relu, clip or threshold
    eps = 1e-6
    numeric = (act(a + eps) - act(a - eps)) / (2 * eps)
    np.testing.assert_allclose(act.derivative(a, act(a)), numeric, atol=1e-8)


@pytest.mark.parametrize("name", ONNX_NAMES)
def test_float32_stays_float32(name: str) -> None:
    alpha, beta = PARAMETERS.get(name, (None, None))
    act = onnx_activation(name, alpha, beta)
    a = np.linspace(-3, 3, 7, dtype=np.float32)
    assert act(a).dtype == np.float32
    assert act.derivative(a, act(a)).dtype == np.float32


def test_keras_3_hard_sigmoid_is_relu6_of_a_plus_3_over_6() -> None:
    """Keras 3: 0 below -3, 1 above 3, a/6 + 0.5 between (ONNX's default slope is 0.2)."""
    a = np.array([-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.0])
    expected = np.array([0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0])
    np.testing.assert_allclose(keras_activation("hard_sigmoid")(a), expected, atol=1e-15)
    assert onnx_activation("HardSigmoid") == Activation("HardSigmoid", 0.2, 0.5)


def test_onnx_alpha_and_beta_go_to_the_functions_that_take_them_in_order() -> None:
    names = ["HardSigmoid", "Softsign", "Relu", "Sigmoid", "LeakyRelu", "ScaledTanh"]
    acts = onnx_activation_list(names, [0.3, 0.1, 0.8], [0.4, 1.2])
    assert acts[0] == Activation("HardSigmoid", 0.3, 0.4)
    assert acts[4] == Activation("LeakyRelu", 0.1, 0.0)
    assert acts[5] == Activation("ScaledTanh", 0.8, 1.2)
    assert onnx_activation_list(["LeakyRelu"])[0] == Activation("LeakyRelu", 0.01, 0.0)


def test_unknown_names_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'Gelu'"):
        onnx_activation("Gelu")
    with pytest.raises(ValueError, match="'swish'"):
        keras_activation("swish")
    with pytest.raises(ValueError, match="ScaledTanh needs"):
        onnx_activation("ScaledTanh")
