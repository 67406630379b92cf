"""The window's view settings and guide, without Qt: validation, one signal per real
change, and a guide that follows whatever the session loads."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import Network
from lstm_sim.model import Session
from lstm_sim.model.app_state import AppState
from lstm_sim.model.demo import DEMO_GUIDE, DEMO_TITLE, demo_inputs, demo_network
from lstm_sim.model.guide import GENERIC_GUIDE
from lstm_sim.model.view_settings import SPEEDS, ViewSettings


def test_each_setting_emits_once_per_real_change() -> None:
    settings = ViewSettings()
    seen: list[tuple[str, object]] = []
    settings.theme_changed.connect(lambda v: seen.append(("theme", v)))
    settings.reduced_motion_changed.connect(lambda v: seen.append(("reduced", v)))
    settings.speed_changed.connect(lambda v: seen.append(("speed", v)))
    settings.no_spoilers_changed.connect(lambda v: seen.append(("spoilers", v)))
    settings.theme = "dark"
    settings.theme = "dark"
    settings.reduced_motion = True
    settings.reduced_motion = True
    settings.speed = 4.0
    settings.speed = 4
    settings.no_spoilers = True
    assert seen == [("theme", "dark"), ("reduced", True), ("speed", 4.0), ("spoilers", True)]
    assert (settings.theme, settings.reduced_motion, settings.speed) == ("dark", True, 4.0)
    assert 1.0 in SPEEDS and max(SPEEDS) == 4.0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("theme", "sepia", "theme must be one of"), ("speed", 0.0, "speed must be positive")],
)
def test_bad_values_are_refused_and_change_nothing(name: str, value: object, message: str) -> None:
    settings = ViewSettings()
    with pytest.raises(ValueError, match=message):
        setattr(settings, name, value)
    assert (settings.theme, settings.speed) == ("light", 1.0)
    with pytest.raises(ValueError, match="theme"):
        ViewSettings("sepia")


def test_the_guide_follows_every_network_the_session_loads() -> None:
    session = Session(demo_network(), demo_inputs(), title=DEMO_TITLE)
    state = AppState(session)
    assert (state.guide.title, state.guide.text) == (DEMO_TITLE, DEMO_GUIDE)
    changes: list[tuple[str, str]] = []
    state.guide.changed.connect(lambda title, text: changes.append((title, text)))
    rng = np.random.default_rng(0)
    described = Network.random("lstm", 2, 3, rng)
    described.metadata["description"] = "Unit 2 counts."
    session.load(described, rng.uniform(size=(4, 2)), title="counter")
    bare = Network.random("rnn", 2, 3, rng)
    bare.source = "/models/bare.npz"
    session.load(bare, rng.uniform(size=(4, 2)))
    session.load(bare, rng.uniform(size=(5, 2)))  # the same guide: no signal
    assert changes == [("counter", "Unit 2 counts."), ("bare.npz", GENERIC_GUIDE)]
    state.guide.detach()
    session.load(described, rng.uniform(size=(4, 2)), title="counter")
    assert len(changes) == 2
