"""What a plot over time adds for a bidirectional layer, whose two passes it shows at once
(:mod:`lstm_sim.model.both_passes`): a cursor per pass at the step that pass is at, the
followed pass's drawn as every plot's cursor is and the other's in grey, a "no spoilers"
curtain per pass, and, in a heatmap with a row block per pass, the line between the
blocks and the blocks' names on the right.

A step moves these marks only (a few points each), at any T.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter

from lstm_sim.gui.colors import Palette
from lstm_sim.gui.plots.readable_axis import ReadableAxis
from lstm_sim.model.both_passes import both_steps_caption, other_pass, pass_steps
from lstm_sim.model.pass_view import Pass

BLOCK_LABEL_PT = 10
"""The size of the names of a heatmap's row blocks."""
CAPTION_PT = 10


@dataclass
class PassBlock:
    """Rows ``low``..``high`` (view coordinates) of a plot show pass ``shown``; a block of
    a whole plot has no rows: its marks span the plot's height."""

    shown: Pass
    low: float | None = None
    high: float | None = None

    def holds(self, y: float) -> bool:
        return self.low is None or self.high is None or self.low <= y < self.high


class BlockUnitAxis(ReadableAxis):
    """A heatmap's left axis with a row block per pass: each block numbers its own units
    from 0 (row H + u is unit u of the reverse pass)."""

    def __init__(self, units_per_block: int) -> None:
        super().__init__("left")
        self.units_per_block = units_per_block

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        """The same units labelled in every block, spaced to fit one block's height."""
        rows = self.units_per_block
        span = abs(maxVal - minVal)
        if span == 0 or size <= 0:
            return []
        levels = self.tickSpacing(-0.5, rows - 0.5, size * rows / span)
        spacing = max(1.0, levels[0][0]) if levels else float(rows)
        units = np.arange(0.0, rows, spacing)
        # A label too near the next block's 0 would print over it.
        units = units[(rows - units) * size / span >= self._min_gap_px()]
        blocks = round(span / rows)
        return [(spacing, [block * rows + unit for block in range(blocks) for unit in units])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [str(round(value) % self.units_per_block) for value in values]


class PassAxis(pg.AxisItem):
    """A heatmap's right axis naming its row blocks, the followed pass's name in bold in
    the highlight colour."""

    def __init__(self, blocks: list[PassBlock]) -> None:
        super().__init__("right")
        ticks = []
        for block in blocks:
            assert block.low is not None and block.high is not None
            ticks.append(((block.low + block.high) / 2, block.shown))
        self.setTicks([ticks, []])
        self.followed: Pass = "forward"
        self.emphasis = QColor("#e8590c")
        self.label_font = QFont()
        self.label_font.setPointSize(BLOCK_LABEL_PT)
        bold = QFont(self.label_font)
        bold.setBold(True)
        # Room for the widest name in bold, fixed: the axis never resizes the plot.
        width = max(QFontMetrics(bold).horizontalAdvance(name) for _, name in ticks)
        self.setStyle(
            tickFont=self.label_font,
            tickLength=0,
            autoExpandTextSpace=False,
            tickTextWidth=width,
            tickTextHeight=QFontMetrics(bold).height(),
        )

    def emphasise(self, followed: Pass, color: QColor) -> None:
        if followed != self.followed or color != self.emphasis:
            self.followed, self.emphasis = followed, QColor(color)
            self.picture = None  # pyqtgraph redraws the axis from its specs on the next paint
            self.update()

    def drawPicture(self, p: QPainter, axisSpec, tickSpecs, textSpecs) -> None:
        plain = [spec for spec in textSpecs if spec[2] != self.followed]
        super().drawPicture(p, axisSpec, tickSpecs, plain)
        bold = QFont(self.label_font)
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(self.emphasis)
        for rect, flags, text in textSpecs:
            if text == self.followed:
                # The bold name is wider than the plain one the rectangle was measured for.
                wide = QRectF(rect)
                wide.setWidth(QFontMetrics(bold).horizontalAdvance(text) + 2)
                p.drawText(wide, int(flags), text)


class PassMarks:
    """The per-pass cursors and curtains of one plot widget's plots, by plot key."""

    def __init__(self) -> None:
        self.blocks: dict[str, list[PassBlock]] = {}
        self._whole: dict[str, tuple[pg.InfiniteLine, pg.LinearRegionItem]] = {}
        self._cursors: dict[str, list[pg.PlotCurveItem]] = {}
        self._curtains: dict[str, list[pg.PlotCurveItem]] = {}
        self._axes: list[PassAxis] = []
        self._separators: list[pg.InfiniteLine] = []
        self._caption: pg.LabelItem | None = None
        self._styled_for: str | None = None  # the theme the axes and the caption have
        self.caption_tail = ""
        """A second line under the caption (what reads the layer's output)."""

    def add_caption(self, label: pg.LabelItem) -> None:
        """Say in ``label`` where both passes are, and below that :attr:`caption_tail`."""
        self._caption = label

    def add_plot(
        self, key: str, shown: Pass, cursor: pg.InfiniteLine, curtain: pg.LinearRegionItem
    ) -> None:
        """Plot ``key`` shows pass ``shown`` only: its own cursor and curtain follow that
        pass."""
        self.blocks[key] = [PassBlock(shown)]
        self._whole[key] = (cursor, curtain)

    def add_blocks(
        self,
        key: str,
        plot: pg.PlotItem,
        blocks: list[PassBlock],
        cursor: pg.InfiniteLine,
        curtain: pg.LinearRegionItem,
    ) -> None:
        """Plot ``key`` shows a row block per pass: a cursor and a curtain per block, a
        line between the blocks and their names on a right axis, in place of the plot's
        own ``cursor`` and ``curtain``, which span every block."""
        plot.removeItem(cursor)
        plot.removeItem(curtain)
        self.blocks[key] = blocks
        cursors, curtains = [], []
        for block in blocks:
            cursor = pg.PlotCurveItem()
            cursor.setZValue(10)  # as the plot's own cursor: above the data and the curtain
            curtain = pg.PlotCurveItem(fillLevel=block.low)
            curtain.setZValue(8.5)
            curtain.setVisible(False)
            plot.addItem(cursor, ignoreBounds=True)
            plot.addItem(curtain, ignoreBounds=True)
            cursors.append(cursor)
            curtains.append(curtain)
        self._cursors[key], self._curtains[key] = cursors, curtains
        for block in blocks[1:]:
            separator = pg.InfiniteLine(pos=block.low, angle=0, movable=False)
            separator.setZValue(9.5)  # over the selected unit's outline, under the cursors
            plot.addItem(separator, ignoreBounds=True)
            self._separators.append(separator)
        axis = PassAxis(blocks)
        plot.setAxisItems({"right": axis})
        plot.showAxis("right")
        self._axes.append(axis)

    def pass_at(self, key: str, y: float) -> Pass | None:
        """The pass shown at height ``y`` of plot ``key``, None if it shows none there."""
        for block in self.blocks.get(key, []):
            if block.holds(y):
                return block.shown
        return None

    def move(
        self, *, num_steps: int, followed: Pass, t: int, no_spoilers: bool, palette: Palette
    ) -> None:
        """Put every pass's cursor at the step it is at while ``followed`` is at ``t``."""
        steps = pass_steps(num_steps, followed, t)
        pens = {
            followed: pg.mkPen(palette.highlight, width=2, style=Qt.PenStyle.DashLine),
            other_pass(followed): pg.mkPen(palette.caption, width=2, style=Qt.PenStyle.DashLine),
        }
        for key, (cursor, curtain) in self._whole.items():
            shown = self.blocks[key][0].shown
            cursor.setValue(steps[shown])
            cursor.setPen(pens[shown])
            curtain.setVisible(no_spoilers)
            curtain.setRegion(unseen(num_steps, shown, steps[shown]))
        for key, cursors in self._cursors.items():
            for block, cursor, curtain in zip(
                self.blocks[key], cursors, self._curtains[key], strict=True
            ):
                step = float(steps[block.shown])
                cursor.setData([step, step], [block.low, block.high], pen=pens[block.shown])
                curtain.setVisible(no_spoilers)
                if no_spoilers:
                    first, last = unseen(num_steps, block.shown, steps[block.shown])
                    curtain.setData(
                        [first, last],
                        [block.high, block.high],
                        pen=pg.mkPen(None),
                        brush=pg.mkBrush(palette.background),
                    )
        restyle = palette.name != self._styled_for
        self._styled_for = palette.name
        if self._caption is not None:
            text = f"{both_steps_caption(num_steps, followed, t)}<br>{self.caption_tail}"
            if restyle or text != self._caption.text:
                self._caption.setText(text, color=palette.caption, size=f"{CAPTION_PT}pt")
        for axis in self._axes:
            # Setting a pen redraws the axis: only when the theme changed.
            if restyle:
                axis.setPen(palette.foreground)
                axis.setTextPen(palette.foreground)
            axis.emphasise(followed, palette.highlight)
        if restyle:
            for separator in self._separators:
                separator.setPen(pg.mkPen(palette.foreground, width=2))


def unseen(num_steps: int, shown: Pass, t: int) -> tuple[float, float]:
    """The steps pass ``shown`` has not reached at ``t``, as an x range: after t going
    forward, before t in reverse (an empty range when it has reached them all)."""
    if shown == "reverse":
        return -0.5, t - 0.5
    return t + 0.5, num_steps - 0.5


def stacked_blocks(rows_per_block: int) -> list[PassBlock]:
    """A row block per pass, forward rows first: rows 0..H-1 then H..2H-1."""
    edges = np.arange(3) * rows_per_block - 0.5
    return [
        PassBlock("forward", float(edges[0]), float(edges[1])),
        PassBlock("reverse", float(edges[1]), float(edges[2])),
    ]
