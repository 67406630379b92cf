"""What the window simulates before the user opens anything, and the inputs it gives to
a model that arrives without any.

The demo is a 4-unit LSTM with hand-set weights over a tiny word vocabulary, chosen so
the very first key presses show gates doing what the lecture says they do;
:data:`DEMO_GUIDE` tells the lecturer what to watch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lstm_sim.engine.network import Kind, Layer, Network
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.drawable import check_drawable

DEMO_TITLE = "Demo: who is the subject?"
DEMO_GUIDE = (
    "Unit 0 remembers the subject's gender. On a name (Alice at t = 0, Bob at t = 7) its "
    "forget gate closes (f ≈ 0) and its input gate opens (i ≈ 1) to write +1 for she or "
    "−1 for he; on every other word it keeps the cell (f ≈ 1, i ≈ 0). Its output gate "
    "opens only on 'then' (t = 3) and 'and' (t = 10), where a pronoun is likely next, so "
    "h shows the memory only when it is useful while c holds it all along.\n"
    "Unit 1 counts the words of the sentence: it writes a little at every word and keeps "
    "the rest, and its forget gate wipes it on '.' (t = 6).\n"
    "Unit 2 flags punctuation and has no memory: its forget gate is always ≈ 0.\n"
    "Unit 3 notes that a pronoun was used, until the sentence ends.\n"
    "Try it: change the token 'Alice' to 'Dan' in the Inputs panel and watch unit 0 flip."
)
DEMO_TOKENS: tuple[str, ...] = (
    "Alice",
    "sat",
    "down",
    "then",
    "she",
    "read",
    ".",
    "Bob",
    "came",
    "in",
    "and",
    "he",
)
DEMO_VOCAB = Vocabulary(
    (
        "Alice",
        "Carol",
        "Bob",
        "Dan",
        "she",
        "he",
        "sat",
        "down",
        "read",
        "came",
        "in",
        "then",
        "and",
        ",",
        ".",
    ),
    tokenizer="word",
)
DEFAULT_STEPS = 12
DEFAULT_TEXT = "the quick brown fox jumps over the lazy dog. Alice sat down, then she read."

_FEMALE = ("Alice", "Carol")
_MALE = ("Bob", "Dan")
_HIDDEN = 4
# The recurrent weights are small noise: numpy.random.default_rng(7).uniform(-0.15, 0.15,
# size=(16, 4)), written out so that opening the window does not import numpy.random
# (about 10 ms of a cold start); tests/model/test_demo.py checks they are still exactly that.
DEMO_RECURRENT_WEIGHTS = (
    (0.0375286399814001, 0.11916414029087266, 0.08270570707355804, -0.08243784300282243),
    (-0.05995011452663236, 0.11206603361887854, -0.14842040863032757, 0.09636852551482988),
    (0.08912082862561385, -0.009619514146883779, -0.059090271954205936, -0.066472316369768),
    (-0.07353912370376262, -0.01647710823520604, 0.0013644776873859843, 0.01604920562234774),
    (0.14865008503031782, 0.08779857576412592, 0.036653768832348804, 0.14668804430456547),
    (-0.08540739052932031, -0.10193638984264664, 0.03376188128190924, -0.13681739761158498),
    (-0.13929591636792116, 0.004466646081411091, -0.01013819240241326, 0.12515033195785566),
    (0.03876787634730314, 0.004235293979854171, -0.0009379693819487334, -0.07574552339180075),
    (-0.14646179233724824, -0.0922793568044068, 0.05760963626455176, -0.08981798280390144),
    (-0.03913910681933798, -0.14887972738437721, 0.09901431894052368, -0.10366167568156803),
    (-0.06972020863086437, 0.11409964619424859, 0.0029372429605269423, 0.10414507390976077),
    (0.04191515008275787, 0.07253128420855715, -0.1225513184810863, 0.01234314641294662),
    (0.0023316708901049976, 0.1114018130078642, -0.04162078229575272, 0.029455220162163925),
    (-0.1322245072963489, -0.03371045966678139, -0.053089096122537996, -0.10494008127886444),
    (0.09490143114572269, -0.03616614853490627, 0.1436243653233665, 0.026997507903183088),
    (0.031516876148955375, 0.04139897423649966, 0.0529350731438365, -0.10476359424948939),
)


def demo_network() -> Network:
    """The hand-set 4-unit LSTM described in this module's docstring."""
    vocab = DEMO_VOCAB
    hidden, size = _HIDDEN, len(vocab)
    # One (H, V) input block and one (H,) bias per gate; PyTorch stacks them as i, f, g, o.
    w = {gate: np.zeros((hidden, size)) for gate in "ifgo"}
    b = {gate: np.zeros(hidden) for gate in "ifgo"}

    def col(token: str) -> int:
        return int(vocab.indices([token])[0])

    # Unit 0, the subject's gender: keep by default, overwrite on a name, show before a pronoun.
    b["f"][0], b["i"][0], b["o"][0] = 5.0, -5.0, -4.0
    for name, sign in [(n, 1.0) for n in _FEMALE] + [(n, -1.0) for n in _MALE]:
        w["f"][0, col(name)] = -10.0  # f ≈ 0: drop the old subject
        w["i"][0, col(name)] = 11.0  # i ≈ 1: write the new one
        w["g"][0, col(name)] = 4.0 * sign  # g ≈ ±1: +1 she, -1 he
    for word in ("then", "and"):
        w["o"][0, col(word)] = 8.0
    # Unit 1, words in this sentence: write about 0.24 per word, wiped by ".".
    b["f"][1], b["i"][1], b["g"][1], b["o"][1] = 5.0, 4.0, 0.3, 4.0
    w["f"][1, col(".")] = -14.0
    w["i"][1, col(".")] = -14.0
    # Unit 2, punctuation now: always forgets, writes 1 on "," or ".".
    b["f"][2], b["i"][2], b["o"][2] = -4.0, -5.0, 4.0
    for mark in (",", "."):
        w["i"][2, col(mark)] = 10.0
        w["g"][2, col(mark)] = 6.0
    # Unit 3, a pronoun was used: set by "she"/"he", cleared by ".".
    b["f"][3], b["i"][3], b["g"][3] = 5.0, -5.0, 3.0
    for pronoun in ("she", "he"):
        w["i"][3, col(pronoun)] = 10.0
    w["f"][3, col(".")] = -10.0

    layer = Layer(
        weight_ih=np.concatenate([w[gate] for gate in "ifgo"]),
        weight_hh=np.array(DEMO_RECURRENT_WEIGHTS),
        bias_ih=np.concatenate([b[gate] for gate in "ifgo"]),
        bias_hh=np.zeros(4 * hidden),
    )
    return Network(
        "lstm",
        [layer],
        vocab=vocab,
        source="built-in demo (hand-set weights)",
        metadata={"units": "0 subject's gender, 1 words in sentence, 2 punctuation, 3 pronoun"},
    )


def default_inputs(
    network: Network, steps: int = DEFAULT_STEPS, seed: int = 0
) -> np.ndarray | list[str]:
    """Inputs for a model that came without any.

    With a vocabulary: the tokens of a short default text that the vocabulary knows (its
    first tokens if it knows none of them). An embedding without a vocabulary: seeded
    token ids (steps,). Without either: a seeded uniform sequence in [-1, 1], shape
    (steps, D).
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    vocab = network.vocab
    if vocab is None and network.embedding is not None:
        return np.random.default_rng(seed).integers(0, network.embedding.shape[0], size=steps)
    if vocab is None:
        rng = np.random.default_rng(seed)
        return rng.uniform(-1.0, 1.0, size=(steps, network.input_size))
    known = set(vocab.tokens)
    tokens = [token for token in vocab.tokenize(DEFAULT_TEXT) if token in known]
    if not tokens:
        tokens = list(vocab.tokens)
    return tokens[:steps]


def random_model(
    kind: Kind,
    input_size: int,
    hidden_size: int,
    num_layers: int,
    seed: int,
    steps: int,
) -> tuple[Network, np.ndarray]:
    """A freshly initialised network (PyTorch's initialisation) and a seeded input
    sequence of shape (steps, input_size), both drawn from one generator seeded ``seed``."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    rng = np.random.default_rng(seed)
    network = Network.random(kind, input_size, hidden_size, rng, num_layers=num_layers)
    network.source = f"random {kind.upper()} (seed {seed})"
    return network, rng.uniform(-1.0, 1.0, size=(steps, input_size))


def demo_inputs() -> Sequence[str]:
    """The demo's sentence, one token per step."""
    return list(DEMO_TOKENS)


def model_from_file(
    path: str | os.PathLike[str], prefix: str | None = None, nonlinearity: str | None = None
) -> tuple[Network, np.ndarray | list[str], str]:
    """Read a model file (``prefix`` and ``nonlinearity`` as :func:`load_model` takes
    them) and give it :func:`default_inputs`; returns (network, inputs, title). A file
    the engine cannot read, or a model of a kind the window does not draw, raises
    ValueError naming the problem."""
    from lstm_sim.engine.formats import load_model  # the readers load only when used

    network = load_model(path, prefix, nonlinearity=nonlinearity)
    check_drawable(network)
    return network, default_inputs(network), Path(path).name
