"""Application state on top of the engine: Qt-free, observed through psygnal signals."""

from lstm_sim.model.phases import GRU_PHASES, LSTM_PHASES, RNN_PHASES, Phase, phases_for
from lstm_sim.model.session import Edit, Session

__all__ = [
    "GRU_PHASES",
    "LSTM_PHASES",
    "RNN_PHASES",
    "Edit",
    "Phase",
    "Session",
    "phases_for",
]
