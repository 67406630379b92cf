"""lstm-sim: step an LSTM one gate and one time step at a time.

``lstm_sim.trace(model, inputs)`` records a run from Python (see :mod:`lstm_sim.python_api`);
importing the package itself loads nothing else, so the command line starts fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "trace"]


def __getattr__(name: str) -> Any:
    # The entry points load NumPy and the engine only when first used.
    if name == "trace":
        from lstm_sim.python_api import trace

        return trace
    raise AttributeError(f"module 'lstm_sim' has no attribute {name!r}")
