"""What a whole-module file records about its modules, beyond the state_dict.

A ``torch.save(model)`` or TorchScript file names each submodule's class and keeps its
plain attributes (an RNN's ``nonlinearity``, an LSTM's ``batch_first``, which activation
sits between two Linears). The no-code reader turns them into these inert records, never
importing or calling the classes they name; a bare state_dict has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

OptionValue = bool | int | float | str | None | tuple["OptionValue", ...]


@dataclass(frozen=True)
class ModuleRecord:
    """One submodule as the file recorded it."""

    path: str
    """Dotted path from the root module, as in state_dict keys (``''`` for the root)."""
    type_name: str
    """The class name as recorded (``'LSTM'``, ``'Linear'``, ``'ReLU'``, a user's class)."""
    qualified_name: str
    """Module and class as recorded (``'torch.nn.modules.rnn.LSTM'``); never imported."""
    options: Mapping[str, OptionValue] = field(default_factory=dict)
    """Plain attributes the file stored (``hidden_size``, ``nonlinearity``, ``eps`` ...)."""
    children: tuple[str, ...] = ()
    """Direct children's names, in registration (= forward, for Sequential) order."""


@dataclass(frozen=True)
class ModelContents:
    """A PyTorch file's tensors and, for a whole-module file, its module tree."""

    state_dict: dict[str, np.ndarray]
    modules: tuple[ModuleRecord, ...] | None = None
    """Every module, parents before children; None for a bare state_dict."""
    bfloat16: frozenset[str] = frozenset()
    """Names of the tensors the file stored as bfloat16, read as float32."""
