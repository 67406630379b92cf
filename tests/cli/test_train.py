"""``lstm-sim train``: trains, saves a model that loads back, and writes nothing when
interrupted."""

from __future__ import annotations

import numpy as np

from lstm_sim.cli import main
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.trace import record
from lstm_sim.model import training


def test_train_on_a_text_file_saves_a_char_model_that_loads(tmp_path, capsys):
    data = tmp_path / "corpus.txt"
    data.write_text("to be or not to be " * 30, encoding="utf-8")
    out = tmp_path / "model.npz"
    args = ["train", "--data", str(data), "--hidden", "12", "--layers", "2", "--steps", "40"]
    status = main([*args, "--seq-len", "16", "--batch", "4", "--lr", "0.01", "--out", str(out)])
    assert status == 0
    err = capsys.readouterr().err
    assert "\r" in err and "40/40" in err and "tokens/s" in err
    network = load_model(out)
    assert network.kind == "lstm" and network.num_layers == 2 and network.hidden_size == 12
    assert network.vocab.tokens == tuple(sorted(set("to be or not")))
    assert network.metadata["steps"] == "40"
    assert float(network.metadata["final_loss"]) < np.log(len(network.vocab))
    trace = record(network, list("to be"))
    assert np.allclose(trace.probs.sum(axis=1), 1.0, atol=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt", "model.npz"]


def test_train_task_and_numeric_npz_data(tmp_path):
    out = tmp_path / "rnn.npz"
    assert main(["train", "--task", "sine", "--kind", "rnn", "--hidden", "6", "--steps", "5",
                 "--out", str(out)]) == 0  # fmt: skip
    assert load_model(out).kind == "rnn"
    rng = np.random.default_rng(0)
    sequences = tmp_path / "seq.npz"
    np.savez(sequences, x=rng.normal(size=(4, 10, 3)), y=rng.normal(size=(4, 10, 2)))
    out = tmp_path / "seq_model.npz"
    assert main(["train", "--data", str(sequences), "--hidden", "5", "--steps", "3",
                 "--out", str(out)]) == 0  # fmt: skip
    network = load_model(out)
    assert network.input_size == 3 and network.output_size == 2
    assert network.readout.kind == "linear"


def test_train_a_gru_says_its_loops_run_in_numpy(tmp_path, capsys):
    out = tmp_path / "gru.npz"
    assert main(["train", "--task", "sine", "--kind", "gru", "--hidden", "6", "--steps", "5",
                 "--out", str(out)]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "loops over time run on NumPy (the compiled loops cover LSTM and RNN" in err
    network = load_model(out)
    assert network.kind == "gru" and network.reset_after
    assert network.layers[0].weight_hh.shape == (18, 6)


def test_ctrl_c_writes_nothing(tmp_path, monkeypatch, capsys):
    real_run = training.Trainer.run

    def interrupted(self):
        for report in real_run(self):
            yield report
            raise KeyboardInterrupt

    monkeypatch.setattr(training.Trainer, "run", interrupted)
    out = tmp_path / "model.npz"
    status = main(["train", "--task", "sine", "--hidden", "4", "--steps", "100", "--out", str(out)])
    assert status == 130
    assert "nothing written" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_are_reported(tmp_path, capsys):
    assert main(["train", "--task", "sine", "--out", str(tmp_path / "m.pt")]) == 2
    assert "--out must end in .npz" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "none.txt"), "--out", "m.npz"]) == 2
    assert "no such training text file" in capsys.readouterr().err
