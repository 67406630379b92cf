"""The window's start with Python's cyclic garbage collector paused.

Starting the window makes some 130 000 objects (NumPy's, Qt's wrappers, pyqtgraph's, the
views') that live as long as the window, and under a thousand that are garbage. The
collector walks the young ones again and again while they are made: about a tenth of the
time to the first frame, for nothing it can free. So ``lstm-sim`` pauses it before it
imports the window and, once the views built after the first frame are in place, freezes
what the start made (later collections need not walk the window's own objects: Python's
documented use of :func:`gc.freeze`) and turns it back on. Paths that end sooner (a
screenshot, an error) turn it back on without freezing anything.
"""

from __future__ import annotations

import gc

_paused = False
"""Whether :func:`pause_collection` turned the collector off (and nobody else did)."""


def pause_collection() -> None:
    """Turn the collector off for the start, unless something else already did."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collection(*, freeze: bool = False) -> None:
    """Turn the collector back on if :func:`pause_collection` turned it off; with
    ``freeze``, first move every object made so far out of its reach for good (only for
    the window's own process: a test or a script calling the window goes on to make and
    drop windows of its own)."""
    global _paused
    if _paused:
        _paused = False
        if freeze:
            gc.freeze()
        gc.enable()
