"""A live ``torch.nn`` module (an ``nn.LSTM``, ``nn.RNN``, a cell, or a whole model
holding one) turned into a :class:`Network`, without importing torch here.

Its state_dict goes through :mod:`lstm_sim.engine.formats.torch_state_dict` like a saved
file's; unlike a bare state_dict, the module itself says whether an RNN uses tanh or relu,
which module types there are and which activations sit in its head (as inert
module records (:mod:`~lstm_sim.engine.formats.module_tree`), like a whole-module file's).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_sim.engine.formats.module_tree import ModuleRecord, OptionValue
from lstm_sim.engine.formats.torch_state_dict import choose_module, network_from_state_dict
from lstm_sim.engine.network import Network

_RECORDED_OPTIONS = ("nonlinearity", "eps", "approximate", "batch_first", "hidden_size")


def module_records(module: Any) -> tuple[ModuleRecord, ...]:
    """Every submodule of a live ``module`` as a record: path, class, plain options."""
    records = []
    # A module used twice (one ReLU instance at two places of a Sequential) is listed at
    # each place: that is where it runs.
    for path, sub in module.named_modules(remove_duplicate=False):
        options: dict[str, OptionValue] = {
            key: getattr(sub, key)
            for key in _RECORDED_OPTIONS
            if isinstance(getattr(sub, key, None), bool | int | float | str)
        }
        cls = type(sub)
        records.append(
            ModuleRecord(
                path=path,
                type_name=cls.__name__,
                qualified_name=f"{cls.__module__}.{cls.__qualname__}",
                options=options,
                children=tuple(name for name, child in sub._modules.items() if child is not None),
            )
        )
    return tuple(records)


def network_from_module(module: Any, prefix: str | None = None) -> Network:
    """The recurrent part of ``module``; ``prefix`` picks one of several (``"encoder.lstm"``)."""
    if not hasattr(module, "state_dict") or not hasattr(module, "get_submodule"):
        raise ValueError(f"expected a torch.nn.Module, got a {type(module).__name__}")
    arrays: dict[str, np.ndarray] = {}
    bfloat16: list[str] = []
    for key, tensor in module.state_dict().items():
        tensor = tensor.detach().cpu()
        # NumPy has no bfloat16: widen it like the file readers do, and say so. float16
        # stays float16 here, so the upcast note names it.
        if str(tensor.dtype) == "torch.bfloat16":
            tensor = tensor.float()
            bfloat16.append(key)
        arrays[key] = tensor.numpy()
    chosen = choose_module(list(arrays), prefix)
    recurrent = module.get_submodule(chosen[:-1]) if chosen else module
    return network_from_state_dict(
        arrays,
        source=f"a live torch {type(module).__name__}",
        prefix=chosen,
        nonlinearity=getattr(recurrent, "nonlinearity", None),
        modules=module_records(module),
        bfloat16=bfloat16,
    )
