"""Telling the user where the run on screen first went NaN or infinite: a message in the
status bar and a marker line at that step on the trace plots.

The session shows what the network computed, NaN included; without this, the equation
would read "relu(nan) = nan" with nothing saying where the overflow began.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QStatusBar

from lstm_sim.engine.nonfinite import NonFinite, first_nonfinite
from lstm_sim.gui.panels.status_part import StatusPart
from lstm_sim.gui.plots.trace_plot import MARKER_COLOR, TracePlotWidget
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session


class NonFiniteMarker:
    """Follows the session's trace; shows the first NaN or infinity, or nothing."""

    def __init__(
        self, session: Session, status_bar: QStatusBar, plots: Sequence[TracePlotWidget]
    ) -> None:
        self.session = session
        self.plots = list(plots)
        self.label = StatusPart()  # set off from the status line's parts before it
        self.label.setStyleSheet(f"color: {MARKER_COLOR}; font-weight: bold")
        self.label.setVisible(False)
        status_bar.addPermanentWidget(self.label)
        self.found: NonFinite | None = None
        self._unsubscribe = subscribe(self, session)
        self.update()

    def detach(self) -> None:
        self._unsubscribe()

    def update(self, start: int = 0) -> None:
        """Find the first NaN or infinity of the trace, whose steps before ``start`` are
        as they were, and show it, or hide the notice."""
        if self.found is not None and self.found.step is not None and self.found.step < start:
            return  # still the first: nothing before start changed
        # Steps before start were searched before and held no NaN or infinity.
        self.found = found = first_nonfinite(self.session.trace, start)
        if found is None:
            self.label.setVisible(False)
            self.label.clear()
        else:
            self.label.setText(f"First NaN/inf: {found.describe()}")
            self.label.setToolTip(
                f"The run produced NaN or infinity, first at {found.describe()}: the values "
                "from there on are what the network computed, not an error of the display."
            )
            self.label.setVisible(True)
        for plot in self.plots:
            plot.mark_step(None if found is None else found.step)

    def _on_network_changed(self) -> None:
        self.update()

    def _on_trace_changed(self, start: int) -> None:
        self.update(start)
