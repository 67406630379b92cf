"""Keep Python 3.11 alive under PySide6 6.12, which drops references to None and bools.

Every PySide6 6.12 method that returns nothing (``QLabel.setText``, ``QPainter.setFont``
...) hands back ``None`` without the new reference CPython expects, so each call lowers
None's reference count by one; some paths do the same with True and False. Python 3.12
made these singletons immortal and never notices; on 3.11 None's count, about 5 000 at
start-up, reaches zero after a few seconds of drawing and the interpreter aborts with
"none_dealloc: deallocating None" (or "bool_dealloc"). Raising the counts once, far
beyond what any session can spend, makes them effectively immortal here too.
"""

from __future__ import annotations

import ctypes
import sys

# 2**40 references: a trillion void calls, and still far from overflowing ob_refcnt.
_SPARE_REFERENCES = 1 << 40


def make_singletons_immortal() -> None:
    """Give None, True and False enough spare references to survive the leak (CPython
    before 3.12 only; later versions already treat them as immortal)."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object, at the address id() gives.
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        if refcount.value < _SPARE_REFERENCES:
            refcount.value += _SPARE_REFERENCES
