"""lstm-sim: step an LSTM one gate and one time step at a time."""

__version__ = "0.1.0"
