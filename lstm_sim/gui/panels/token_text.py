"""How a token reads on screen: characters that print as nothing get a visible stand-in."""

from __future__ import annotations

VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


def display_token(token: str) -> str:
    """``token`` with spaces, newlines and tabs drawn as symbols; empty shows as ∅."""
    if token == "":
        return "∅"
    return "".join(VISIBLE.get(ch, ch) for ch in token)
