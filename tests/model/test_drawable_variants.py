"""The window refuses, by name, the layer variants it cannot draw yet."""

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


@pytest.mark.parametrize(
    ("network", "named"),
    [
        (
            # A bidirectional layer is drawn; its projection is not, and is named.
            Network.random("lstm", 3, 4, np.random.default_rng(0), proj_size=2, bidirectional=True),
            "layer 0: projection (proj_size=2)",
        ),
        (
            replace(
                Network.random("gru", 3, 4, np.random.default_rng(0)),
                layers=[
                    replace(
                        Network.random("gru", 3, 4, np.random.default_rng(0)).layers[0], clip=3.0
                    )
                ],
            ),
            "layer 0: clip 3",
        ),
        (replace(lstm(), mask_value=0.0), "input mask value 0"),
    ],
)
def test_a_variant_is_refused_with_one_line_naming_it(network: Network, named: str) -> None:
    with pytest.raises(ModelFileError) as caught:
        check_drawable(network)
    message = str(caught.value)
    assert "\n" not in message and named in message


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
def test_a_forward_lstm_layer_s_options_are_drawn(options: dict[str, object]) -> None:
    check_drawable(replace(lstm(), layers=[replace(lstm().layers[0], **options)]))


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_bidirectional_and_reverse_layers_of_plain_cells_are_drawn(kind: str) -> None:
    both = Network.random(kind, 3, 4, np.random.default_rng(0), bidirectional=True)
    check_drawable(both)
    forward = Network.random(kind, 3, 4, np.random.default_rng(0))
    check_drawable(replace(forward, layers=[replace(forward.layers[0], direction="reverse")]))
