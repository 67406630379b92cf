"""Parameter names as the user's file spells them, for everything lstm-sim reports per
parameter (``trace --grad``'s ``grad.<name>``).

A network names its arrays one way (``weight_ih_l0``, ``head.0.weight``,
``readout.weight``); a reader records each one's name in the file
(``Network.param_names``: ``encoder.lstm.weight_ih_l0``, ``fc1.weight``). A parameter the
file does not have (the zero biases of a ``bias=False`` layer) is not reported at all.
"""

from __future__ import annotations

import numpy as np

from lstm_sim.engine.network import Network


def by_file_name(network: Network, per_param: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``per_param`` (keyed like ``network.state_dict()``) keyed by the file's names.

    Networks without recorded names (lstm-sim's own, Keras, ONNX) keep lstm-sim's names.
    With tied weights the readout and the embedding are one parameter in the file, whose
    gradient is the sum of both uses: it is reported under each of its names.
    """
    names = network.param_names
    if not names:
        return dict(per_param)
    out = {names[ours]: value for ours, value in per_param.items() if ours in names}
    tied = (
        "tied_weights" in network.metadata
        and "embedding.weight" in per_param
        and "readout.weight" in per_param
    )
    if tied and "embedding.weight" in names and "readout.weight" in names:
        total = per_param["embedding.weight"] + per_param["readout.weight"]
        out[names["embedding.weight"]] = total
        out[names["readout.weight"]] = total
    return out
