"""The window draws every direction, layer option and input mask, and refuses by name a
variant it does not know."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lstm_sim.engine.activations import Activation
from lstm_sim.engine.formats.errors import ModelFileError
from lstm_sim.engine.network import Network
from lstm_sim.model.drawable import check_drawable


def lstm() -> Network:
    return Network.random("lstm", 3, 4, np.random.default_rng(0))


def test_a_variant_the_window_does_not_know_is_refused_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An option the engine may learn later is refused by name, not drawn as the plain
    cell; the ones it knows are drawn."""
    known = ("layer 0: peepholes", "layer 0: clip 3", "input mask value 0")
    monkeypatch.setattr(Network, "variants", lambda self: (*known, "layer 1: zoneout 0.1"))
    with pytest.raises(ModelFileError) as caught:
        check_drawable(lstm())
    message = str(caught.value)
    assert "\n" not in message and "(layer 1: zoneout 0.1)" in message
    monkeypatch.setattr(Network, "variants", lambda self: known)
    check_drawable(lstm())


def test_an_input_mask_is_drawn() -> None:
    check_drawable(replace(lstm(), mask_value=0.0))


def test_a_plain_lstm_is_drawn() -> None:
    check_drawable(lstm())


@pytest.mark.parametrize(
    "options",
    [
        {"peephole": np.zeros(12)},
        {"weight_hr": np.zeros((2, 4)), "weight_hh": np.zeros((16, 2))},
        {"coupling": "forget_from_input"},
        {"clip": 3.0},
        {"cell_activation": Activation("Relu")},
    ],
)
@pytest.mark.parametrize("direction", ["forward", "reverse"])
def test_an_lstm_layer_s_options_are_drawn_on_either_pass(
    options: dict[str, object], direction: str
) -> None:
    layer = replace(lstm().layers[0], direction=direction, **options)
    check_drawable(replace(lstm(), layers=[layer]))


def test_a_bidirectional_projection_and_a_gru_s_options_are_drawn() -> None:
    rng = np.random.default_rng(0)
    check_drawable(Network.random("lstm", 3, 4, rng, proj_size=2, bidirectional=True))
    gru = Network.random("gru", 3, 4, rng, bidirectional=True)
    gru.layers[0].clip = 3.0
    gru.layers[0].gate_activation = Activation("HardSigmoid", 0.2, 0.5)
    check_drawable(gru)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_bidirectional_and_reverse_layers_of_plain_cells_are_drawn(kind: str) -> None:
    both = Network.random(kind, 3, 4, np.random.default_rng(0), bidirectional=True)
    check_drawable(both)
    forward = Network.random(kind, 3, 4, np.random.default_rng(0))
    check_drawable(replace(forward, layers=[replace(forward.layers[0], direction="reverse")]))
