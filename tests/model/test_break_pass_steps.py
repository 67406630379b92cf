"""Breakpoints on a model whose passes take their steps together: playback at step t of
the shown pass checks the other pass at the step it is at (T-1-t), and a hit moves the
followed pass only when its layer is bidirectional."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lstm_sim.engine.network import Network
from lstm_sim.model.breakpoints import Breakpoints
from lstm_sim.model.session import Session

STEPS = 9


def bidirectional_then_reverse() -> Session:
    """Layer 0 runs both passes, layer 1 its reverse pass only."""
    rng = np.random.default_rng(4)
    network = Network.random("lstm", 3, 4, rng, num_layers=2, bidirectional=True)
    reverse_only = replace(network.layers[1], direction="reverse", reverse=None)
    network = replace(network, layers=[network.layers[0], reverse_only])
    return Session(network, rng.normal(size=(STEPS, 3)))


def test_playback_checks_the_other_pass_at_the_step_it_is_at() -> None:
    rng = np.random.default_rng(4)
    network = Network.random("lstm", 3, 4, rng, num_layers=2, bidirectional=True)
    session = Session(network, rng.normal(size=(STEPS, 3)))
    breakpoints = Breakpoints(session)
    breakpoints.add("reverse: layer == 0 and t == 2")
    assert session.shown_pass == "forward"
    # The plots mark t = 2, where the reverse pass holds; the forward pass is at t = 2 when
    # the reverse pass is at 6, so playback has nothing to stop for there.
    assert 2 in breakpoints.hit_steps().tolist()
    assert breakpoints.find_playing(2) is None
    hit = breakpoints.find_playing(STEPS - 1 - 2)
    assert hit is not None and (hit.pass_, hit.t, hit.layer) == ("reverse", 2, 0)
    # Followed in reverse, the reverse pass itself is at t = 2.
    session.follow("reverse")
    hit = breakpoints.find_playing(2)
    assert hit is not None and (hit.pass_, hit.t) == ("reverse", 2)
    assert breakpoints.find_playing(STEPS - 1 - 2) is None


def test_a_hit_on_a_one_pass_layer_keeps_the_followed_pass() -> None:
    session = bidirectional_then_reverse()
    breakpoints = Breakpoints(session)
    breakpoints.add("layer 1: t == 3")
    assert session.followed == "forward"
    hit = breakpoints.run_to()
    assert hit is not None and (hit.pass_, hit.t, hit.layer) == ("reverse", 3, 1)
    # Layer 1 shows its only pass; layer 0 still shows the forward pass it followed.
    assert (session.layer, session.t, session.shown_pass) == (1, 3, "reverse")
    assert session.followed == "forward"
    breakpoints.replace_all([])
    breakpoints.add("layer 0 reverse: t == 5")
    hit = breakpoints.run_to(backward=True)
    assert hit is not None and (hit.pass_, hit.layer) == ("reverse", 0)
    assert session.followed == "reverse" and session.shown_pass == "reverse"
