"""Connecting a view's ``_on_<signal>`` handlers to the session, and undoing it.

psygnal holds bound methods weakly, but a Qt widget whose window has closed can keep
its Python wrapper alive after Qt deleted the C++ object; a signal delivered to it then
raises. Views therefore disconnect explicitly when their window closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from lstm_sim.model import Session
from lstm_sim.model.view_settings import ViewSettings

SESSION_SIGNALS = (
    "network_changed",
    "trace_changed",
    "cursor_changed",
    "layer_changed",
    "unit_changed",
    "history_changed",
)


class SessionView(Protocol):
    """A view that follows the session until its window closes."""

    def detach(self) -> None:
        """Disconnect from the session: the window is closing."""


def subscribe(view: object, session: Session) -> Callable[[], None]:
    """Connect each ``view._on_<signal>`` that exists to ``session.<signal>``; a change
    of the followed pass reaches ``_on_pass_changed``, or in a view without one
    ``_on_layer_changed`` (the selected layer's shown data changed, as when another layer
    is selected).

    Returns a function that disconnects exactly those handlers.
    """
    links: list[tuple[Any, Callable[..., object]]] = []
    for name in SESSION_SIGNALS:
        handler = getattr(view, f"_on_{name}", None)
        if handler is not None:
            signal = getattr(session, name)
            signal.connect(handler)
            links.append((signal, handler))
    on_pass = getattr(view, "_on_pass_changed", None)
    on_layer = getattr(view, "_on_layer_changed", None)
    if on_pass is not None:
        session.pass_changed.connect(on_pass)
        links.append((session.pass_changed, on_pass))
    elif on_layer is not None:
        relay = _relay_pass(session, on_layer)
        session.pass_changed.connect(relay)
        links.append((session.pass_changed, relay))

    def unsubscribe() -> None:
        for signal, handler in links:
            signal.disconnect(handler)
        links.clear()

    return unsubscribe


def _relay_pass(session: Session, on_layer: Callable[[int], object]) -> Callable[[str], None]:
    def relay(_followed: str) -> None:
        on_layer(session.layer)

    return relay


def follow_theme(
    view_settings: ViewSettings, set_theme: Callable[[str], object]
) -> Callable[[], None]:
    """Give a view the settings' theme now and on every change (``set_theme`` restyles
    the view from the theme's palette; the name itself stays in the settings).

    Returns a function that disconnects it.
    """
    set_theme(view_settings.theme)
    view_settings.theme_changed.connect(set_theme)
    return lambda: view_settings.theme_changed.disconnect(set_theme)
