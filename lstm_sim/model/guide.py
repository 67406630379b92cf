"""What to watch for the model on screen (Help ▸ What to watch), Qt-free: the guide
follows the session, so every way of loading a model (a file, a scenario, the demo, a
trained model applied) gets the same guide for the same network."""

from __future__ import annotations

from pathlib import Path

from psygnal import Signal

from lstm_sim.model.demo import DEMO_GUIDE, DEMO_TITLE
from lstm_sim.model.session import Session

GENERIC_GUIDE = (
    "Step through with → (one phase) and ↓ (one time step). Watch the forget gate f and the "
    "input gate i of the selected unit: where f is near 0 the cell state c is wiped, where "
    "i is near 1 the candidate g is written. Click a heatmap cell to jump to that unit and step."
)

GRU_GUIDE = (
    "Step through with → (one phase) and ↓ (one time step). A GRU keeps no cell state: watch "
    "the update gate z of the selected unit. Where z is near 1, h_t keeps h_{t-1} as it was; "
    "where it is near 0, the candidate n replaces it. The reset gate r decides how much of "
    "h_{t-1} the candidate sees. Click a heatmap cell to jump to that unit and step."
)


def guide_for(session: Session) -> tuple[str, str]:
    """(title, text) of what to watch: the demo's guide, the model's own description
    (a scenario's model carries the description its analysis wrote), or general advice."""
    title = session.title or Path(session.network.source).name
    if session.title == DEMO_TITLE:
        return title, DEMO_GUIDE
    generic = GRU_GUIDE if session.network.kind == "gru" else GENERIC_GUIDE
    return title, session.network.metadata.get("description", generic)


class Guide:
    """The guide for the session's network; ``changed`` fires when a new network makes
    it say something else."""

    changed = Signal(str, str)  # (title, text)

    def __init__(self, session: Session) -> None:
        self.session = session
        self.title, self.text = guide_for(session)
        session.network_changed.connect(self._on_network_changed)

    def _show(self, title: str, text: str) -> None:
        if (title, text) != (self.title, self.text):
            self.title, self.text = title, text
            self.changed.emit(title, text)

    def _on_network_changed(self) -> None:
        self._show(*guide_for(self.session))

    def detach(self) -> None:
        self.session.network_changed.disconnect(self._on_network_changed)
