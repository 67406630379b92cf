"""An LSTM layer's options drawn into the cell: peephole wires, coupled gates and the
layer's own activation names.

Peepholes are the extra wires from the cell state into the gates: C_{t-1} is tapped where
it enters the cell (left of the frame) and runs down into the side of the forget gate and,
over a bridge across the forget gate's output wire, into the input gate; C_t is tapped
from the belt after the + and runs down into the side of the output gate. A coupled gate
reads no [h_{t-1}, x_t]: its box says 1 − f (or 1 − i) and a short wire brings it the
other gate's value instead of the bus. A projection is a layer after the output gate's
×: m_t = o_t ⊙ tanh C_t (H wide) runs into it and h_t = W_hr m_t (P wide) comes out.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath

from lstm_sim.gui.diagram.geometry import (
    LAYER_SIZE,
    OP_RADIUS,
    Layout,
    NodeGeometry,
    StripGeometry,
    TextAnchor,
    lstm_layout,
    polyline,
)
from lstm_sim.gui.diagram.wiring import LSTM_WIRING, Quantity, Wire, Wiring
from lstm_sim.model.cell_options import CellOptions

BRIDGE_RADIUS = 14.0
"""Half the width of the hop a peephole wire makes over a wire it crosses."""

_TAP_PREV_X = 60.0  # C_{t-1} is tapped before the cell's frame: nothing else runs there
_TAP_CELL_X = 1320.0  # C_t between the + and its strip, right of the candidate's numbers
_LANE_Y = 732.0  # between the gate strips' numbers and the layer boxes
_INPUT_DROP_X = 600.0  # right of the forget gate's numbers
_GATE_NAMES = {"i": "input", "f": "forget"}
_LAYERS = {"i": "input_layer", "f": "forget_layer"}


def _layer_side(layout: Layout, node: str, side: str, dy: float = 0.0) -> tuple[float, float]:
    center = layout.nodes[node].center
    dx = LAYER_SIZE.width() / 2 * (-1.0 if side == "left" else 1.0)
    return center.x() + dx, center.y() + dy


def _bridged_lane(start: tuple[float, float], over_x: float, end_x: float) -> QPainterPath:
    """A horizontal run from ``start`` to ``end_x`` that hops over a vertical wire at
    ``over_x`` (a half circle above the crossing, so the two wires never meet)."""
    x0, y = start
    path = QPainterPath(QPointF(x0, y))
    path.lineTo(over_x - BRIDGE_RADIUS, y)
    box = QRectF(over_x - BRIDGE_RADIUS, y - BRIDGE_RADIUS, 2 * BRIDGE_RADIUS, 2 * BRIDGE_RADIUS)
    path.arcTo(box, 180.0, -180.0)
    path.lineTo(end_x, y)
    return path


def lstm_options_layout(options: CellOptions) -> Layout:
    """The LSTM layout with the option's boxes renamed and its peephole wires added."""
    layout = lstm_layout()
    symbols = {
        "forget_layer": options.gate,
        "input_layer": options.gate,
        "candidate_layer": options.candidate,
        "output_layer": options.gate,
        "cell_tanh": options.cell_output,
    }
    if options.derived_gate is not None:
        symbols[_LAYERS[options.derived_gate]] = f"1 − {options.source_gate}"
    for name, symbol in symbols.items():
        layout.nodes[name] = replace(layout.nodes[name], symbol=symbol)
    y_belt = layout.nodes["forget_mul"].center.y()
    forget_x = layout.nodes["forget_layer"].center.x()
    forget_left = _layer_side(layout, "forget_layer", "left")
    down = polyline((_TAP_PREV_X, y_belt), (_TAP_PREV_X, forget_left[1]))
    layout.wires["peep_f"] = polyline(
        (_TAP_PREV_X, y_belt), (_TAP_PREV_X, forget_left[1]), forget_left
    )
    input_left = _layer_side(layout, "input_layer", "left", dy=15.0)
    lane_start_x = forget_left[0] - 35.0
    peep_i = QPainterPath(down)
    peep_i.lineTo(lane_start_x, forget_left[1])
    peep_i.lineTo(lane_start_x, _LANE_Y)
    peep_i.connectPath(_bridged_lane((lane_start_x, _LANE_Y), forget_x, _INPUT_DROP_X))
    peep_i.lineTo(_INPUT_DROP_X, input_left[1])
    peep_i.lineTo(*input_left)
    layout.wires["peep_i"] = peep_i
    output_left = _layer_side(layout, "output_layer", "left")
    layout.wires["peep_o"] = polyline(
        (_TAP_CELL_X, y_belt), (_TAP_CELL_X, output_left[1]), output_left
    )
    forget_right = _layer_side(layout, "forget_layer", "right", dy=-15.0)
    input_coupled = _layer_side(layout, "input_layer", "left", dy=-15.0)
    layout.wires["couple_i"] = polyline(forget_right, input_coupled)
    layout.wires["couple_f"] = polyline(input_coupled, forget_right)
    layout.texts["peep_prev"] = TextAnchor(QPointF(_TAP_PREV_X + 14.0, 540.0), "left")
    layout.texts["peep_cell"] = TextAnchor(QPointF(_TAP_CELL_X + 14.0, 300.0), "left")
    if options.projection is not None:
        _add_projection(layout)
    if options.peephole:
        # The C_t wire runs down where o_t's label would sit: o_t moves onto the part of
        # its wire that runs to the × instead.
        o_wire_y = layout.nodes["output_mul"].center.y()
        layout.strips["o"] = StripGeometry(QPointF(1600.0, o_wire_y), "above")
        tanh_c = layout.strips["tanh_c"].center
        layout.strips["tanh_c"] = StripGeometry(QPointF(tanh_c.x(), tanh_c.y() - 45.0), "left")
    return layout


def _add_projection(layout: Layout) -> None:
    """The projection as a layer after the output gate: m_t leaves the × into a box that
    maps it to h_t, which then runs down to the bus as before."""
    mul = layout.nodes["output_mul"].center
    x, below_mul = mul.x(), mul.y() + OP_RADIUS
    box_y = below_mul + 150.0
    layout.nodes["proj_layer"] = NodeGeometry("layer", QPointF(x, box_y), "proj")
    box_top, box_bottom = box_y - LAYER_SIZE.height() / 2, box_y + LAYER_SIZE.height() / 2
    bus = layout.wires["h"].pointAtPercent(1.0)
    layout.wires["m"] = polyline((x, below_mul), (x, box_top))
    layout.wires["h"] = polyline((x, box_bottom), (x, bus.y()), (bus.x(), bus.y()))
    layout.strips["m"] = StripGeometry(QPointF(x, below_mul + 45.0), "left")
    layout.strips["h"] = StripGeometry(QPointF(x, box_bottom + 40.0), "left")


def lstm_options_wiring(options: CellOptions) -> Wiring:
    """The LSTM wiring with the option's wires: peepholes carry the cell state into the
    gates that read it, a coupled gate gets the other gate's value instead of the bus."""
    derived = options.derived_gate
    wires = list(LSTM_WIRING.wires)
    captions = dict(LSTM_WIRING.node_captions)
    if options.peephole:
        peeps = [
            Wire("peep_f", ("c_prev",), "forget", 0),
            Wire("peep_i", ("c_prev",), "input", 0),
            Wire("peep_o", ("c",), "output", 0),
        ]
        # A derived gate's own pre-activation (peephole and all) does not reach the cell.
        wires += [wire for wire in peeps if wire.name != f"peep_{derived}"]
        captions["peep_prev"] = "p ⊙ C<sub>t−1</sub>"
        captions["peep_cell"] = "p<sub>o</sub> ⊙ C<sub>t</sub>"
    if derived is not None:
        source = options.source_gate
        assert source is not None
        wires = [wire for wire in wires if wire.name != f"bus_{derived}"]
        phase = "input" if derived == "i" else "forget"
        wires.append(Wire(f"couple_{derived}", (source,), phase, 0))
        captions[_LAYERS[derived]] = f"{_GATE_NAMES[derived]} = 1 − {source}"
    quantities = tuple(
        replace(q, label=f"{options.cell_output} C<sub>t</sub>") if q.field == "tanh_c" else q
        for q in LSTM_WIRING.quantities
    )
    wiring = replace(LSTM_WIRING, wires=tuple(wires), quantities=quantities, node_captions=captions)
    return wiring if options.projection is None else _projection_wiring(wiring)


_AFTER_PROJECTION = ("h", "h_out", "h_up")


def _projection_wiring(wiring: Wiring) -> Wiring:
    """m_t = o_t ⊙ tanh C_t flows into the projection a stage before h_t leaves it."""
    wires = [
        replace(wire, stage=wire.stage + 1) if wire.name in _AFTER_PROJECTION else wire
        for wire in wiring.wires
    ]
    wires.append(Wire("m", ("m",), "hidden", 2))
    quantities = [replace(q, stage=3) if q.field == "h" else q for q in wiring.quantities]
    quantities.append(Quantity("m", "m<sub>t</sub>", "signed", 2))
    return replace(
        wiring,
        wires=tuple(wires),
        quantities=tuple(quantities),
        node_phases={**wiring.node_phases, "proj_layer": "hidden"},
        extra_phases=(("m", "hidden"),),
    )
