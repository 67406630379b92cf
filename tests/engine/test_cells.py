"""The step loops of one layer: values worked out by hand, identities that must hold
exactly, and the batch and weight-layout paths agreeing with the plain one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_sim.engine import cells
from lstm_sim.engine.cells import lstm_layer_forward, rnn_layer_forward, sigmoid, softmax
from lstm_sim.engine.network import Layer, Network
from lstm_sim.engine.trace import record


def hand_sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def one_unit_lstm() -> Network:
    """A 1-unit LSTM with distinct weights for every gate, rows i, f, g, o."""
    return Network(
        "lstm",
        [
            Layer(
                weight_ih=np.array([[0.5], [-0.3], [0.8], [0.2]]),
                weight_hh=np.array([[0.1], [0.4], [-0.6], [0.7]]),
                bias_ih=np.array([0.05, 0.6, -0.1, 0.0]),
                bias_hh=np.array([0.05, 0.4, 0.0, -0.3]),
            )
        ],
    )


def test_one_unit_lstm_matches_values_worked_by_hand() -> None:
    xs = [1.0, -2.0, 0.5]
    trace = record(one_unit_lstm(), np.array(xs)[:, None], h0=np.array([0.2]), c0=np.array([-0.4]))
    h, c = 0.2, -0.4
    for t, x in enumerate(xs):
        a_i = 0.5 * x + 0.1 * h + 0.05 + 0.05
        a_f = -0.3 * x + 0.4 * h + 0.6 + 0.4
        a_g = 0.8 * x - 0.6 * h - 0.1
        a_o = 0.2 * x + 0.7 * h - 0.3
        i, f, g, o = hand_sigmoid(a_i), hand_sigmoid(a_f), math.tanh(a_g), hand_sigmoid(a_o)
        c = f * c + i * g
        h = o * math.tanh(c)
        step = trace.step(0, t)
        assert step.pre == pytest.approx([a_i, a_f, a_g, a_o], rel=1e-15, abs=1e-15)
        assert [step.i[0], step.f[0], step.g[0], step.o[0]] == pytest.approx(
            [i, f, g, o], rel=1e-14
        )
        assert step.c[0] == pytest.approx(c, rel=1e-14)
        assert step.h[0] == pytest.approx(h, rel=1e-14)
    # Step 0 worked on paper, so a slip repeated in the formulas above would show:
    # i = σ(0.62) = 0.650219, f = σ(0.78) = 0.685681, g = tanh(0.58) = 0.522666,
    # c = 0.685681·(-0.4) + 0.650219·0.522666 = 0.065576.
    assert trace.c[0, 0, 0] == pytest.approx(0.065576, abs=1e-5)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_one_unit_rnn_matches_values_worked_by_hand(nonlinearity: str) -> None:
    network = Network(
        "rnn",
        [Layer(np.array([[1.5]]), np.array([[-0.8]]), np.array([0.1]), np.array([-0.3]))],
        nonlinearity=nonlinearity,  # type: ignore[arg-type]
    )
    xs = [0.4, 1.0, -0.7, 0.2]
    trace = record(network, xs, h0=np.array([[0.5]]))
    h = 0.5
    for t, x in enumerate(xs):
        a = 1.5 * x - 0.8 * h + 0.1 - 0.3
        h = math.tanh(a) if nonlinearity == "tanh" else max(a, 0.0)
        assert trace.pre[0, t, 0] == pytest.approx(a, rel=1e-15, abs=1e-16)
        assert trace.h[0, t, 0] == pytest.approx(h, rel=1e-15, abs=1e-16)
    if nonlinearity == "relu":
        assert trace.h[0, 2, 0] == 0.0  # a = -1.05 - 0.8·0.44 - 0.2 < 0 is cut to zero


def test_sigmoid_matches_its_definition_and_never_overflows() -> None:
    x = np.array([-30.0, -2.5, -1e-3, 0.0, 0.7, 4.0, 30.0])
    expected = [hand_sigmoid(v) for v in x]
    np.testing.assert_allclose(sigmoid(x), expected, rtol=1e-15, atol=2e-16)
    with np.errstate(over="raise"):
        assert list(sigmoid(np.array([-1e4, 1e4]))) == [0.0, 1.0]


def test_softmax_sums_to_one_and_ignores_a_shift() -> None:
    logits = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 999.0]])
    probs = softmax(logits)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-15)
    e = [math.exp(1.0), math.exp(2.0), math.exp(3.0)]
    np.testing.assert_allclose(probs[0], [v / sum(e) for v in e], rtol=1e-15)
    np.testing.assert_allclose(probs[1], softmax(logits[1] - 1000.0), rtol=1e-15)


def layer_arrays(steps: int, batch: tuple[int, ...], hidden: int, rows: int, rng):
    """Input projection, recurrent weight and empty outputs for one layer."""
    xw = rng.standard_normal((steps, *batch, rows))
    weight_hh = rng.uniform(-1, 1, (rows, hidden)) / math.sqrt(hidden)
    h_all = np.zeros((steps + 1, *batch, hidden))
    h_all[0] = rng.standard_normal((*batch, hidden))
    return xw, weight_hh, h_all


def lstm_outputs(xw, weight_hh, h_all, c0, start=0, outputs=None):
    steps, hidden = xw.shape[0], weight_hh.shape[1]
    batch = xw.shape[1:-1]
    if outputs is None:
        c_all = np.zeros((steps + 1, *batch, hidden))
        c_all[0] = c0
        outputs = dict(
            h_all=h_all,
            c_all=c_all,
            pre=np.zeros(xw.shape),
            act=np.zeros(xw.shape),
            fc=np.zeros((steps, *batch, hidden)),
            ig=np.zeros((steps, *batch, hidden)),
            tanh_c=np.zeros((steps, *batch, hidden)),
        )
    lstm_layer_forward(xw, weight_hh, start=start, **outputs)
    return outputs


def test_a_batch_runs_like_each_of_its_sequences() -> None:
    rng = np.random.default_rng(3)
    steps, batch, hidden = 6, 3, 5
    xw, weight_hh, h_all = layer_arrays(steps, (batch,), hidden, 4 * hidden, rng)
    c0 = rng.standard_normal((batch, hidden))
    together = lstm_outputs(xw, weight_hh, h_all, c0)
    for b in range(batch):
        alone = lstm_outputs(xw[:, b], weight_hh, h_all[:, b].copy(), c0[b])
        for name, array in alone.items():
            np.testing.assert_allclose(together[name][:, b], array, rtol=1e-14, atol=1e-15)
    h_rnn = np.zeros_like(h_all)
    h_rnn[0] = h_all[0]
    pre = np.zeros((steps, batch, hidden))
    rnn_layer_forward(xw[..., :hidden], weight_hh[:hidden], h_rnn, pre)
    for b in range(batch):
        h_one, pre_one = np.zeros((steps + 1, hidden)), np.zeros((steps, hidden))
        h_one[0] = h_all[0, b]
        rnn_layer_forward(xw[:, b, :hidden], weight_hh[:hidden], h_one, pre_one)
        np.testing.assert_allclose(h_rnn[:, b], h_one, rtol=1e-14, atol=1e-15)


def test_both_weight_layouts_give_the_same_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    xw, weight_hh, h_all = layer_arrays(20, (), 16, 64, rng)
    c0 = rng.standard_normal(16)
    results = []
    for limit in (0, 1 << 30):  # the transposed view, then the contiguous copy
        monkeypatch.setattr(cells, "CONTIGUOUS_WEIGHT_BYTES", limit)
        results.append(lstm_outputs(xw, weight_hh, h_all.copy(), c0))
    for name in results[0]:
        np.testing.assert_allclose(results[0][name], results[1][name], rtol=1e-14, atol=1e-15)


def test_outputs_may_be_strided_views() -> None:
    rng = np.random.default_rng(9)
    xw, weight_hh, h_all = layer_arrays(8, (), 3, 12, rng)
    c0 = rng.standard_normal(3)
    contiguous = lstm_outputs(xw, weight_hh, h_all.copy(), c0)
    strided = {
        name: np.zeros((array.shape[0], 2 * array.shape[1]))[:, ::2]
        for name, array in contiguous.items()
    }
    strided["h_all"][0], strided["c_all"][0] = h_all[0], c0
    lstm_outputs(xw, weight_hh, strided["h_all"], None, outputs=strided)
    for name, array in contiguous.items():
        # BLAS reads a strided h_prev with another kernel, so the last bit may differ.
        np.testing.assert_allclose(strided[name], array, rtol=1e-14, atol=1e-15, err_msg=name)


def test_recorded_intermediates_obey_the_equations_exactly() -> None:
    rng = np.random.default_rng(5)
    xw, weight_hh, h_all = layer_arrays(30, (), 7, 28, rng)
    out = lstm_outputs(xw, weight_hh, h_all, rng.standard_normal(7))
    i, f, g, o = np.split(out["act"], 4, axis=-1)
    a_i, a_f, a_g, a_o = np.split(out["pre"], 4, axis=-1)
    c_prev, c = out["c_all"][:-1], out["c_all"][1:]
    np.testing.assert_array_equal(out["fc"], f * c_prev)
    np.testing.assert_array_equal(out["ig"], i * g)
    np.testing.assert_array_equal(c, out["fc"] + out["ig"])
    np.testing.assert_array_equal(out["tanh_c"], np.tanh(c))
    np.testing.assert_array_equal(out["h_all"][1:], o * out["tanh_c"])
    np.testing.assert_array_equal(g, np.tanh(a_g))
    for gate, a in ((i, a_i), (f, a_f), (o, a_o)):
        np.testing.assert_allclose(gate, 1.0 / (1.0 + np.exp(-a)), rtol=1e-15, atol=1e-16)
    # The pre-activations are the real ones, not the half-scaled values the loop uses.
    h_prev = out["h_all"][:-1]
    np.testing.assert_allclose(out["pre"], xw + h_prev @ weight_hh.T, rtol=1e-13, atol=1e-14)


def test_forget_one_input_zero_keeps_the_cell_exactly_and_output_zero_gives_h_zero() -> None:
    rng = np.random.default_rng(6)
    hidden, steps = 4, 12
    xw, weight_hh, h_all = layer_arrays(steps, (), hidden, 4 * hidden, rng)
    # Biases of ±100 drive σ to exactly 0 or 1 in float64 whatever the other terms add.
    xw[:, :hidden] -= 100.0  # i = 0
    xw[:, hidden : 2 * hidden] += 100.0  # f = 1
    xw[:, 3 * hidden :] -= 100.0  # o = 0
    c0 = rng.standard_normal(hidden)
    out = lstm_outputs(xw, weight_hh, h_all, c0)
    assert np.all(out["act"][:, :hidden] == 0.0)
    assert np.all(out["act"][:, hidden : 2 * hidden] == 1.0)
    np.testing.assert_array_equal(out["c_all"], np.broadcast_to(c0, (steps + 1, hidden)))
    np.testing.assert_array_equal(out["h_all"][1:], 0.0)


def test_a_rerun_from_a_later_step_leaves_earlier_entries_alone() -> None:
    rng = np.random.default_rng(7)
    xw, weight_hh, h_all = layer_arrays(10, (), 3, 12, rng)
    full = lstm_outputs(xw, weight_hh, h_all, rng.standard_normal(3))
    before = {name: array.copy() for name, array in full.items()}
    xw[4] += 1.0
    lstm_outputs(xw, weight_hh, full["h_all"], None, start=4, outputs=full)
    for name, array in full.items():
        state = name in ("h_all", "c_all")  # index t of a state holds the value before step t
        np.testing.assert_array_equal(array[: 5 if state else 4], before[name][: 5 if state else 4])
        assert not np.array_equal(array[-1], before[name][-1]), name


def test_rnn_rejects_an_unknown_nonlinearity() -> None:
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        rnn_layer_forward(
            np.zeros((2, 1)), np.zeros((1, 1)), np.zeros((3, 1)), np.zeros((2, 1)), "gelu"
        )


def test_the_loops_refuse_state_arrays_of_the_wrong_length() -> None:
    rng = np.random.default_rng(8)
    xw, weight_hh, h_all = layer_arrays(5, (), 2, 8, rng)
    outputs = lstm_outputs(xw, weight_hh, h_all, np.zeros(2))
    outputs["c_all"] = outputs["c_all"][:-2]
    with pytest.raises(ValueError):
        lstm_layer_forward(xw, weight_hh, **outputs)
