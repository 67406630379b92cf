"""The vanishing gradient shown: a tanh RNN beside an LSTM on the same input."""

from lstm_sim.gui.comparison.panel import ComparisonPanel, check_pair
from lstm_sim.gui.comparison.window import ComparisonWindow

__all__ = ["ComparisonPanel", "ComparisonWindow", "check_pair"]
