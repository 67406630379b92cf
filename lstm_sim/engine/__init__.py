"""The NumPy engine: parameters, the recorded forward pass, model files.

Nothing in this package imports Qt; the model and GUI layers build on it.
"""

from lstm_sim.engine.network import Layer, Network, Readout
from lstm_sim.engine.trace import Trace, record, rerun_from
from lstm_sim.engine.vocab import Vocabulary

__all__ = ["Layer", "Network", "Readout", "Trace", "Vocabulary", "record", "rerun_from"]
