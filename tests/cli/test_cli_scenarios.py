"""``lstm-sim scenarios``: the list, one scenario's description, and checks that pass for
the shipped models and fail for an untrained one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine import Network, Vocabulary
from lstm_sim.engine.formats import save_native
from lstm_sim.model.code_reader import FoundUnit, load_code_reader, shipped_units
from lstm_sim.model.scenario_registry import SCENARIOS, get
from lstm_sim.model.scenarios import counting, python_code

Capture = pytest.CaptureFixture[str]


def test_list_shows_every_scenario_in_order(capsys: Capture) -> None:
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [s.name for s in SCENARIOS] + ["code-reader"]
    for line, scenario in zip(lines, SCENARIOS, strict=False):
        assert scenario.title in line and scenario.summary in line
    assert "Karpathy's code reader" in lines[-1]


@pytest.mark.slow
def test_the_code_reader_shows_its_units_and_its_check_fails_a_random_model(
    tmp_path: Path, capsys: Capture
) -> None:
    assert main(["scenarios", "code-reader"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    named = shipped_units(load_code_reader())
    for pattern in ("in_string", "in_comment", "in_docstring", "indent"):
        assert f"unit {named[pattern].unit} " in out
    assert "code_reader.npz" in out and "opening input: 1123 characters of timeit.py" in out
    vocab = Vocabulary(python_code.VOCABULARY)
    network = Network.random(
        "lstm", len(vocab), 4, np.random.default_rng(0), output_size=len(vocab), vocab=vocab
    )
    network.metadata["units"] = json.dumps(
        [FoundUnit(p, "h", 0, 0, 1.0, 1.0).as_dict() for p in ("in_string", "in_comment", "indent")]
    )
    path = save_native(network, tmp_path / "random_reader.npz")
    assert main(["scenarios", "code-reader", "--check", "--model", str(path)]) == 1
    out = capsys.readouterr().out
    assert "in_string_auc (unit 0, h)" in out and "pyqtgraph indent_r (unit 0, h)" in out
    assert out.rstrip().endswith("FAIL")


def test_one_scenario_shows_its_description_models_and_input(capsys: Capture) -> None:
    assert main(["scenarios", "counting"]) == 0
    out = capsys.readouterr().out
    unit = get("counting").load_networks()[0].metadata["unit"]
    assert f"Unit {unit} counts" in " ".join(out.split())
    assert "counting.npz" in out
    assert "opening input: 45 tokens: . a a a" in out


def test_check_prints_the_numbers_and_passes(capsys: Capture) -> None:
    assert main(["scenarios", "long-lag", "--check"]) == 0
    out = capsys.readouterr().out
    assert "lstm_accuracy" in out and "rnn_accuracy" in out and "chance" in out
    assert out.rstrip().endswith("PASS")


def test_check_of_an_untrained_model_fails_with_status_1(tmp_path: Path, capsys: Capture) -> None:
    network = Network.random(
        "lstm",
        3,
        16,
        np.random.default_rng(0),
        output_size=3,
        vocab=Vocabulary(counting.VOCABULARY),
        dtype=np.float32,
    )
    network.metadata.update({"unit": "0", "unit_sign": "1"})
    path = save_native(network, tmp_path / "untrained.npz")
    assert main(["scenarios", "counting", "--check", "--model", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.rstrip().endswith("FAIL") and "end_accuracy" in out


def test_a_shipped_model_given_as_a_file_passes(capsys: Capture) -> None:
    (path,) = get("sine").model_paths()
    assert main(["scenarios", "sine", "--check", "--model", str(path)]) == 0
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scenarios", "gender"], "no scenario 'gender'; the scenarios are simple-rnn"),
        (["scenarios", "--check"], "--check and --model need a scenario NAME"),
        (["scenarios", "sine", "--model", "x.npz"], "--model is used only with --check"),
        (["scenarios", "long-lag", "--check", "--model", "{lstm}"], "checks 2 network(s), got 1"),
    ],
)
def test_mistakes_exit_2_with_a_message(args: list[str], message: str, capsys: Capture) -> None:
    lstm = str(get("long-lag").model_paths()[0])
    assert main([a.replace("{lstm}", lstm) for a in args]) == 2
    assert message in capsys.readouterr().err
