"""The lecture tour's caption band: the stop's title, where it is in the tour, and its
narration, under the cell; large in presentation mode, hidden when no tour runs."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from lstm_sim.model.tour_state import ShownStop, TourState

NORMAL_PT = 12
PRESENTING_PT_AT_1080 = 26
"""The narration's size in presentation mode on a 1080-pixel-high screen."""


class TourCaption(QFrame):
    """Follows a :class:`TourState`; shows nothing (and takes no room) off the tour."""

    def __init__(self, tour: TourState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tour = tour
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.label)
        self._point_size = NORMAL_PT
        self._plain = ""
        tour.changed.connect(self._on_changed)
        self._on_changed(tour.shown)

    def detach(self) -> None:
        self.tour.changed.disconnect(self._on_changed)

    def set_point_size(self, points: int) -> None:
        """The narration's size; the title is a little larger."""
        self._point_size = points
        self._on_changed(self.tour.shown)

    def text(self) -> str:
        """What the band says, as plain text."""
        return self._plain

    def _on_changed(self, shown: ShownStop | None) -> None:
        if shown is None:
            self._plain = ""
            self.label.clear()
            self.hide()
            return
        title = f"{shown.stop.title}  ({shown.position})"
        self._plain = f"{title}\n{shown.caption}"
        big = round(self._point_size * 1.2)
        self.label.setText(
            f"<div style='font-size:{big}pt'><b>{html.escape(shown.stop.title)}</b>"
            f" <span style='font-size:{self._point_size}pt'>· {shown.position}</span></div>"
            f"<div style='font-size:{self._point_size}pt'>{html.escape(shown.caption)}</div>"
        )
        self.show()
