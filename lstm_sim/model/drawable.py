"""Which cell kinds the window draws: a model of another kind is refused before it shows.

The window's diagram, phases, equations and plots know an LSTM's gates and cell state, a
GRU's reset and update gates and candidate, and a simple RNN's pre-activation, run
forward, in reverse or both ways (a bidirectional layer: the window follows one pass at a
time, see :mod:`lstm_sim.model.pass_view`). An LSTM's forward layers may also carry the
options of :mod:`lstm_sim.engine.lstm_variants` (projection, peepholes, coupled gates,
clip, other activations): the diagram draws the peephole wires, the coupled gate and the
projection, and the equations show every option with its numbers. Any other kind, and a
variant the window does not draw yet (an option on a reverse pass, Keras's input mask, a
GRU's or RNN's options), is refused with one line, through the same error path as a file
that cannot be read.
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


def undrawn_variants(network: Network) -> tuple[str, ...]:
    """The network's variants the window does not draw, one phrase each (empty when it
    draws them all): directions are drawn for every cell kind, an LSTM's options only on a
    layer that runs forward alone (their wires are drawn for one pass)."""
    if network.mask_value is not None:
        return network.variants()
    found = []
    for k, layer in enumerate(network.layers):
        phrases = layer.variants()
        options = [phrase for phrase in phrases if not phrase.endswith(" direction")]
        if options and (network.kind != "lstm" or layer.direction != "forward"):
            found += [f"layer {k}: {phrase}" for phrase in options]
    return tuple(found)


def variant_refusal(network: Network) -> str:
    """The one line refusing a network whose layers use a variant the window does not draw
    (an option on a reverse pass, an input mask, a GRU's or RNN's options): it names the
    first."""
    return (
        f"the window cannot draw this model yet ({undrawn_variants(network)[0]}); "
        "lstm-sim info and lstm-sim trace read it"
    )
