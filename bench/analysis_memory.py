"""Peak memory of analyses over long sequences. Prints figures; never fails.

Each case runs in a fresh interpreter, which reports its own peak resident set size:
- the code reader's claims check (``lstm-sim scenarios code-reader --check``: 180 000
  held-out characters through the shipped 1-layer H=256 character LSTM);
- a 1 MB reading: the named units' scores (:func:`code_reader.read_units`) and one
  Find units ranking of every unit (:func:`code_reader.find_units`) over 1 MB of the
  training modules;
- ``lstm-sim trace --out x.csv`` at T = 100 000 for a 1-layer H=16 character LSTM (the
  CSV has 1.6 M rows), and ``--quantities h --dtype float32`` to an .npz for the H=256
  code reader at T = 100 000.

Targets (issue 12): the check and the 1 MB reading peak under 1 GB; the trace CSV in
memory that does not grow with T.

Usage: python bench/analysis_memory.py [--skip-csv]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

PEAK = "import resource; print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"

CHECK = f"""
from lstm_sim.cli import main
code = main(["scenarios", "code-reader", "--check"])
{PEAK}
"""

READING = f"""
from lstm_sim.model.code_reader import CLAIM_TARGETS, load_code_reader, read_units
from lstm_sim.model.code_reader import shipped_units, find_units
from lstm_sim.model.scenarios.python_code import load_corpus
network = load_code_reader()
text = load_corpus("train", max_chars=1_000_000).text
named = shipped_units(network)
labels, columns = read_units(network, text, [named[p] for p in CLAIM_TARGETS])
print("characters", len(text), "columns", columns.shape)
{PEAK}
"""

FIND = f"""
from lstm_sim.model.code_reader import find_units, load_code_reader
from lstm_sim.model.scenarios.python_code import load_corpus
network = load_code_reader()
text = load_corpus("train", max_chars=1_000_000).text
best = find_units(network, text, "in_comment", "c")[0]
print("best unit", best.unit, round(best.score, 3))
{PEAK}
"""

SMALL_MODEL = """
import numpy as np
from lstm_sim.engine.formats import save_native
from lstm_sim.engine.network import Network
from lstm_sim.engine.vocab import Vocabulary
alphabet = "abcdefghijklmnopqrstuvwxyz .,\\n"
rng = np.random.default_rng(0)
network = Network.random("lstm", len(alphabet), 16, rng, vocab=Vocabulary(tuple(alphabet)))
save_native(network, "{model}")
open("{text}", "w", encoding="utf-8").write(
    "".join(alphabet[k] for k in rng.integers(0, len(alphabet), 100_000))
)
"""

TRACE = f"""
import sys
from lstm_sim.cli import main
code = main(sys.argv[1:])
{PEAK}
"""


def run(code: str, *args: str) -> tuple[float, float, str]:
    """Peak RSS (MB), wall seconds and the last line printed before it."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    lines = done.stdout.strip().splitlines()
    peaks = [line for line in lines if line.startswith("PEAK")]
    if done.returncode != 0 or not peaks:
        raise RuntimeError(f"the case failed:\n{done.stderr[-2000:]}")
    others = [line for line in lines if not line.startswith("PEAK")]
    return int(peaks[-1].split()[1]) / 1024, wall, others[-1] if others else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-csv", action="store_true", help="skip the 1.6 M-row CSV")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    peak, wall, said = run(CHECK)
    print(f"scenarios code-reader --check: peak {peak:6.0f} MB, {wall:5.1f} s  ({said})")
    peak, wall, said = run(READING)
    print(f"1 MB reading, named units:      peak {peak:6.0f} MB, {wall:5.1f} s  ({said})")
    peak, wall, said = run(FIND)
    print(f"1 MB reading, find units (c):   peak {peak:6.0f} MB, {wall:5.1f} s  ({said})")
    with tempfile.TemporaryDirectory() as folder:
        model, text = f"{folder}/small.npz", f"{folder}/text.txt"
        make = SMALL_MODEL.format(model=model, text=text)
        subprocess.run([sys.executable, "-c", make], check=True)
        if not args.skip_csv:
            out = f"{folder}/x.csv"
            peak, wall, _ = run(TRACE, "trace", model, "--text-file", text, "--out", out)
            size = os.path.getsize(out) / 2**20
            print(
                f"trace --out x.csv, T=100k, H=16: peak {peak:6.0f} MB, {wall:5.1f} s "
                f"({size:.0f} MB written)"
            )
            os.remove(out)
        from lstm_sim.resources import resource_path

        reader = str(resource_path("models/scenarios/code_reader.npz"))
        out = f"{folder}/h.npz"
        peak, wall, _ = run(
            TRACE, "trace", reader, "--text-file", text, "--out", out,
            "--quantities", "h", "--dtype", "float32",
        )  # fmt: skip
        print(
            f"trace --quantities h --dtype float32, T=100k, H=256: peak {peak:6.0f} MB, "
            f"{wall:5.1f} s (h alone is {100_000 * 256 * 4 / 2**20:.0f} MB)"
        )
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
