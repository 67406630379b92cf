"""A PyTorch GRU read from a file through ``lstm-sim info`` and ``lstm-sim trace``.

The committed fixtures (tests/fixtures/torch/gru*, made by ``make_gru_fixtures`` in
scripts/make_torch_fixtures.py) hold PyTorch's own outputs over T = 50, so parity is
checked without torch; with torch importable, a fresh GRU is checked live as well.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine import record
from lstm_sim.engine.backprop import gradients
from lstm_sim.engine.formats import load_model

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "torch"


def _expected() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "gru.npz", allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _trace(tmp_path: Path, model: Path, x: np.ndarray, *args: str) -> dict[str, np.ndarray]:
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "t.npz"
    assert (
        main(["trace", str(model), "--inputs", str(tmp_path / "x.npy"), "--out", str(out), *args])
        == 0
    )
    with np.load(out, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _worst(got: np.ndarray, expected: np.ndarray) -> float:
    assert got.shape == expected.shape
    return float(np.abs(got - expected).max())


def test_state_dict_fixtures_equal_pytorch(tmp_path: Path) -> None:
    expected = _expected()
    written = _trace(tmp_path, FIXTURES / "gru2_double.pt", expected["x"])
    assert _worst(written["h"], expected["gru2.h"]) <= 1e-12
    assert {"r", "z", "n", "hn", "pre"} <= set(written) and "c" not in written
    written = _trace(tmp_path, FIXTURES / "gru2.safetensors", expected["x"].astype(np.float32))
    assert written["h"].dtype == np.float32
    assert _worst(written["h"], expected["gru2_float.h"]) <= 1e-5


def test_whole_module_fixture_equals_pytorch(tmp_path: Path) -> None:
    expected = _expected()
    written = _trace(tmp_path, FIXTURES / "gru_tagger_whole.pt", expected["x"])
    assert _worst(written["h"][0], expected["tagger.h"]) <= 1e-12
    assert _worst(written["logits"], expected["tagger.logits"]) <= 1e-12


def test_info_describes_a_gru(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(FIXTURES / "gru2_double.pt")]) == 0
    out = capsys.readouterr().out
    assert "GRU (gates r, z, n; reset after W_hn h + b_hn, as PyTorch), 2 layers" in out
    # layer 0: 15·3 + 15·5 + 2·15; layer 1: 15·5 + 15·5 + 2·15
    assert "parameters    330\n" in out


def test_trace_grad_names_every_gru_gradient(tmp_path: Path) -> None:
    expected = _expected()
    x = expected["x"][:12]
    targets = np.random.default_rng(0).normal(size=(12, 5))
    np.save(tmp_path / "y.npy", targets)
    written = _trace(
        tmp_path, FIXTURES / "gru2_double.pt", x, "--grad", "--targets", str(tmp_path / "y.npy")
    )
    network = load_model(FIXTURES / "gru2_double.pt")
    grads = gradients(network, record(network, x), targets, "mse")
    assert written["loss"] == pytest.approx(grads.loss, rel=1e-12)
    assert written["dh"].shape == (2, 12, 5) and "dc" not in written
    for name, value in grads.params.items():
        np.testing.assert_array_equal(written[f"grad.{name}"], value)
    assert not np.array_equal(written["grad.bias_hh_l0"], written["grad.bias_ih_l0"])


def test_live_torch_gru_equals_the_trace(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    gru = torch.nn.GRU(4, 6, num_layers=3).double()
    torch.save(gru.state_dict(), tmp_path / "g.pt")
    x = torch.randn(50, 4, dtype=torch.float64)
    with torch.no_grad():
        out, last = gru(x)
    written = _trace(tmp_path, tmp_path / "g.pt", x.numpy())
    assert _worst(written["h"][-1], out.numpy()) <= 1e-12
    assert _worst(written["h"][:, -1], last.numpy()) <= 1e-12


def test_a_bidirectional_gru_loads_with_its_reverse_pass(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    gru = torch.nn.GRU(3, 4, bidirectional=True).double()
    torch.save(gru.state_dict(), tmp_path / "bi.pt")
    network = load_model(tmp_path / "bi.pt")
    assert network.variants() == ("layer 0: bidirectional direction",)
    x = torch.randn(20, 3, dtype=torch.float64)
    with torch.no_grad():
        out, _ = gru(x)
    written = _trace(tmp_path, tmp_path / "bi.pt", x.numpy())
    assert _worst(written["h"][0], out.numpy()[:, :4]) <= 1e-12
    assert _worst(written["h_reverse"][0], out.numpy()[:, 4:]) <= 1e-12


def test_break_conditions_read_the_gru_gates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = _expected()["x"][:20]
    written = _trace(tmp_path, FIXTURES / "gru2_double.pt", x, "--break", "layer 0: z[2] > 0.6")
    hits = [t for t in range(20) if written["z"][0, t, 2] > 0.6]
    assert hits, "the fixture should open the update gate somewhere"
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("break:")]
    assert lines == [f"break: t={t} layer=0 layer 0: z[2] > 0.6" for t in hits]


def test_clamps_on_a_gru_are_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    np.save(tmp_path / "x.npy", _expected()["x"][:5])
    out = tmp_path / "t.npz"
    args = ["trace", str(FIXTURES / "gru2_double.pt"), "--inputs", str(tmp_path / "x.npy")]
    assert main([*args, "--out", str(out), "--clamp", "h[0] = 0 @ 2"]) == 2
    assert "clamps on a GRU are not supported yet" in capsys.readouterr().err
    assert not out.exists()


def test_diff_names_the_first_gru_quantity_that_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = _expected()["x"][:10]
    for name, scale in (("a", 1.0), ("b", 1.01)):
        nudged = x.copy()
        nudged[4] *= scale
        _trace(tmp_path, FIXTURES / "gru2_double.pt", nudged)
        (tmp_path / "t.npz").rename(tmp_path / f"{name}.npz")
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "a.npz"), str(tmp_path / "b.npz")]) == 1
    assert "first difference: t=4 layer=0 quantity=r " in capsys.readouterr().out


def test_chunked_csv_and_chosen_quantities_of_a_gru(tmp_path: Path) -> None:
    from lstm_sim.engine.formats.trace_files import write_trace

    x = _expected()["x"][:9]
    np.save(tmp_path / "x.npy", x)
    model = FIXTURES / "gru2_double.pt"
    args = ["trace", str(model), "--inputs", str(tmp_path / "x.npy")]
    assert main([*args, "--out", str(tmp_path / "cli.csv")]) == 0
    network = load_model(model)
    trace = record(network, x)
    whole = write_trace(network, trace, tmp_path / "whole.csv")
    assert (tmp_path / "cli.csv").read_bytes() == whole.read_bytes()
    assert whole.read_text().splitlines()[0].endswith("pre_r,pre_z,pre_n,r,z,n,hn,h")
    assert main([*args, "--out", str(tmp_path / "q.npz"), "--quantities", "hn,z"]) == 0
    with np.load(tmp_path / "q.npz", allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["z"], trace.gate("z"))
        np.testing.assert_array_equal(npz["hn"], trace.hn)
        assert "c0" not in npz.files
