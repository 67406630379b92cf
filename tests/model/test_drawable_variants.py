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
            Network.random("lstm", 3, 4, np.random.default_rng(0), proj_size=2),
            "layer 0: projection (proj_size=2)",
        ),
        (
            # A bidirectional layer is drawn; its projection is not, and is named.
            Network.random("lstm", 3, 4, np.random.default_rng(0), proj_size=2, bidirectional=True),
            "layer 0: projection (proj_size=2)",
        ),
        (
            replace(lstm(), layers=[replace(lstm().layers[0], peephole=np.zeros(12))]),
            "layer 0: peepholes",
        ),
        (
            replace(lstm(), layers=[replace(lstm().layers[0], coupling="forget_from_input")]),
            "layer 0: coupled gates (forget_from_input)",
        ),
        (replace(lstm(), layers=[replace(lstm().layers[0], clip=3.0)]), "layer 0: clip 3"),
        (
            replace(lstm(), layers=[replace(lstm().layers[0], cell_activation=Activation("Relu"))]),
            "layer 0: cell output activation Relu",
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


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_bidirectional_and_reverse_layers_of_plain_cells_are_drawn(kind: str) -> None:
    both = Network.random(kind, 3, 4, np.random.default_rng(0), bidirectional=True)
    check_drawable(both)
    forward = Network.random(kind, 3, 4, np.random.default_rng(0))
    check_drawable(replace(forward, layers=[replace(forward.layers[0], direction="reverse")]))
