"""Training throughput: lstm-sim's NumPy trainer against the same model in PyTorch on CPU.

A character-level LSTM (vocabulary 96, H = 64, batch 32, sequence length 64), one Adam
update with clipping per minibatch, both from the same weights on the same text. Both
libraries get the same number of threads. Prints tokens per second and the ratio; it
never fails a build.

    python bench/train.py [--threads N] [--steps N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=30, help="timed updates per library")
    args = parser.parse_args()
    # BLAS reads its thread count when NumPy is first imported.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)

    import numpy as np

    from lstm_sim.engine.vocab import Vocabulary
    from lstm_sim.model.training import TextData, Trainer, TrainConfig, new_network

    vocab_size, hidden, batch, seq_len = 96, 64, 32, 64
    rng = np.random.default_rng(0)
    alphabet = tuple(chr(c) for c in range(32, 32 + vocab_size))
    text_ids = rng.integers(0, vocab_size, size=batch * seq_len * (args.steps + 10) + 1)
    data = TextData(Vocabulary(alphabet), text_ids)
    network = new_network(data, "lstm", hidden, 1, rng)
    config = TrainConfig(steps=args.steps + 5, seq_len=seq_len, batch_size=batch, lr=1e-3)
    tokens_per_step = batch * seq_len

    trainer = Trainer(network, data, config, np.random.default_rng(1))
    state = (None, None)
    for _ in range(5):  # warm up: allocation, page faults, BLAS start-up
        state = trainer.train_step(trainer._batches.next(), state)[3]
    start = time.perf_counter()
    for _ in range(args.steps):
        state = trainer.train_step(trainer._batches.next(), state)[3]
    ours = args.steps * tokens_per_step / (time.perf_counter() - start)
    print(f"lstm-sim  (NumPy, float32, {args.threads} thread(s)): {ours:10.0f} tokens/s")

    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: no comparison")
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

    for k in range(5):
        torch_step(k)
    start = time.perf_counter()
    for k in range(args.steps):
        torch_step(5 + k)
    theirs = args.steps * tokens_per_step / (time.perf_counter() - start)
    print(
        f"PyTorch {torch.__version__} (CPU, float32, {torch.get_num_threads()} thread(s)):"
        f" {theirs:10.0f} tokens/s"
    )
    print(f"ratio lstm-sim / PyTorch: {ours / theirs:.2f}x (target >= 1.5x)")


if __name__ == "__main__":
    sys.exit(main())
