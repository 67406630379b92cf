"""Whether Qt can open a window here, asked before Qt is loaded.

Without a display, or without the X11 libraries Qt's xcb platform links against, creating
the QApplication aborts the process with a paragraph about platform plugins. The CLI asks
first and prints one line that says what to do instead.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping

XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
"""The shared libraries PySide6's xcb platform plugin needs, and the Debian/Ubuntu
package of each."""

INSTEAD = "render with --screenshot PNG instead, or run headless with QT_QPA_PLATFORM=offscreen"


def missing_libraries(libraries: Mapping[str, str] = XCB_LIBRARIES) -> list[str]:
    """The sonames in ``libraries`` the dynamic loader cannot find."""
    missing = []
    for soname in libraries:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(soname)
    return missing


def display_problem(
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
    libraries: Mapping[str, str] = XCB_LIBRARIES,
) -> str | None:
    """Why Qt could not open a window here, in one line; None when it should.

    Only Linux is checked, and only when the user has not chosen a Qt platform
    (``QT_QPA_PLATFORM``) or is on Wayland, where the xcb libraries are not needed.
    """
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("WAYLAND_DISPLAY"):
        return None
    if not environ.get("DISPLAY"):
        return f"no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset): {INSTEAD}"
    missing = missing_libraries(libraries)
    if not missing:
        return None
    packages = " ".join(libraries[soname] for soname in missing)
    return (
        f"Qt cannot open a window: {', '.join(missing)} not found; install them with "
        f"'sudo apt-get install {packages}'; or {INSTEAD}"
    )
