"""Actions as data: a window declares its commands once, in a table of
:class:`ActionSpec`, and where each appears in layouts of ids; :class:`Actions` builds
the QActions, fills menus and toolbars from the layouts, and lists the keyboard shortcuts
for Help ▸ Keyboard shortcuts. A second window reuses the machinery with its own table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QStyle, QToolBar, QWidget

SEPARATOR = "-"
"""In a layout: a separator line."""


@dataclass(frozen=True)
class ActionSpec:
    """One command of a window.

    id: how layouts and code name it; text: its menu text (``&`` marks the mnemonic);
    handler: given the window, the function the action calls; shortcuts: key sequences
    in Qt's portable text ("Ctrl+O"); tip: the tooltip's words when the text is not enough;
    icon: a standard icon for a toolbar; icon_text: a shorter toolbar label; checkable:
    the action is a switch.
    """

    id: str
    text: str
    handler: Callable[[Any], Callable[[], object]]
    shortcuts: tuple[str, ...] = ()
    tip: str = ""
    icon: QStyle.StandardPixmap | None = None
    icon_text: str = ""
    checkable: bool = False


@dataclass(frozen=True)
class Submenu:
    """In a menu layout: a submenu the window fills itself (recent files, panels)."""

    name: str
    title: str


@dataclass(frozen=True)
class MenuSpec:
    """A top-level menu: ``title`` and its items (action ids, :data:`SEPARATOR`,
    :class:`Submenu`); a menu with no items is filled by the window later."""

    name: str
    title: str
    items: tuple[str | Submenu, ...] = ()


class Actions:
    """The QActions of one window, built from its table."""

    def __init__(self, window: QWidget, specs: Sequence[ActionSpec]) -> None:
        self.by_id: dict[str, QAction] = {}
        self.shortcut_rows: list[tuple[str, str]] = []
        """(what, keys) of every action with a shortcut, in the table's order."""
        for spec in specs:
            if spec.id in self.by_id:
                raise ValueError(f"two actions are called {spec.id!r}")
            self.by_id[spec.id] = self._build(window, spec)

    def _build(self, window: QWidget, spec: ActionSpec) -> QAction:
        action = QAction(spec.text, window)
        if spec.icon is not None:
            action.setIcon(window.style().standardIcon(spec.icon))
        if spec.icon_text:
            action.setIconText(spec.icon_text)
        action.setCheckable(spec.checkable)
        sequences = [QKeySequence(s) for s in spec.shortcuts]
        action.setShortcuts(sequences)
        keys = " or ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences)
        plain = spec.text.replace("&", "")
        tip = spec.tip or plain
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        # The handler is looked up when triggered: it may belong to a part of the window
        # built after its actions (its file commands, say).
        action.triggered.connect(lambda _checked=False: spec.handler(window)())
        window.addAction(action)  # shortcuts work even when no toolbar shows the action
        if keys:
            self.shortcut_rows.append((plain.rstrip("…"), keys))
        return action

    def __getitem__(self, action_id: str) -> QAction:
        return self.by_id[action_id]

    def fill(self, target: QMenu | QToolBar, items: Sequence[str]) -> None:
        """Add the actions ``items`` names (and separators) to a menu or toolbar."""
        for item in items:
            if item == SEPARATOR:
                target.addSeparator()
            else:
                target.addAction(self.by_id[item])

    def build_menus(self, bar: QMenuBar, menus: Sequence[MenuSpec]) -> dict[str, QMenu]:
        """The menu bar's menus from ``menus``; returns every menu and submenu by name."""
        built: dict[str, QMenu] = {}
        for spec in menus:
            menu = bar.addMenu(spec.title)
            built[spec.name] = menu
            for item in spec.items:
                if isinstance(item, Submenu):
                    built[item.name] = menu.addMenu(item.title)
                else:
                    self.fill(menu, [item])
        return built
