"""Training throughput: lstm-sim's trainer, with NumPy's loops and with the compiled ones
(numba, ``lstm-sim[fast]``), against the same model in PyTorch on CPU.

A character-level LSTM (vocabulary 96, batch 32, sequence length 64) at H = 64 and
H = 256, one Adam update with clipping per minibatch, all from the same weights on the
same text, in float32 (PyTorch's default and lstm-sim's trainer's). Every library gets the
same number of threads. The three run in interleaved rounds, so load from other processes
hits them alike; prints the median and the best round's tokens per second and the ratios
to PyTorch, with the BLAS library, the kernel it picked for this CPU and its thread
count, the machine and its load average. It never fails a build.

    python bench/train.py [--threads N] [--rounds N] [--hidden 64 256] [--profile]

With ``--profile`` it also says where the compiled trainer's update goes: the matrix
products alone (the same shapes, by NumPy's BLAS), the compiled recurrences less their
products, and the rest (readout, softmax, one-hot gradient, Adam, Python), by CPU time.

OpenBLAS picks its kernels by CPU model and reads OPENBLAS_CORETYPE (for example
SkylakeX, to use AVX-512 kernels on a CPU it does not know) when NumPy is first imported;
set it in the environment to compare.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

VOCAB, BATCH, SEQ_LEN = 96, 32, 64
TARGETS = {64: 1.3, 256: 1.0}  # numba's speed over PyTorch's (issue 12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 256])
    parser.add_argument(
        "--seconds", type=float, default=0.3, help="about how long each timed run lasts"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also time the parts of one compiled update"
    )
    args = parser.parse_args()
    # BLAS reads its thread count when NumPy is first imported.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)

    import numpy as np

    print(f"machine: {machine()}")
    blas = f"NumPy {np.__version__} with {blas_description()}"
    load = os.getloadavg()
    for hidden in args.hidden:
        compare(hidden, args.threads, args.rounds, args.seconds, blas)
        if args.profile:
            profile(hidden, args.rounds)
    after = os.getloadavg()
    print(
        f"load average (1, 5, 15 min) before {' '.join(f'{v:.2f}' for v in load)}, "
        f"after {' '.join(f'{v:.2f}' for v in after)}"
    )


def compare(hidden: int, threads: int, rounds: int, seconds: float, blas: str) -> None:
    """Interleaved rounds of the three trainers at one hidden size; prints the figures."""
    import numpy as np

    from lstm_sim.engine.vocab import Vocabulary
    from lstm_sim.model.training import TextData, TrainConfig, Trainer, new_network

    rng = np.random.default_rng(0)
    alphabet = tuple(chr(c) for c in range(32, 32 + VOCAB))
    steps = max(3, round(seconds / (5e-3 * (hidden / 64) ** 1.5)))  # updates per timed run
    text_ids = rng.integers(0, VOCAB, size=BATCH * SEQ_LEN * (steps + 10) + 1)
    data = TextData(Vocabulary(alphabet), text_ids)
    network = new_network(data, "lstm", hidden, 1, rng)
    config = TrainConfig(
        steps=steps + 1, seq_len=SEQ_LEN, batch_size=BATCH, lr=1e-3, report_every=0.0
    )

    def ours(compiled: bool) -> Callable[[], tuple[float, float]]:
        def run() -> tuple[float, float]:
            """Wall and CPU seconds for ``steps`` updates of a fresh trainer (its first
            update warms up the buffers, and loads the compiled loops, and is not counted)."""
            trainer = Trainer(network, data, config, np.random.default_rng(1), compiled)
            updates = trainer.run()
            next(updates)
            start, cpu = time.perf_counter(), time.process_time()
            for report in updates:
                if report.step >= steps + 1:
                    break
            return time.perf_counter() - start, time.process_time() - cpu

        return run

    runners: dict[str, Callable[[], tuple[float, float]]] = {"NumPy loops": ours(False)}
    probe = Trainer(network, data, config, np.random.default_rng(1))
    if probe.loops_name != "NumPy":
        runners[probe.loops_name] = ours(True)
    else:
        print("note: numba is not installed (pip install 'lstm-sim[fast]'): no compiled figure")
    torch_runner = pytorch_runner(network, text_ids, hidden, steps, threads)
    if torch_runner is not None:
        runners["PyTorch"] = torch_runner
    measured: dict[str, list[tuple[float, float]]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            measured[name].append(run())
    tokens = steps * BATCH * SEQ_LEN
    print(
        f"\nH={hidden}, vocabulary {VOCAB}, batch {BATCH}, T={SEQ_LEN}, float32, "
        f"{threads} thread(s) each; {rounds} interleaved rounds of {steps} updates\n"
        f"  lstm-sim: {blas}"
    )
    # CPU time counts only this process's own work (one thread each), so it moves less
    # with the load of other processes than the wall clock, which is what a user waits.
    for clock, index in (("wall clock", 0), ("CPU time", 1)):
        times = {name: [pair[index] for pair in pairs] for name, pairs in measured.items()}
        print(f"  by {clock}:")
        print_figures(times, tokens, TARGETS.get(hidden))


def profile(hidden: int, rounds: int) -> None:
    """CPU milliseconds per part of one update of the compiled trainer, medians over
    ``rounds`` interleaved rounds; prints them."""
    import numpy as np

    from lstm_sim.engine.vocab import Vocabulary
    from lstm_sim.model.training import TextData, TrainConfig, Trainer, new_network

    rng = np.random.default_rng(0)
    alphabet = tuple(chr(c) for c in range(32, 32 + VOCAB))
    data = TextData(Vocabulary(alphabet), rng.integers(0, VOCAB, BATCH * SEQ_LEN * 50 + 1))
    network = new_network(data, "lstm", hidden, 1, rng)
    config = TrainConfig(steps=10**6, seq_len=SEQ_LEN, batch_size=BATCH, report_every=1e9)
    trainer = Trainer(network, data, config, np.random.default_rng(1))
    loops = trainer._loops
    if loops is None:
        print("  profile: needs numba (lstm-sim[fast])")
        return
    trainer.train_step(trainer._batches.next(), (None, None))  # compiles, allocates
    trained = trainer._network
    cache, buffers = trainer._buffers(SEQ_LEN, BATCH, True)
    layer, readout = trained.layers[0], trained.readout
    assert readout is not None and cache.c_all is not None and cache.act is not None
    assert cache.fc is not None and cache.ig is not None and cache.tanh_c is not None
    w_t = np.ascontiguousarray(layer.weight_hh.T)
    step_out = np.empty((BATCH, 4 * hidden), np.float32)
    dh_step = np.empty((BATCH, hidden), np.float32)
    flat = SEQ_LEN * BATCH
    h_flat = cache.h_all[0, 1:].reshape(flat, hidden)
    dpre_flat = buffers.dpre.reshape(flat, -1)
    dz_flat = buffers.dz.reshape(flat, -1)
    weight_grad = np.empty_like(layer.weight_hh)
    logits, dh_out = np.empty((flat, VOCAB), np.float32), np.empty((flat, hidden), np.float32)
    readout_grad = np.empty_like(readout.weight)

    def forward_products() -> None:
        for t in range(SEQ_LEN):  # W_hh h_{t-1}, as the forward loop's gemm
            np.dot(cache.h_all[0, t], w_t, step_out)

    def backward_products() -> None:
        for t in range(SEQ_LEN):  # W_hhᵀ dL/da_{t+1} (and dh0)
            np.dot(buffers.dpre[t], layer.weight_hh, dh_step)

    def other_products() -> None:
        np.matmul(dpre_flat.T, cache.h_all[0, :-1].reshape(flat, hidden), out=weight_grad)
        np.matmul(h_flat, readout.weight.T, out=logits)
        np.matmul(dz_flat, readout.weight, out=dh_out)
        np.matmul(dz_flat.T, h_flat, out=readout_grad)

    def forward_loop() -> None:
        loops.lstm_forward(
            cache.pre[0], layer.weight_hh, cache.h_all[0], cache.c_all[0], cache.pre[0],
            cache.act[0], cache.fc[0], cache.ig[0], cache.tanh_c[0],
        )  # fmt: skip

    def backward_loop() -> None:
        assert cache.c_all is not None and cache.act is not None and cache.tanh_c is not None
        loops.lstm_backward(
            layer.weight_hh, cache.c_all[0], cache.act[0], cache.tanh_c[0], buffers.dh_out,
            buffers, 0,
        )  # fmt: skip

    def update() -> None:
        trainer.train_step(trainer._batches.next(), (None, None))

    parts: dict[str, Callable[[], None]] = {
        "update": update,
        "forward products": forward_products,
        "backward products": backward_products,
        "dW_hh and readout products": other_products,
        "forward loop": forward_loop,
        "backward loop": backward_loop,
    }
    times: dict[str, list[float]] = {name: [] for name in parts}
    for _ in range(rounds):
        for name, run in parts.items():
            start = time.process_time()
            for _ in range(5):
                run()
            times[name].append((time.process_time() - start) / 5 * 1e3)
    ms = {name: statistics.median(values) for name, values in times.items()}
    products = ms["forward products"] + ms["backward products"] + ms["dW_hh and readout products"]
    loops_less = (ms["forward loop"] - ms["forward products"]) + (
        ms["backward loop"] - ms["backward products"]
    )
    rest = ms["update"] - products - loops_less
    print(
        f"  profile (CPU ms per update, median of {rounds}): update {ms['update']:.1f} = "
        f"BLAS products {products:.1f} ({products / ms['update']:.0%}: forward "
        f"{ms['forward products']:.1f}, backward {ms['backward products']:.1f}, dW_hh and "
        f"readout {ms['dW_hh and readout products']:.1f}) + compiled loops less their "
        f"products {loops_less:.1f} + the rest {rest:.1f}"
    )


def print_figures(times: dict[str, list[float]], tokens: int, target: float | None) -> None:
    """Median and best tokens per second of each trainer, and their ratios to PyTorch."""
    for label, pick in (("median", statistics.median), ("best", min)):
        line = f"  {label:6s}"
        for name, values in times.items():
            line += f"  {name} {tokens / pick(values):8.0f} tokens/s"
        print(line)
        if "PyTorch" in times:
            reference = pick(times["PyTorch"])
            ratios = [
                f"{name} {reference / pick(values):.2f}x"
                for name, values in times.items()
                if name != "PyTorch"
            ]
            wanted = f" (target for the compiled loops >= {target}x)" if target else ""
            print(f"  {'':6s}  ratio to PyTorch: {', '.join(ratios)}{wanted}")


def pytorch_runner(
    network: object, text_ids: object, hidden: int, steps: int, threads: int
) -> Callable[[], tuple[float, float]] | None:
    """Seconds for ``steps`` updates of the same model in PyTorch; None without PyTorch."""
    try:
        import torch
    except ImportError:
        print("note: PyTorch is not installed: no PyTorch figure")
        return None
    torch.set_num_threads(threads)
    lstm = torch.nn.LSTM(VOCAB, hidden)
    head = torch.nn.Linear(hidden, VOCAB)
    params = network.state_dict()  # type: ignore[attr-defined]
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            p.copy_(torch.from_numpy(params[name]))
        head.weight.copy_(torch.from_numpy(params["readout.weight"]))
        head.bias.copy_(torch.from_numpy(params["readout.bias"]))
    parameters = [*lstm.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=1e-3)
    eye = torch.eye(VOCAB)
    ids = torch.from_numpy(text_ids)  # type: ignore[arg-type]
    streams = (len(ids) - 1) // BATCH
    state = [torch.zeros(1, BATCH, hidden), torch.zeros(1, BATCH, hidden)]

    def update(k: int) -> None:
        index = torch.arange(BATCH)[None, :] * streams + k * SEQ_LEN
        index = index + torch.arange(SEQ_LEN)[:, None]
        x = eye[ids[index]]  # (T, B, V) one-hot, as lstm-sim's network reads it
        out, (h, c) = lstm(x, (state[0].detach(), state[1].detach()))
        state[:] = [h, c]
        logits = head(out)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, VOCAB), ids[index + 1].reshape(-1)
        )
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 5.0)
        optimizer.step()

    def run() -> tuple[float, float]:
        update(0)  # warm up, as ours() does
        start, cpu = time.perf_counter(), time.process_time()
        for k in range(steps):
            update(1 + k)
        return time.perf_counter() - start, time.process_time() - cpu

    capability = torch.backends.cpu.get_cpu_capability()
    blas = "MKL" if torch.backends.mkl.is_available() else "its own BLAS"
    print(
        f"PyTorch {torch.__version__}: {blas}, CPU capability {capability}, "
        f"{torch.get_num_threads()} thread(s)"
    )
    return run


def blas_description() -> str:
    """NumPy's BLAS: library, version, the kernel (core type) it picked for this CPU and
    its thread count: from threadpoolctl when installed, else asked of OpenBLAS itself."""
    import numpy as np

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        for pool in threadpool_info():
            if pool.get("user_api") == "blas" and "numpy" in pool.get("filepath", ""):
                return (
                    f"{pool['internal_api']} {pool['version']}, core type "
                    f"{pool.get('architecture', '?')}, {pool['num_threads']} thread(s)"
                )
    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    library = f"{config.get('name')} {config.get('version')}"
    try:
        core = ctypes.CDLL(importlib.import_module("numpy._core._multiarray_umath").__file__)
    except (ImportError, OSError):
        return f"{library}; core type and threads unknown"
    for prefix, suffix in (("scipy_openblas", "64_"), ("openblas", "64_"), ("openblas", "")):
        try:
            corename = getattr(core, f"{prefix}_get_corename{suffix}")
            threads = getattr(core, f"{prefix}_get_num_threads{suffix}")
        except AttributeError:
            continue
        corename.restype = ctypes.c_char_p
        return f"{library}, core type {corename().decode()}, {threads()} thread(s)"
    return f"{library}; core type and threads unknown (not an OpenBLAS NumPy links)"


def machine() -> str:
    """CPU model and core count, from /proc/cpuinfo where there is one."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs"


if __name__ == "__main__":
    sys.exit(main())
