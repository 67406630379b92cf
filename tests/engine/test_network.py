"""Network parameters: validation that names the wrong array, conversions and copies."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lstm_sim.engine.network import Layer, Network, Readout
from lstm_sim.engine.vocab import Vocabulary


def arrays(rows: int, d: int, h: int) -> list[np.ndarray]:
    return [np.zeros((rows, d)), np.zeros((rows, h)), np.zeros(rows), np.zeros(rows)]


def test_sizes_and_parameter_count_follow_pytorch() -> None:
    network = Network.random("lstm", 3, 5, np.random.default_rng(0), num_layers=2, output_size=7)
    assert (network.num_layers, network.input_size, network.hidden_size) == (2, 3, 5)
    assert network.output_size == 7
    # nn.LSTM(3, 5, num_layers=2) has 4H(D + H + 2) + 4H(H + H + 2) parameters; + 7·5 + 7.
    assert network.num_parameters == 20 * (3 + 5 + 2) + 20 * (5 + 5 + 2) + 7 * 5 + 7
    assert list(network.state_dict()) == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_ih_l1",
        "weight_hh_l1",
        "bias_ih_l1",
        "bias_hh_l1",
        "readout.weight",
        "readout.bias",
    ]


def test_random_is_reproducible_and_bounded_by_one_over_sqrt_h() -> None:
    a = Network.random("rnn", 2, 16, np.random.default_rng(42))
    b = Network.random("rnn", 2, 16, np.random.default_rng(42))
    for name, array in a.state_dict().items():
        np.testing.assert_array_equal(array, b.state_dict()[name])
        assert np.all(np.abs(array) <= 0.25), name
    assert np.abs(a.layers[0].weight_hh).max() > 0.2  # the bound is used, not a smaller one


def test_astype_converts_every_array_and_copy_is_independent() -> None:
    network = Network.random("lstm", 2, 3, np.random.default_rng(1), output_size=2)
    single = network.astype(np.float32)
    assert single.dtype == np.float32
    assert {a.dtype for a in single.state_dict().values()} == {np.dtype(np.float32)}
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got int32"):
        network.astype(np.int32)
    twin = network.copy()
    twin.layers[0].weight_hh[0, 0] += 1.0
    assert twin.layers[0].weight_hh[0, 0] != network.layers[0].weight_hh[0, 0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.__setitem__(0, np.zeros((8, 3, 1))), r"weight_ih_l0 has shape \(8, 3, 1\)"),
        (
            lambda a: a.__setitem__(1, np.zeros((7, 2))),
            r"weight_hh_l0 has shape \(7, 2\), expected",
        ),
        (lambda a: a.__setitem__(3, np.zeros(7)), r"bias_hh_l0 has shape \(7,\), expected \(8,\)"),
        (lambda a: a[1].__setitem__((2, 1), np.nan), r"weight_hh_l0 of shape \(8, 2\) holds 1"),
        (lambda a: a[2].__setitem__(0, -np.inf), r"bias_ih_l0 of shape \(8,\) holds 1 NaN"),
        (lambda a: a.__setitem__(0, np.zeros((8, 3), int)), "weight_ih_l0 holds int64, expected"),
        (lambda a: a.__setitem__(2, [0.0] * 8), "bias_ih_l0 holds list, expected a float32"),
    ],
)
def test_a_bad_array_is_named_with_its_shape(change: Any, message: str) -> None:
    layer = arrays(8, 3, 2)
    change(layer)
    with pytest.raises(ValueError, match=message):
        Network("lstm", [Layer(*layer)])


def test_an_upper_layer_must_read_h_of_the_layer_below() -> None:
    with pytest.raises(ValueError, match=r"weight_ih_l1 has shape \(8, 3\), expected \(8, 2\)"):
        Network("lstm", [Layer(*arrays(8, 3, 2)), Layer(*arrays(8, 3, 2))])


def test_kind_layers_readout_and_vocabulary_are_checked() -> None:
    with pytest.raises(ValueError, match="kind must be 'lstm', 'gru' or 'rnn', got 'lstm2'"):
        Network("lstm2", [Layer(*arrays(6, 2, 2))])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a network needs at least one layer"):
        Network("rnn", [])
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        Network("rnn", [Layer(*arrays(2, 1, 2))], nonlinearity="sigmoid")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"weight_ih_l0 has shape \(8, 3\), expected \(2, 3\)"):
        Network("rnn", [Layer(*arrays(8, 3, 2))])
    layer = Layer(*arrays(8, 3, 2))
    with pytest.raises(ValueError, match="readout kind must be 'softmax' or 'linear', got 'relu'"):
        Network("lstm", [layer], readout=Readout(np.zeros((4, 2)), np.zeros(4), "relu"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"readout.bias has shape \(3,\), expected \(4,\)"):
        Network("lstm", [layer], readout=Readout(np.zeros((4, 2)), np.zeros(3)))
    with pytest.raises(ValueError, match="expected at least one output"):
        Network("lstm", [layer], readout=Readout(np.zeros((0, 2)), np.zeros(0)))
    with pytest.raises(ValueError, match="vocabulary has 2 tokens but weight_ih_l0 has shape"):
        Network("lstm", [layer], vocab=Vocabulary(("a", "b")))


def test_random_refuses_sizes_below_one() -> None:
    rng = np.random.default_rng(2)
    for sizes in ((0, 4, 1, None), (3, 0, 1, None), (3, 4, 0, None), (3, 4, 1, 0)):
        d, h, layers, outputs = sizes
        with pytest.raises(ValueError, match="sizes must be positive"):
            Network.random("lstm", d, h, rng, num_layers=layers, output_size=outputs)
