"""pyqtgraph views of the trace over time: h and c curves, gate heatmaps."""

from lstm_sim.gui.plots.gate_heatmaps import GateHeatmaps
from lstm_sim.gui.plots.state_plot import StatePlot

__all__ = ["GateHeatmaps", "StatePlot"]
