"""Each file lstm-sim writes, killed mid-way in a subprocess, leaves the previous file
byte-identical; a polite kill or Ctrl+C also leaves no temporary file; an output that
names an input, or a folder that cannot be written, is refused before any work."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lstm_sim.cli import main
from lstm_sim.engine import Network
from lstm_sim.engine.formats import save_native

ROOT = Path(__file__).resolve().parents[2]
OLD = b"the previous file, which must survive\n" * 100

# Hooks run in the child before lstm-sim's command; each prints "ready" at a point where
# the new file is partly written, then waits to be killed.
PAUSE = "print('ready', flush=True); time.sleep(60)"
HOOKS = {
    # np.savez / np.savez_compressed write one array after another: pause before the second.
    "arrays": f"""
        import numpy.lib.format as fmt
        real = fmt.write_array
        calls = []
        def write_array(fp, array, *args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                {PAUSE}
            return real(fp, array, *args, **kwargs)
        fmt.write_array = write_array
    """,
    # csv: pause after the header and ten rows reached the file.
    "rows": f"""
        import csv
        real = csv.writer
        class Pausing:
            def __init__(self, handle):
                self.handle, self.writer = handle, real(handle)
            def writerow(self, row):
                self.writer.writerow(row)
            def writerows(self, rows):
                for _, row in zip(range(10), rows):
                    self.writer.writerow(row)
                self.handle.flush()
                {PAUSE}
        csv.writer = Pausing
    """,
    # Qt writes an image in one call: pause after it, before the rename.
    "rename": f"""
        import os
        def replace(source, target):
            {PAUSE}
        os.replace = replace
    """,
}


def _run_until_hook(hook: str, argv: list[str]) -> subprocess.Popen[bytes]:
    code = "import sys, time\n" + textwrap.dedent(HOOKS[hook])
    code += f"\nfrom lstm_sim.cli import main\nsys.exit(main({argv!r}))\n"
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], 60)
    line = child.stdout.readline() if ready else b""
    if line != b"ready\n":
        child.kill()
        _, err = child.communicate()
        pytest.fail(f"the child never reached the hook: {line!r} {err.decode()[-2000:]}")
    return child


@pytest.fixture
def model(tmp_path: Path) -> Path:
    network = Network.random("lstm", 3, 8, np.random.default_rng(0), num_layers=2)
    save_native(network, tmp_path / "model.npz")
    np.save(tmp_path / "x.npy", np.random.default_rng(1).normal(size=(40, 3)))
    return tmp_path / "model.npz"


def _commands(model: Path, out: Path) -> list[str]:
    folder = model.parent
    if out.name.startswith("trace"):
        return ["trace", str(model), "--inputs", str(folder / "x.npy"), "--out", str(out)]
    if out.name.startswith("shot"):
        return ["--screenshot", str(out), "--model", str(model), "--size", "400x300"]
    return ["train", "--task", "sine", "--hidden", "4", "--steps", "2", "--out", str(out)]


CASES = [("trace.npz", "arrays"), ("trace.csv", "rows"), ("trained.npz", "arrays"),
         ("shot.png", "rename")]  # fmt: skip


@pytest.mark.parametrize(("name", "hook"), CASES)
def test_sigkill_mid_write_leaves_the_old_file_byte_identical(model, name, hook):
    out = model.parent / name
    out.write_bytes(OLD)
    child = _run_until_hook(hook, _commands(model, out))
    temporaries = [p for p in model.parent.iterdir() if p.name.startswith(f".{name}.")]
    assert len(temporaries) == 1 and temporaries[0].stat().st_size > 0  # truly mid-way
    child.kill()
    child.communicate()
    assert out.read_bytes() == OLD


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_mid_write_also_removes_the_temporary(model, stop):
    out = model.parent / "trace.npz"
    out.write_bytes(OLD)
    before = sorted(p.name for p in model.parent.iterdir())
    child = _run_until_hook("arrays", _commands(model, out))
    child.send_signal(stop)
    child.communicate(timeout=60)
    assert child.returncode != 0
    assert out.read_bytes() == OLD
    assert sorted(p.name for p in model.parent.iterdir()) == before


def test_an_output_that_names_an_input_is_refused(model, tmp_path, capsys):
    x = tmp_path / "x.csv"
    np.savetxt(x, np.random.default_rng(2).normal(size=(6, 3)), delimiter=",")
    (tmp_path / "alias.npz").hardlink_to(model)
    (tmp_path / "link.npz").symlink_to(model)
    inputs = {path: path.read_bytes() for path in (model, x)}
    for source, out in [
        (model, model),
        (model, tmp_path / "." / "x.csv"),
        (model, tmp_path / "alias.npz"),
        (tmp_path / "link.npz", model),
    ]:
        assert main(["trace", str(source), "--inputs", str(x), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "is the same file as" in err and err.count("\n") == 1
    data = tmp_path / "corpus.npz"
    np.savez(data, x=np.zeros((2, 5, 1)), y=np.zeros((2, 5, 1)))
    inputs[data] = data.read_bytes()
    assert main(["train", "--data", str(data), "--steps", "1", "--out", str(data)]) == 2
    assert "is the same file as --data" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in inputs} == inputs


def test_train_refuses_an_unwritable_folder_before_training(unwritable_folder, capsys):
    out = unwritable_folder / "model.npz"
    status = main(["train", "--task", "sine", "--hidden", "4", "--steps", "5", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    assert f"cannot write in the folder {unwritable_folder}" in err
    assert "loss" not in err  # not one update ran


def test_a_screenshot_over_its_model_is_refused(model, capsys):
    before = model.read_bytes()
    assert main(["--screenshot", str(model), "--model", str(model)]) == 2
    assert "is the same file as the model" in capsys.readouterr().err
    assert model.read_bytes() == before


def test_export_refuses_an_unwritable_folder_before_rendering(model, unwritable_folder, capsys):
    out = unwritable_folder / "cell.gif"
    status = main(["export", str(model), "--from", "0", "--to", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and f"cannot write in the folder {unwritable_folder}" in err
    assert "frame" not in err  # not one frame was rendered
