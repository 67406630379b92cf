"""Keras's input mask as the window shows it: the masked steps are the ones whose input
features all equal the mask value, each pass carries its own state through them, and
what a layer hands on there (its carried h, or zeros) is what Keras output (committed
fixtures made by Keras)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lstm_sim.engine import sequence_mask
from lstm_sim.engine.formats import load_model
from lstm_sim.model import masked_steps
from lstm_sim.model.masked_steps import hands_on_zeros, masked_caption, step_is_masked
from lstm_sim.model.session import Session

KERAS = Path(__file__).parents[1] / "fixtures" / "keras_onnx"
MASKED = (0, 1, 10, 11, 12, 30)  # the fixtures' steps whose features are all 0


def keras_session(name: str) -> tuple[Session, dict[str, np.ndarray]]:
    network = load_model(KERAS / f"{name}.keras")
    expected = dict(np.load(KERAS / f"{name}.npz"))
    return Session(network, expected["x"]), expected


def test_the_masked_steps_are_those_whose_features_all_equal_the_mask_value() -> None:
    session, expected = keras_session("keras_bidirectional_masked")
    assert session.network.mask_value == 0.0
    all_mask = np.all(expected["x"] == 0.0, axis=1)
    found = [t for t in range(session.num_steps) if step_is_masked(session.shown, t)]
    assert found == list(MASKED) == list(np.flatnonzero(all_mask))
    plain, _ = keras_session("keras_gru_masked_hard_sigmoid")
    plain.network.mask_value = None
    assert not step_is_masked(Session(plain.network, expected["x"]).trace, 10)


def test_each_pass_carries_its_state_through_a_masked_step() -> None:
    session, expected = keras_session("keras_bidirectional_masked")
    for followed in ("forward", "reverse"):
        session.follow(followed)
        for layer in range(2):
            session.select_layer(layer)
            for t in MASKED:
                session.seek(t)
                record = session.current
                assert record.c is not None and record.c_prev is not None
                np.testing.assert_array_equal(record.h, record.h_prev)
                np.testing.assert_array_equal(record.c, record.c_prev)
                # A bidirectional layer hands on zeros at every masked step (Keras's too).
                assert hands_on_zeros(session.network, session.shown, layer, followed, t)
                np.testing.assert_array_equal(expected[f"h64.{layer}"][t], 0.0)
            # What the window shows of this pass is what Keras computed, half by half.
            half = slice(0, 4) if followed == "forward" else slice(4, 8)
            shown = session.trace.layer_output(layer)[:, half]
            np.testing.assert_allclose(shown, expected[f"h64.{layer}"][:, half], atol=1e-12)


def test_a_forward_layer_hands_on_zeros_only_before_its_first_read_step() -> None:
    session, expected = keras_session("keras_gru_masked_hard_sigmoid")
    network, trace = session.network, session.shown
    zeros = [t for t in MASKED if hands_on_zeros(network, trace, 0, "forward", t)]
    assert zeros == [0, 1]
    # At 10..12 Keras hands on the h it carried from step 9.
    for t in (10, 11, 12):
        np.testing.assert_allclose(expected["h64.0"][t], expected["h64.0"][9], atol=0)
        np.testing.assert_allclose(trace.h[0, t], expected["h64.0"][9], atol=1e-12)


def test_the_caption_says_the_step_is_masked_and_what_is_handed_on() -> None:
    session, _ = keras_session("keras_gru_masked_hard_sigmoid")
    network, trace = session.network, session.shown
    assert masked_caption(network, trace, 0, "forward", 9) == ""
    first = masked_caption(network, trace, 0, "forward", 0)
    assert first.startswith("Step 0 is masked: every feature of the model's input x_0")
    assert "carries h_{t-1} through unchanged" in first and "c_{t-1}" not in first
    assert "hands on here is zeros" in first and "until its pass has read a step" in first
    assert "zeros" not in masked_caption(network, trace, 0, "forward", 10)
    lstm, _ = keras_session("keras_bidirectional_masked")
    both = masked_caption(lstm.network, lstm.shown, 1, "reverse", 30)
    assert "h_{t-1} and c_{t-1}" in both and "every masked step of a bidirectional layer" in both


def test_conditions_and_watches_read_no_gate_at_a_masked_step() -> None:
    """The gates the kernels computed at a masked step and discarded read NaN, so a
    condition on them never holds there; h carried through does."""
    from lstm_sim.model.breakpoints import Breakpoints
    from lstm_sim.model.watches import Watches

    session, _ = keras_session("keras_bidirectional_masked")
    breakpoints = Breakpoints(session)
    breakpoints.add("f[0] >= 0")
    unmasked = [t for t in range(session.num_steps) if t not in MASKED]
    assert breakpoints.hit_steps().tolist() == unmasked
    breakpoints.set_enabled(1, False)
    breakpoints.add("reverse: all(h == prev.h) and all(c == prev.c)")
    assert set(MASKED) <= set(breakpoints.hit_steps().tolist())
    watches = Watches(session)
    watches.add("f[0]")
    values = watches.values()[0][:, 0]
    assert np.isnan(values[list(MASKED)]).all() and np.isfinite(values[unmasked]).all()


def test_the_memory_ledger_counts_a_masked_step_as_keeping_c() -> None:
    from lstm_sim.engine.ledger import ledger_history, memory_ledger

    session, _ = keras_session("keras_bidirectional_masked")
    trace = session.trace
    assert trace.c_all is not None
    for t in (9, 10, 12, 30, 31):
        ledger = memory_ledger(trace, 1, t)
        np.testing.assert_allclose(ledger.total(), trace.c_all[1, t + 1], rtol=0, atol=1e-12)
        # A masked step wrote nothing; the steps before it kept all they had.
        np.testing.assert_array_equal(ledger.contributions[list(m for m in MASKED if m <= t)], 0)
    contributions, initial = ledger_history(trace, 0, 2)
    np.testing.assert_allclose(
        contributions.sum(axis=1) + initial, trace.c_all[0, 1:, 2], rtol=0, atol=1e-12
    )


def test_the_masked_step_fields_are_the_engine_s() -> None:
    # One definition: what the conditions read at a masked step is what the window shows.
    assert masked_steps.MASKED_STEP_FIELDS is sequence_mask.MASKED_STEP_FIELDS
    assert {"h", "c", "x"} <= sequence_mask.MASKED_STEP_FIELDS
