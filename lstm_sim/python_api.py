"""lstm-sim from Python: ``lstm_sim.trace(model, inputs)`` records a run without a window.

``model`` is a model file's path, an lstm-sim :class:`Network`, a live ``torch.nn``
module or a Keras model; torch and Keras are used only when the caller already imported
them (the object's own type says which it is, nothing is imported to find out).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lstm_sim.engine.backprop import Gradients, default_loss, gradients, next_token_targets
from lstm_sim.engine.file_names import by_file_name
from lstm_sim.engine.formats import load_model, network_from_module
from lstm_sim.engine.interventions import (
    Clamp,
    first_affected_step,
    lowest_layer,
    parse_clamp,
    rerun_with_clamps,
)
from lstm_sim.engine.network import Network
from lstm_sim.engine.trace import Trace, record


def as_network(model: Any, prefix: str | None = None) -> Network:
    """``model`` as a Network: a path is read by the file readers, a live torch module
    through its state_dict, a Keras model through its own ``.keras`` save."""
    if isinstance(model, Network):
        return model
    if isinstance(model, str | os.PathLike):
        return load_model(model, prefix)
    if _is_instance(model, "torch", "nn", "Module"):
        return network_from_module(model, prefix)
    if _is_instance(model, "keras", "Model"):
        with tempfile.TemporaryDirectory(prefix="lstm-sim-") as folder:
            path = Path(folder) / "model.keras"
            model.save(path)
            return load_model(path)
    raise TypeError(
        f"expected a model file's path, an lstm_sim Network, a torch.nn.Module or a Keras "
        f"model, got a {type(model).__name__}"
    )


def _is_instance(model: Any, package: str, *path: str) -> bool:
    """Whether ``model`` is a ``package.<path>``, asked only of a package the caller has
    already imported (an object of that package implies it was)."""
    cls: Any = sys.modules.get(package)
    for name in path:
        cls = getattr(cls, name, None)
    return isinstance(cls, type) and isinstance(model, cls)


def _as_inputs(network: Network, inputs: Any) -> np.ndarray | list[str]:
    """Numbers as a (T, D) array (a leading batch of one dropped), text through the
    model's tokenizer, a list of tokens as it is."""
    if isinstance(inputs, str):
        if network.vocab is None:
            raise ValueError("text was given but the model has no vocabulary: pass numbers")
        return network.vocab.tokenize(inputs)
    if isinstance(inputs, list | tuple) and inputs and all(isinstance(v, str) for v in inputs):
        return list(inputs)
    if hasattr(inputs, "detach"):  # a torch tensor: its values, off any device
        inputs = inputs.detach().cpu().numpy()
    array = np.asarray(inputs)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    return array


def _as_clamps(clamp: str | Clamp | Sequence[str | Clamp] | None) -> list[Clamp]:
    if clamp is None:
        return []
    if isinstance(clamp, str | Clamp):
        clamp = [clamp]
    return [parse_clamp(c) if isinstance(c, str) else c for c in clamp]


def trace(
    model: Any,
    inputs: Any,
    *,
    clamp: str | Clamp | Sequence[str | Clamp] | None = None,
    grad: bool = False,
    targets: Any = None,
    h0: Any = None,
    c0: Any = None,
    prefix: str | None = None,
) -> Trace | tuple[Trace, Gradients]:
    """Run ``inputs`` through ``model`` and return the recorded :class:`Trace` (``.h``,
    ``.c`` and ``.gate('f')`` are (L, T, H) arrays), as ``lstm-sim trace`` would write it.

    inputs: (T, D) numbers (a (1, T, D) batch of one too, or a torch tensor), a list of
    tokens, or text for a model with a vocabulary.
    clamp: what-if specs such as ``"f[3] = 1 @ 5:10"`` (see :mod:`lstm_sim.engine.interventions`).
    grad: also backpropagate the sequence's loss and return ``(trace, gradients)``;
    ``targets`` default to the next tokens for text; gradients are named as the model
    names its parameters (a file's or a live module's names).
    """
    network = as_network(model, prefix)
    clamps = _as_clamps(clamp)
    if clamps and grad:
        raise ValueError("gradients through a clamped run are not supported: a clamp has none")
    recorded = record(network, _as_inputs(network, inputs), h0, c0)
    first = first_affected_step(clamps, recorded.num_steps)
    if first is not None:
        rerun_with_clamps(network, recorded, clamps, first, lowest_layer(clamps))
    if not grad:
        return recorded
    if targets is None:
        targets = next_token_targets(network, recorded)
        if targets is None:
            raise ValueError(
                "grad=True needs targets unless the input is tokens of a model whose "
                "outputs are its tokens"
            )
    loss = default_loss(network, recorded)
    grads = gradients(network, recorded, np.asarray(targets), loss)
    # Named as the model names its parameters (``encoder.lstm.weight_ih_l0``), as trace does.
    return recorded, replace(grads, params=by_file_name(network, grads.params))
