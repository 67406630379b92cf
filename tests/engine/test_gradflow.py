"""Gradient flow: Jacobian norms against finite differences, and the vanishing gradient
of a simple RNN beside an LSTM that keeps its cell state."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.cells import lstm_layer_forward, rnn_layer_forward
from lstm_sim.engine.gradflow import gradient_flow
from lstm_sim.engine.gru import GruRecord, gru_layer_forward
from lstm_sim.engine.network import Layer, Network
from lstm_sim.engine.trace import Trace, gru_layer, gru_record, record


def rerun_layer(network: Network, trace: Trace, layer: int, t: int, end: int, h, c=None):
    """The layer's state (h, c) at step ``end`` when its state at step t is (h, c)
    instead: the layer's recurrence runs again from t+1 on its recorded inputs."""
    params = network.layers[layer]
    xw = trace.layer_input(layer) @ params.weight_ih.T + params.bias_ih + params.bias_hh
    h_all = trace.h_all[layer].copy()
    h_all[t + 1] = h
    pre = trace.pre[layer].copy()
    if network.kind == "rnn":
        rnn_layer_forward(xw, params.weight_hh, h_all, pre, network.nonlinearity, t + 1)
        return h_all[end + 1], None
    c_all = trace.c_all[layer].copy()
    c_all[t + 1] = c
    act, fc, ig, tanh_c = (a[layer].copy() for a in (trace.act, trace.fc, trace.ig, trace.tanh_c))
    lstm_layer_forward(xw, params.weight_hh, h_all, c_all, pre, act, fc, ig, tanh_c, t + 1)
    return h_all[end + 1], c_all[end + 1]


def numeric_jacobian(f, state: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Central differences, one column per unit of ``state``."""
    columns = []
    for k in range(state.size):
        plus, minus = state.copy(), state.copy()
        plus[k] += step
        minus[k] -= step
        columns.append((f(plus) - f(minus)) / (2 * step))
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
def test_jacobian_norms_match_finite_differences(kind):
    rng = np.random.default_rng(2)
    network = Network.random(kind, 3, 4, rng, num_layers=2)
    for layer in network.layers:
        layer.weight_hh *= 3.0  # strong recurrence, so every path matters
    trace = record(network, rng.normal(size=(9, 3)))
    end, layer = 7, 1
    flow = gradient_flow(network, trace, end, layer)
    assert flow.steps.tolist() == list(range(end + 1))
    assert flow.dh_norm[-1] == pytest.approx(2.0)  # the identity, √H
    for t in range(end):
        h, c = trace.h[layer, t], None if kind == "rnn" else trace.c[layer, t]

        def end_h(v, t=t, c=c):
            return rerun_layer(network, trace, layer, t, end, v, c)[0]

        def end_c(v, t=t, h=h):
            return rerun_layer(network, trace, layer, t, end, h, v)[1]

        assert flow.dh_norm[t] == pytest.approx(
            np.linalg.norm(numeric_jacobian(end_h, h)), rel=1e-7
        )
        if kind == "lstm":
            jac_c = numeric_jacobian(end_c, c)
            assert flow.dc_norm[t] == pytest.approx(np.linalg.norm(jac_c), rel=1e-7), t
            f = trace.gate("f")[layer, t + 1 : end + 1]
            np.testing.assert_allclose(flow.forget_product[t], f.prod(axis=0), rtol=1e-12)
    assert (flow.dc_norm is None) == (kind == "rnn")


def test_window_gives_the_tail_of_the_full_curve():
    rng = np.random.default_rng(4)
    network = Network.random("lstm", 2, 5, rng)
    trace = record(network, rng.normal(size=(30, 2)))
    full = gradient_flow(network, trace, 25)
    tail = gradient_flow(network, trace, 25, window=10)
    assert tail.steps.tolist() == list(range(15, 26))
    np.testing.assert_allclose(tail.dh_norm, full.dh_norm[15:], rtol=1e-12)
    np.testing.assert_allclose(tail.dc_norm, full.dc_norm[15:], rtol=1e-12)
    np.testing.assert_allclose(tail.forget_mean, full.forget_mean[15:], rtol=1e-12)
    with pytest.raises(ValueError, match="end step 30 is out of range"):
        gradient_flow(network, trace, 30)


def test_rnn_gradient_vanishes_exponentially_where_the_lstm_cell_keeps_it():
    """The lecture's point: same input, an RNN with small recurrent weights loses the
    gradient by a constant factor a step; an LSTM whose forget gates sit near 1 keeps it."""
    hidden, inputs, steps = 8, 2, 60
    rng = np.random.default_rng(5)
    x = rng.normal(size=(steps, inputs))
    weight_ih = rng.normal(scale=0.5, size=(4 * hidden, inputs))
    weight_hh = rng.normal(scale=0.3, size=(4 * hidden, hidden))
    bias = np.zeros(4 * hidden)
    bias[hidden : 2 * hidden] = 8.0  # forget bias: f = σ(8 + …) ≈ 1
    lstm = Network("lstm", [Layer(weight_ih, weight_hh, bias, np.zeros(4 * hidden))])
    # Recurrent weights of spectral norm 0.5: each step at least halves the Jacobian.
    orthogonal = np.linalg.qr(rng.normal(size=(hidden, hidden)))[0]
    zeros = np.zeros(hidden)
    rnn = Network("rnn", [Layer(weight_ih[:hidden], 0.5 * orthogonal, zeros, zeros)])
    lstm_flow = gradient_flow(lstm, record(lstm, x), steps - 1)
    rnn_flow = gradient_flow(rnn, record(rnn, x), steps - 1)

    distance = steps - 1 - rnn_flow.steps
    far = distance == 50
    slope = np.polyfit(distance[1:], np.log(rnn_flow.dh_norm[1:]), 1)[0]
    assert slope < np.log(0.5)  # exponential decay, at least halving per step
    assert rnn_flow.dh_norm[far][0] < 1e-15
    assert rnn_flow.dh_norm[far][0] > 0.0  # still measured, not underflowed
    assert lstm_flow.dh_norm[far][0] > 0.1
    assert np.all(lstm_flow.dc_norm > 1.0)
    assert np.all(lstm_flow.forget_mean > 0.97)
    assert lstm_flow.forget_product.shape == (steps, hidden)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_jacobian_norms_match_finite_differences(reset_after: bool) -> None:
    rng = np.random.default_rng(6)
    network = Network.random("gru", 3, 4, rng, num_layers=2)
    network.reset_after = reset_after
    for layer in network.layers:
        layer.weight_hh *= 3.0
    trace = record(network, rng.normal(size=(9, 3)))
    end, layer = 7, 1
    flow = gradient_flow(network, trace, end, layer)
    assert flow.dc_norm is None and flow.dh_norm[-1] == pytest.approx(2.0)
    cell = gru_layer(network, layer)

    def end_h(v: np.ndarray, t: int) -> np.ndarray:
        rerun = gru_record(trace, trace.layer_input(layer), layer)
        rerun = GruRecord(
            rerun.x, rerun.h.copy(), rerun.pre.copy(), rerun.act.copy(), rerun.hn.copy()
        )
        rerun.h[t + 1] = v
        gru_layer_forward(cell, rerun, t + 1)
        return rerun.h[end + 1]

    for t in range(end):
        jacobian = numeric_jacobian(lambda v, t=t: end_h(v, t), trace.h[layer, t])
        assert flow.dh_norm[t] == pytest.approx(np.linalg.norm(jacobian), rel=1e-7), t
        z = trace.gate("z")[layer, t + 1 : end + 1]
        np.testing.assert_allclose(flow.forget_product[t], z.prod(axis=0), rtol=1e-12)
