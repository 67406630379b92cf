"""NaN and infinity are reported, never written silently: ``trace`` writes the trace,
names the first step, layer, quantity and unit on stderr and exits 3; ``train`` refuses
data holding them and stops at the first update whose loss is not finite."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine import Network
from lstm_sim.engine.formats import save_native


@pytest.fixture
def overflowing_model(tmp_path: Path) -> Path:
    """An LSTM whose forget-gate pre-activation of unit 1 overflows at an input above 1,
    with a linear readout for --grad."""
    network = Network.random(
        "lstm", 1, 2, np.random.default_rng(1), output_size=1, readout_kind="linear"
    )
    network.layers[0].weight_ih[...] = 0.0
    network.layers[0].weight_ih[2 + 1, 0] = 1e308  # block f (rows H..2H), unit 1
    save_native(network, tmp_path / "model.npz")
    np.save(tmp_path / "x.npy", np.array([[0.0], [0.5], [0.0], [10.0], [0.0]]))
    return tmp_path / "model.npz"


def _trace(model: Path, out: str, *extra: str) -> list[str]:
    return ["trace", str(model), "--inputs", str(model.parent / "x.npy"), "--out", out, *extra]


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_trace_writes_the_run_and_names_where_it_overflowed(overflowing_model, suffix, capsys):
    out = overflowing_model.parent / f"trace{suffix}"
    assert main(_trace(overflowing_model, str(out))) == 3
    captured = capsys.readouterr()
    assert captured.out.startswith(f"wrote {out}")
    notes = captured.err.splitlines()
    assert notes == [
        "lstm-sim trace: note: the run produced NaN or infinity, first at step 3, layer 0, "
        "pre_f unit 1 = inf; written as computed"
    ]
    if suffix == ".npz":
        with np.load(out, allow_pickle=False) as npz:
            assert npz["pre"][0, 3, 2 + 1] == np.inf and np.isfinite(npz["pre"][0, :3]).all()


def test_trace_grad_names_the_first_non_finite_loss(tmp_path, capsys):
    network = Network.random("rnn", 2, 4, np.random.default_rng(0))
    network.layers[0].weight_hh[...] = 50 * np.eye(4)  # h grows as 50^t
    model = tmp_path / "rnn.npz"
    save_native(dataclasses.replace(network, nonlinearity="relu"), model)
    np.save(tmp_path / "x.npy", np.ones((300, 2)))
    np.save(tmp_path / "y.npy", np.zeros((300, 4)))
    out = tmp_path / "grad.npz"
    status = main(_trace(model, str(out), "--grad", "--targets", str(tmp_path / "y.npy")))
    assert status == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    forward = re.fullmatch(
        r".*NaN or infinity, first at step (\d+), layer 0, a unit 0 = inf;.*", err[0]
    )
    assert forward is not None
    with np.load(out, allow_pickle=False) as npz:
        step = int(forward.group(1))
        assert np.isfinite(npz["a"][0, :step]).all() and not np.isfinite(npz["a"][0, step]).all()
        first = int(np.argmin(np.isfinite(npz["step_loss"])))
        assert not np.isfinite(npz["loss"]) and first < step  # h² overflows before h
    assert err[1] == (
        "lstm-sim trace: note: the gradients hold NaN or infinity, first at "
        f"step {first}, step_loss unit 0 = inf; written as computed"
    )


def test_a_finite_trace_exits_0_without_a_note(overflowing_model, capsys):
    np.save(overflowing_model.parent / "x.npy", np.zeros((5, 1)))
    assert main(_trace(overflowing_model, str(overflowing_model.parent / "t.npz"))) == 0
    assert capsys.readouterr().err == ""


def test_trace_help_documents_the_exit_statuses(capsys):
    with pytest.raises(SystemExit):
        main(["trace", "--help"])
    assert "3 written, but the run or its gradients hold NaN or infinity" in " ".join(
        capsys.readouterr().out.split()
    )


def test_train_refuses_data_holding_nan_before_the_first_update(tmp_path, capsys):
    x = np.random.default_rng(0).normal(size=(3, 10, 2))
    x[1, 4, 0] = np.nan
    data = tmp_path / "data.npz"
    np.savez(data, x=x, y=np.zeros((3, 10, 1)))
    out = tmp_path / "model.npz"
    assert main(["train", "--data", str(data), "--steps", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "1 NaN or infinite value(s), the first nan at (sequence, step, ...) = (1, 4, 0)" in err
    assert "loss" not in err and not out.exists()


def test_train_stops_at_the_first_non_finite_loss(tmp_path, capsys):
    # finite data whose squared error overflows float32 at once
    data = tmp_path / "data.npz"
    np.savez(data, x=np.zeros((4, 6, 1)), y=np.full((4, 6, 1), 1e30))
    out = tmp_path / "model.npz"
    args = ["train", "--data", str(data), "--hidden", "3", "--steps", "50", "--batch", "2"]
    assert main([*args, "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "training stopped at update 1 of 50: the loss is inf on its batch (sequences " in err
    assert "steps 0..5); nothing written" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [data]
