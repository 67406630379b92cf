"""``lstm-sim diff`` and ``lstm-sim trace --break``: the one-line reports and exit codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine import Network, record
from lstm_sim.engine.formats import save_native


@pytest.fixture
def model(tmp_path: Path) -> Path:
    network = Network.random("lstm", 2, 4, np.random.default_rng(2), num_layers=2)
    save_native(network, tmp_path / "m.npz")
    return tmp_path / "m.npz"


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    np.save(tmp_path / "x.npy", np.random.default_rng(3).standard_normal((25, 2)))
    return tmp_path / "x.npy"


def test_diff_exits_0_when_runs_agree_and_1_where_they_part(
    tmp_path: Path, model: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a.npz", "b.npz"):
        assert (
            main(["trace", str(model), "--inputs", str(inputs), "--out", str(tmp_path / name)]) == 0
        )
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "a.npz"), str(tmp_path / "b.npz")]) == 0
    assert "no difference above 1e-06" in capsys.readouterr().out

    x = np.load(inputs)
    x[11, 0] += 0.5
    np.save(tmp_path / "x2.npy", x)
    args = [
        "trace",
        str(model),
        "--inputs",
        str(tmp_path / "x2.npy"),
        "--out",
        str(tmp_path / "c.npz"),
    ]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "a.npz"), str(tmp_path / "c.npz")]) == 1
    line = capsys.readouterr().out.strip()
    assert line.startswith("first difference: t=11 layer=0 quantity=i unit=")
    assert main(["diff", str(tmp_path / "a.npz"), str(tmp_path / "c.npz"), "--tol", "10"]) == 0


def test_diff_of_a_broken_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.npz").write_bytes(b"nothing")
    assert main(["diff", str(tmp_path / "bad.npz"), str(tmp_path / "bad.npz")]) == 2
    err = capsys.readouterr().err
    assert "bad.npz" in err and len(err.strip().splitlines()) == 1


def test_trace_break_prints_every_hit_in_step_order(
    tmp_path: Path, model: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.npz"
    conditions = ["layer 1: t == 20", "t == 3", "f[0] > 2"]
    args = ["trace", str(model), "--inputs", str(inputs), "--out", str(out)]
    for condition in conditions:
        args += ["--break", condition]
    assert main(args) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("break:")]
    assert lines == [
        "break: t=3 layer=0 t == 3",
        "break: t=3 layer=1 t == 3",
        "break: t=20 layer=1 layer 1: t == 20",
    ]
    assert main([*args, "--first"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("break:")]
    assert lines == ["break: t=3 layer=0 t == 3"]


def test_trace_break_agrees_with_the_recorded_gates(
    tmp_path: Path, model: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lstm_sim.engine.formats import load_model

    trace = record(load_model(model), np.load(inputs))
    threshold = float(np.median(trace.gate("o")[0, :, 1]))
    args = ["trace", str(model), "--inputs", str(inputs), "--out", str(tmp_path / "t.npz")]
    assert main([*args, "--break", f"layer 0: o[1] > {threshold!r}"]) == 0
    hit_steps = [
        int(line.split()[1][2:])
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("break:")
    ]
    assert hit_steps == [int(t) for t in np.flatnonzero(trace.gate("o")[0, :, 1] > threshold)]


def test_a_bad_condition_is_refused_before_any_work(
    tmp_path: Path, model: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.npz"
    args = ["trace", str(model), "--inputs", str(inputs), "--out", str(out), "--break", "f >"]
    assert main(args) == 2
    assert "syntax error" in capsys.readouterr().err and not out.exists()


def test_trace_clamp_records_the_what_if_run_and_its_specs(
    tmp_path: Path, model: Path, inputs: Path
) -> None:
    from lstm_sim.engine.formats import load_model
    from lstm_sim.engine.interventions import intervened, parse_clamp

    out = tmp_path / "what_if.npz"
    specs = ["f[1] = 1 @ 4:9", "layer 1: h = 0 @ 20"]
    args = ["trace", str(model), "--inputs", str(inputs), "--out", str(out)]
    assert main([*args, "--clamp", specs[0], "--clamp", specs[1]]) == 0
    network = load_model(model)
    expected = intervened(
        network, record(network, np.load(inputs)), [parse_clamp(s) for s in specs]
    )
    with np.load(out, allow_pickle=False) as npz:
        assert list(npz["clamps"]) == specs
        np.testing.assert_array_equal(npz["h"], expected.h)
        assert (npz["f"][0, 4:9, 1] == 1).all() and (npz["h"][1, 20] == 0).all()


def test_trace_clamp_refuses_what_it_cannot_do(
    tmp_path: Path, model: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["trace", str(model), "--inputs", str(inputs), "--out", str(tmp_path / "t.npz")]
    assert main([*args, "--clamp", "layer 3: f = 1 @ 2"]) == 2
    assert "layer 3 does not exist" in capsys.readouterr().err
    assert main([*args, "--clamp", "f = 1 @ 2", "--grad", "--targets", str(inputs)]) == 2
    assert "not supported" in capsys.readouterr().err
