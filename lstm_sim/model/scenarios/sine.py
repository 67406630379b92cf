"""Noisy sine waves for next-value regression: the model reads x_t = sin(2π ν t + φ) + noise
and predicts the clean value at t+1, which only a model that has locked onto the
frequency and phase can do better than repeating its input."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.engine.probes import pearson
from lstm_sim.model.scenario import (
    CHECK_SEED,
    CHECK_SEQUENCES,
    Scenario,
    Training,
    adam,
    described_unit,
    model_resource,
    run_batch,
)
from lstm_sim.model.training import SequenceData


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


# -- the two scenarios on these waves: a simple RNN and an LSTM regression ------------
SINE_WARMUP = 8
"""Steps at the start of a wave that a check leaves out: no model can know the phase
before it has seen some of the wave."""
SINE_NOISE_STD = 0.1
SIMPLE_RNN_STEPS = 30
SINE_STEPS = 60
WAVES = 2048


def sine_numbers(network: Network, length: int) -> dict[str, float]:
    """Mean squared error of the next-value prediction against the clean wave, on held-out
    waves after the warm-up, beside repeating the input and the noise's own variance, and
    the described unit's correlation (with its sign) with the coming value."""
    if network.readout is None or network.readout.kind != "linear" or network.input_size != 1:
        raise ValueError("the sine demos need a network reading 1 value with a linear readout")
    waves = sine_sequences(
        np.random.default_rng(CHECK_SEED), CHECK_SEQUENCES, length, noise_std=SINE_NOISE_STD
    )
    cache = run_batch(network, waves.x.astype(network.dtype))
    assert cache.logits is not None
    kept = slice(SINE_WARMUP, None)
    predicted = np.swapaxes(cache.logits, 0, 1)[:, kept, 0]  # (N, T - warm-up)
    target, noisy = waves.y[:, kept, 0], waves.x[:, kept, 0]
    unit, sign = described_unit(network)
    h = cache.h_all[-1, 1:][kept, :, unit].T  # (N, T - warm-up)
    r = pearson(h.reshape(-1, 1), target.reshape(-1))[0]
    return {
        "mse": float(np.mean((predicted - target) ** 2)),
        "repeat_input_mse": float(np.mean((noisy - target) ** 2)),
        "noise_variance": SINE_NOISE_STD**2,
        "unit_correlation": float(sign * r),
    }


def measure_simple_rnn(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    numbers = sine_numbers(networks[0], SIMPLE_RNN_STEPS)
    passed = (
        numbers["mse"] <= 0.5 * numbers["repeat_input_mse"] and numbers["unit_correlation"] >= 0.6
    )
    return passed, numbers


def measure_sine(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    numbers = sine_numbers(networks[0], SINE_STEPS)
    passed = numbers["mse"] < numbers["noise_variance"] and numbers["unit_correlation"] >= 0.6
    return passed, numbers


def noisy_wave(length: int, seed: int) -> np.ndarray:
    """One noisy sine wave, (T, 1)."""
    wave: np.ndarray = sine_sequences(
        np.random.default_rng(seed), 1, length, noise_std=SINE_NOISE_STD
    ).x[0]
    return wave


def wave_data(rng: np.random.Generator, length: int) -> SequenceData:
    """Noisy waves (N, T, 1) and the clean value one step later, in float32."""
    waves = sine_sequences(rng, WAVES, length, noise_std=SINE_NOISE_STD)
    return SequenceData(waves.x.astype(np.float32), waves.y.astype(np.float32))


SIMPLE_RNN = Scenario(
    name="simple-rnn",
    title="A simple RNN",
    summary="a small tanh RNN predicts the next value of a noisy sine from h_t alone",
    claim="mean squared error at most half that of repeating the input; the named unit "
    "follows the coming value (r >= 0.6)",
    models=(model_resource("simple_rnn"),),
    make_input=lambda: noisy_wave(SIMPLE_RNN_STEPS, seed=1),
    measure=measure_simple_rnn,
    training=Training(
        corpus="noisy sine waves",
        make_data=lambda rng: wave_data(rng, SIMPLE_RNN_STEPS),
        config=adam(SIMPLE_RNN_STEPS, 3e-3),
        hidden_size=8,
    ),
)

SINE = Scenario(
    name="sine",
    title="Sine wave: regression",
    summary="an LSTM with a linear readout predicts the next value of a noisy sine",
    claim="mean squared error against the clean wave below the noise variance; the "
    "named unit follows the coming value (r >= 0.6)",
    models=(model_resource("sine"),),
    make_input=lambda: noisy_wave(SINE_STEPS, seed=2),
    measure=measure_sine,
    training=Training(
        corpus="noisy sine waves",
        make_data=lambda rng: wave_data(rng, SINE_STEPS),
        config=adam(SINE_STEPS, 3e-3),
        hidden_size=32,
    ),
)
