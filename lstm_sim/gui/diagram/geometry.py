"""Where everything sits in the diagram, in scene units: nodes, wires, strips, labels.

Pure layout, no values and no colours. The scene is a fixed 2000 x 1120 canvas that the
view scales to its size, so every length here (fonts included) scales with it.
Olah's grammar: the cell state runs along the top, h_{t-1} enters bottom left and x_t from
below, their concatenation runs along a bus under the four layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from PySide6.QtCore import QPointF, QRectF, QSizeF
from PySide6.QtGui import QPainterPath

SCENE_RECT = QRectF(0.0, 0.0, 2000.0, 1120.0)

STRIP_LENGTH = 224.0
MAX_CELL_WIDTH = 44.0
CELL_HEIGHT = 26.0
MAX_CELLS = 16
"""At most this many units are drawn per strip; a larger H scrolls a window of units."""

LABEL_FONT = 36.0
VALUE_FONT = 30.0
SYMBOL_FONT = 40.0
HEADER_FONT = 34.0
CAPTION_FONT = 30.0

OP_RADIUS = 25.0
LAYER_SIZE = QSizeF(130.0, 76.0)

NodeKind = Literal["layer", "pointwise"]
LabelSide = Literal["left", "above"]


@dataclass(frozen=True)
class NodeGeometry:
    """A yellow layer box or a pink pointwise operation, centred on ``center``."""

    kind: NodeKind
    center: QPointF
    symbol: str  # σ, tanh, ×, +

    def rect(self) -> QRectF:
        if self.kind == "layer":
            size = LAYER_SIZE
        elif len(self.symbol) > 1:  # a pointwise tanh needs a wider pill than × or +
            size = QSizeF(4.0 * OP_RADIUS, 2.0 * OP_RADIUS)
        else:
            size = QSizeF(2.0 * OP_RADIUS, 2.0 * OP_RADIUS)
        return QRectF(
            self.center.x() - size.width() / 2,
            self.center.y() - size.height() / 2,
            size.width(),
            size.height(),
        )


@dataclass(frozen=True)
class StripGeometry:
    """A strip of value cells centred on a point of its wire.

    ``label_side`` is "left" on vertical wires and "above" on horizontal ones, so a label
    never sits on top of the line that carries the vector.
    """

    center: QPointF
    label_side: LabelSide
    value_below: bool = False  # an "above" strip at the scene's edge: its number goes under it


@dataclass(frozen=True)
class TextAnchor:
    """A fixed label: ``align`` says which point of the text's box sits at ``point``."""

    point: QPointF
    align: Literal["left", "right", "center"]


@dataclass
class Layout:
    nodes: dict[str, NodeGeometry] = field(default_factory=dict)
    wires: dict[str, QPainterPath] = field(default_factory=dict)
    strips: dict[str, StripGeometry] = field(default_factory=dict)
    texts: dict[str, TextAnchor] = field(default_factory=dict)
    cell_frame: QRectF = field(default_factory=QRectF)


def polyline(*points: tuple[float, float]) -> QPainterPath:
    """A path through ``points`` with straight segments, like every wire in the diagram."""
    if len(points) < 2:
        raise ValueError(f"a wire needs at least 2 points, got {len(points)}")
    path = QPainterPath(QPointF(*points[0]))
    for x, y in points[1:]:
        path.lineTo(x, y)
    return path


def cell_width(cells: int) -> float:
    """Width of one cell in a strip of ``cells``: a few units get wider, easier cells."""
    return min(MAX_CELL_WIDTH, STRIP_LENGTH / max(cells, 1))


def strip_rect(geometry: StripGeometry, cells: int) -> QRectF:
    """The rectangle of a strip of ``cells`` value cells."""
    width = cells * cell_width(cells)
    return QRectF(
        geometry.center.x() - width / 2,
        geometry.center.y() - CELL_HEIGHT / 2,
        width,
        CELL_HEIGHT,
    )


def lstm_layout() -> Layout:
    """The LSTM cell: four layers (σ f, σ i, tanh g, σ o) and the belt above them."""
    y_belt, y_bus, y_box = 190.0, 930.0, 790.0
    # The gate strips sit high above their layers: grown for a projector, each gate's
    # number slides down under the labels level with it and still clears the layer box.
    y_gate_strip, y_ig_op, y_ig_strip, y_h_op = 620.0, 500.0, 345.0, 545.0
    # tanh C_t's strip sits high, so its number clears the output × below it.
    y_tanh, y_tanh_strip, y_h_strip = 360.0, 435.0, 800.0
    x_cat, x_f, x_i, x_g, x_o, x_h = 330.0, 480.0, 810.0, 1140.0, 1470.0, 1760.0
    x_in, x_belt_out, x_h_fork, x_out = 20.0, 1870.0, 1920.0, 1990.0
    r = OP_RADIUS
    box_top = y_box - LAYER_SIZE.height() / 2
    box_bottom = y_box + LAYER_SIZE.height() / 2

    layout = Layout(cell_frame=QRectF(150.0, 110.0, 1710.0, 880.0))
    layout.nodes = {
        "forget_layer": NodeGeometry("layer", QPointF(x_f, y_box), "σ"),
        "input_layer": NodeGeometry("layer", QPointF(x_i, y_box), "σ"),
        "candidate_layer": NodeGeometry("layer", QPointF(x_g, y_box), "tanh"),
        "output_layer": NodeGeometry("layer", QPointF(x_o, y_box), "σ"),
        "forget_mul": NodeGeometry("pointwise", QPointF(x_f, y_belt), "×"),
        "input_mul": NodeGeometry("pointwise", QPointF(x_g, y_ig_op), "×"),
        "cell_add": NodeGeometry("pointwise", QPointF(x_g, y_belt), "+"),
        "cell_tanh": NodeGeometry("pointwise", QPointF(x_h, y_tanh), "tanh"),
        "output_mul": NodeGeometry("pointwise", QPointF(x_h, y_h_op), "×"),
    }
    layout.wires = {
        # Inputs.
        "c_prev": polyline((x_in, y_belt), (x_f - r, y_belt)),
        "h_prev": polyline((x_in, y_bus), (x_cat, y_bus)),
        "x": polyline((x_cat, 1110.0), (x_cat, y_bus)),
        # The concatenation [h_{t-1}, x_t] forks up into each layer.
        "bus_f": polyline((x_cat, y_bus), (x_f, y_bus), (x_f, box_bottom)),
        "bus_i": polyline((x_cat, y_bus), (x_i, y_bus), (x_i, box_bottom)),
        "bus_g": polyline((x_cat, y_bus), (x_g, y_bus), (x_g, box_bottom)),
        "bus_o": polyline((x_cat, y_bus), (x_o, y_bus), (x_o, box_bottom)),
        # Gate outputs.
        "f": polyline((x_f, box_top), (x_f, y_belt + r)),
        "i": polyline((x_i, box_top), (x_i, y_ig_op), (x_g - r, y_ig_op)),
        "g": polyline((x_g, box_top), (x_g, y_ig_op + r)),
        "o": polyline((x_o, box_top), (x_o, y_h_op), (x_h - r, y_h_op)),
        # The belt and what joins it.
        "fc": polyline((x_f + r, y_belt), (x_g - r, y_belt)),
        "ig": polyline((x_g, y_ig_op - r), (x_g, y_belt + r)),
        "c": polyline((x_g + r, y_belt), (x_h, y_belt)),
        "c_out": polyline((x_h, y_belt), (x_belt_out, y_belt)),
        "c_to_tanh": polyline((x_h, y_belt), (x_h, y_tanh - r)),
        "tanh_c": polyline((x_h, y_tanh + r), (x_h, y_h_op - r)),
        # h_t leaves to the next step (right) and to the layer above or the output (up).
        "h": polyline((x_h, y_h_op + r), (x_h, y_bus), (x_h_fork, y_bus)),
        "h_out": polyline((x_h_fork, y_bus), (x_out, y_bus)),
        "h_up": polyline((x_h_fork, y_bus), (x_h_fork, 40.0)),
    }
    layout.strips = {
        "c_prev": StripGeometry(QPointF(250.0, y_belt), "above"),
        "h_prev": StripGeometry(QPointF(185.0, y_bus), "above"),
        "x": StripGeometry(QPointF(x_cat, 1030.0), "left"),
        "f": StripGeometry(QPointF(x_f, y_gate_strip), "left"),
        "i": StripGeometry(QPointF(x_i, y_gate_strip), "left"),
        "g": StripGeometry(QPointF(x_g, y_gate_strip), "left"),
        "o": StripGeometry(QPointF(x_o, y_gate_strip), "left"),
        "fc": StripGeometry(QPointF((x_f + x_g) / 2, y_belt), "above"),
        "ig": StripGeometry(QPointF(x_g, y_ig_strip), "left"),
        "c": StripGeometry(QPointF((x_g + x_h) / 2, y_belt), "above"),
        "tanh_c": StripGeometry(QPointF(x_h, y_tanh_strip), "left"),
        "h": StripGeometry(QPointF(x_h, y_h_strip), "left"),
    }
    layout.texts = {
        "header": TextAnchor(QPointF(20.0, 10.0), "left"),
        "window": TextAnchor(QPointF(1980.0, 1080.0), "right"),
        # Under each layer, beside the wire that feeds it.
        "forget_layer": TextAnchor(QPointF(x_f + 12.0, box_bottom + 12.0), "left"),
        "input_layer": TextAnchor(QPointF(x_i + 12.0, box_bottom + 12.0), "left"),
        "candidate_layer": TextAnchor(QPointF(x_g + 12.0, box_bottom + 12.0), "left"),
        "output_layer": TextAnchor(QPointF(x_o + 12.0, box_bottom + 12.0), "left"),
        "c_out": TextAnchor(QPointF(x_belt_out, y_belt - 60.0), "right"),
        "h_out": TextAnchor(QPointF(x_out, y_bus + 14.0), "right"),
        "h_up": TextAnchor(QPointF(x_h_fork + 14.0, 40.0), "left"),
    }
    return layout


def rnn_layout(nonlinearity: str = "tanh") -> Layout:
    """The simple RNN: one tanh (or ReLU) layer, h_t fed back over the top into the left
    input."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    y_main, y_loop = 620.0, 70.0
    x_loop_in, x_cat, x_box, x_fork, x_loop_out = 110.0, 440.0, 900.0, 1500.0, 1880.0
    box = LAYER_SIZE
    layout = Layout(cell_frame=QRectF(250.0, 380.0, 1400.0, 440.0))
    symbol = "tanh" if nonlinearity == "tanh" else "ReLU"
    layout.nodes = {"rnn_layer": NodeGeometry("layer", QPointF(x_box, y_main), symbol)}
    layout.wires = {
        "h_prev": polyline((x_loop_in, y_main), (x_cat, y_main)),
        "x": polyline((x_cat, 1100.0), (x_cat, y_main)),
        "bus": polyline((x_cat, y_main), (x_box - box.width() / 2, y_main)),
        "h": polyline((x_box + box.width() / 2, y_main), (x_fork, y_main)),
        "h_up": polyline((x_fork, y_main), (x_fork, 180.0)),
        # The recurrence: this step's h_t is the next step's h_{t-1}.
        "loop": polyline(
            (x_fork, y_main),
            (x_loop_out, y_main),
            (x_loop_out, y_loop),
            (x_loop_in, y_loop),
            (x_loop_in, y_main),
        ),
    }
    layout.strips = {
        "h_prev": StripGeometry(QPointF(285.0, y_main), "above"),
        "x": StripGeometry(QPointF(x_cat, 950.0), "left"),
        # High above the layer and h right of centre: grown for a projector, the number
        # under a's strip clears the layer's box and h's label.
        "pre": StripGeometry(QPointF(x_box, y_main - 140.0), "left"),
        "h": StripGeometry(QPointF(1280.0, y_main), "above"),
    }
    layout.texts = {
        "header": TextAnchor(QPointF(20.0, 10.0), "left"),
        # Bottom right, as in the other cells: beside the header, a long window of units
        # ran into it once the text grew for a small view.
        "window": TextAnchor(QPointF(1980.0, 1080.0), "right"),
        "h_up": TextAnchor(QPointF(x_fork + 14.0, 180.0), "left"),
        "rnn_layer": TextAnchor(QPointF(x_box, y_main + box.height() / 2 + 16.0), "center"),
        "loop": TextAnchor(QPointF((x_loop_in + x_loop_out) / 2, y_loop + 12.0), "center"),
    }
    return layout


def gru_layout(reset_after: bool = True, gate: str = "σ", candidate: str = "tanh") -> Layout:
    """The GRU cell: no belt; h_{t-1} runs along the top, where z keeps part of it and the
    candidate fills in the rest (h_t = z ⊙ h_{t-1} + (1 - z) ⊙ n). Below, three layers
    (σ z, σ r, tanh n, or the layer's own ``gate`` and ``candidate`` functions); the reset
    gate scales the candidate's recurrent term on the branch between them: after its layer
    W_hn·+b_hn (``reset_after``, PyTorch) or before it."""
    y_top, y_mix, y_reset, y_box, y_bus = 190.0, 400.0, 560.0, 790.0, 930.0
    y_gate_strip = 655.0
    x_in, x_cat, x_z, x_r, x_one = 20.0, 330.0, 520.0, 850.0, 960.0
    x_tap, x_bend, x_n, x_fork, x_out = 1280.0, 1510.0, 1712.0, 1975.0, 2000.0
    x_linear = x_tap if reset_after else 1420.0
    y_linear = y_box if reset_after else y_reset
    r = OP_RADIUS
    half_box = LAYER_SIZE.height() / 2
    box_top, box_bottom = y_box - half_box, y_box + half_box
    pill = 2.0 * OP_RADIUS  # half the width of the "1 −" pill

    layout = Layout(cell_frame=QRectF(150.0, 110.0, 1800.0, 880.0))
    layout.nodes = {
        "update_layer": NodeGeometry("layer", QPointF(x_z, y_box), gate),
        "reset_layer": NodeGeometry("layer", QPointF(x_r, y_box), gate),
        "hn_layer": NodeGeometry("layer", QPointF(x_linear, y_linear), "W·+b"),
        "candidate_layer": NodeGeometry("layer", QPointF(x_n, y_box), candidate),
        "reset_mul": NodeGeometry("pointwise", QPointF(x_tap, y_reset), "×"),
        "one_minus": NodeGeometry("pointwise", QPointF(x_one, y_mix), "1−"),
        "keep_mul": NodeGeometry("pointwise", QPointF(x_z, y_top), "×"),
        "mix_mul": NodeGeometry("pointwise", QPointF(x_n, y_mix), "×"),
        "hidden_add": NodeGeometry("pointwise", QPointF(x_n, y_top), "+"),
    }
    half_linear = LAYER_SIZE.width() / 2
    if reset_after:
        # h_{t-1} → W_hn·+b_hn → hn → × r → the candidate.
        recurrent = {
            "h_reset": polyline((x_cat, y_bus), (x_tap, y_bus), (x_tap, box_bottom)),
            "hn": polyline((x_tap, box_top), (x_tap, y_reset + r)),
            "reset": polyline(
                (x_tap + r, y_reset), (x_bend, y_reset), (x_bend, y_box), (x_n - 65.0, y_box)
            ),
        }
        hn_strip = StripGeometry(QPointF(x_tap, 640.0), "left")
    else:
        # h_{t-1} → × r → W_hn·+b_hn → hn → the candidate.
        recurrent = {
            "h_reset": polyline((x_cat, y_bus), (x_tap, y_bus), (x_tap, y_reset + r)),
            "reset": polyline((x_tap + r, y_reset), (x_linear - half_linear, y_reset)),
            "hn": polyline(
                (x_linear + half_linear, y_reset),
                (x_bend, y_reset),
                (x_bend, y_box),
                (x_n - 65.0, y_box),
            ),
        }
        hn_strip = StripGeometry(QPointF(x_bend, 670.0), "left")
    layout.wires = {
        # Inputs: h_{t-1} along the top, dropping into the bus where x_t joins it.
        "h_prev": polyline((x_in, y_top), (x_cat, y_top)),
        "x": polyline((x_cat, 1110.0), (x_cat, y_bus)),
        "h_down": polyline((x_cat, y_top), (x_cat, y_bus)),
        # The concatenation [h_{t-1}, x_t] feeds the two gates; the candidate reads x_t.
        "bus_z": polyline((x_cat, y_bus), (x_z, y_bus), (x_z, box_bottom)),
        "bus_r": polyline((x_cat, y_bus), (x_r, y_bus), (x_r, box_bottom)),
        "bus_n": polyline((x_cat, y_bus), (x_n, y_bus), (x_n, box_bottom)),
        # Gate outputs.
        "r": polyline((x_r, box_top), (x_r, y_reset), (x_tap - r, y_reset)),
        "z": polyline((x_z, box_top), (x_z, y_top + r)),
        "z_to_one": polyline((x_z, y_mix), (x_one - pill, y_mix)),
        **recurrent,
        "n": polyline((x_n, box_top), (x_n, y_mix + r)),
        # The interpolation along the top.
        "h_keep": polyline((x_cat, y_top), (x_z - r, y_top)),
        "one_minus_z": polyline((x_one + pill, y_mix), (x_n - r, y_mix)),
        "keep": polyline((x_z + r, y_top), (x_n - r, y_top)),
        "mix": polyline((x_n, y_mix - r), (x_n, y_top + r)),
        # h_t leaves to the next step (right) and to the layer above or the output (up).
        "h": polyline((x_n + r, y_top), (x_fork, y_top)),
        "h_out": polyline((x_fork, y_top), (x_out, y_top)),
        "h_up": polyline((x_fork, y_top), (x_fork, 40.0)),
    }
    layout.strips = {
        "h_prev": StripGeometry(QPointF(185.0, y_top), "above"),
        "x": StripGeometry(QPointF(x_cat, 1030.0), "left"),
        "z": StripGeometry(QPointF(x_z, y_gate_strip), "left"),
        # Higher than z's, so that z's number and r's label never meet on a projector.
        "r": StripGeometry(QPointF(x_r, 595.0), "left"),
        "hn": hn_strip,
        "n": StripGeometry(QPointF(x_n, 610.0), "left"),
        "h": StripGeometry(QPointF(1858.0, y_top), "above", value_below=True),
    }
    layout.texts = {
        "header": TextAnchor(QPointF(20.0, 10.0), "left"),
        "window": TextAnchor(QPointF(1980.0, 1080.0), "right"),
        # Under each layer, beside the wire that feeds it.
        "update_layer": TextAnchor(QPointF(x_z + 12.0, box_bottom + 12.0), "left"),
        "reset_layer": TextAnchor(QPointF(x_r + 12.0, box_bottom + 12.0), "left"),
        "candidate_layer": TextAnchor(QPointF(x_n + 12.0, box_bottom + 12.0), "left"),
        # Each convention writes its formula once: above the reset × when r scales
        # W_hn h_{t-1} + b_hn, above the W·+b box when r scales h_{t-1} before it.
        "hn_layer": TextAnchor(QPointF(x_linear, y_reset - half_box - 58.0), "center"),
        # What the top line carries, and what the reset product is.
        "keep": TextAnchor(QPointF((x_z + x_n) / 2, y_top + 14.0), "center"),
        "mix_mul": TextAnchor(QPointF(x_n - 40.0, y_mix - 70.0), "right"),
        "reset_mul": TextAnchor(QPointF(x_tap - 30.0, y_reset - 2 * r - 40.0), "right"),
        "h_out": TextAnchor(QPointF(x_out - 4.0, y_top + 30.0), "right"),
        "h_up": TextAnchor(QPointF(x_fork - 14.0, 40.0), "right"),
    }
    return layout
