"""A GRU network through the engine: building, saving, recording, rerunning, trace files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine import Network, record
from lstm_sim.engine.formats import load_model, save_native
from lstm_sim.engine.formats.native import native_arrays
from lstm_sim.engine.formats.trace_files import write_trace
from lstm_sim.engine.gru import GruLayer, GruParameters, gru_step
from lstm_sim.engine.trace import rerun_from


def _gru(reset_after: bool = True, layers: int = 2) -> Network:
    net = Network.random("gru", 3, 4, np.random.default_rng(5), num_layers=layers, output_size=2)
    net.reset_after = reset_after
    return net


def test_random_gru_has_three_blocks_and_validates() -> None:
    net = _gru()
    assert net.layers[0].weight_ih.shape == (12, 3) and net.layers[1].weight_hh.shape == (12, 4)
    assert net.astype(np.float32).dtype == np.float32 and net.astype(np.float32).kind == "gru"
    net.layers[1].bias_hh = net.layers[1].bias_hh[:8]
    with pytest.raises(ValueError, match=r"bias_hh_l1 has shape \(8,\), expected \(12,\)"):
        net.validate()


@pytest.mark.parametrize("reset_after", [True, False])
def test_native_file_keeps_the_reset_convention(tmp_path: Path, reset_after: bool) -> None:
    net = _gru(reset_after)
    loaded = load_model(save_native(net, tmp_path / "g.npz"))
    assert loaded.kind == "gru" and loaded.reset_after is reset_after
    for name, array in net.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name], array)
    arrays = native_arrays(net)
    del arrays["reset_after"]
    with (tmp_path / "bad.npz").open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(ValueError, match=r"'reset_after'.*missing"):
        load_model(tmp_path / "bad.npz")


@pytest.mark.parametrize("reset_after", [True, False])
def test_record_equals_the_reference_step(reset_after: bool) -> None:
    net = _gru(reset_after)
    x = np.random.default_rng(0).normal(size=(7, 3))
    trace = record(net, x)
    below = x
    for k in range(net.num_layers):
        layer = net.layers[k]
        params = GruParameters(layer.weight_ih, layer.weight_hh, layer.bias_ih, layer.bias_hh)
        cell = GruLayer(params, reset_after=reset_after)
        h = np.zeros(4)
        for t in range(7):
            step = gru_step(cell, below[t], h)
            got = trace.step(k, t)
            assert got.r is not None and got.z is not None and got.n is not None
            assert got.hn is not None and got.c is None
            np.testing.assert_allclose(got.r, step.r, rtol=0, atol=1e-14)
            np.testing.assert_allclose(got.z, step.z, rtol=0, atol=1e-14)
            np.testing.assert_allclose(got.n, step.n, rtol=0, atol=1e-14)
            np.testing.assert_allclose(got.hn, step.hn, rtol=0, atol=1e-14)
            np.testing.assert_allclose(got.pre_gate("n"), step.a_n, rtol=0, atol=1e-14)
            np.testing.assert_allclose(got.h, step.h, rtol=0, atol=1e-14)
            h = step.h
        below = trace.h[k]
    assert trace.logits is not None and trace.c_all is None


def test_rerun_from_a_step_matches_a_fresh_record() -> None:
    net = _gru()
    x = np.random.default_rng(1).normal(size=(9, 3))
    trace = record(net, x)
    before = trace.h[:, :4].copy()
    trace.x[4] = [2.0, -1.0, 0.5]
    rerun_from(net, trace, 4)
    x[4] = [2.0, -1.0, 0.5]
    fresh = record(net, x)
    np.testing.assert_array_equal(trace.h[:, :4], before)
    for name in ("h_all", "pre", "act", "hn", "logits"):
        np.testing.assert_array_equal(getattr(trace, name), getattr(fresh, name))


def test_c0_is_refused_for_a_gru() -> None:
    with pytest.raises(ValueError, match="c0 was given but a GRU has no cell state"):
        record(_gru(), np.zeros((3, 3)), c0=np.zeros((2, 4)))


def test_trace_files_name_the_gru_quantities(tmp_path: Path) -> None:
    net = _gru()
    trace = record(net, np.random.default_rng(2).normal(size=(5, 3)))
    with np.load(write_trace(net, trace, tmp_path / "t.npz"), allow_pickle=False) as npz:
        assert {"h", "r", "z", "n", "hn", "pre", "x", "h0"} <= set(npz.files)
        assert not {"c", "a", "i"} & set(npz.files)
        np.testing.assert_array_equal(npz["z"], trace.gate("z"))
        assert npz["pre"].shape == (2, 5, 12) and npz["hn"].shape == (2, 5, 4)
    with write_trace(net, trace, tmp_path / "t.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "layer", "t", "unit", "pre_r", "pre_z", "pre_n", "r", "z", "n", "hn", "h"
    ]  # fmt: skip
    assert len(rows) == 1 + 2 * 5 * 4
    last = rows[-1]
    assert float(last[3 + 5]) == pytest.approx(trace.gate("n")[1, 4, 3], abs=0, rel=1e-15)
    assert float(last[-1]) == pytest.approx(trace.h[1, 4, 3], abs=0, rel=1e-15)


def test_the_first_non_finite_value_is_named_by_its_gru_block() -> None:
    from lstm_sim.engine.nonfinite import first_nonfinite

    net = _gru(layers=1)
    net.layers[0].weight_ih[9, 1] = np.inf  # row 9 is unit 1 of the n block
    with np.errstate(invalid="ignore", over="ignore"):
        trace = record(net, np.ones((4, 3)))
    first = first_nonfinite(trace)
    assert first is not None
    assert (first.step, first.layer, first.quantity, first.unit) == (0, 0, "pre_n", 1)


def test_the_lstm_reference_engine_refuses_a_gru() -> None:
    from lstm_sim.engine.reference import backward, forward

    with pytest.raises(ValueError, match="a GRU's reference step is gru_step"):
        forward(_gru(), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="a GRU's reference step is gru_step"):
        backward(_gru(), np.zeros((3, 3)), np.zeros((3, 2)), "mse")
