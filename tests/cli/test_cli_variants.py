"""lstm-sim info and trace on bidirectional and projected PyTorch networks: the reverse
passes' quantities in the trace file under _reverse keys, in time order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "family"


def case(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"network_{name}.npz", allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def test_trace_grad_writes_the_reverse_passes_in_time_order(tmp_path: Path) -> None:
    expected = case("lstm_bidirectional")
    np.save(tmp_path / "x.npy", expected["x"])
    np.save(tmp_path / "y.npy", expected["targets"])
    out = tmp_path / "t.npz"
    model = str(FIXTURES / "network_lstm_bidirectional.pt")
    args = ["--inputs", str(tmp_path / "x.npy"), "--targets", str(tmp_path / "y.npy")]
    assert main(["trace", model, *args, "--grad", "--out", str(out)]) == 0
    with np.load(out, allow_pickle=False) as written:
        assert list(written["directions"]) == ["bidirectional", "bidirectional"]
        for name in ("h", "c", "h_reverse", "c_reverse"):
            assert np.abs(written[name] - expected[name]).max() <= 1e-12, name
        assert written["h_reverse"].shape == written["dh_reverse"].shape == (2, 50, 4)
        assert np.all(written["h0_reverse"] == 0)
        grad = written["grad.rnn.weight_ih_l1_reverse"]
        reference = expected["grad.weight_ih_l1_reverse"]
        assert np.abs(grad - reference).max() <= 1e-9 * np.abs(reference).max()


def test_trace_csv_has_reverse_columns(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", case("gru_bidirectional")["x"][:5])
    out = tmp_path / "t.csv"
    model = str(FIXTURES / "network_gru_bidirectional.pt")
    assert main(["trace", model, "--inputs", str(tmp_path / "x.npy"), "--out", str(out)]) == 0
    header = out.read_text().splitlines()[0].split(",")
    forward = header[header.index("pre_r") : header.index("h") + 1]
    assert forward == ["pre_r", "pre_z", "pre_n", "r", "z", "n", "hn", "h"]
    assert header[header.index("h") + 1 :] == [f"{name}_reverse" for name in forward]


def test_options_that_need_plain_cells_are_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    np.save(tmp_path / "x.npy", case("lstm_proj")["x"][:5])
    model = str(FIXTURES / "network_lstm_proj.pt")
    inputs = ["--inputs", str(tmp_path / "x.npy")]
    assert main(["trace", model, *inputs, "--out", str(tmp_path / "t.npz"), "--clamp", "f = 1 @ 2"])
    err = capsys.readouterr().err
    assert "clamps are not supported on this model yet (layer 0: projection" in err
    assert main(["trace", model, *inputs, "--out", str(tmp_path / "t.csv")])
    assert "cannot share a row per unit" in capsys.readouterr().err
    assert main(["trace", model, *inputs, "--out", str(tmp_path / "t.npz")]) == 0
    with np.load(tmp_path / "t.npz", allow_pickle=False) as written:
        assert written["h"].shape == (2, 5, 2) and written["m"].shape == (2, 5, 4)


def test_info_names_each_variant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(FIXTURES / "network_lstm_proj.pt")]) == 0
    out = capsys.readouterr().out
    assert "hidden size" in out and "(h projected to proj_size=2)" in out
    assert "variant" in out and "layer 1: projection (proj_size=2)" in out


def test_diff_finds_where_a_reverse_pass_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = case("gru_bidirectional")["x"][:10]
    edited = x.copy()
    edited[7] += 1.0
    model = str(FIXTURES / "network_gru_bidirectional.pt")
    for name, values in (("a", x), ("b", edited)):
        np.save(tmp_path / f"{name}.npy", values)
        inputs = ["--inputs", str(tmp_path / f"{name}.npy")]
        assert main(["trace", model, *inputs, "--out", str(tmp_path / f"{name}.npz")]) == 0
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "a.npz"), str(tmp_path / "b.npz")]) == 1
    # the reverse pass reads x_7 before x_0..x_6, so it parts at step 0 already
    assert "t=0 layer=0 quantity=r_reverse" in capsys.readouterr().out
