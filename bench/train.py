"""Training throughput: lstm-sim's NumPy trainer against the same model in PyTorch on CPU.

A character-level LSTM (vocabulary 96, H = 64, batch 32, sequence length 64), one Adam
update with clipping per minibatch, both from the same weights on the same text. Both
libraries get the same number of threads. The two run in interleaved rounds, so load
from other processes hits both alike; prints the median and the best round's tokens per
second, their ratios, the machine and its load average. It never fails a build.

    python bench/train.py [--threads N] [--steps N] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20, help="timed updates per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    # BLAS reads its thread count when NumPy is first imported.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)

    import numpy as np

    from lstm_sim.engine.vocab import Vocabulary
    from lstm_sim.model.training import TextData, TrainConfig, Trainer, new_network

    load = os.getloadavg()
    vocab_size, hidden, batch, seq_len = 96, 64, 32, 64
    rng = np.random.default_rng(0)
    alphabet = tuple(chr(c) for c in range(32, 32 + vocab_size))
    text_ids = rng.integers(0, vocab_size, size=batch * seq_len * (args.steps + 10) + 1)
    data = TextData(Vocabulary(alphabet), text_ids)
    network = new_network(data, "lstm", hidden, 1, rng)
    config = TrainConfig(
        steps=args.steps + 1, seq_len=seq_len, batch_size=batch, lr=1e-3, report_every=0.0
    )
    tokens_per_step = batch * seq_len

    def ours() -> float:
        """Seconds for ``args.steps`` updates of a fresh trainer (its first update warms
        up the buffers and is not counted)."""
        trainer = Trainer(network, data, config, np.random.default_rng(1))
        run = trainer.run()
        next(run)
        start = time.perf_counter()
        for report in run:
            if report.step >= args.steps + 1:
                break
        return time.perf_counter() - start

    try:
        import torch
    except ImportError:
        print(f"lstm-sim: {args.steps * tokens_per_step / ours():.0f} tokens/s; no PyTorch")
        return
    torch.set_num_threads(args.threads)
    lstm = torch.nn.LSTM(vocab_size, hidden)
    head = torch.nn.Linear(hidden, vocab_size)
    params = network.state_dict()
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            p.copy_(torch.from_numpy(params[name]))
        head.weight.copy_(torch.from_numpy(params["readout.weight"]))
        head.bias.copy_(torch.from_numpy(params["readout.bias"]))
    parameters = [*lstm.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=1e-3)
    eye = torch.eye(vocab_size)
    ids = torch.from_numpy(text_ids)
    streams = (len(text_ids) - 1) // batch
    h = c = torch.zeros(1, batch, hidden)

    def torch_step(k: int) -> None:
        nonlocal h, c
        index = torch.arange(batch)[None, :] * streams + k * seq_len
        index = index + torch.arange(seq_len)[:, None]
        x = eye[ids[index]]  # (T, B, V) one-hot, as lstm-sim's network reads it
        out, (h, c) = lstm(x, (h.detach(), c.detach()))
        logits = head(out)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, vocab_size), ids[index + 1].reshape(-1)
        )
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 5.0)
        optimizer.step()

    def theirs() -> float:
        torch_step(0)  # warm up, as ours() does
        start = time.perf_counter()
        for k in range(args.steps):
            torch_step(1 + k)
        return time.perf_counter() - start

    ours_times: list[float] = []
    theirs_times: list[float] = []
    for _ in range(args.rounds):
        ours_times.append(ours())
        theirs_times.append(theirs())
    tokens = args.steps * tokens_per_step
    for label, pick in (("median", statistics.median), ("best", min)):
        mine, torch_s = pick(ours_times), pick(theirs_times)
        print(
            f"{label:6s}  lstm-sim {tokens / mine:8.0f} tokens/s   PyTorch {tokens / torch_s:8.0f}"
            f" tokens/s   ratio {torch_s / mine:.2f}x (target >= 1.5x)"
        )
    print(
        f"lstm-sim: NumPy {np.__version__}, float32; PyTorch {torch.__version__} CPU, float32; "
        f"{args.threads} thread(s) each; {args.rounds} interleaved rounds of {args.steps} updates"
    )
    after = os.getloadavg()
    print(
        f"machine: {machine()}; load average (1, 5, 15 min) before "
        f"{' '.join(f'{v:.2f}' for v in load)}, after {' '.join(f'{v:.2f}' for v in after)}"
    )


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
