"""An LSTM's options (peepholes, projection, coupled gates, clip, activations) and a GRU's
(clip, activations) on reverse and bidirectional layers, as the window shows them: each
shown step of either pass is what the engine's one-equation-per-line reference step
computes from that step's inputs and previous state, the split of every pre-activation
adds up to the recorded one with the shown pass's own peepholes, and the ONNX Runtime
numbers (committed) are the ones shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.activations import Activation, keras_activation
from lstm_sim.engine.explain import candidate_terms, preactivation_terms
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.gru import GruLayer, gru_step
from lstm_sim.engine.lstm_variants import LstmLayer, lstm_variant_step
from lstm_sim.engine.network import Network
from lstm_sim.engine.variant_trace import kernel_layer
from lstm_sim.model.cell_options import cell_options, option_caption
from lstm_sim.model.drawable import check_drawable
from lstm_sim.model.session import Session

ONNX = Path(__file__).parents[1] / "fixtures" / "keras_onnx"
PASSES = ("forward", "reverse")


def options_network(seed: int = 3) -> Network:
    """Two bidirectional LSTM layers with every option at once, each pass with its own
    peepholes and projection."""
    rng = np.random.default_rng(seed)
    network = Network.random("lstm", 3, 6, rng, num_layers=2, bidirectional=True, proj_size=4)
    for layer in network.layers:
        assert layer.reverse is not None
        layer.peephole = rng.uniform(-1.5, 1.5, 18)
        layer.reverse.peephole = rng.uniform(-1.5, 1.5, 18)
        layer.coupling = "forget_from_input"
        layer.clip = 0.8
        layer.gate_activation = keras_activation("hard_sigmoid")
        layer.cell_activation = Activation("Softsign")
    network.validate()
    return network


def shown_steps(session: Session, followed: str):
    """Every (layer, t, record) of the followed pass, in the order the stepper walks."""
    session.follow(followed)
    for layer in range(session.network.num_layers):
        session.select_layer(layer)
        session.first()
        while True:
            yield layer, session.t, session.current
            if not session.next_step():
                break


def assert_lstm_steps_are_the_reference(session: Session) -> None:
    network = session.network
    for followed in PASSES:
        for layer, t, record in shown_steps(session, followed):
            spec = kernel_layer(network, layer, reverse=session.shown_pass == "reverse")
            assert isinstance(spec, LstmLayer)
            assert record.c_prev is not None
            reference = lstm_variant_step(spec, record.x, record.h_prev, record.c_prev)
            for name in ("i", "f", "g", "o", "c", "h"):
                np.testing.assert_allclose(
                    getattr(record, name), getattr(reference, name), rtol=0, atol=1e-13
                )
            np.testing.assert_allclose(record.pre, reference.a, rtol=0, atol=1e-13)
            peephole = spec.params.peephole
            hidden = spec.hidden_size
            for k, gate in enumerate("ifo"):
                terms = preactivation_terms(session.shown_network, session.shown, layer, t, gate)
                np.testing.assert_allclose(terms.total, record.pre_gate(gate), atol=1e-13)
                if peephole is None:
                    assert terms.peephole is None
                    continue
                cell = record.c if gate == "o" else record.c_prev
                own = peephole[k * hidden : (k + 1) * hidden]
                np.testing.assert_array_equal(terms.peephole, own * cell)


def test_every_option_on_both_passes_is_drawn_with_the_engine_s_numbers() -> None:
    network = options_network()
    check_drawable(network)
    session = Session(network, np.random.default_rng(5).uniform(-2, 2, (5, 3)))
    assert_lstm_steps_are_the_reference(session)
    session.follow("reverse")
    session.select_layer(1)
    session.seek(2)
    record = session.current
    reverse = network.layers[1].reverse
    assert reverse is not None and reverse.weight_hr is not None and record.m is not None
    # The reverse pass projects with its own W_hr.
    np.testing.assert_allclose(reverse.weight_hr @ record.m, record.h, atol=1e-14)
    options = cell_options(session.shown_network, 1)
    assert (options.peephole, options.derived_gate, options.projection) == (True, "f", 4)
    assert (options.gate, options.cell_output, options.clip) == ("hard σ", "softsign", 0.8)


def test_a_reverse_pass_reads_its_own_peepholes_not_the_forward_ones() -> None:
    network = options_network()
    session = Session(network, np.random.default_rng(5).uniform(-2, 2, (5, 3)))
    session.follow("reverse")
    record = session.current
    forward_p = network.layers[0].peephole
    assert forward_p is not None and record.c_prev is not None
    terms = preactivation_terms(session.shown_network, session.shown, 0, session.t, "i")
    assert not np.allclose(terms.peephole, forward_p[:6] * record.c_prev)


def test_onnx_bidirectional_peepholes_show_onnx_runtime_s_numbers() -> None:
    """ONNX's P for each direction, reordered from i, o, f: the window's reverse pass is
    ONNX Runtime's second direction (Y[:, 1]) step for step."""
    network = load_model(ONNX / "onnx_lstm_bidirectional_peepholes.onnx")
    expected = np.load(ONNX / "onnx_lstm_bidirectional_peepholes.npz")
    check_drawable(network)
    session = Session(network.astype(np.float64), expected["x"])
    for direction, followed in enumerate(PASSES):
        session.follow(followed)
        for layer in range(2):
            np.testing.assert_allclose(
                session.shown.h[layer], expected[f"h64.{layer}"][:, direction], atol=1e-12
            )
    assert_lstm_steps_are_the_reference(session)


def test_onnx_gru_clip_and_activations_on_both_passes() -> None:
    network = load_model(ONNX / "onnx_gru_bidirectional_clip_activations.onnx")
    expected = np.load(ONNX / "onnx_gru_bidirectional_clip_activations.npz")
    check_drawable(network)
    session = Session(network, expected["x"].astype(network.dtype))
    for direction, followed in enumerate(PASSES):
        session.follow(followed)
        np.testing.assert_allclose(
            session.shown.h[0], expected["h32.0"][:, direction], rtol=0, atol=1e-5
        )
        for layer, t, record in shown_steps(session, followed):
            spec = kernel_layer(network, layer, reverse=followed == "reverse")
            assert isinstance(spec, GruLayer) and spec.clip == pytest.approx(1.1)
            reference = gru_step(spec, record.x, record.h_prev)
            for name in ("r", "z", "n", "h", "hn"):
                np.testing.assert_allclose(
                    getattr(record, name), getattr(reference, name), rtol=0, atol=1e-6
                )
            terms = candidate_terms(session.shown_network, session.shown, layer, t)
            np.testing.assert_allclose(terms.total, record.pre_gate("n"), atol=1e-5)
    options = cell_options(network, 0)
    assert (options.gate, options.candidate) == ("hard σ", "elu")
    assert options.clip == pytest.approx(1.1)  # float32 in the file
    assert options.definitions == (
        "hard σ(a) = clip(0.25·a + 0.45, 0, 1)",
        "elu(a) = a for a ≥ 0, 0.7·(eᵃ − 1) below",
    )
    assert "gates use hard σ instead of the sigmoid" in option_caption(options, "reset")
    assert "candidate uses elu instead of tanh" in option_caption(options, "candidate")
    assert "clipped to ±1.1" in option_caption(options, "update")
    assert option_caption(options, "hidden") == ""
