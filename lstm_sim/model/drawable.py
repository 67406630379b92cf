"""Which models the window draws: a model it cannot draw is refused before it shows.

The window's diagram, phases, equations and plots know an LSTM's gates and cell state, a
GRU's reset and update gates and candidate, and a simple RNN's pre-activation, run
forward, in reverse or both ways (a bidirectional layer: the window follows one pass at a
time, see :mod:`lstm_sim.model.pass_view`). Each layer's options, on whichever pass is
followed, are drawn too (:mod:`lstm_sim.model.cell_options`): an LSTM's peephole wires,
coupled gate and projection, and, for an LSTM or a GRU, the clip and the activations,
written into the equations with their numbers; and Keras's input mask, whose skipped
steps show only the state they carry through (:mod:`lstm_sim.model.masked_steps`).

Every variant the engine names (:meth:`~lstm_sim.engine.network.Network.variants`) must
be one of :data:`DRAWN_VARIANTS`; any other, like another cell kind, is refused with one
line naming it, through the same error path as a file that cannot be read, so an option
the engine learns later is never drawn as the plain cell.
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
    if undrawn_variants(network):
        raise ModelFileError(variant_refusal(network))


DRAWN_VARIANTS = (
    "reverse direction",
    "bidirectional direction",
    "projection",
    "peepholes",
    "coupled gates",
    "clip",
    "gate activation",
    "candidate activation",
    "cell output activation",
    "input mask value",
)
"""How each variant phrase the window draws begins (after its ``layer k:``)."""


def undrawn_variants(network: Network) -> tuple[str, ...]:
    """The network's variants the window does not draw, one phrase each (empty when it
    draws them all)."""
    found = []
    for phrase in network.variants():
        option = phrase.partition(": ")[2] if phrase.startswith("layer ") else phrase
        if not option.startswith(DRAWN_VARIANTS):
            found.append(phrase)
    return tuple(found)


def variant_refusal(network: Network) -> str:
    """The one line refusing a network with a variant the window does not draw: it names
    the first."""
    return (
        f"the window cannot draw this model yet ({undrawn_variants(network)[0]}); "
        "lstm-sim info and lstm-sim trace read it"
    )
