"""The run without clamps is kept only from the first step they affect, yet reads as the
whole original: bit for bit at every step, through edits, moved clamps, undo and redo."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine import Network
from lstm_sim.engine.interventions import intervened, parse_clamp
from lstm_sim.engine.trace import PRODUCT_BLOCK, Trace, record
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.model import Session
from lstm_sim.model.original_run import LAYERED, READOUT, OriginalRun

STEPS = 300
ARRAYS = (*LAYERED, *READOUT, "x", "token_ids")


def make_session(tokens: bool = False) -> Session:
    rng = np.random.default_rng(3)
    if tokens:
        vocab = Vocabulary(tuple(f"w{k}" for k in range(6)))
        network = Network.random("lstm", 6, 5, rng, num_layers=2, output_size=6, vocab=vocab)
        return Session(network, [f"w{k}" for k in rng.integers(0, 6, STEPS)])
    network = Network.random("lstm", 3, 5, rng, num_layers=2, output_size=4)
    return Session(network, rng.normal(size=(STEPS, 3)))


def free_run(session: Session) -> Trace:
    """A fresh recording of the session's inputs without any clamp."""
    h0, c0 = session.initial_state()
    return record(session.network, session.sequence(), h0, c0)


def assert_same_trace(a: Trace, b: Trace) -> None:
    for name in ARRAYS:
        first, second = getattr(a, name), getattr(b, name)
        assert (first is None) == (second is None), name
        if first is not None:
            np.testing.assert_array_equal(first, second, err_msg=name)
    assert a.tokens == b.tokens


def assert_ghost_is(session: Session, free: Trace) -> None:
    """Every way the views read the ghost gives the free run's numbers."""
    original = session.original
    assert original is not None
    assert_same_trace(original.whole(), free)
    for layer in range(free.num_layers):
        for name in ("h", "c", "f"):
            values = free.h if name == "h" else free.c if name == "c" else free.gate("f")
            assert values is not None
            for first in (0, original.start - 1, original.start, STEPS - 3):
                first = max(first, 0)
                np.testing.assert_array_equal(
                    original.series(name, layer, first), values[layer, first:]
                )
        for t in range(free.num_steps):
            kept, fresh = original.step(layer, t), free.step(layer, t)
            assert kept.t == t
            for field in ("x", "h_prev", "pre", "h", "c_prev", "i", "f", "g", "o", "c"):
                np.testing.assert_array_equal(getattr(kept, field), getattr(fresh, field))
    for t in range(free.num_steps):
        for name in ("logits", "probs"):
            np.testing.assert_array_equal(original.readout_at(name, t), getattr(free, name)[t])


def test_a_first_clamp_near_the_end_keeps_only_the_steps_from_its_block() -> None:
    session = make_session()
    whole = sum(
        getattr(session.trace, n).nbytes for n in ARRAYS if getattr(session.trace, n) is not None
    )
    session.set_clamps([parse_clamp("f[1] = 1 @ 270:280")])
    original = session.original
    assert original is not None
    start = 270 - 270 % PRODUCT_BLOCK
    assert original.start == start
    kept = STEPS - start
    assert original.tail.h_all.shape == (2, kept + 1, 5)
    assert original.tail.pre.shape == (2, kept, 20) and original.tail.x.shape == (kept, 3)
    assert original.tail.logits is not None and original.tail.logits.shape == (kept, 4)
    assert original.nbytes < whole * (kept + 2) / STEPS
    assert_ghost_is(session, free_run(session))


def test_moving_a_clamp_earlier_extends_the_original_from_the_run_without_clamps() -> None:
    session = make_session()
    free = free_run(session)
    late = parse_clamp("layer 1: h[0] = 2 @ 250:300")
    session.set_clamps([late])
    assert session.original is not None and session.original.start == 192
    assert session.original.tail.h_all.shape == (1, STEPS - 192 + 1, 5)  # layer 1 only
    assert_ghost_is(session, free)
    early = parse_clamp("c[2] += 0.5 @ 70")
    session.set_clamps([late, early])
    assert session.original is not None and session.original.start == 64
    assert_ghost_is(session, free)
    assert_same_trace(session.trace, intervened(session.network, free, [late, early]))
    session.set_clamps([parse_clamp("i = 0 @ 10:20")])  # earlier still, the others gone
    assert session.original.start == 0
    assert_ghost_is(session, free)
    session.set_clamps([])
    assert session.original is None
    assert_same_trace(session.trace, free)


def test_undo_and_redo_give_back_each_run_bit_for_bit() -> None:
    session = make_session(tokens=True)
    free = free_run(session)
    first, second = parse_clamp("g = 0 @ 200:220"), parse_clamp("layer 1: o[3] *= 0.5 @ 130")
    session.set_clamps([first])
    with_first = intervened(session.network, free, [first])
    session.set_clamps([first, second])
    both = intervened(session.network, free, [first, second])
    assert_same_trace(session.trace, both)
    session.undo()
    assert_same_trace(session.trace, with_first)
    assert_ghost_is(session, free)
    session.undo()
    assert session.original is None
    assert_same_trace(session.trace, free)
    session.redo()
    session.redo()
    assert_same_trace(session.trace, both)
    assert_ghost_is(session, free)


def edit(session: Session, which: int, tokens: bool) -> None:
    """One of four edits: an input after the kept original's start, one before it, the
    initial state, a weight."""
    if which == 0:
        session.set_token(230, "w2") if tokens else session.set_input(230, 1, 2.5)
    elif which == 1:
        session.set_token(100, "w5") if tokens else session.set_input(100, 0, -1.0)
    elif which == 2:
        session.set_initial("c0", 1, 2, 0.25)
    else:
        session.set_parameter("weight_hh_l1", (3, 1), 0.4)


@pytest.mark.parametrize("tokens", [False, True])
@pytest.mark.parametrize("layer", ["", "layer 1: "])
def test_edits_under_a_clamp_rerun_the_kept_original_as_a_fresh_recording(
    tokens: bool, layer: str
) -> None:
    session = make_session(tokens)
    clamps = [parse_clamp(f"{layer}f[0] = 0 @ 200:260")]
    session.set_clamps(clamps)
    assert session.original is not None and session.original.start == 192
    assert session.original.layer == (1 if layer else 0)
    for which in range(4):
        edit(session, which, tokens)
        free = free_run(session)
        assert_ghost_is(session, free)
        assert_same_trace(session.trace, intervened(session.network, free, clamps))
    while session.can_undo:
        session.undo()
    assert_same_trace(session.trace, free_run(session))


def test_a_clamp_past_the_end_keeps_nothing_until_one_acts() -> None:
    session = make_session()
    free = free_run(session)
    beyond = parse_clamp("f[0] = 1 @ 400:500")
    session.set_clamps([beyond])
    assert session.original is not None and session.original.nbytes < 1000
    assert_ghost_is(session, free)
    session.set_clamps([beyond, parse_clamp("h[1] = 0 @ 290")])
    assert session.original.start == 256
    assert_ghost_is(session, free)


def test_a_simple_rnn_keeps_its_original_the_same_way() -> None:
    rng = np.random.default_rng(4)
    network = Network.random("rnn", 3, 5, rng, num_layers=2, output_size=4)
    session = Session(network, rng.normal(size=(STEPS, 3)))
    clamps = [parse_clamp("a[2] = 0 @ 250:260")]
    session.set_clamps(clamps)
    assert session.original is not None and session.original.start == 192
    for t, feature in ((270, 0), (100, 2)):
        session.set_input(t, feature, 1.5)
        free = free_run(session)
        assert_same_trace(session.original.whole(), free)
        np.testing.assert_array_equal(session.original.series("h", 1, 100), free.h[1, 100:])
        assert_same_trace(session.trace, intervened(network, free, clamps))
    session.set_clamps([])
    assert_same_trace(session.trace, free_run(session))


def test_a_clamp_on_a_lower_layer_extends_the_kept_layers_down() -> None:
    session = make_session(tokens=True)
    free = free_run(session)
    upper = parse_clamp("layer 1: g[4] = 0.9 @ 100:150")
    lower = parse_clamp("i[1] = 1 @ 280")
    session.set_clamps([upper])
    original = session.original
    assert original is not None and (original.start, original.layer) == (64, 1)
    assert original.tail.x.shape == (STEPS - 64, 5)  # layer 1 reads layer 0's h
    session.set_clamps([upper, lower])
    assert (original.start, original.layer) == (64, 0)
    assert original.tail.h_all.shape == (2, STEPS - 64 + 1, 5)
    assert_ghost_is(session, free)
    assert_same_trace(session.trace, intervened(session.network, free, [upper, lower]))
    session.undo()
    assert_ghost_is(session, free)
    session.undo()
    assert_same_trace(session.trace, free)


def test_a_run_with_variant_arrays_is_refused_rather_than_kept_in_part() -> None:
    rng = np.random.default_rng(0)
    network = Network.random("lstm", 3, 4, rng, bidirectional=True)
    with pytest.raises(ValueError, match="plain forward layers only"):
        OriginalRun(record(network, rng.normal(size=(20, 3))), 5)
