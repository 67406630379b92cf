"""What is open and how it was opened, and the one place that opens anything.

The command line's window start, File ▸ Open, File ▸ New random model, the scenario
picker, drag and drop and the Demos menu all open through :class:`Opener`, so each way of
opening loads, names and selects alike. A load that fails raises ValueError or OSError and
leaves the session as it was; the caller says so where the user looks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import numpy as np
from psygnal import Signal

from lstm_sim.engine.network import Kind, Network
from lstm_sim.model.demo import DEMO_TITLE, model_from_file, random_model
from lstm_sim.model.scenario import ViewHint
from lstm_sim.model.session import Session

OpeningKind = Literal["demo", "file", "scenario", "random", "session"]


@dataclass(frozen=True)
class Opening:
    """How the session's network came to be open.

    kind: "demo" (the built-in demo), "file" (a model file, ``source`` its path),
    "scenario" (``source`` its name), "random" (a freshly initialised network, ``source``
    says which) or "session" (a network handed to the session as it is: a trained model
    applied, a model from Python); title: the session's title; view: a view the scenario
    opens besides the cell; partners: the scenario's other models (the long-lag RNN),
    for that view.
    """

    kind: OpeningKind
    source: str
    title: str
    view: ViewHint | None = None
    partners: tuple[Network, ...] = ()


class Opener:
    """Loads files, scenarios and random models into one session; ``opened`` fires
    with the :class:`Opening` after each successful load."""

    opened = Signal(object)  # the Opening

    def __init__(self, session: Session) -> None:
        self.session = session
        self.current = self._as_found()
        self._loading = False
        session.network_changed.connect(self._on_network_changed)

    def _as_found(self) -> Opening:
        """The opening of a network this opener did not load."""
        kind: OpeningKind = "demo" if self.session.title == DEMO_TITLE else "session"
        return Opening(kind, self.session.network.source, self.session.title)

    def _load(
        self, opening: Opening, network: Network, inputs: np.ndarray | list[str], unit: int = 0
    ) -> Opening:
        self._loading = True
        try:
            self.session.load(network, inputs, title=opening.title)
        finally:
            self._loading = False
        self.session.select_unit(unit)
        self.current = opening
        self.opened.emit(opening)
        return opening

    def open_file(self, path: str | os.PathLike[str]) -> Opening:
        """The model in ``path`` on its default inputs."""
        network, inputs, title = model_from_file(path)
        return self._load(Opening("file", os.fspath(path), title), network, inputs)

    def open_scenario(self, name: str) -> Opening:
        """The lecture scenario ``name``: its shipped model on its opening input, the unit
        its description names selected; a missing or broken model raises ValueError."""
        # A start on a model file or the demo needs no registry: imported when used.
        from lstm_sim.model.scenario_registry import get

        scenario = get(name)
        networks = scenario.load_networks()
        scenario.description()  # the guide reads it: a model without one is refused here
        made = scenario.default_input()
        inputs = list(made) if isinstance(made, tuple) else np.asarray(made)
        unit = scenario.opening_unit(networks[0])
        opening = Opening("scenario", name, scenario.title, scenario.view, networks[1:])
        return self._load(opening, networks[0], inputs, unit)

    def open_random(
        self, kind: Kind, input_size: int, hidden_size: int, num_layers: int, seed: int, steps: int
    ) -> Opening:
        """A freshly initialised network on a seeded input (see :func:`random_model`)."""
        network, inputs = random_model(kind, input_size, hidden_size, num_layers, seed, steps)
        return self._load(Opening("random", network.source, network.source), network, inputs)

    def _on_network_changed(self) -> None:
        if not self._loading:
            self.current = self._as_found()

    def detach(self) -> None:
        self.session.network_changed.disconnect(self._on_network_changed)
