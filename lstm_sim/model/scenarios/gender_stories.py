"""Stories for the lecture's forget-gate example: a language model must remember the
gender of the last person introduced, to predict an agreeing pronoun several words later,
and must drop it when a new person appears.

A story is a run of episodes. Each introduces a person by name (sometimes with a gendered
noun first: "there was a woman named anna ."), then refers to them 1 to 4 times by he/she,
his/her, him/her, with lead-in words and verb phrases of varied length between, so a
pronoun comes 2 to about 12 words after the last word that told the gender. The next
episode's person replaces the old one. Tokens are lower-case words; "." and "," are
tokens of their own.

The held-out names never appear in training stories; a story made with them introduces
every person with a gendered noun, so a word-level model (which knows nothing of an
unseen name) can still get the gender, from the noun.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.engine.probes import SwitchUnit, find_switch_unit, roc_auc
from lstm_sim.engine.trace import Trace, record
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model.scenario import (
    CHECK_PEOPLE,
    CHECK_SEED,
    Scenario,
    Tokens,
    Training,
    adam,
    described_unit,
    model_resource,
)
from lstm_sim.model.training import TextData

Split = Literal["train", "held_out"]
MALE, FEMALE, UNKNOWN = 1, -1, 0

TRAIN_NAMES = {
    MALE: (
        "john", "james", "tom", "peter", "david", "paul", "mark", "george", "jack", "henry",
        "robert", "william", "michael", "steven", "frank", "harry", "charles", "edward",
        "richard", "thomas",
    ),
    FEMALE: (
        "mary", "anna", "susan", "linda", "emma", "sarah", "lucy", "kate", "alice", "helen",
        "julia", "rose", "grace", "laura", "emily", "jane", "olivia", "sophie", "claire",
        "nancy",
    ),
}  # fmt: skip
HELD_OUT_NAMES = {
    MALE: ("daniel", "simon", "oliver", "arthur", "walter", "albert"),
    FEMALE: ("rachel", "diana", "martha", "ruth", "hannah", "clara"),
}

# Words that reveal the gender of the person being introduced.
CUE_NOUNS = {MALE: ("man", "boy"), FEMALE: ("woman", "girl")}
SUBJECT = {MALE: "he", FEMALE: "she"}
POSSESSIVE = {MALE: "his", FEMALE: "her"}
OBJECT = {MALE: "him", FEMALE: "her"}

# Verb phrases and lead-ins carry no gender; their lengths set the pronoun distances.
VERB_PHRASES = (
    "slept", "smiled", "laughed", "waited", "went home", "bought bread", "sang loudly",
    "went to the market", "read a long book", "cooked dinner", "walked to the river",
    "bought some fresh bread", "found a small coin", "wrote a letter", "opened the door",
    "closed the window", "sat by the fire", "drank some tea", "painted the old fence",
    "fed the cat", "planted a tree", "watched the rain",
)  # fmt: skip
LEADS = (
    "", "", "", "then", "later ,", "after that ,", "soon", "in the morning ,",
    "at noon ,", "when the rain stopped ,", "after a long walk ,", "the next day ,",
    "one evening ,", "when the bell rang ,",
)  # fmt: skip
THINGS = ("key", "book", "coat", "bag", "bike", "hat", "cup", "letter")
ADJECTIVES = ("red", "old", "new", "small", "heavy", "wet")
AGENTS = ("the teacher", "the doctor", "a neighbour", "the old friend", "the dog")
OBJECT_VERBS = ("thanked", "called", "saw", "helped", "followed", "visited")
FUNCTION_WORDS = "there was a named called one day lost and"


@dataclass(frozen=True)
class Story:
    """One stream of T word tokens and, per position t, what holds after reading token t.

    gender: (T,) int8, MALE (1), FEMALE (-1) or UNKNOWN (0, before anyone is named): the
    gender of the current subject. introduced: (T,) bool, True at the word that first
    tells a new person's gender (the gendered noun or else the name). pronoun_next: (T,)
    bool, True where the next token is a pronoun referring to the subject, the positions
    where the model must predict its gender. wrong_pronoun: (T,) the same pronoun in the
    other gender at those positions ("he" for "she", "his" or "him" for "her"), "" elsewhere.
    distance: (T,) words since the last word that told the gender, at pronoun positions
    counting to the pronoun itself; 0 elsewhere. names: (K,) the person of each episode.
    """

    tokens: tuple[str, ...]
    gender: np.ndarray
    introduced: np.ndarray
    pronoun_next: np.ndarray
    wrong_pronoun: tuple[str, ...]
    distance: np.ndarray
    names: tuple[str, ...]

    @property
    def pronoun_positions(self) -> np.ndarray:
        """Indices t whose next token is a subject pronoun, (P,)."""
        return np.flatnonzero(self.pronoun_next)


def vocabulary() -> tuple[str, ...]:
    """Every token any story can hold, sorted, including held-out names and both genders'
    words, so held-out stories encode with the same one-hot columns."""
    words: set[str] = {".", ","}
    for group in (*TRAIN_NAMES.values(), *HELD_OUT_NAMES.values(), *CUE_NOUNS.values()):
        words.update(group)
    for table in (SUBJECT, POSSESSIVE, OBJECT):
        words.update(table.values())
    for phrase in (*VERB_PHRASES, *LEADS, *AGENTS, *OBJECT_VERBS, *THINGS, *ADJECTIVES):
        words.update(phrase.split())
    words.update(FUNCTION_WORDS.split())
    return tuple(sorted(words))


class _Writer:
    """Appends words and keeps the per-token labels in step with them."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.gender: list[int] = []
        self.wrong: list[str] = []  # on a pronoun, the other gender's; "" elsewhere
        self.distance: list[int] = []
        self.reveals: list[int] = []  # indices of the words that told a gender
        self.current = UNKNOWN
        self.last_reveal = -1  # index of the last word that told the gender

    def words(self, text: str) -> None:
        for word in text.split():
            self._append(word, wrong="")

    def reveal(self, word: str, gender: int) -> None:
        """A word that tells a (possibly new) person's gender: a name or a cue noun."""
        self.current = gender
        self.reveals.append(len(self.tokens))
        self._append(word, wrong="", tells_gender=True)

    def pronoun(self, table: dict[int, str]) -> None:
        """The subject's pronoun from ``table``; the other gender's is the wrong one."""
        other = MALE if self.current == FEMALE else FEMALE
        self._append(table[self.current], wrong=table[other], tells_gender=True)

    def _append(self, word: str, wrong: str, tells_gender: bool = False) -> None:
        position = len(self.tokens)
        self.tokens.append(word)
        self.gender.append(self.current)
        self.wrong.append(wrong)
        self.distance.append(position - self.last_reveal if wrong else 0)
        if tells_gender:
            self.last_reveal = position


def _introduce(writer: _Writer, rng: np.random.Generator, name: str, gender: int, cue: bool) -> int:
    """Write an introduction sentence; return the index of its first token."""
    start = len(writer.tokens)
    if cue:
        noun = CUE_NOUNS[gender][rng.integers(2)]
        if rng.uniform() < 0.5:
            writer.words("there was a")
            writer.reveal(noun, gender)
            writer.words("named")
            writer.reveal(name, gender)
            writer.words(".")
            return start
        writer.words("a")
        writer.reveal(noun, gender)
        writer.words("called")
        writer.reveal(name, gender)
    else:
        if rng.uniform() < 0.3:
            writer.words("one day ,")
        writer.reveal(name, gender)
    writer.words(VERB_PHRASES[rng.integers(len(VERB_PHRASES))] + " .")
    return start


def _refer(writer: _Writer, rng: np.random.Generator) -> None:
    """One sentence that refers to the current subject by pronoun."""
    lead = LEADS[rng.integers(len(LEADS))]
    verb = VERB_PHRASES[rng.integers(len(VERB_PHRASES))]
    form = rng.integers(4)
    writer.words(lead)
    if form == 0:  # she went home .
        writer.pronoun(SUBJECT)
        writer.words(verb)
    elif form == 1:  # she lost her keys .  /  she went home and she slept .
        writer.pronoun(SUBJECT)
        if rng.uniform() < 0.5:
            writer.words("lost")
            writer.pronoun(POSSESSIVE)
            writer.words(THINGS[rng.integers(len(THINGS))])
        else:
            writer.words(verb + " and")
            writer.pronoun(SUBJECT)
            writer.words(VERB_PHRASES[rng.integers(len(VERB_PHRASES))])
    elif form == 2:  # his coat was wet .
        writer.pronoun(POSSESSIVE)
        writer.words(f"{THINGS[rng.integers(len(THINGS))]} was")
        writer.words(ADJECTIVES[rng.integers(len(ADJECTIVES))])
    else:  # the doctor thanked him .
        writer.words(f"{AGENTS[rng.integers(len(AGENTS))]} {OBJECT_VERBS[rng.integers(6)]}")
        writer.pronoun(OBJECT)
    writer.words(".")


def gender_story(
    rng: np.random.Generator,
    num_people: int,
    split: Split = "train",
    cue_probability: float = 0.3,
) -> Story:
    """A story of ``num_people`` episodes, each person of random gender, never the same
    name twice in a row. With ``split="held_out"`` the names are the held-out ones and
    every introduction carries a gendered noun."""
    if num_people < 1:
        raise ValueError(f"num_people must be >= 1, got {num_people}")
    if split not in ("train", "held_out"):
        raise ValueError(f"split must be 'train' or 'held_out', got {split!r}")
    names = TRAIN_NAMES if split == "train" else HELD_OUT_NAMES
    writer = _Writer()
    introduced_at: list[int] = []
    people: list[str] = []
    for _ in range(num_people):
        gender = MALE if rng.uniform() < 0.5 else FEMALE
        choices = [n for n in names[gender] if not people or n != people[-1]]
        name = choices[rng.integers(len(choices))]
        cue = split == "held_out" or rng.uniform() < cue_probability
        start = _introduce(writer, rng, name, gender, cue)
        # The first word of the episode that tells the gender is where the subject changes.
        introduced_at.append(next(k for k in writer.reveals if k >= start))
        people.append(name)
        for _ in range(rng.integers(1, 5)):
            _refer(writer, rng)
    introduced = np.zeros(len(writer.tokens), dtype=bool)
    introduced[introduced_at] = True
    # A pronoun's wrong alternative was recorded on the pronoun; the prediction is made
    # one position earlier, after reading the token before it.
    wrong = (*writer.wrong[1:], "")
    distance = np.array([*writer.distance[1:], 0], dtype=np.int64)
    return Story(
        tokens=tuple(writer.tokens),
        gender=np.array(writer.gender, dtype=np.int8),
        introduced=introduced,
        pronoun_next=np.array([w != "" for w in wrong], dtype=bool),
        wrong_pronoun=wrong,
        distance=distance,
        names=tuple(people),
    )


def pronoun_accuracy(probs: np.ndarray, story: Story, vocab: tuple[str, ...]) -> float:
    """Fraction of pronoun positions where the model gives the agreeing pronoun a higher
    probability than the same pronoun in the other gender. probs: (T, V) next-token
    probabilities over ``vocab``, row t predicting token t+1."""
    if probs.shape != (len(story.tokens), len(vocab)):
        raise ValueError(
            f"probs has shape {probs.shape}, expected ({len(story.tokens)}, {len(vocab)})"
        )
    index = {token: k for k, token in enumerate(vocab)}
    positions = story.pronoun_positions
    if positions.size == 0:
        raise ValueError("the story has no pronoun positions to score")
    right = np.array([index[story.tokens[t + 1]] for t in positions])
    wrong = np.array([index[story.wrong_pronoun[t]] for t in positions])
    return float(np.mean(probs[positions, right] > probs[positions, wrong]))


def find_gender_unit(trace: Trace, story: Story, layer: int = 0) -> SwitchUnit:
    """The unit of ``layer`` whose cell state holds the current subject's gender, and for
    each new person the step where its forget gate resets it; ``trace`` is the story
    run through a trained word-level LSTM."""
    if trace.kind != "lstm" or trace.c is None:
        raise ValueError(f"finding the gender unit needs an LSTM trace, got a {trace.kind}")
    if trace.num_steps != len(story.tokens):
        raise ValueError(
            f"trace has {trace.num_steps} steps but the story {len(story.tokens)} tokens"
        )
    if not 0 <= layer < trace.num_layers:
        raise ValueError(f"layer {layer} is out of range for {trace.num_layers} layers")
    return find_switch_unit(
        cell=trace.c[layer],
        forget=trace.gate("f")[layer],
        state=story.gender == MALE,
        known=story.gender != UNKNOWN,
        switches=story.introduced,
    )


def describe_gender_unit(found: SwitchUnit, story: Story, layer: int = 0) -> str:
    """A caption for the scenario, written from the analysis, not by hand."""
    high, low = ("he", "she") if found.sign > 0 else ("she", "he")
    text = (
        f"Unit {found.unit} of layer {layer} holds the subject's gender in its cell state: "
        f"c is higher after a {high} than after a {low} (AUC {found.score:.2f})."
    )
    starts = np.flatnonzero(story.introduced)
    # The clearest example: the first new person whose gender differs from the last one's.
    changes = [
        k for k in range(1, starts.size) if story.gender[starts[k] - 1] != story.gender[starts[k]]
    ]
    if not changes:
        return text
    k = changes[0]
    step = int(found.reset_steps[k])
    forget = float(found.forget_at_reset[k])
    typical = float(np.median(found.forget_at_reset))
    if typical < 0.5:
        return text + (
            f" When a new person appears its forget gate closes: at '{story.tokens[step]}' "
            f"(step {step}) f = {forget:.2f}, wiping the last person's gender "
            f"(median f = {typical:.2f} over {starts.size} new people)."
        )
    return text + (
        f" Its forget gate stays open at new people (median f = {typical:.2f}): the new "
        f"gender is written over the old one, as at '{story.tokens[step]}' (step {step})."
    )


# -- the scenario ----------------------------------------------------------------------
STORIES = 4000
STORY_CUE_PROBABILITY = 0.5
"""Half the people arrive with a gendered noun ("a woman called ..."), so the model learns
to take the gender from the noun too, which is all it has for a name it never saw (the
held-out check's names)."""


def measure_gender(networks: Sequence[Network]) -> tuple[bool, dict[str, float]]:
    """Pronoun agreement on held-out stories (names never seen in training, introduced
    with a gendered noun), and on fresh stories with the training names; the majority
    gender is the chance level; the described unit's AUC for the subject's gender."""
    network = networks[0]
    if network.vocab is None or network.readout is None or network.kind != "lstm":
        raise ValueError("the gender demo needs a word-level LSTM with a softmax readout")
    rng = np.random.default_rng(CHECK_SEED)
    held_out = gender_story(rng, CHECK_PEOPLE, split="held_out")
    known_names = gender_story(rng, CHECK_PEOPLE, split="train")
    trace = record(network, held_out.tokens)
    assert trace.probs is not None and trace.c is not None
    unit, sign = described_unit(network)
    known = held_out.gender != UNKNOWN
    is_male = held_out.gender[known] == MALE
    auc = roc_auc(trace.c[0][known, unit : unit + 1], is_male)[0]
    male = held_out.gender[held_out.pronoun_positions] == MALE
    known_trace = record(network, known_names.tokens)
    assert known_trace.probs is not None
    numbers = {
        "accuracy": pronoun_accuracy(trace.probs, held_out, network.vocab.tokens),
        "chance": float(max(male.mean(), 1.0 - male.mean())),
        "pronoun_positions": float(held_out.pronoun_positions.size),
        "accuracy_known_names": pronoun_accuracy(
            known_trace.probs, known_names, network.vocab.tokens
        ),
        "unit_auc": float(auc if sign > 0 else 1.0 - auc),
    }
    return numbers["accuracy"] >= 0.95 and numbers["unit_auc"] >= 0.9, numbers


def opening_story_data() -> Story:
    """Three people with training names in 47 words, he, she, then he again (Harry,
    Olivia, Michael), so the gender unit flips twice."""
    return gender_story(np.random.default_rng(24), 3)


def opening_story() -> Tokens:
    return opening_story_data().tokens


def story_data(rng: np.random.Generator) -> TextData:
    """The stories as one stream of words, next-word prediction."""
    vocab = Vocabulary(vocabulary(), "word")
    stories = gender_story(rng, STORIES, cue_probability=STORY_CUE_PROBABILITY)
    return TextData(vocab, vocab.indices(stories.tokens))


SCENARIO = Scenario(
    name="subject-gender",
    title="Subject gender: the forget gate",
    summary="a word-level LSTM keeps the gender of the last person named, for the pronoun",
    claim="held-out stories: >= 95% of pronoun positions give the agreeing pronoun the "
    "higher probability; the named unit's cell holds the gender (AUC >= 0.9)",
    models=(model_resource("subject_gender"),),
    make_input=opening_story,
    measure=measure_gender,
    training=Training(
        corpus="generated short stories",
        make_data=story_data,
        config=adam(32, 3e-3),
        hidden_size=64,
    ),
)
