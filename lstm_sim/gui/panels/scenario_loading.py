"""What the scenario picker lists and what opening a scenario loads, read from the
registry (:mod:`lstm_sim.model.scenario_registry`) plus the code reader, which the demo
views open themselves. No Qt here, so the command line can check a name cheaply."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.model import scenario_registry
from lstm_sim.model.scenarios import python_code

CODE_READER = python_code.SCENARIO.name
CODE_READER_TITLE = python_code.TITLE
CODE_READER_SUMMARY = python_code.SUMMARY
scenario_names = scenario_registry.scenario_names
check_name = scenario_registry.check_name
listings = scenario_registry.listings


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario ready for the session: ``networks[0]`` is simulated; a second network
    (the long-lag RNN) is its partner in the gradient comparison; ``unit`` is the unit
    the description names, selected on opening so the lecturer can point at it."""

    name: str
    title: str
    description: str
    networks: tuple[Network, ...]
    inputs: np.ndarray | list[str]
    unit: int


def load_scenario(name: str) -> LoadedScenario:
    """The shipped network(s), default input and description of scenario ``name``; a
    missing or broken model file raises ValueError naming it."""
    if name == CODE_READER:
        raise ValueError("the code reader is opened by the demo views, not loaded here")
    scenario = scenario_registry.get(name)
    networks = scenario.load_networks()
    inputs = scenario.default_input()
    tokens_or_values = list(inputs) if isinstance(inputs, tuple) else np.asarray(inputs)
    unit = scenario.opening_unit(networks[0])
    return LoadedScenario(
        scenario.name, scenario.title, scenario.description(), networks, tokens_or_values, unit
    )
