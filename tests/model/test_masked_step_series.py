"""Keras's masked steps for views over all steps at once: the same steps
:func:`step_is_masked` names one by one, in time order for either pass, and the legend that
says what is drawn there (no Qt)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.formats import load_model
from lstm_sim.model.masked_steps import masked_legend, masked_steps, step_is_masked
from lstm_sim.model.session import Session

KERAS = Path(__file__).parents[1] / "fixtures" / "keras_onnx"


@pytest.mark.parametrize(
    ("name", "carried"),
    [("keras_bidirectional_masked", "h, c"), ("keras_gru_masked_hard_sigmoid", "h")],
)
def test_the_series_names_the_steps_step_is_masked_names(name: str, carried: str) -> None:
    network = load_model(KERAS / f"{name}.keras")
    x = np.load(KERAS / f"{name}.npz")["x"]
    x[40] = 0.0  # a masked step of our own, beside the fixture's
    session = Session(network, x)
    for followed in session.passes:
        session.follow(followed)
        masked = masked_steps(session.trace)
        assert masked is not None and masked.dtype == bool and masked.shape == (50,)
        one_by_one = [step_is_masked(session.shown, t) for t in range(session.num_steps)]
        assert masked.tolist() == one_by_one
        assert np.flatnonzero(masked).tolist() == [0, 1, 10, 11, 12, 30, 40]
    assert masked_legend(network) == f"masked step (Keras mask value 0): {carried} carried through"


def test_a_model_without_a_mask_has_no_masked_steps_and_no_legend() -> None:
    network = load_model(KERAS / "keras_gru_masked_hard_sigmoid.keras")
    plain = dataclasses.replace(network, mask_value=None)
    x = np.zeros((6, network.input_size))  # every feature 0, the masked model's mask value
    assert masked_steps(Session(plain, x).trace) is None
    assert masked_legend(plain) == ""
    masked = masked_steps(Session(network, x).trace)
    assert masked is not None and masked.all()
    assert masked_legend(dataclasses.replace(network, mask_value=-1.5)).startswith(
        "masked step (Keras mask value -1.5): h carried"
    )
