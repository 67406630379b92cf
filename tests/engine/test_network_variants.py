"""The Network data model's per-layer options: direction, projection, peepholes, coupled
gates, clip, activations and the input mask value."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.activations import Activation
from lstm_sim.engine.network import DirectionWeights, Layer, Network


def pass_arrays(rows: int, inputs: int, width: int) -> list[np.ndarray]:
    rng = np.random.default_rng(rows * 7 + inputs)
    return [
        rng.normal(size=(rows, inputs)),
        rng.normal(size=(rows, width)),
        rng.normal(size=rows),
        rng.normal(size=rows),
    ]


def test_plain_networks_are_unchanged_and_report_no_variants() -> None:
    before = Network.random("lstm", 3, 4, np.random.default_rng(1), num_layers=2, output_size=5)
    assert before.is_plain and before.variants() == ()
    assert list(before.state_dict()) == [
        f"{name}_l{k}"
        for k in range(2)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ] + ["readout.weight", "readout.bias"]
    assert (before.hidden_size, before.h_size, before.proj_size, before.top_size) == (4, 4, 0, 4)


def test_a_bidirectional_projected_lstm_names_its_arrays_as_pytorch_does() -> None:
    net = Network.random(
        "lstm", 3, 5, np.random.default_rng(0), num_layers=2, bidirectional=True, proj_size=2
    )
    names = list(net.state_dict())
    assert names[:10] == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_hr_l0",
        "weight_ih_l0_reverse",
        "weight_hh_l0_reverse",
        "bias_ih_l0_reverse",
        "bias_hh_l0_reverse",
        "weight_hr_l0_reverse",
    ]
    assert net.state_dict()["weight_ih_l1"].shape == (20, 4)  # reads 2P = 4 features
    assert (net.hidden_size, net.h_size, net.proj_size, net.layer_output_size(1)) == (5, 2, 2, 4)
    assert "layer 1: bidirectional direction" in net.variants()
    copy = net.astype(np.float32)
    assert copy.layers[1].reverse is not None and copy.layers[1].reverse.weight_hr is not None
    assert copy.layers[1].reverse.weight_hr.dtype == np.float32
    assert copy.layers[1].direction == "bidirectional"


def test_the_reverse_weights_must_match_the_direction() -> None:
    arrays = pass_arrays(8, 3, 2)
    with pytest.raises(ValueError, match="layer 0 is bidirectional but has no reverse weights"):
        Network("lstm", [Layer(*arrays, direction="bidirectional")])
    with pytest.raises(ValueError, match="layer 0 is forward but has reverse weights"):
        Network("lstm", [Layer(*arrays, reverse=DirectionWeights(*pass_arrays(8, 3, 2)))])
    bad = DirectionWeights(*pass_arrays(8, 4, 2))
    with pytest.raises(ValueError, match=r"weight_ih_l0_reverse has shape \(8, 4\), expected"):
        Network("lstm", [Layer(*arrays, direction="bidirectional", reverse=bad)])


def test_options_a_kind_cannot_take_are_refused_by_name() -> None:
    gru = pass_arrays(6, 3, 2)
    with pytest.raises(ValueError, match="layer 0: GRU layers have no peephole"):
        Network("gru", [Layer(*gru, peephole=np.zeros(6))])
    with pytest.raises(ValueError, match="layer 0: RNN layers have no clip"):
        Network("rnn", [Layer(*pass_arrays(2, 3, 2), clip=3.0)])
    with pytest.raises(ValueError, match="layer 0 clip must be a positive number"):
        Network("gru", [Layer(*gru, clip=-1.0)])
    with pytest.raises(ValueError, match=r"peephole_l0 has shape \(5,\), expected \(6,\)"):
        Network("lstm", [Layer(*pass_arrays(8, 3, 2), peephole=np.zeros(5))])
    with pytest.raises(ValueError, match="mask_value must be a finite number"):
        Network("lstm", [Layer(*pass_arrays(8, 3, 2))], mask_value=float("nan"))


def test_a_projection_must_be_narrower_than_the_cell() -> None:
    arrays = pass_arrays(8, 3, 2)
    with pytest.raises(ValueError, match=r"weight_hr_l0 has shape \(3, 2\), expected \(2, 2\)"):
        Network("lstm", [Layer(*arrays, weight_hr=np.zeros((3, 2)))])
    with pytest.raises(ValueError, match="proj_size must be below hidden_size 2"):
        Network("lstm", [Layer(*arrays, weight_hr=np.zeros((2, 2)))])
    projected = Network("lstm", [Layer(*pass_arrays(12, 3, 2), weight_hr=np.zeros((2, 3)))])
    assert projected.variants() == ("layer 0: projection (proj_size=2)",)


def test_every_option_is_listed_in_the_variants() -> None:
    layer = Layer(
        *pass_arrays(8, 3, 2),
        peephole=np.zeros(6),
        coupling="input_from_forget",
        clip=2.5,
        gate_activation=Activation("HardSigmoid", 0.2, 0.5),
        cell_activation=Activation("Relu"),
    )
    net = Network("lstm", [layer], mask_value=0.0)
    assert net.variants() == (
        "layer 0: peepholes",
        "layer 0: coupled gates (input_from_forget)",
        "layer 0: clip 2.5",
        "layer 0: gate activation HardSigmoid",
        "layer 0: cell output activation Relu",
        "input mask value 0",
    )
    assert set(net.copy().state_dict()) == {
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "peephole_l0",
    }
    assert net.copy().layers[0].coupling == "input_from_forget"
