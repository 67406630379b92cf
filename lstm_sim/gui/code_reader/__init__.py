"""Karpathy's code-reading cells: text coloured by a unit, units ranked by the pattern
of the code they track, and gate saturation per unit."""

from lstm_sim.gui.code_reader.reader import CodeReader
from lstm_sim.gui.code_reader.text_view import CodeTextView

__all__ = ["CodeReader", "CodeTextView"]
