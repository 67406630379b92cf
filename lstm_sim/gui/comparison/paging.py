"""How the vanishing-gradient picture shares its room: the cells side by side above the
plot where every label stays legible so, else one cell at a time above the plot, else each
cell and the plot on a page of its own.

Legible means each cell's smallest label reaches the asked on-screen size (14 px in the
window, a projector's size when presenting) with its text grown no further than the
cells keep clear at (:data:`~lstm_sim.gui.comparison.panel.NUMBERS_TEXT_SCALE`).
"""

from __future__ import annotations

from dataclasses import dataclass

from lstm_sim.gui.diagram.geometry import SCENE_RECT

PLOT = "plot"
"""The gradient plot's name on a page, beside the cells' kinds."""
COLUMN_MARGINS = 8
"""Pixels around each cell's column, both sides together."""


@dataclass(frozen=True)
class Room:
    """The panel's size and what its parts need, in pixels."""

    width: int
    height: int
    cells: tuple[str, ...]
    """The cells' kinds, left to right."""
    min_text_px: float
    """The smallest label's size wanted on screen."""
    cell_text_px: float
    """The smallest label's size in the scene at the largest text scale the cells allow."""
    title_height: int
    """A cell's title above it, with the margins of its column."""
    pager_height: int
    plot_min_height: int

    def scale_needed(self) -> float:
        """The view scale (screen pixels per scene unit) at which labels are legible."""
        return self.min_text_px / self.cell_text_px

    def cell_height_needed(self, count: int) -> int:
        """A row of ``count`` cells' height at :meth:`scale_needed`, titles included (the
        row is as tall whatever the count; none needs no height)."""
        if count == 0:
            return 0
        return round(SCENE_RECT.height() * self.scale_needed()) + self.title_height

    def fits(self, page: tuple[str, ...], paged: bool) -> bool:
        """Whether every cell on ``page`` is legible there (the plot keeping its minimum
        height beside them; ``paged``: a pager takes height too)."""
        count = sum(part != PLOT for part in page)
        if count == 0:
            return True
        height = self.height - (self.pager_height if paged else 0)
        if PLOT in page:
            height -= self.plot_min_height
        width = self.width / count - COLUMN_MARGINS
        return (
            width >= SCENE_RECT.width() * self.scale_needed()
            and height >= self.cell_height_needed(count)
        )


def pages_for(room: Room) -> list[tuple[str, ...]]:
    """The first arrangement whose every page fits ``room``: all on one page; one cell per
    page, each above the plot; each cell and the plot alone (also when nothing fits)."""
    cells = room.cells
    arrangements: list[list[tuple[str, ...]]] = [
        [(*cells, PLOT)],
        [(cell, PLOT) for cell in cells],
    ]
    for pages in arrangements:
        if all(room.fits(page, paged=len(pages) > 1) for page in pages):
            return pages
    return [*((cell,) for cell in cells), (PLOT,)]
