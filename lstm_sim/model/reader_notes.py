"""What the status bar says about a model reader's assumptions (``Network.notes``)."""

from __future__ import annotations

from lstm_sim.engine.network import Network


def notes_summary(network: Network) -> tuple[str, str]:
    """(short label, tooltip listing every note); both empty when nothing was assumed."""
    notes = network.notes
    if not notes:
        return "", ""
    plural = "s" if len(notes) > 1 else ""
    label = f"⚠ {len(notes)} note{plural} on how this model was read"
    if any(note.startswith("no readout") for note in notes):
        label = f"⚠ head left out · {label[2:]}"
    return label, "\n".join(f"• {note}" for note in notes)
