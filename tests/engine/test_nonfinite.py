"""Finding the first NaN or infinity of a run: the step, layer, quantity and unit where
it appeared, in the order the network computed them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lstm_sim.engine import Network, Readout, record
from lstm_sim.engine.backprop import gradients
from lstm_sim.engine.formats.trace_files import csv_columns
from lstm_sim.engine.nonfinite import (
    NonFinite,
    _first_bad_step,
    first_nonfinite,
    first_nonfinite_gradient,
)
from lstm_sim.engine.trace import Trace


def quiet_record(network: Network, inputs: np.ndarray) -> Trace:
    with np.errstate(over="ignore", invalid="ignore"):
        return record(network, inputs)


def exploding_relu_rnn(layers: int = 2) -> Network:
    network = Network.random("rnn", 2, 4, np.random.default_rng(0), num_layers=layers)
    for layer in network.layers:
        layer.weight_hh[...] = 50 * np.eye(4)
    return dataclasses.replace(network, nonlinearity="relu")


def overflowing_forget_gate() -> Network:
    """An LSTM whose forget-gate pre-activation of unit 1 overflows for an input > 1."""
    network = Network.random("lstm", 1, 2, np.random.default_rng(1), num_layers=2)
    network.layers[0].weight_ih[...] = 0.0
    network.layers[0].weight_ih[2 + 1, 0] = 1e308  # block f (rows H..2H), unit 1
    return network


def first_by_loops(trace: Trace) -> tuple[int, int, str, int]:
    """The same search written as the plain loops over steps and layers it replaces."""
    columns = csv_columns(trace)
    for t in range(trace.num_steps):
        for layer in range(trace.num_layers):
            for name, values in columns.items():
                bad = np.flatnonzero(~np.isfinite(values[layer, t]))
                if bad.size:
                    return t, layer, name, int(bad[0])
    raise AssertionError("the trace is finite")


def test_a_finite_run_has_none():
    network = Network.random("lstm", 3, 5, np.random.default_rng(2), output_size=4)
    assert first_nonfinite(record(network, np.ones((6, 3)))) is None


def test_an_exploding_relu_rnn_is_found_where_the_loops_find_it():
    trace = quiet_record(exploding_relu_rnn(), np.ones((300, 2)))
    found = first_nonfinite(trace)
    assert found is not None
    assert (found.step, found.layer, found.quantity, found.unit) == first_by_loops(trace)
    assert np.isfinite(trace.h[:, : found.step]).all()  # nothing earlier went wrong
    assert found.value == np.inf


def test_an_overflowing_gate_is_named_by_its_block_and_unit():
    inputs = np.array([[0.0], [0.5], [0.0], [10.0], [0.0]])
    trace = quiet_record(overflowing_forget_gate(), inputs)
    found = first_nonfinite(trace)
    assert found == NonFinite(3, 0, "pre_f", 1, np.inf)
    assert found.describe() == "step 3, layer 0, pre_f unit 1 = inf"
    # sigmoid(inf) = 1: the gate itself and everything after it stay finite
    assert np.isfinite(trace.h).all() and (first_by_loops(trace)[2] == "pre_f")


def test_a_search_from_a_later_step_skips_the_steps_before_it():
    trace = quiet_record(exploding_relu_rnn(), np.ones((300, 2)))
    first = first_nonfinite(trace)
    assert first is not None and first.step is not None
    assert first_nonfinite(trace, first.step) == first
    later = first_nonfinite(trace, first.step + 1)
    assert later is not None and later.step == first.step + 1
    assert first_nonfinite(trace, 300) is None
    with pytest.raises(ValueError, match="start 301 is out of range"):
        first_nonfinite(trace, 301)


def test_the_readout_comes_after_the_top_layer_of_its_step():
    network = Network.random("lstm", 2, 3, np.random.default_rng(3), output_size=2)
    layer = network.layers[0]
    for array in (layer.weight_ih, layer.weight_hh, layer.bias_hh):
        array[...] = 0.0
    layer.bias_ih[...] = 5.0  # every gate open and g > 0: h ≈ tanh(1) in every unit
    weight = np.full((2, 3), 1e308)  # Σ_j W h_j overflows
    network = dataclasses.replace(network, readout=Readout(weight, np.zeros(2), "softmax"))
    trace = quiet_record(network, np.ones((4, 2)))
    found = first_nonfinite(trace)
    assert found is not None and found.layer is None and found.step == 0
    assert found.quantity == "logits" and "layer" not in found.describe()


def test_gradients_report_the_first_non_finite_loss_or_gradient():
    network = Network.random("lstm", 2, 3, np.random.default_rng(4))
    trace = record(network, np.ones((5, 2)))
    targets = np.zeros((5, 3))
    grads = gradients(network, trace, targets, "mse")
    assert first_nonfinite_gradient(grads) is None
    rnn = exploding_relu_rnn(layers=1)
    exploded = quiet_record(rnn, np.ones((300, 2)))
    with np.errstate(over="ignore", invalid="ignore"):
        rnn_grads = gradients(rnn, exploded, np.zeros((300, 4)), "mse")
    found = first_nonfinite_gradient(rnn_grads)
    assert found is not None and found.quantity == "step_loss"
    # h ≈ 50^t squares past the largest float long before h itself overflows
    assert found.step is not None and np.isfinite(exploded.h[:, found.step]).all()
    assert np.isfinite(rnn_grads.step_loss[: found.step]).all()
    assert found.value == rnn_grads.step_loss[found.step] == np.inf
    # With the losses finite, dh is searched from the last step backwards.
    grads = dataclasses.replace(grads, step_loss=np.zeros(5), loss=0.0)
    grads.dh[0, 1:4, 2] = np.nan
    found = first_nonfinite_gradient(grads)
    assert found is not None and (found.step, found.layer, found.quantity) == (3, 0, "dh")
    grads.dh[...] = 0.0
    grads.params["bias_hh_l0"][7] = -np.inf
    found = first_nonfinite_gradient(grads)
    assert found == NonFinite(None, None, "grad.bias_hh_l0", 7, -np.inf)


def test_the_search_is_vectorised_not_a_loop_over_steps():
    # A Python loop over steps would call isfinite once per step; count the calls.
    trace = quiet_record(exploding_relu_rnn(layers=1), np.ones((1000, 2)))
    calls = 0
    real = np.isfinite

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    np.isfinite = counting
    try:
        first_nonfinite(trace)
    finally:
        np.isfinite = real
    # Per quantity: one over its row sums, and for one that went bad, one over its bad
    # rows and one over the first of them; never one per step of the 1000.
    assert calls <= 3 * 2


@pytest.mark.parametrize("reverse", [False, True])
def test_the_first_bad_entry_is_the_masks_even_where_row_sums_overflow(reverse: bool) -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(200, 64)).astype(np.float32)[:, ::2]  # a strided view
    values[5, :4] = 3e38  # finite values whose row sum overflows: not a bad row
    values[150, 3] = values[150, 9] = 3e38
    for t, column, bad in ((40, 7, np.nan), (40, 2, np.inf), (90, 0, -np.inf)):
        values[t, column] = bad
    bad = ~np.isfinite(values)
    rows = np.flatnonzero(bad.any(axis=1))
    t = int(rows[-1] if reverse else rows[0])
    assert _first_bad_step(values, reverse) == (t, int(np.argmax(bad[t])))
    assert _first_bad_step(np.ones((3, 4), np.float32), reverse) is None
