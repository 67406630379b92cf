"""Train the lecture scenarios' shipped models with lstm-sim's own trainer (no PyTorch),
find the unit each description names by analysing the trained model, check the claim on
held-out data and save the model with all of it in its metadata.

    python scripts/train_scenarios.py              # every scenario
    python scripts/train_scenarios.py counting     # some of them

Seeded and deterministic: the same command on the same machine writes the same weights.
A model whose check fails is not written, and the exit status is 1. A scenario that shows
another's models beside its own (``gru-vs-lstm``) loads them and writes only its own. The
training data, the optimiser's settings and the sizes come from each scenario's ``training`` in
``lstm_sim.model.scenarios`` (the window's training panel uses the same); the
analyses use fresh data of the training distribution; the checks use the held-out data
of the registry, which no analysis or training step sees.
"""

from __future__ import annotations

import argparse
import os
import sys

# One BLAS thread (read when NumPy loads): these models are too small to gain from more,
# and on a busy 2-core machine threads waiting for each other made training 8x slower.
# The weights come out bit for bit the same either way.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from lstm_sim.engine.formats import save_native
from lstm_sim.engine.network import Kind, Network
from lstm_sim.engine.probes import find_switch_unit, rank_units, roc_auc
from lstm_sim.engine.trace import record
from lstm_sim.model import scenario as shared
from lstm_sim.model import scenario_registry as registry
from lstm_sim.model.scenarios import counting, gender_stories, long_lag, sine
from lstm_sim.model.training import Data, TrainConfig, Trainer

OUT = Path(__file__).resolve().parent.parent / "resources" / shared.MODEL_FOLDER
SEED = shared.TRAINING_SEED
"""Seeds the training data, the initial weights and the minibatch order; the analyses
use SEED + 1."""


def train(network: Network, data: Data, config: TrainConfig, label: str) -> Network:
    """``network`` trained on ``data``, progress on one line of stderr."""
    trainer = Trainer(network, data, replace(config, report_every=1.0), np.random.default_rng(SEED))
    for progress in trainer.run():
        print(
            f"\r  {label}: update {progress.step}/{progress.steps}  loss {progress.loss:.4f}",
            end="",
            file=sys.stderr,
            flush=True,
        )
    print(file=sys.stderr)
    trained = trainer.result()
    trained.metadata["trained_with"] = (
        f"lstm-sim Trainer: {config.steps} Adam updates, batch {config.batch_size}, "
        f"sequence length {config.seq_len}, lr {config.lr:g}, clip {config.clip:g}"
    )
    return trained


def analysis_rng() -> np.random.Generator:
    return np.random.default_rng(SEED + 1)


def mark_unit(network: Network, unit: int, sign: int) -> None:
    """Store the unit the description names, which the check re-measures."""
    network.metadata.update({"unit": str(unit), "unit_sign": str(sign)})


# -- the sine waves --------------------------------------------------------------------
def train_wave_model(name: str, kind: Kind, length: int) -> Network:
    """A next-value regressor on noisy sines, its unit that best follows the coming value
    marked."""
    scenario = registry.get(name)
    data = scenario.training_data(np.random.default_rng(SEED))
    network = scenario.new_network(data, kind, np.random.default_rng(SEED))
    hidden = network.hidden_size
    network = train(network, data, scenario.train_config, f"{kind} H={hidden}")
    fresh = sine.sine_sequences(
        analysis_rng(), shared.CHECK_SEQUENCES, length, noise_std=sine.SINE_NOISE_STD
    )
    cache = shared.run_batch(network, fresh.x.astype(network.dtype))
    kept = slice(sine.SINE_WARMUP, None)
    h = cache.h_all[-1, 1:][kept]  # (T - warm-up, N, H)
    ranking = rank_units(h.reshape(-1, hidden), fresh.y[:, kept, 0].T.reshape(-1), "correlation")
    mark_unit(network, ranking.best, int(ranking.signs[0]))
    return network


def describe_wave_model(network: Network, wave: np.ndarray, numbers: dict[str, float]) -> str:
    unit, sign = shared.described_unit(network)
    trace = record(network, wave)
    assert trace.logits is not None
    signed = sign * trace.h[-1, :, unit]
    peak = sine.SINE_WARMUP + int(np.argmax(signed[sine.SINE_WARMUP :]))
    rises = "rises" if sign > 0 else "falls"
    return (
        f"Unit {unit}'s h follows the value the wave will take next: it {rises} with it "
        f"(r = {numbers['unit_correlation']:.2f} on held-out waves), so the readout can "
        f"read the prediction off h. In the opening wave h reaches its extreme at step "
        f"{peak} (h = {trace.h[-1, peak, unit]:.2f}), where the model predicts "
        f"{trace.logits[peak, 0]:.2f} for step {peak + 1}. Mean squared error against the "
        f"clean wave: {numbers['mse']:.4f}, against {numbers['repeat_input_mse']:.4f} for "
        f"repeating the input (the noise alone has variance {numbers['noise_variance']:.2f})."
    )


def make_simple_rnn() -> tuple[Network, ...]:
    return (train_wave_model("simple-rnn", "rnn", sine.SIMPLE_RNN_STEPS),)


def make_sine() -> tuple[Network, ...]:
    return (train_wave_model("sine", "lstm", sine.SINE_STEPS),)


# -- subject gender --------------------------------------------------------------------
def make_subject_gender() -> tuple[Network, ...]:
    scenario = registry.get("subject-gender")
    # One generator draws the stories and then the initial weights.
    rng = np.random.default_rng(SEED)
    data = scenario.training_data(rng)
    network = scenario.new_network(data, "lstm", rng)
    network = train(network, data, scenario.train_config, f"word LSTM H={network.hidden_size}")
    analysed = gender_stories.gender_story(analysis_rng(), 150)
    found = gender_stories.find_gender_unit(record(network, analysed.tokens), analysed)
    mark_unit(network, found.unit, found.sign)
    return (network,)


def describe_subject_gender(networks: tuple[Network, ...], numbers: dict[str, float]) -> str:
    network = networks[0]
    unit, sign = shared.described_unit(network)
    story = gender_stories.opening_story_data()
    trace = record(network, story.tokens)
    assert trace.c is not None
    # The reset steps of the chosen unit in the opening story: the same search restricted
    # to that one unit, so a tie with another unit cannot change which unit is named.
    one = slice(unit, unit + 1)
    on_opening = find_switch_unit(
        cell=trace.c[0][:, one],
        forget=trace.gate("f")[0][:, one],
        state=story.gender == gender_stories.MALE,
        known=story.gender != gender_stories.UNKNOWN,
        switches=story.introduced,
    )
    found = replace(on_opening, unit=unit, sign=sign, score=numbers["unit_auc"])
    return gender_stories.describe_gender_unit(found, story) + (
        f" On held-out stories with names it never saw, the model gives the agreeing pronoun "
        f"the higher probability at {numbers['accuracy']:.1%} of "
        f"{numbers['pronoun_positions']:.0f} pronoun positions (always guessing the commoner "
        f"gender: {numbers['chance']:.1%})."
    )


# -- long-lag memory -------------------------------------------------------------------
def make_long_lag() -> tuple[Network, ...]:
    """An LSTM and an RNN of one size, from the same sequences at a lag of 50 in the same
    order for the same number of updates.

    Training at lag 50 from the start, the one difference the LSTM gets is its own
    feature: the forget gate's bias starts at 3 (the registry's ``forget_bias``: f ≈
    0.95, Tallec & Ollivier's chrono initialisation for time scales of ~20 steps) instead
    of ±1/√H, where f ≈ 0.5 would shrink the cell's gradient by 0.5⁵⁰ across the lag. A
    curriculum (lag 5, +5 once recall passes 97%) teaches both models: it lets the RNN
    reach 100% at lag 50 too.
    """
    scenario = registry.get("long-lag")
    data = scenario.training_data(np.random.default_rng(SEED))
    config = scenario.train_config
    lstm = scenario.new_network(data, "lstm", np.random.default_rng(SEED))
    hidden = lstm.hidden_size
    lstm = train(lstm, data, config, f"LSTM H={hidden}")
    rnn = scenario.new_network(data, "rnn", np.random.default_rng(SEED))
    rnn = train(rnn, data, config, f"RNN H={hidden}")
    lstm.metadata["init"] = f"forget-gate bias {scenario.training.forget_bias:g}"
    # The LSTM unit whose cell, at the query, best tells an 'A' from a 'B' at the start.
    fresh = long_lag.long_lag_sequences(analysis_rng(), shared.CHECK_SEQUENCES, long_lag.LONG_LAG)
    cache = shared.run_batch(lstm, shared.token_ids(lstm, fresh.vocabulary, fresh.tokens))
    assert cache.c_all is not None
    ranking = rank_units(cache.c_all[0, -1], fresh.tokens[:, 0] == 0, "auc")
    mark_unit(lstm, ranking.best, int(ranking.signs[0]))
    return lstm, rnn


def best_auc(states: np.ndarray, labels: np.ndarray) -> float:
    """How well the best of the units (N, H) tells the two classes of ``labels`` apart."""
    auc = roc_auc(states, labels)
    return float(np.max(np.maximum(auc, 1.0 - auc)))


def describe_long_lag(networks: tuple[Network, ...], numbers: dict[str, float]) -> str:
    lstm, rnn = networks
    unit, _ = shared.described_unit(lstm)
    tokens = long_lag.opening_recall_sequence()
    trace = record(lstm, tokens)
    assert trace.c is not None and trace.probs is not None
    lag = long_lag.LONG_LAG
    keep = trace.gate("f")[0, 1 : lag + 1, unit]
    assert lstm.vocab is not None
    answer = lstm.vocab.tokens[int(trace.probs[-1].argmax())]
    # The same sequence with the other class first: the unit's cell should end elsewhere.
    other = "B" if tokens[0] == "A" else "A"
    flipped = record(lstm, (other, *tokens[1:]))
    assert flipped.c is not None
    fresh = long_lag.long_lag_sequences(analysis_rng(), shared.CHECK_SEQUENCES, lag)
    rnn_cache = shared.run_batch(rnn, shared.token_ids(rnn, fresh.vocabulary, fresh.tokens))
    is_a = fresh.tokens[:, 0] == 0
    return (
        f"The first symbol must be named at the '?', {lag + 1} steps later. LSTM unit "
        f"{unit} keeps it in its cell: in the opening sequence ('{tokens[0]}' first) c = "
        f"{trace.c[0, 0, unit]:.2f} after step 0 and {trace.c[0, lag, unit]:.2f} after the "
        f"last distractor (step {lag}), its forget gate between {keep.min():.2f} and "
        f"{keep.max():.2f} at every distractor; at the '?' (step {lag + 1}) the LSTM answers "
        f"'{answer}'. Change the first symbol to '{other}' and c ends at "
        f"{flipped.c[0, lag, unit]:.2f} instead. On held-out sequences the LSTM recalls "
        f"{numbers['lstm_accuracy']:.0%}. The RNN beside it has the same {rnn.hidden_size} "
        f"units, the same sequences and the same number of updates, and recalls "
        f"{numbers['rnn_accuracy']:.0%} (chance {numbers['chance']:.0%}): its best unit "
        f"tells '{fresh.vocabulary[0]}' from '{fresh.vocabulary[1]}' with AUC "
        f"{best_auc(rnn_cache.h_all[0, 1], is_a):.2f} right after the symbol but "
        f"{best_auc(rnn_cache.h_all[0, -1], is_a):.2f} at the '?'."
    )


# -- a GRU beside them -----------------------------------------------------------------
def make_gru_vs_lstm() -> tuple[Network, ...]:
    """A GRU, and beside it the long-lag scenario's shipped LSTM and RNN (loaded, not
    retrained): the GRU, of their size, trained on the same sequences in the same order
    for as many updates.

    The GRU starts as PyTorch initialises it (no gate bias: its update gate z ≈ 0.5 at
    first) and still learns the lag; its named unit is the one whose h, after the last
    distractor, follows the first symbol most strongly (correlation with 'A' first: many
    units tell the two apart, AUC 1, some by a hair that a lecture cannot show).
    """
    scenario = registry.get("gru-vs-lstm")
    lstm, rnn = registry.get("long-lag").load_networks()
    data = scenario.training_data(np.random.default_rng(SEED))
    gru = scenario.new_network(data, "gru", np.random.default_rng(SEED))
    gru = train(gru, data, scenario.train_config, f"GRU H={gru.hidden_size}")
    fresh = long_lag.long_lag_sequences(analysis_rng(), shared.CHECK_SEQUENCES, long_lag.LONG_LAG)
    cache = shared.run_batch(gru, shared.token_ids(gru, fresh.vocabulary, fresh.tokens))
    is_a = (fresh.tokens[:, 0] == 0).astype(np.float64)
    ranking = rank_units(cache.h_all[0, -2], is_a, "correlation")
    mark_unit(gru, ranking.best, int(ranking.signs[0]))
    return gru, lstm, rnn


def describe_gru_vs_lstm(networks: tuple[Network, ...], numbers: dict[str, float]) -> str:
    gru, lstm, _ = networks
    unit, _ = shared.described_unit(gru)
    lstm_unit, _ = shared.described_unit(lstm)
    tokens = long_lag.opening_recall_sequence()
    trace = record(gru, tokens)
    assert trace.probs is not None
    lag = long_lag.LONG_LAG
    keep = trace.gate("z")[0, 1 : lag + 1, unit]
    assert gru.vocab is not None
    answer = gru.vocab.tokens[int(trace.probs[-1].argmax())]
    other = "B" if tokens[0] == "A" else "A"
    flipped = record(gru, (other, *tokens[1:]))
    return (
        f"A GRU has no cell: its memory is h itself, kept by the update gate z "
        f"(h_t = (1 - z) ⊙ n_t + z ⊙ h_(t-1)), where the LSTM keeps c by its forget gate. GRU "
        f"unit {unit} holds the first symbol: in the opening sequence ('{tokens[0]}' first) "
        f"h = {trace.h[0, 0, unit]:.2f} after step 0 and {trace.h[0, lag, unit]:.2f} after the "
        f"last distractor (step {lag}), its update gate between {keep.min():.2f} and "
        f"{keep.max():.2f} at every distractor; at the '?' (step {lag + 1}) the GRU answers "
        f"'{answer}'. Change the first symbol to '{other}' and h ends at "
        f"{flipped.h[0, lag, unit]:.2f} instead. On held-out sequences the GRU recalls "
        f"{numbers['gru_accuracy']:.0%}, the LSTM beside it {numbers['lstm_accuracy']:.0%} "
        f"(its unit {lstm_unit} keeps the symbol in its cell) and the RNN "
        f"{numbers['rnn_accuracy']:.0%} (chance {numbers['chance']:.0%}). All three have "
        f"{gru.hidden_size} units and saw the same sequences for the same number of updates; "
        f"only the LSTM started with its forget gate open, the GRU as PyTorch initialises it."
    )


# -- counting --------------------------------------------------------------------------
def make_counting() -> tuple[Network, ...]:
    scenario = registry.get("counting")
    # One generator draws the strings and then the initial weights.
    rng = np.random.default_rng(SEED)
    data = scenario.training_data(rng)
    network = scenario.new_network(data, "lstm", rng)
    network = train(network, data, scenario.train_config, f"LSTM H={network.hidden_size}")
    fresh = counting.counting_stream(analysis_rng(), shared.CHECK_SEQUENCES)
    trace = record(network, fresh.text())
    assert trace.c is not None
    ranking = rank_units(trace.c[0], fresh.count, "correlation")
    mark_unit(network, ranking.best, int(ranking.signs[0]))
    return (network,)


def describe_counting(networks: tuple[Network, ...], numbers: dict[str, float]) -> str:
    network = networks[0]
    unit, sign = shared.described_unit(network)
    data = counting.opening_counting_data()
    trace = record(network, data.text())
    assert trace.c is not None and trace.probs is not None
    n = int(data.lengths[0])
    up, down = ("rises", "falls") if sign > 0 else ("falls", "rises")
    end = trace.probs[2 * n, counting.VOCABULARY.index(".")]
    return (
        f"Unit {unit} counts: its cell state {up} with every 'a' and {down} with every 'b' "
        f"(r = {numbers['unit_correlation']:.2f} with a's minus b's on held-out strings). In "
        f"the opening input the first string has {n} a's: c goes from "
        f"{trace.c[0, 0, unit]:.2f} at step 0 to {trace.c[0, n, unit]:.2f} at step {n}, the "
        f"last 'a', and back to {trace.c[0, 2 * n, unit]:.2f} at step {2 * n}, the last 'b', "
        f"where the model gives the end '.' probability {end:.2f}. On held-out strings it "
        f"predicts {numbers['end_accuracy']:.1%} of the ends (the current symbol alone: "
        f"{numbers['bigram_end_accuracy']:.1%}) and {numbers['accuracy']:.1%} of every "
        f"determined symbol."
    )


# -- running them ----------------------------------------------------------------------
Recipe = tuple[
    Callable[[], tuple[Network, ...]],
    Callable[[tuple[Network, ...], dict[str, float]], str],
]

RECIPES: dict[str, Recipe] = {
    "simple-rnn": (
        make_simple_rnn,
        lambda nets, numbers: describe_wave_model(
            nets[0], sine.noisy_wave(sine.SIMPLE_RNN_STEPS, seed=1), numbers
        ),
    ),
    "subject-gender": (make_subject_gender, describe_subject_gender),
    "long-lag": (make_long_lag, describe_long_lag),
    "gru-vs-lstm": (make_gru_vs_lstm, describe_gru_vs_lstm),
    "counting": (make_counting, describe_counting),
    "sine": (
        make_sine,
        lambda nets, numbers: describe_wave_model(
            nets[0], sine.noisy_wave(sine.SINE_STEPS, seed=2), numbers
        ),
    ),
}


def build(name: str) -> tuple[shared.CheckResult, float]:
    """Train, analyse, check and (if the check passes) save one scenario's models;
    returns the check and the seconds it took."""
    scenario = registry.get(name)
    make, describe = RECIPES[name]
    start = time.perf_counter()
    networks = make()
    result = scenario.check(networks)
    seconds = time.perf_counter() - start
    if not result.passed:
        return result, seconds
    description = describe(networks, result.numbers)
    for network, resource in zip(networks, scenario.models, strict=True):
        if registry.trained_by(resource) is not scenario:
            continue  # another scenario's model, shown here beside this one's
        network.metadata.update(
            {
                "scenario": name,
                "description": description,
                "claim": scenario.claim,
                "seed": str(SEED),
                "command": f"python scripts/train_scenarios.py {name}",
                **{f"measured_{key}": f"{value:.6g}" for key, value in result.numbers.items()},
            }
        )
        save_native(network, OUT / Path(resource).name)
    return result, seconds


def main() -> int:
    names = tuple(RECIPES)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"some of: {', '.join(names)}")
    args = parser.parse_args()
    unknown = [name for name in args.names if name not in RECIPES]
    if unknown:
        parser.error(f"no scenario {', '.join(unknown)}; the scenarios are {', '.join(names)}")
    OUT.mkdir(parents=True, exist_ok=True)
    failed = False
    for name in args.names or names:
        print(f"{name}:", file=sys.stderr)
        result, seconds = build(name)
        failed |= not result.passed
        verdict = "saved" if result.passed else "CLAIM FAILS, not saved"
        numbers = ", ".join(f"{key} {value:.4g}" for key, value in result.numbers.items())
        print(f"{name:<15} {seconds:6.1f} s  {verdict}: {numbers}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
