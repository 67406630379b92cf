"""What the unrolled chain's text tests measure: its labels and titles, and the smallest
of them as drawn."""

from __future__ import annotations

from PySide6.QtWidgets import QGraphicsSimpleTextItem

from lstm_sim.gui.diagram.unrolled import UnrolledScene, UnrolledView


def chain_texts(chain: UnrolledScene) -> list[QGraphicsSimpleTextItem]:
    """Every label and title the chain draws."""
    return [item for item in chain.items() if isinstance(item, QGraphicsSimpleTextItem)]


def smallest_text_on_screen(view: UnrolledView) -> float:
    """The smallest label or title as drawn, in device-independent pixels."""
    smallest = min(item.font().pixelSize() for item in chain_texts(view.chain))
    return float(smallest * view.transform().m11())
