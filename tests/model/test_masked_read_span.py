"""Whether a layer hands on zeros at a masked step is answered from the mask's first and
last read steps, worked out once per mask (a cursor move costs no pass over the steps),
and agrees with the engine's zeroed steps, also after an edit masks a step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.formats import load_model
from lstm_sim.engine.sequence_mask import zeroed_steps
from lstm_sim.model import masked_steps
from lstm_sim.model.masked_steps import hands_on_zeros
from lstm_sim.model.session import Session

KERAS = Path(__file__).parents[1] / "fixtures" / "keras_onnx"


def keras_session(name: str) -> Session:
    network = load_model(KERAS / f"{name}.keras")
    return Session(network, np.load(KERAS / f"{name}.npz")["x"])


def engine_zeros(session: Session, layer: int, shown: str) -> list[int]:
    """The steps where the engine zeroes the pass's output, in time order."""
    mask = session.trace.mask
    assert mask is not None
    zero_masked = session.network.layers[layer].direction == "bidirectional"
    if shown == "forward":
        return np.flatnonzero(zeroed_steps(mask, zero_masked)).tolist()
    steps = session.num_steps
    return sorted(steps - 1 - i for i in np.flatnonzero(zeroed_steps(mask[::-1], zero_masked)))


@pytest.mark.parametrize("name", ["keras_gru_masked_hard_sigmoid", "keras_bidirectional_masked"])
def test_the_answer_is_the_engine_s_zeroed_steps(name: str) -> None:
    session = keras_session(name)
    network, trace = session.network, session.trace
    for layer in range(network.num_layers):
        for shown in ("forward", "reverse"):
            found = [
                t
                for t in range(session.num_steps)
                if hands_on_zeros(network, trace, layer, shown, t)  # type: ignore[arg-type]
            ]
            assert found == engine_zeros(session, layer, shown), (layer, shown)


def test_the_read_steps_are_worked_out_once_per_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    session = keras_session("keras_gru_masked_hard_sigmoid")
    worked_out = []
    original = masked_steps.first_and_last_read

    def counted(mask: np.ndarray) -> tuple[int, int]:
        worked_out.append(mask)
        return original(mask)

    monkeypatch.setattr(masked_steps, "first_and_last_read", counted)
    network = session.network
    assert engine_zeros(session, 0, "forward") == [0, 1]
    for t in range(session.num_steps):  # every cursor move asks of one step
        assert hands_on_zeros(network, session.trace, 0, "forward", t) == (t in (0, 1))
    assert len(worked_out) == 1
    # An edit that does not change the mask keeps it; masking step 2 makes a new one.
    session.set_input(5, 0, 0.25)
    assert not hands_on_zeros(network, session.trace, 0, "forward", 10)
    assert len(worked_out) == 1
    for feature in range(session.trace.x.shape[1]):
        session.set_input(2, feature, 0.0)
    assert engine_zeros(session, 0, "forward") == [0, 1, 2]
    assert hands_on_zeros(network, session.trace, 0, "forward", 2)
    assert len(worked_out) == 2
