"""``lstm-sim trace --break`` on the models the window's breakpoints evaluate: reverse and
bidirectional passes, projections and Keras's input mask, with the window's messages for a
condition that cannot be evaluated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine.formats import load_model
from lstm_sim.model import Session
from lstm_sim.model.breakpoints import Breakpoints

FAMILY = Path(__file__).resolve().parent.parent / "fixtures" / "family"
KERAS = Path(__file__).resolve().parent.parent / "fixtures" / "keras_onnx"
BIDIRECTIONAL = FAMILY / "network_lstm_bidirectional.pt"
STEPS = 12


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    with np.load(FAMILY / "network_lstm_bidirectional.npz", allow_pickle=False) as data:
        np.save(tmp_path / "x.npy", data["x"][:STEPS])
        np.save(tmp_path / "y.npy", data["targets"][:STEPS])
    return tmp_path / "x.npy"


def break_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("break:")]


def trace_args(model: Path, inputs: Path, out: Path, *conditions: str) -> list[str]:
    args = ["trace", str(model), "--inputs", str(inputs), "--out", str(out)]
    for condition in conditions:
        args += ["--break", condition]
    return args


def test_a_pass_prefix_finds_the_steps_of_that_pass_in_the_order_it_ran(
    tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.npz"
    assert main(trace_args(BIDIRECTIONAL, inputs, out)) == 0
    with np.load(out, allow_pickle=False) as written:
        forget = written["f_reverse"][1, :, 2]
        forward_output = written["o"][0, :, 0]
    capsys.readouterr()
    reverse_condition = f"layer 1 reverse: f[2] > {float(np.median(forget))!r}"
    forward_condition = f"layer 0 forward: o[0] > {float(np.median(forward_output))!r}"
    args = trace_args(BIDIRECTIONAL, inputs, out, reverse_condition, forward_condition)
    assert main(args) == 0
    lines = break_lines(capsys.readouterr().out)
    reverse_steps = np.flatnonzero(forget > np.median(forget))
    forward_steps = np.flatnonzero(forward_output > np.median(forward_output))
    # The reverse pass meets step t as its step T-1-t: from the last step back.
    expected = sorted(
        [
            (int(t), 0, f"break: t={t} layer=0 pass=forward {forward_condition}")
            for t in forward_steps
        ]
        + [
            (STEPS - 1 - int(t), 1, f"break: t={t} layer=1 pass=reverse {reverse_condition}")
            for t in reverse_steps
        ]
    )
    assert lines == [line for _, _, line in expected]
    assert reverse_steps.size and forward_steps.size


def test_without_a_prefix_both_passes_are_searched_and_first_is_the_first_met(
    tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.npz"
    assert main(trace_args(BIDIRECTIONAL, inputs, out, "t == 9", "layer 1: t == 1")) == 0
    assert break_lines(capsys.readouterr().out) == [
        "break: t=1 layer=1 pass=forward layer 1: t == 1",
        # The reverse pass reaches t = 9 at its step 2, before the forward pass does.
        "break: t=9 layer=0 pass=reverse t == 9",
        "break: t=9 layer=1 pass=reverse t == 9",
        "break: t=9 layer=0 pass=forward t == 9",
        "break: t=9 layer=1 pass=forward t == 9",
        "break: t=1 layer=1 pass=reverse layer 1: t == 1",
    ]
    assert main([*trace_args(BIDIRECTIONAL, inputs, out, "t == 9"), "--first"]) == 0
    assert break_lines(capsys.readouterr().out) == ["break: t=9 layer=0 pass=reverse t == 9"]


def test_a_reverse_gradient_condition_reads_that_pass_s_gradients(
    tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.npz"
    args = trace_args(BIDIRECTIONAL, inputs, out, "layer 0 reverse: dh[1] > 0")
    args += ["--grad", "--targets", str(tmp_path / "y.npy")]
    assert main(args) == 0
    with np.load(out, allow_pickle=False) as written:
        steps = np.flatnonzero(written["dh_reverse"][0, :, 1] > 0)
    lines = break_lines(capsys.readouterr().out)
    assert steps.size and lines == [
        f"break: t={t} layer=0 pass=reverse layer 0 reverse: dh[1] > 0" for t in steps[::-1]
    ]


@pytest.mark.parametrize(
    ("model", "condition"),
    [
        (FAMILY / "network_lstm_proj.pt", "reverse: h[0] > 0"),
        (BIDIRECTIONAL, "layer 2: t == 1"),
        (BIDIRECTIONAL, "layer 0 reverse: dh[0] > 0"),
        (BIDIRECTIONAL, "layer 1 reverse: token == 'a'"),
    ],
)
def test_a_condition_the_window_flags_is_refused_with_its_message_before_writing(
    tmp_path: Path,
    inputs: Path,
    capsys: pytest.CaptureFixture[str],
    model: Path,
    condition: str,
) -> None:
    network = load_model(str(model))
    x = np.load(inputs)[:, : network.input_size]
    np.save(inputs, x)
    breakpoints = Breakpoints(Session(network, x))
    breakpoints.add(condition)
    breakpoints.hit_steps()
    message = breakpoints.errors[len(breakpoints.items) - 1]
    out = tmp_path / "t.npz"
    assert main(trace_args(model, inputs, out, condition)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"lstm-sim trace: error: --break {condition!r}: {message}"]
    assert not out.exists()


def test_a_projection_model_breaks(
    tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = FAMILY / "network_lstm_proj.pt"
    out = tmp_path / "t.npz"
    assert main(trace_args(model, inputs, out, "layer 1: h[1] < 0")) == 0
    with np.load(out, allow_pickle=False) as written:
        steps = np.flatnonzero(written["h"][1, :, 1] < 0)
    lines = break_lines(capsys.readouterr().out)
    assert steps.size and lines == [f"break: t={t} layer=1 layer 1: h[1] < 0" for t in steps]


def test_a_masked_step_never_holds_a_gate_condition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with np.load(KERAS / "keras_bidirectional_masked.npz", allow_pickle=False) as data:
        x = data["x"][:16]
    np.save(tmp_path / "x.npy", x)
    masked = set(np.flatnonzero(np.all(x == 0.0, axis=1)).tolist())
    model = KERAS / "keras_bidirectional_masked.keras"
    out = tmp_path / "t.npz"
    args = trace_args(model, tmp_path / "x.npy", out, "layer 0: i[0] >= 0", "layer 0: t >= 0")
    assert main(args) == 0
    lines = break_lines(capsys.readouterr().out)
    gate_steps = {int(line.split()[1][2:]) for line in lines if "i[0]" in line}
    every_step = [line for line in lines if "t >= 0" in line]
    # The gates the kernels computed there were discarded: they read NaN, never hold.
    assert masked == {0, 1, 10, 11, 12}
    assert gate_steps == set(range(16)) - masked
    assert len(every_step) == 2 * 16  # a condition on t holds at every step of both passes
