"""Lighting up named parts of the cell (the tour's "look here"): a soft, wide glow drawn
under the wires and boxes of a part, so the part itself keeps its colours and numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from lstm_sim.gui.diagram.geometry import Layout

GLOW_WIDTH = 34.0
"""Scene units: wide enough to read as a halo around a wire at any zoom."""
GLOW_ALPHA = 0.35

PARTS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # part: (wires, nodes), by the layout's names; a name a cell lacks is skipped.
    "belt": (("c_prev", "fc", "c", "c_out"), ("forget_mul", "cell_add")),
    "forget": (("bus_f", "f"), ("forget_layer", "forget_mul")),
    "input": (("bus_i", "i", "ig"), ("input_layer", "input_mul")),
    "candidate": (
        ("bus_g", "g", "bus_n", "h_reset", "hn", "reset", "n"),
        ("candidate_layer", "hn_layer", "reset_mul"),
    ),
    "output": (("bus_o", "o", "tanh_c"), ("output_layer", "output_mul", "cell_tanh")),
    "hidden": (
        ("h", "h_out", "h_up", "h_keep", "keep", "one_minus_z", "mix"),
        ("output_mul", "rnn_layer", "keep_mul", "one_minus", "mix_mul", "hidden_add"),
    ),
    # A GRU's two gates.
    "reset": (("bus_r", "r", "reset"), ("reset_layer", "reset_mul")),
    "update": (("bus_z", "z", "z_to_one"), ("update_layer", "keep_mul", "one_minus")),
    "recurrence": (("h_prev", "loop", "bus"), ("rnn_layer",)),
}
"""What each highlight name the tour uses lights up."""


def highlight_path(layout: Layout, parts: Iterable[str]) -> QPainterPath:
    """One path through every wire and around every box of ``parts``; ValueError names
    a part that does not exist."""
    path = QPainterPath()
    for part in parts:
        if part not in PARTS:
            raise ValueError(f"no diagram part {part!r}; the parts are {', '.join(PARTS)}")
        wires, nodes = PARTS[part]
        for name in wires:
            if name in layout.wires:
                path.addPath(layout.wires[name])
        for name in nodes:
            if name in layout.nodes:
                path.addRoundedRect(layout.nodes[name].rect(), 12.0, 12.0)
    return path


class HighlightItem(QGraphicsPathItem):
    """The glow under the highlighted parts; empty when nothing is highlighted."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: tuple[str, ...] = ()
        self.setZValue(0.5)  # above the cell's frame, under wires (1) and boxes (3)

    def show_parts(self, layout: Layout, parts: Iterable[str], color: QColor) -> None:
        self.parts = tuple(parts)
        self.setPath(highlight_path(layout, self.parts))
        glow = QColor(color)
        glow.setAlphaF(GLOW_ALPHA)
        pen = QPen(glow, GLOW_WIDTH, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        self.setPen(pen)
