"""Noisy sine waves for next-value regression: the model reads x_t = sin(2π ν t + φ) + noise
and predicts the clean value at t+1, which only a model that has locked onto the
frequency and phase can do better than repeating its input."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SineData:
    """x: (N, T, 1) noisy values; y: (N, T, 1) the clean value one step later;
    frequency and phase: (N,), in cycles per step and radians."""

    x: np.ndarray
    y: np.ndarray
    frequency: np.ndarray
    phase: np.ndarray


def sine_sequences(
    rng: np.random.Generator,
    num_sequences: int,
    length: int,
    frequencies: tuple[float, ...] = (1 / 16, 1 / 24, 1 / 40),
    noise_std: float = 0.1,
) -> SineData:
    """Each sequence takes one of ``frequencies`` (cycles per step) and a random phase."""
    if num_sequences < 1 or length < 1:
        raise ValueError(f"need num_sequences and length >= 1, got {num_sequences}, {length}")
    freqs = np.asarray(frequencies, dtype=np.float64)
    if freqs.ndim != 1 or freqs.size == 0 or np.any(freqs <= 0) or np.any(freqs >= 0.5):
        raise ValueError(
            f"frequencies has shape {freqs.shape} and values {freqs}, expected (K,) in "
            "(0, 0.5) cycles per step (below the Nyquist limit)"
        )
    if noise_std < 0:
        raise ValueError(f"noise_std must be >= 0, got {noise_std}")
    frequency = rng.choice(freqs, size=num_sequences)
    phase = rng.uniform(0.0, 2 * np.pi, size=num_sequences)
    t = np.arange(length + 1)
    clean = np.sin(2 * np.pi * frequency[:, None] * t[None, :] + phase[:, None])
    x = clean[:, :-1] + rng.normal(0.0, noise_std, size=(num_sequences, length))
    return SineData(x[..., None], clean[:, 1:, None], frequency, phase)
