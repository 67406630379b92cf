"""Which cell kinds the window draws: a model of another kind is refused before it shows.

The window's diagram, phases, equations and plots know an LSTM's gates and cell state, a
GRU's reset and update gates and candidate, and a simple RNN's pre-activation, in their
plain cells, run forward, in reverse or both ways (a bidirectional layer: the window follows
one pass at a time, see :mod:`lstm_sim.model.pass_view`); any other kind, and a layer
variant the window does not draw yet, is refused with one line, through the same error path
as a file that cannot be read.
"""

from __future__ import annotations

from lstm_sim.engine.formats.errors import ModelFileError
from lstm_sim.engine.network import Network

WINDOW_KINDS = ("lstm", "gru", "rnn")
"""The cell kinds the window draws and steps."""


def check_drawable(network: Network) -> None:
    """Raise ModelFileError (one line) unless the window can draw ``network``'s cells."""
    if network.kind not in WINDOW_KINDS:
        raise ModelFileError(f"the window draws LSTM, GRU and RNN cells only, not {network.kind!r}")
    if drawn_variants(network):
        raise ModelFileError(variant_refusal(network))


def drawn_variants(network: Network) -> tuple[str, ...]:
    """The network's variants the window does not draw: all but the directions."""
    return tuple(found for found in network.variants() if not found.endswith(" direction"))


def variant_refusal(network: Network) -> str:
    """The one line refusing a network whose layers use a variant the window does not draw
    (projections, peepholes, coupled gates, clips, other activations, an input mask): it
    names the first."""
    return (
        f"the window cannot draw this model yet ({drawn_variants(network)[0]}); "
        "lstm-sim info and lstm-sim trace read it"
    )
