"""What the scenario picker lists and what opening a scenario loads, read from the
registry (:mod:`lstm_sim.model.scenario_registry`) plus the code reader, which the demo
views open themselves. No Qt here, so the command line can check a name cheaply."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.model import scenario_registry

CODE_READER = "code-reader"
CODE_READER_TITLE = "Karpathy's code reader"
CODE_READER_SUMMARY = (
    "A character-level LSTM trained on Python source. The code reader colours the text by "
    "any unit; Find units ranks the units that track strings, comments, indentation and "
    "brackets, and the gate-saturation plot shows which gates act as switches."
)


@dataclass(frozen=True)
class ScenarioListing:
    """One entry of the picker."""

    name: str
    title: str
    description: str


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


def scenario_names() -> list[str]:
    """Every name ``--scenario`` and the picker accept, in the lecture's order."""
    return [s.name for s in scenario_registry.SCENARIOS] + [CODE_READER]


def check_name(name: str) -> None:
    """ValueError listing the names when ``name`` is not a scenario."""
    if name not in scenario_names():
        raise ValueError(f"no scenario {name!r}; the scenarios are {', '.join(scenario_names())}")


def listings() -> list[ScenarioListing]:
    """Title and description of every scenario; a scenario whose model is missing is
    listed with its summary and claim, and says so when opened."""
    entries = []
    for scenario in scenario_registry.SCENARIOS:
        try:
            description = scenario.description()
        except (ValueError, OSError):
            description = f"{scenario.summary}.\nThe shipped model shows: {scenario.claim}."
        entries.append(ScenarioListing(scenario.name, scenario.title, description))
    entries.append(ScenarioListing(CODE_READER, CODE_READER_TITLE, CODE_READER_SUMMARY))
    return entries


def load_scenario(name: str) -> LoadedScenario:
    """The shipped network(s), default input and description of scenario ``name``; a
    missing or broken model file raises ValueError naming it."""
    if name == CODE_READER:
        raise ValueError("the code reader is opened by the demo views, not loaded here")
    scenario = scenario_registry.get(name)
    networks = scenario.load_networks()
    inputs = scenario.default_input()
    tokens_or_values = list(inputs) if isinstance(inputs, tuple) else np.asarray(inputs)
    unit, _sign = scenario_registry.described_unit(networks[0])
    return LoadedScenario(
        scenario.name, scenario.title, scenario.description(), networks, tokens_or_values, unit
    )
