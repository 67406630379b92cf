"""lstm-sim: step an LSTM one gate and one time step at a time.

``lstm_sim.trace(model, inputs)`` records a run from Python (see :mod:`lstm_sim.python_api`);
``lstm_sim.show(model, inputs)`` opens the window on it (see :mod:`lstm_sim.gui.show`);
importing the package itself loads nothing else, so the command line starts fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "show", "trace"]


def __getattr__(name: str) -> Any:
    # The entry points load NumPy and the engine only when first used.
    if name == "trace":
        from lstm_sim.python_api import trace

        return trace
    if name == "show":
        from lstm_sim.gui.show import show

        return show
    raise AttributeError(f"module 'lstm_sim' has no attribute {name!r}")
