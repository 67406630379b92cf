"""Fuzzing every file reader: mutate real files, load each in a bounded worker, classify.

Used by ``tests/engine/test_fuzz.py`` (a few hundred files per format) and
``bench/fuzz.py`` (thousands). Seeds are the committed fixtures, the shipped models and
small input files made from the fixtures' arrays; each mutant is a bit flip, a byte
overwrite, an insertion, a deletion, a truncation, a huge number written into a header,
or a change to one zip member (its bytes, its stated sizes, its name, or its removal).

Mutants are loaded in worker processes (``python tests/fuzz_files.py --worker LIST``),
many per worker, each worker under an address-space limit of its start-up size plus
``MEMORY_LIMIT`` (1 GiB), and each HDF5 child under its own (``MODEL_CAP`` + 512 MiB).
A worker prints one JSON line per file: the outcome (``ok``, the documented error, or
anything else), the type of the exception underneath the documented error, and every
file the reader opened (from ``sys.addaudithook``, and from ``strace``
when it works here, which also sees files opened by C code such as the HDF5 library). The
driver restarts a worker after a hang or a crash and blames the file it was on.

Run directly: ``python tests/fuzz_files.py --per-format 200 --seed 1``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
MODELS = ROOT / "resources" / "models"
MEMORY_LIMIT = 1 << 30
HANG_SECONDS = 20.0
READ_TIMEOUT = "5"  # seconds an HDF5 read may take in a worker (the guard's own limit)
# The readers' cap in the workers: the HDF5 children, forked from a server started before
# the worker limits itself, get their own address-space limit of the cap plus 512 MiB.
MODEL_CAP = 256 * 1024**2
START_MARK = "/lstm-sim-fuzz-start-mark"

SEEDS: dict[str, list[Path]] = {
    "npz": [MODELS / "example_lstm2.npz", MODELS / "scenarios" / "simple_rnn.npz"],
    "pt": [FIXTURES / "torch" / n for n in ("lstm2.pt", "rnn_relu.pt", "lstm_cell.pt")],
    "safetensors": [FIXTURES / "torch" / n for n in ("lstm2.safetensors", "rnn_tanh.safetensors")],
    "keras": [FIXTURES / "keras" / "lstm2.keras"],
    "h5": [FIXTURES / "keras" / "lstm2_legacy.h5"],
    "onnx": [FIXTURES / "onnx" / n for n in ("lstm2.onnx", "rnn_relu.onnx")],
}
"""Committed seed files by format; the input formats' seeds are made by make_input_seeds."""

FORMATS = (*SEEDS, "inputs.npy", "inputs.csv", "train.npz", "trace.npz")


def make_input_seeds(folder: Path) -> dict[str, list[Path]]:
    """Small inputs (.npy, .csv), training data and a trace (.npz) from the fixtures."""
    import numpy as np

    from lstm_sim.engine.formats import load_model
    from lstm_sim.engine.formats.trace_files import write_trace
    from lstm_sim.engine.trace import record

    with np.load(FIXTURES / "torch" / "outputs.npz", allow_pickle=False) as outputs:
        x = np.asarray(outputs["x"], np.float64)
    x = x.reshape(-1, x.shape[-1])[:12]
    np.save(folder / "x.npy", x)
    np.savetxt(folder / "x.csv", x, delimiter=",", fmt="%.6g")
    np.savez_compressed(folder / "train.npz", x=x[None], y=x[None, :, :1])
    network = load_model(FIXTURES / "torch" / "lstm2.pt")
    write_trace(network, record(network, x[:, : network.input_size]), folder / "trace.npz")
    return {
        "inputs.npy": [folder / "x.npy"],
        "inputs.csv": [folder / "x.csv"],
        "train.npz": [folder / "train.npz"],
        "trace.npz": [folder / "trace.npz"],
    }


# -- mutations ------------------------------------------------------------------------------


def _flip_bits(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(out))
        out[at] ^= 1 << rng.randrange(8)
    return bytes(out)


def _overwrite(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out))
        width = rng.choice((1, 2, 4, 8))
        value = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        out[at : at + width] = bytes([value]) * width
    return bytes(out[: len(data)])


def _insert(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.randbytes(rng.randint(1, 64)) + data[at:]


def _delete(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + data[at + rng.randint(1, 64) :]


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def _huge_number(rng: random.Random, data: bytes) -> bytes:
    """A decimal or binary integer somewhere replaced by a huge one (a shape, a size)."""
    numbers = list(re.finditer(rb"\d+", data[:4096]))
    if numbers and rng.random() < 0.5:
        match = rng.choice(numbers)
        big = str(rng.choice((2**31, 2**40, 3 * 10**12, 2**63 - 1))).encode()
        return data[: match.start()] + big + data[match.end() :]
    at = rng.randrange(max(len(data) - 8, 1))
    packed = struct.pack("<Q", rng.choice((2**31, 2**32 - 1, 2**40, 2**63 - 1)))
    return data[:at] + packed[: rng.choice((4, 8))] + data[at + 8 :]


BYTE_MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    _flip_bits,
    _overwrite,
    _insert,
    _delete,
    _truncate,
    _huge_number,
]


def _zip_members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]] | None:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [(info, archive.read(info)) for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _mutate_zip(rng: random.Random, data: bytes) -> bytes:
    """One member changed (bytes, name, removal, duplication) and the zip rewritten, or
    one member's stated sizes changed in the rewritten zip's headers."""
    import io

    members = _zip_members(data)
    if not members:
        return _flip_bits(rng, data)
    index = rng.randrange(len(members))
    info, content = members[index]
    action = rng.choice(("bytes", "bytes", "bytes", "rename", "drop", "duplicate", "sizes"))
    if action == "bytes" and content:
        members[index] = (info, rng.choice(BYTE_MUTATIONS)(rng, content))
    elif action == "rename":
        info.filename = info.filename + rng.choice(("x", "/", ".npy", ""))[: rng.randint(0, 2)]
    elif action == "drop":
        del members[index]
    elif action == "duplicate":
        members.append((info, content))
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # a duplicated member is the point
        for item, body in members:
            fresh = zipfile.ZipInfo(item.filename, date_time=item.date_time)
            fresh.compress_type = item.compress_type
            archive.writestr(fresh, body)
    out = bytearray(buffer.getvalue())
    if action == "sizes":
        # Central directory entries: compressed size at +20, uncompressed at +24.
        entries = [m.start() for m in re.finditer(rb"PK\x01\x02", out)]
        if entries:
            at = rng.choice(entries) + rng.choice((20, 24))
            out[at : at + 4] = struct.pack("<I", rng.choice((0, 2**31, 2**32 - 1, 10**9)))
    return bytes(out)


def mutants(
    seeds: dict[str, list[Path]], per_format: int, seed: int
) -> Iterator[tuple[str, bytes]]:
    """``per_format`` mutants of each format's seeds, reproducibly from ``seed``."""
    rng = random.Random(seed)
    for kind, paths in seeds.items():
        originals = [path.read_bytes() for path in paths]
        for _ in range(per_format):
            data = rng.choice(originals)
            if data[:2] == b"PK" and rng.random() < 0.5:
                yield kind, _mutate_zip(rng, data)
            else:
                yield kind, rng.choice(BYTE_MUTATIONS)(rng, data) or b"\0"


def suffix_of(kind: str) -> str:
    return "." + kind.rsplit(".", 1)[-1]


# -- the worker -----------------------------------------------------------------------------


def _load(kind: str, path: Path) -> object:
    from lstm_sim.engine.formats import load_model
    from lstm_sim.engine.formats.inputs import read_inputs, read_sequences
    from lstm_sim.engine.formats.trace_reader import read_trace_arrays
    from lstm_sim.engine.trace_diff import COMPARED

    if kind.startswith("selftest-"):
        return _misbehave(kind)
    if kind.startswith("inputs"):
        return read_inputs(path)
    if kind == "train.npz":
        return read_sequences(path)
    if kind == "trace.npz":
        return read_trace_arrays(path, COMPARED)
    return load_model(path)


def _misbehave(kind: str) -> object:
    """What a broken reader would do, so that a test can see the driver notice it."""
    if kind == "selftest-escape":
        raise KeyError("weight_ih_l0")
    if kind == "selftest-open":
        return (FIXTURES / "torch" / "outputs.npz").read_bytes()
    if kind == "selftest-swell":
        return bytearray(2 * MEMORY_LIMIT)
    if kind == "selftest-crash":
        os.abort()
    if kind == "selftest-hang":
        while True:
            time.sleep(1)
    return None


def _limit_memory() -> None:
    import resource

    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (current + MEMORY_LIMIT, current + MEMORY_LIMIT))


def worker(listing: Path) -> None:
    """Load every (kind, path) of ``listing``; one JSON line per file on stdout."""
    from lstm_sim.engine.formats.errors import FileReadError

    jobs = [json.loads(line) for line in listing.read_text().splitlines()]
    if not all(kind.startswith("selftest-") for _, kind, _ in jobs):
        with tempfile.TemporaryDirectory() as folder:
            seeds = {**SEEDS, **make_input_seeds(Path(folder))}
            for kind, paths in seeds.items():  # imports and the HDF5 server start here, once
                _load(kind, paths[0])
    _limit_memory()
    opened: list[str] = []

    def audit(event: str, args: tuple[object, ...]) -> None:
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(os.fsdecode(args[0]))

    sys.addaudithook(audit)
    with contextlib.suppress(OSError):
        os.stat(START_MARK)  # strace's marker: checks begin after it
    for index, kind, path in jobs:
        print(json.dumps({"start": index}), flush=True)
        opened.clear()
        outcome, underneath, message = "ok", "", ""
        try:
            _load(kind, Path(path))
        except FileReadError as err:
            outcome = "refused"
            context = err.__context__
            underneath = type(context).__name__ if context is not None else ""
            message = str(err)
        except BaseException as err:
            outcome = f"escaped {type(err).__name__}"
            message = f"{type(err).__name__}: {err}"[:500]
        record = {
            "index": index,
            "outcome": outcome,
            "underneath": underneath,
            "message_ok": "\n" not in message and len(message) <= 300,
            "message": message[:400],
            "outside": sorted({p for p in list(opened) if p != path and not _is_code(p)}),
        }
        print(json.dumps(record), flush=True)


# -- the driver -----------------------------------------------------------------------------


@dataclass
class Summary:
    """What a fuzz run found."""

    files: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    by_format: dict[str, Counter[str]] = field(default_factory=dict)
    underneath: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    strace: bool = False

    def add(self, kind: str, outcome: str) -> None:
        self.outcomes[outcome] += 1
        self.by_format.setdefault(kind, Counter())[outcome] += 1


def _strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=openat", "-o", os.devnull, "true"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


_OPENAT = re.compile(r'^(\d+)\s+(?:openat|open)\((?:AT_FDCWD, )?"([^"]*)"')


def _is_code(name: str) -> bool:
    """Python's own reads: a module, a compiled module, a folder on the import path, or
    /dev/null."""
    return name.endswith((".py", ".pyc", ".so")) or name == os.devnull or os.path.isdir(name)


def _strace_outside(log: Path, allowed: set[str]) -> list[str]:
    """Files opened by the worker or its children after the start mark, other than the
    fuzzed files, Python's own code and the HDF5 child's /proc/self/statm."""
    started = False
    outside = []
    for line in log.read_text(errors="replace").splitlines():
        match = _OPENAT.match(line)
        if match is None:
            started = started or START_MARK in line
            continue
        name = match.group(2)
        if started and name not in allowed and name != "/proc/self/statm" and not _is_code(name):
            outside.append(name)
    return outside


def run_batch(
    jobs: list[tuple[int, str, str]],
    folder: Path,
    use_strace: bool,
    summary: Summary,
    hang_seconds: float = HANG_SECONDS,
) -> list[tuple[int, str, str]]:
    """Run ``jobs`` in one worker; returns the jobs left after a hang or crash."""
    listing = folder / f"jobs-{jobs[0][0]}.jsonl"
    listing.write_text("\n".join(json.dumps(job) for job in jobs))
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(listing)]
    log = folder / f"strace-{jobs[0][0]}.log"
    if use_strace:
        command = ["strace", "-f", "-qq", "-e", "trace=openat,open,stat,newfstatat,statx", "-o",
                   str(log), *command]  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LSTM_SIM_READ_TIMEOUT": READ_TIMEOUT,
        "LSTM_SIM_MAX_MODEL_BYTES": str(MODEL_CAP),
    }
    timeout = hang_seconds + 0.5 * len(jobs)
    try:
        run = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
        stdout, returncode = run.stdout, run.returncode
        failure = f"crashed (exit {returncode}): {run.stderr.strip()[-300:]}"
    except subprocess.TimeoutExpired as expired:
        raw = expired.stdout or b""
        stdout = raw.decode() if isinstance(raw, bytes) else raw
        returncode, failure = None, f"hung for over {timeout:.0f} s"
    kinds = {index: kind for index, kind, _ in jobs}
    paths = {index: path for index, _, path in jobs}
    done: set[int] = set()
    current = None
    for line in stdout.splitlines():
        record = json.loads(line)
        if "start" in record:
            current = record["start"]
            continue
        index = record["index"]
        done.add(index)
        kind = kinds[index]
        summary.files += 1
        summary.add(kind, record["outcome"])
        if record["underneath"]:
            summary.underneath[record["underneath"]] += 1
        where = f"{kind} #{index} ({paths[index]})"
        if record["outcome"].startswith("escaped"):
            summary.problems.append(f"{where}: {record['message']}")
        elif record["underneath"] == "MemoryError" or "MemoryError" in record["message"]:
            summary.problems.append(f"{where}: ran out of memory: {record['message']}")
        if not record["message_ok"]:
            summary.problems.append(f"{where}: message not one short line")
        if record["outside"]:
            summary.problems.append(f"{where}: opened {record['outside']}")
    if use_strace and log.exists():
        allowed = {path for _, _, path in jobs} | {START_MARK}
        for name in _strace_outside(log, allowed):
            summary.problems.append(f"strace: a reader opened {name}")
    if returncode == 0:
        return []
    blamed = current if current is not None and current not in done else None
    if blamed is None:
        summary.problems.append(f"worker {failure} before its first file")
        return []
    summary.files += 1
    summary.add(kinds[blamed], "hang" if returncode is None else "crash")
    summary.problems.append(f"{kinds[blamed]} #{blamed} ({paths[blamed]}): {failure}")
    return [job for job in jobs if job[0] not in done and job[0] != blamed]


def run(per_format: int, seed: int, folder: Path, workers: int = 2, batch: int = 400) -> Summary:
    """Fuzz every format with ``per_format`` mutants; ``folder`` receives the files."""
    start = time.monotonic()
    summary = Summary(strace=_strace_works())
    seeds = {**SEEDS, **make_input_seeds(folder)}
    jobs: list[tuple[int, str, str]] = []
    for index, (kind, data) in enumerate(mutants(seeds, per_format, seed)):
        path = folder / f"m{index:06d}{suffix_of(kind)}"
        path.write_bytes(data)
        jobs.append((index, kind, str(path)))
    size = max(1, min(batch, -(-len(jobs) // workers)))
    pending = [jobs[k : k + size] for k in range(0, len(jobs), size)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        while pending:
            results = pool.map(lambda b: run_batch(b, folder, summary.strace, summary), pending)
            pending = [left for left in results if left]
    summary.seconds = time.monotonic() - start
    return summary


def report(summary: Summary) -> str:
    lines = [
        f"{summary.files} files in {summary.seconds:.1f} s"
        f" (file opens checked by audit hook{' and strace' if summary.strace else ''})",
        "outcomes: " + ", ".join(f"{k} {v}" for k, v in summary.outcomes.most_common()),
    ]
    for kind, counts in summary.by_format.items():
        lines.append(f"  {kind:12} " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    if summary.underneath:
        lines.append(
            "underneath the refusals: "
            + ", ".join(f"{k} {v}" for k, v in summary.underneath.most_common())
        )
    lines.append(f"problems: {len(summary.problems)}")
    lines += [f"  {p}" for p in summary.problems[:40]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--per-format", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.worker is not None:
        sys.path.insert(0, str(ROOT))
        worker(args.worker)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        summary = run(args.per_format, args.seed, Path(folder), args.workers)
    print(report(summary))
    return 1 if summary.problems else 0


if __name__ == "__main__":
    sys.exit(main())
