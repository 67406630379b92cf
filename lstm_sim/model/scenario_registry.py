"""Every lecture scenario, in the lecture's order, found by name. Each is declared in its
module of :mod:`lstm_sim.model.scenarios` (see :mod:`lstm_sim.model.scenario` for what a
scenario holds); this module only lists them. Nothing here imports Qt."""

from __future__ import annotations

from lstm_sim.engine.network import Network
from lstm_sim.model.scenario import (
    TRAINING_SEED,
    CheckResult,
    Scenario,
    ScenarioListing,
    Training,
    described_unit,
)
from lstm_sim.model.scenarios import counting, gender_stories, long_lag, python_code, sine

__all__ = [
    "LISTED",
    "SCENARIOS",
    "TRAINING_SEED",
    "CheckResult",
    "Scenario",
    "Training",
    "check_name",
    "described_unit",
    "get",
    "listings",
    "scenario_names",
    "scenario_of",
    "trained_by",
]

SCENARIOS: tuple[Scenario, ...] = (
    sine.SIMPLE_RNN,
    gender_stories.SCENARIO,
    long_lag.SCENARIO,
    long_lag.GRU_VS_LSTM,
    counting.SCENARIO,
    sine.SINE,
)
"""The scenarios trained by their recipe here (``scripts/train_scenarios.py`` and the
training panel), in the lecture's order."""

LISTED: tuple[Scenario, ...] = (*SCENARIOS, python_code.SCENARIO)
"""Every scenario, as the picker and ``lstm-sim scenarios`` list them: the recipe-trained
ones, then the code reader (trained by a script of its own)."""


def scenario_names() -> list[str]:
    """Every name ``--scenario`` and the picker accept, in the lecture's order."""
    return [scenario.name for scenario in LISTED]


def get(name: str) -> Scenario:
    """The scenario called ``name``; ValueError listing the names otherwise."""
    for scenario in LISTED:
        if scenario.name == name:
            return scenario
    raise ValueError(f"no scenario {name!r}; the scenarios are {', '.join(scenario_names())}")


def check_name(name: str) -> None:
    """ValueError listing the names when ``name`` is not a scenario."""
    get(name)


def listings() -> list[ScenarioListing]:
    """What the picker shows of every scenario; a scenario whose model is missing is
    listed with its summary and claim, and says so when opened."""
    entries = []
    for scenario in LISTED:
        try:
            description = scenario.picker_text or scenario.description()
        except (ValueError, OSError):
            description = f"{scenario.summary}.\nThe shipped model shows: {scenario.claim}."
        entries.append(ScenarioListing(scenario.name, scenario.title, description))
    return entries


def scenario_of(network: Network) -> Scenario | None:
    """The scenario whose data ``network`` was trained on, as its metadata names it (the
    shipped models, and models trained on a scenario's data in the window), or None."""
    name = network.metadata.get("scenario")
    return next((s for s in SCENARIOS if s.name == name), None)


def trained_by(resource: str) -> Scenario:
    """The scenario that trains, describes and checks the shipped model ``resource``: the
    first in the registry that lists it (``gru-vs-lstm`` shows the long-lag scenario's
    LSTM and RNN beside its own GRU)."""
    for scenario in SCENARIOS:
        if resource in scenario.models:
            return scenario
    raise ValueError(f"no scenario lists the model {resource!r}")
