"""Actions as data: a table builds QActions with their keys in the tooltip and the F1
rows, layouts build menus (with submenus and separators) and toolbars, and a handler is
looked up when the action fires, so it may belong to a part built after the actions."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMainWindow, QToolBar

from lstm_sim.gui.actions import SEPARATOR, Actions, ActionSpec, MenuSpec, Submenu
from lstm_sim.gui.app import create_application
from lstm_sim.gui.window_actions import ACTIONS, MENUS, STEPPING_TOOLBAR, VIEW_TOOLBAR


class Host(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []


TABLE = (
    ActionSpec("go", "&Go…", lambda w: lambda: w.calls.append("go"), ("Ctrl+G", "F5"), "Go now"),
    ActionSpec("late", "Late", lambda w: w.late_handler),
    ActionSpec("switch", "Switch", lambda w: lambda: None, checkable=True, icon_text="Sw"),
)


def test_a_table_builds_actions_tooltips_and_shortcut_rows(qtbot) -> None:
    create_application()
    host = Host()
    qtbot.addWidget(host)
    actions = Actions(host, TABLE)
    go = actions["go"]
    assert go.toolTip() == "Go now (Ctrl+G or F5)" and go in host.actions()
    assert actions.shortcut_rows == [("Go", "Ctrl+G or F5")]
    assert actions["switch"].isCheckable() and actions["switch"].iconText() == "Sw"
    go.trigger()
    host.late_handler = lambda: host.calls.append("late")  # exists only after the build
    actions["late"].trigger()
    assert host.calls == ["go", "late"]
    with pytest.raises(ValueError, match="two actions are called 'go'"):
        Actions(host, (*TABLE, TABLE[0]))


def test_layouts_build_menus_with_submenus_and_toolbars(qtbot) -> None:
    create_application()
    host = Host()
    qtbot.addWidget(host)
    actions = Actions(host, TABLE)
    menus = actions.build_menus(
        host.menuBar(),
        (
            MenuSpec("file", "&File", ("go", SEPARATOR, Submenu("recent", "Recent"))),
            MenuSpec("x", "X"),
        ),
    )
    items = menus["file"].actions()
    assert items[0] is actions["go"] and items[1].isSeparator()
    assert items[2].menu() is menus["recent"] and menus["x"].actions() == []
    bar = QToolBar()
    actions.fill(bar, ("switch", "go"))
    assert bar.actions() == [actions["switch"], actions["go"]]


def test_the_main_windows_layouts_name_only_its_actions() -> None:
    ids = [spec.id for spec in ACTIONS]
    assert len(ids) == len(set(ids))
    placed = {*STEPPING_TOOLBAR, *VIEW_TOOLBAR}
    for menu in MENUS:
        placed |= {item for item in menu.items if isinstance(item, str) and item != SEPARATOR}
    assert placed <= set(ids)
    # Every command is reachable from a menu or by a key.
    unplaced = {spec.id for spec in ACTIONS if not spec.shortcuts} - placed
    assert not unplaced
