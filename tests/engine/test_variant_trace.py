"""Recording and backpropagating networks whose layers use variants, against the variant
kernels run directly and against finite differences; reruns; the native file round trip."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.activations import Activation
from lstm_sim.engine.backprop import gradients
from lstm_sim.engine.bidirectional import BidirectionalLayer, bidirectional_forward, reverse_forward
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.native import save_native
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import record, rerun_from
from lstm_sim.engine.variant_trace import input_mask, kernel_layer


def every_option(rng: np.random.Generator) -> Network:
    """Layer 0 runs reverse with peepholes, coupled gates, a clip and softsign candidates;
    layer 1 is bidirectional with peepholes; steps whose inputs are all 0 are masked."""
    net = Network.random("lstm", 3, 4, rng, num_layers=2, output_size=3, readout_kind="linear")
    first = replace(
        net.layers[0],
        direction="reverse",
        peephole=rng.normal(size=12),
        coupling="input_from_forget",
        clip=50.0,
        candidate_activation=Activation("Softsign"),
    )
    top = Network.random(
        "lstm", 4, 4, rng, bidirectional=True, output_size=3, readout_kind="linear"
    )
    second = top.layers[0]
    assert second.reverse is not None
    second.peephole, second.reverse.peephole = rng.normal(size=12), rng.normal(size=12)
    return replace(net, layers=[first, second], readout=top.readout, mask_value=0.0)


def inputs(rng: np.random.Generator, steps: int = 12) -> np.ndarray:
    x = rng.normal(size=(steps, 3))
    x[[0, 5, 6, steps - 1]] = 0.0  # masked: before the first read, inside, at the end
    return x


def test_every_layer_equals_its_kernels_run_directly() -> None:
    rng = np.random.default_rng(3)
    net, x = every_option(rng), inputs(rng)
    trace = record(net, x)
    mask = input_mask(net, x)
    assert mask is not None and trace.mask is not None and list(trace.mask) == list(mask)
    below = reverse_forward(kernel_layer(net, 0), x, mask=mask)
    np.testing.assert_array_equal(trace.layer_output(0), below.output)
    both = BidirectionalLayer(kernel_layer(net, 1), kernel_layer(net, 1, reverse=True))
    above = bidirectional_forward(both, below.output, mask=mask)
    np.testing.assert_allclose(trace.layer_output(1), above.output, rtol=0, atol=1e-15)
    assert np.all(trace.layer_output(1)[[0, 5, 6, 11]] == 0)  # Keras's Bidirectional
    assert trace.logits is not None and net.readout is not None
    expected = above.output @ net.readout.weight.T + net.readout.bias
    np.testing.assert_allclose(trace.logits, expected, rtol=0, atol=1e-14)


def assert_gradients_match_finite_differences(
    net: Network, x: np.ndarray, names: tuple[str, ...], rng: np.random.Generator
) -> None:
    """The MSE loss's gradient for one random entry of each named array equals the central
    difference of the loss around it."""
    targets = rng.normal(size=(x.shape[0], 3))
    grads = gradients(net, record(net, x), targets, "mse")
    arrays = net.state_dict()
    for name in names:
        index = tuple(int(rng.integers(0, n)) for n in arrays[name].shape)
        losses = []
        for step in (1e-6, -1e-6):
            moved = {key: value.copy() for key, value in arrays.items()}
            moved[name][index] += step
            shifted = net.from_arrays(moved)
            losses.append(gradients(shifted, record(shifted, x), targets, "mse").loss)
        numeric = (losses[0] - losses[1]) / 2e-6
        assert grads.params[name][index] == pytest.approx(numeric, rel=1e-5, abs=1e-8), name


def test_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(4)
    net, x = every_option(rng), inputs(rng)
    assert_gradients_match_finite_differences(
        net, x, ("peephole_l0", "weight_hh_l0", "weight_ih_l1_reverse", "peephole_l1_reverse"), rng
    )


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_a_rerun_after_an_edit_equals_a_fresh_recording(kind: str) -> None:
    rng = np.random.default_rng(5)
    net = Network.random(kind, 3, 4, rng, num_layers=2, bidirectional=True, output_size=2)
    x = rng.normal(size=(9, 3))
    trace = record(net, x)
    trace.x[4] = rng.normal(size=3)
    rerun_from(net, trace, 4)
    fresh = record(net, trace.x)
    for name in ("h_all", "pre", "h_all_reverse", "pre_reverse", "logits"):
        np.testing.assert_array_equal(getattr(trace, name), getattr(fresh, name), name)


def test_h0_is_refused_for_a_network_with_reverse_passes() -> None:
    net = Network.random("gru", 3, 4, np.random.default_rng(6), bidirectional=True)
    with pytest.raises(ValueError, match="every pass starts from zeros"):
        record(net, np.zeros((4, 3)), h0=np.ones((1, 4)))


def test_the_native_file_keeps_every_option(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    net = every_option(rng)
    net.layers[1] = replace(net.layers[1], gate_activation=Activation("HardSigmoid", 1 / 6, 0.5))
    net = replace(net)
    loaded = load_model(save_native(net, tmp_path / "m.npz"))
    assert loaded.variants() == net.variants()
    assert loaded.layers[1].gate_activation == Activation("HardSigmoid", 1 / 6, 0.5)
    assert set(loaded.state_dict()) == set(net.state_dict())
    for name, array in net.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name], array, name)
    x = inputs(rng)
    np.testing.assert_array_equal(record(loaded, x).logits, record(net, x).logits)


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_reverse_masked_gru_and_rnn_gradients_match_finite_differences(kind: str) -> None:
    rng = np.random.default_rng(8)
    net = Network.random(kind, 3, 4, rng, num_layers=2, output_size=3, readout_kind="linear")
    options = {"clip": 40.0, "candidate_activation": Activation("Softsign")}
    first = replace(net.layers[0], direction="reverse", **(options if kind == "gru" else {}))
    net = replace(net, layers=[first, net.layers[1]], mask_value=0.0, reset_after=False)
    x = inputs(rng)
    assert_gradients_match_finite_differences(
        net, x, ("weight_hh_l0", "bias_ih_l0", "weight_ih_l1"), rng
    )
