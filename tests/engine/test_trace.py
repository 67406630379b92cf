"""Recording a sequence: PyTorch parity, step-by-step against whole-sequence runs,
reruns after edits, the readout, dtypes, and refusals of bad input."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from lstm_sim.engine.blocked_products import project_inputs
from lstm_sim.engine.network import Layer, Network, Readout
from lstm_sim.engine.trace import record, rerun_from, set_initial_state
from lstm_sim.engine.vocab import Vocabulary

TRACE_ARRAYS = ("h_all", "c_all", "pre", "act", "fc", "ig", "tanh_c", "logits", "probs")


def snapshot(trace: Any) -> dict[str, np.ndarray]:
    return {k: getattr(trace, k).copy() for k in TRACE_ARRAYS if getattr(trace, k) is not None}


def random_lstm(rng: np.random.Generator, **kwargs: Any) -> Network:
    options: dict[str, Any] = dict(num_layers=2, output_size=4)
    options.update(kwargs)
    return Network.random("lstm", 3, 5, rng, **options)


# -- parity with PyTorch ---------------------------------------------------------------------


def network_from_torch(module: Any, kind: str) -> Network:
    """A Network holding the same parameters as a torch nn.LSTM / nn.RNN."""
    state = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    layers = [
        Layer(*(state[f"{name}_l{k}"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
        for k in range(module.num_layers)
    ]
    nonlinearity = getattr(module, "nonlinearity", "tanh")
    return Network(kind, layers, nonlinearity=nonlinearity)  # type: ignore[arg-type]


@pytest.mark.parametrize(("dtype", "tolerance"), [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_lstm_matches_torch(dtype: type, tolerance: float) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    torch_dtype = torch.float64 if dtype is np.float64 else torch.float32
    lstm = torch.nn.LSTM(3, 6, num_layers=2).to(torch_dtype)
    x = torch.randn(25, 1, 3, dtype=torch_dtype) * 2
    h0 = torch.randn(2, 1, 6, dtype=torch_dtype)
    c0 = torch.randn(2, 1, 6, dtype=torch_dtype)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(x, (h0, c0))
    network = network_from_torch(lstm, "lstm")
    trace = record(network, x[:, 0].numpy(), h0[:, 0].numpy(), c0[:, 0].numpy())
    assert trace.h_all.dtype == dtype
    np.testing.assert_allclose(trace.h[-1], out[:, 0].numpy(), rtol=0, atol=tolerance)
    np.testing.assert_allclose(trace.h_all[:, -1], h_n[:, 0].numpy(), rtol=0, atol=tolerance)
    np.testing.assert_allclose(trace.c_all[:, -1], c_n[:, 0].numpy(), rtol=0, atol=tolerance)
    # Every gate of layer 1 at every step, recomputed with torch's own functions from the
    # recorded h of layer 0 and layer 1's previous state.
    w_ih, w_hh = lstm.weight_ih_l1.detach(), lstm.weight_hh_l1.detach()
    bias = (lstm.bias_ih_l1 + lstm.bias_hh_l1).detach()
    h_below = torch.from_numpy(trace.h[0])
    h_prev = torch.from_numpy(trace.h_all[1, :-1])
    a = h_below @ w_ih.T + h_prev @ w_hh.T + bias
    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)
    for name, expected in (
        ("i", torch.sigmoid(a_i)),
        ("f", torch.sigmoid(a_f)),
        ("g", torch.tanh(a_g)),
        ("o", torch.sigmoid(a_o)),
    ):
        np.testing.assert_allclose(trace.gate(name)[1], expected.numpy(), rtol=0, atol=tolerance)
    np.testing.assert_allclose(trace.pre[1], a.numpy(), rtol=0, atol=10 * tolerance)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize(("dtype", "tolerance"), [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_rnn_matches_torch(nonlinearity: str, dtype: type, tolerance: float) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    torch_dtype = torch.float64 if dtype is np.float64 else torch.float32
    rnn = torch.nn.RNN(4, 7, num_layers=2, nonlinearity=nonlinearity).to(torch_dtype)
    x = torch.randn(30, 1, 4, dtype=torch_dtype)
    h0 = torch.randn(2, 1, 7, dtype=torch_dtype)
    with torch.no_grad():
        out, h_n = rnn(x, h0)
    trace = record(network_from_torch(rnn, "rnn"), x[:, 0].numpy(), h0[:, 0].numpy())
    assert trace.h_all.dtype == dtype
    np.testing.assert_allclose(trace.h[-1], out[:, 0].numpy(), rtol=0, atol=tolerance)
    np.testing.assert_allclose(trace.h_all[:, -1], h_n[:, 0].numpy(), rtol=0, atol=tolerance)
    if nonlinearity == "relu":
        assert np.any(trace.h == 0.0) and np.all(trace.h >= 0.0)


# -- whole sequence, prefixes and single steps ------------------------------------------------


def test_a_prefix_records_the_same_steps_as_the_whole_sequence() -> None:
    rng = np.random.default_rng(10)
    network = random_lstm(rng)
    x = rng.standard_normal((40, 3))
    whole = record(network, x)
    prefix = record(network, x[:15])
    for name, array in snapshot(prefix).items():
        end = 16 if name in ("h_all", "c_all") else 15
        np.testing.assert_allclose(array, getattr(whole, name)[..., :end, :], rtol=0, atol=1e-15)


def test_recording_one_step_at_a_time_equals_the_whole_sequence() -> None:
    rng = np.random.default_rng(11)
    network = random_lstm(rng)
    x = rng.standard_normal((12, 3))
    whole = record(network, x)
    h, c = None, None
    for t in range(12):
        one = record(network, x[t : t + 1], h, c)
        h, c = one.h_all[:, -1], one.c_all[:, -1]
        for name in ("act", "pre", "fc", "ig", "tanh_c"):
            np.testing.assert_allclose(
                getattr(one, name)[:, 0], getattr(whole, name)[:, t], rtol=0, atol=1e-15
            )
        np.testing.assert_allclose(one.probs[0], whole.probs[t], rtol=0, atol=1e-15)
    np.testing.assert_allclose(h, whole.h_all[:, -1], rtol=0, atol=1e-15)


# -- reruns after edits -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
def test_editing_x_t_keeps_earlier_steps_and_reruns_later_ones(kind: str) -> None:
    rng = np.random.default_rng(12)
    network = Network.random(kind, 3, 5, rng, num_layers=2, output_size=4)  # type: ignore[arg-type]
    x = rng.standard_normal((20, 3))
    trace = record(network, x)
    before = snapshot(trace)
    t = 7
    trace.x[t] = [2.0, -1.0, 0.5]
    rerun_from(network, trace, t)
    x[t] = trace.x[t]
    fresh = snapshot(record(network, x))
    for name, array in snapshot(trace).items():
        time_axis = 0 if name in ("logits", "probs") else 1
        keep = t + 1 if name in ("h_all", "c_all") else t
        earlier = (slice(None),) * time_axis + (slice(None, keep),)
        later = (slice(None),) * time_axis + (slice(keep, None),)
        np.testing.assert_array_equal(array[earlier], before[name][earlier], err_msg=name)
        np.testing.assert_allclose(array[later], fresh[name][later], rtol=0, atol=1e-15)
        assert not np.allclose(array[later], before[name][later]), name


def test_editing_h0_and_c0_reruns_from_the_start() -> None:
    rng = np.random.default_rng(13)
    network = random_lstm(rng)
    x = rng.standard_normal((10, 3))
    trace = record(network, x)
    h0, c0 = rng.standard_normal((2, 2, 5))
    set_initial_state(trace, h0, c0)
    rerun_from(network, trace, 0)
    expected = snapshot(record(network, x, h0, c0))
    for name, array in snapshot(trace).items():
        np.testing.assert_array_equal(array, expected[name], err_msg=name)
    assert not np.allclose(trace.h, record(network, x).h)


def test_editing_a_parameter_in_place_reruns_with_the_new_value() -> None:
    rng = np.random.default_rng(14)
    network = random_lstm(rng)
    x = rng.standard_normal((10, 3))
    trace = record(network, x)
    before = trace.probs.copy()
    for name, index in (("weight_hh_l1", (3, 2)), ("bias_ih_l0", (7,)), ("readout.weight", (1, 1))):
        network.state_dict()[name][index] += 0.5
        rerun_from(network, trace, 0)
        expected = snapshot(record(network, x))
        for array_name, array in snapshot(trace).items():
            np.testing.assert_array_equal(array, expected[array_name], err_msg=name)
    assert not np.allclose(trace.probs, before)


# -- readout, dtype, views --------------------------------------------------------------------


def test_softmax_readout_matches_a_direct_computation() -> None:
    rng = np.random.default_rng(15)
    network = random_lstm(rng, output_size=6)
    trace = record(network, rng.standard_normal((9, 3)))
    readout = network.readout
    logits = trace.h[-1] @ readout.weight.T + readout.bias
    np.testing.assert_allclose(trace.logits, logits, rtol=1e-14)
    np.testing.assert_allclose(trace.probs.sum(axis=1), 1.0, rtol=1e-15)
    for t in range(9):
        e = [math.exp(v) for v in logits[t]]
        np.testing.assert_allclose(trace.probs[t], [v / sum(e) for v in e], rtol=1e-14)


def test_linear_readout_records_logits_only() -> None:
    rng = np.random.default_rng(16)
    network = random_lstm(rng, output_size=2, readout_kind="linear")
    trace = record(network, rng.standard_normal((5, 3)))
    assert trace.probs is None
    expected = trace.h[-1] @ network.readout.weight.T + network.readout.bias
    np.testing.assert_allclose(trace.logits, expected, rtol=1e-14)


def test_float32_on_request_gives_a_float32_trace_close_to_float64() -> None:
    rng = np.random.default_rng(17)
    network = random_lstm(rng)
    x = rng.standard_normal((30, 3))
    single = record(network.astype(np.float32), x)
    double = record(network, x)
    for name, array in snapshot(single).items():
        assert array.dtype == np.float32, name
        np.testing.assert_allclose(array, getattr(double, name), rtol=0, atol=2e-6)
    assert single.x.dtype == np.float32


def test_step_records_are_views_of_the_trace() -> None:
    rng = np.random.default_rng(18)
    trace = record(random_lstm(rng), rng.standard_normal((6, 3)))
    step = trace.step(1, 4)
    assert step.x is not None and np.shares_memory(step.x, trace.h_all)
    np.testing.assert_array_equal(step.x, trace.h[0, 4])
    np.testing.assert_array_equal(step.h_prev, trace.h_all[1, 4])
    np.testing.assert_array_equal(step.c, trace.c[1, 4])
    np.testing.assert_array_equal(step.f, trace.act[1, 4, 5:10])
    np.testing.assert_array_equal(step.pre_gate("o"), trace.pre[1, 4, 15:])
    np.testing.assert_array_equal(trace.step(0, 4).x, trace.x[4])


def test_the_trace_owns_a_copy_of_its_inputs() -> None:
    rng = np.random.default_rng(19)
    network = random_lstm(rng)
    x = rng.standard_normal((4, 3))
    trace = record(network, x)
    trace.x[0] = 9.0
    assert x[0, 0] != 9.0


def test_tokens_are_one_hot_encoded_and_kept() -> None:
    rng = np.random.default_rng(20)
    vocab = Vocabulary(("a", "b", "c"))
    network = Network.random("lstm", 3, 4, rng, vocab=vocab, output_size=3)
    trace = record(network, list("cab"))
    assert trace.tokens == ("c", "a", "b")
    np.testing.assert_array_equal(trace.x, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])


def test_one_hot_inputs_pick_columns_with_the_numbers_of_the_full_product() -> None:
    rng = np.random.default_rng(28)
    weight_ih = rng.standard_normal((12, 5))
    one_hot = np.eye(5)[[4, 0, 0, 2]]
    picked = np.empty((4, 12))
    project_inputs(weight_ih, one_hot, picked)
    np.testing.assert_array_equal(picked, weight_ih[:, [4, 0, 0, 2]].T)
    np.testing.assert_array_equal(picked, one_hot @ weight_ih.T)
    almost = one_hot.copy()
    almost[1, 3] = 1e-3  # no longer one-hot: the product must see it
    multiplied = np.empty((4, 12))
    project_inputs(weight_ih, almost, multiplied)
    np.testing.assert_allclose(multiplied, almost @ weight_ih.T, rtol=1e-15)
    assert not np.array_equal(multiplied[1], picked[1])


def test_a_plain_list_of_numbers_is_a_one_feature_sequence() -> None:
    rng = np.random.default_rng(21)
    network = Network.random("rnn", 1, 3, rng)
    trace = record(network, [0.5, -1.0, 2.0])
    assert trace.x.shape == (3, 1) and trace.tokens is None
    np.testing.assert_array_equal(trace.h, record(network, np.array([[0.5], [-1.0], [2.0]])).h)


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (np.zeros((5, 4)), r"inputs x has shape \(5, 4\), expected \(5, 3\)"),
        (np.zeros((0, 3)), r"inputs x has shape \(0, 3\), expected \(T, 3\) with T >= 1"),
        ([], r"inputs x has shape \(0,\), expected \(T, 3\) with T >= 1"),
        (np.zeros(5), r"inputs x has shape \(5,\), expected \(T, 3\)"),
        (np.array([[0.0, np.nan, 1.0]]), r"inputs x of shape \(1, 3\) holds 1 NaN or infinite"),
        (np.array([[np.inf, 0, 1], [0, -np.inf, 1]]), r"inputs x of shape \(2, 3\) holds 2 NaN"),
        (["a", "b"], "tokens were given but the network has no vocabulary"),
        ([[1.0, "x", 2.0]], "inputs x cannot be read as numbers"),
    ],
)
def test_bad_inputs_are_refused_naming_the_array_and_its_shape(inputs: Any, message: str) -> None:
    network = random_lstm(np.random.default_rng(22))
    with pytest.raises(ValueError, match=message):
        record(network, inputs)


def test_an_unknown_token_is_named() -> None:
    vocab = Vocabulary(("a", "b"))
    network = Network.random("lstm", 2, 3, np.random.default_rng(23), vocab=vocab)
    with pytest.raises(ValueError, match="token 'z' is not in the model's vocabulary of 2"):
        record(network, ["a", "z"])


def test_initial_states_of_the_wrong_shape_are_refused() -> None:
    rng = np.random.default_rng(24)
    network = random_lstm(rng)
    x = rng.standard_normal((3, 3))
    h0_with_a_nan = np.zeros((2, 5))
    h0_with_a_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"h0 has shape \(2, 4\), expected \(2, 5\)"):
        record(network, x, h0=np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"c0 has shape \(5,\), expected \(2, 5\)"):
        record(network, x, c0=np.zeros(5))
    with pytest.raises(ValueError, match=r"h0 of shape \(2, 5\) holds 1 NaN"):
        record(network, x, h0=h0_with_a_nan)
    rnn = Network.random("rnn", 3, 5, rng)
    with pytest.raises(ValueError, match="c0 was given but a simple RNN has no cell state"):
        record(rnn, x, c0=np.zeros((1, 5)))


def test_a_rerun_refuses_a_start_out_of_range_and_a_network_that_does_not_fit() -> None:
    rng = np.random.default_rng(25)
    network = random_lstm(rng)
    trace = record(network, rng.standard_normal((4, 3)))
    with pytest.raises(ValueError, match="start 4 is out of range for a sequence of 4"):
        rerun_from(network, trace, 4)
    with pytest.raises(ValueError, match="start -1 is out of range"):
        rerun_from(network, trace, -1)
    wider = Network.random("lstm", 3, 6, rng, num_layers=2, output_size=4)
    with pytest.raises(ValueError, match="the trace is of a 2-layer lstm with D=3, H=5, the net"):
        rerun_from(wider, trace, 0)
    with pytest.raises(ValueError, match="readout outputs 4, the network None"):
        rerun_from(random_lstm(rng, output_size=None), trace, 0)
    with pytest.raises(ValueError, match="disagree on whether the readout is a softmax"):
        rerun_from(random_lstm(rng, readout_kind="linear"), trace, 0)


def test_gate_names_are_checked() -> None:
    rng = np.random.default_rng(26)
    trace = record(random_lstm(rng), rng.standard_normal((2, 3)))
    for bad in ("fg", "", "c"):
        with pytest.raises(ValueError, match="gate must be one of i, f, g, o"):
            trace.gate(bad)
        with pytest.raises(ValueError, match="gate must be one of i, f, g, o"):
            trace.step(0, 0).pre_gate(bad)
    rnn_trace = record(Network.random("rnn", 3, 5, rng), rng.standard_normal((2, 3)))
    with pytest.raises(ValueError, match="a simple RNN has no gates"):
        rnn_trace.gate("i")
    with pytest.raises(ValueError, match="step 2 is out of range for a sequence of 2"):
        trace.step(0, 2)
    with pytest.raises(ValueError, match="layer 2 is out of range for 2 layers"):
        trace.step(2, 0)


def test_a_readout_of_the_wrong_width_is_refused() -> None:
    rng = np.random.default_rng(27)
    network = random_lstm(rng)
    with pytest.raises(ValueError, match=r"readout.weight has shape \(4, 6\), expected \(4, 5\)"):
        Network("lstm", network.layers, readout=Readout(np.zeros((4, 6)), np.zeros(4)))


def test_a_minibatch_is_projected_in_the_same_blocks_as_one_sequence() -> None:
    rng = np.random.default_rng(29)
    weight_ih = rng.standard_normal((96, 48))
    batch = rng.standard_normal((150, 3, 48))
    whole = np.empty((150, 3, 96))
    project_inputs(weight_ih, batch, whole)
    np.testing.assert_allclose(whole, batch @ weight_ih.T, rtol=1e-12, atol=1e-12)
    tail = np.empty((150 - 70, 3, 96))
    project_inputs(weight_ih, batch, tail, 70)
    np.testing.assert_array_equal(tail, whole[70:])
    tokens = np.eye(48)[rng.integers(0, 48, (5, 3))]
    picked = np.empty((5, 3, 96))
    project_inputs(weight_ih, tokens, picked)
    np.testing.assert_array_equal(picked, tokens @ weight_ih.T)
