"""The vanishing gradient shown: a tanh RNN beside an LSTM on the same input."""

from lstm_sim.gui.comparison.window import ComparisonWindow, check_pair

__all__ = ["ComparisonWindow", "check_pair"]
