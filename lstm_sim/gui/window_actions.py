"""The main window's commands, and where each appears: its menus, its two toolbars, and
(through their shortcuts) Help ▸ Keyboard shortcuts. A handler is given the window."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QStyle

from lstm_sim.gui.actions import SEPARATOR, ActionSpec, MenuSpec, Submenu
from lstm_sim.gui.help_dialogs import show_about, show_shortcuts

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow

_pix = QStyle.StandardPixmap


def _shortcut_list(window: MainWindow) -> Callable[[], None]:
    return lambda: show_shortcuts(window, window.commands.shortcut_rows)


def _export_animation(window: MainWindow) -> Callable[[], None]:
    from lstm_sim.gui.animation_dialog import export_animation_dialog

    return lambda: export_animation_dialog(window)


def _about(window: MainWindow) -> Callable[[], None]:
    return lambda: show_about(window)


ACTIONS = (
    # Stepping: the controller moves the session's cursor.
    ActionSpec(
        "first",
        "First step",
        lambda w: w.controller.first,
        ("Home",),
        icon=_pix.SP_MediaSkipBackward,
    ),
    ActionSpec(
        "prev_step",
        "Previous time step",
        lambda w: w.controller.prev_step,
        ("Up", "Shift+Left"),
        icon=_pix.SP_MediaSeekBackward,
    ),
    ActionSpec(
        "prev_phase",
        "Previous phase",
        lambda w: w.controller.prev_phase,
        ("Left",),
        icon=_pix.SP_ArrowLeft,
    ),
    ActionSpec(
        "play",
        "Play",
        lambda w: w.controller.toggle,
        ("Space",),
        "Play/pause",
        icon=_pix.SP_MediaPlay,
    ),
    ActionSpec(
        "next_phase",
        "Next phase",
        lambda w: w.controller.next_phase,
        ("Right",),
        icon=_pix.SP_ArrowRight,
    ),
    ActionSpec(
        "next_step",
        "Next time step",
        lambda w: w.controller.next_step,
        ("Down", "Shift+Right"),
        icon=_pix.SP_MediaSeekForward,
    ),
    ActionSpec(
        "last", "Last step", lambda w: w.controller.last, ("End",), icon=_pix.SP_MediaSkipForward
    ),
    # Short toolbar labels keep both toolbars on one row at 1280 pixels wide.
    ActionSpec(
        "zoom_in", "Zoom in", lambda w: w.diagram.zoom_in, ("Ctrl++", "Ctrl+="), icon_text="+"
    ),
    ActionSpec(
        "zoom_out", "Zoom out", lambda w: w.diagram.zoom_out, ("Ctrl+-",), icon_text="\u2212"
    ),
    ActionSpec(
        "zoom_reset", "Fit the cell", lambda w: w.diagram.reset_zoom, ("Ctrl+0",), icon_text="Fit"
    ),
    # Files.
    ActionSpec("open", "&Open model…", lambda w: w.files.open_dialog, ("Ctrl+O",)),
    ActionSpec(
        "open_scenario",
        "Open &scenario…",
        lambda w: w.opening.open_scenario_dialog,
        ("Ctrl+Shift+O",),
    ),
    ActionSpec(
        "load_inputs",
        "&Load inputs…",
        lambda w: w.files.load_inputs_dialog,
        ("Ctrl+L",),
        "Run the model on your own inputs (.npy, .csv), token ids, text, h0 or c0; undoable",
    ),
    ActionSpec(
        "export_trace",
        "Export &trace…",
        lambda w: w.files.export_trace_dialog,
        ("Ctrl+Shift+E",),
        "Every gate at every step, as .npz arrays or a .csv table",
    ),
    ActionSpec("new", "&New random model…", lambda w: w.opening.new_random_model, ("Ctrl+N",)),
    ActionSpec("export_svg", "Export diagram as SVG…", lambda w: w.files.export_svg),
    ActionSpec("export_png", "Export diagram as PNG…", lambda w: w.files.export_png),
    ActionSpec(
        "export_animation",
        "Export &animation…",
        _export_animation,
        ("Ctrl+Shift+A",),
        "The cell stepping through phases, as GIF, APNG, MP4 or a still, rendered at any size",
    ),
    ActionSpec("quit", "&Quit", lambda w: w.close, ("Ctrl+Q",)),
    # Edits and view settings write to the state.
    ActionSpec("undo", "&Undo edit", lambda w: w.session.undo, ("Ctrl+Z",)),
    ActionSpec("redo", "&Redo edit", lambda w: w.session.redo, ("Ctrl+Shift+Z",)),
    ActionSpec(
        "dark",
        "Dark theme",
        lambda w: w.view_commands.toggle_dark,
        ("Ctrl+D",),
        icon_text="Dark",
        checkable=True,
    ),
    ActionSpec(
        "reduced",
        "Reduced motion",
        lambda w: w.view_commands.toggle_reduced_motion,
        ("Ctrl+M",),
        "No flow animation",
        checkable=True,
    ),
    ActionSpec(
        "no_spoilers",
        "No spoilers",
        lambda w: w.view_commands.toggle_no_spoilers,
        ("Ctrl+Shift+S",),
        "Plots show only the steps up to the cursor",
        checkable=True,
    ),
    ActionSpec(
        "unrolled",
        "Unrolled in time",
        lambda w: w.view_commands.toggle_unrolled,
        ("Ctrl+U",),
        "The chain of steps around the cursor, beside the cell",
        checkable=True,
    ),
    ActionSpec(
        "reverse_pass",
        "Follow the reverse pass",
        lambda w: w.view_commands.toggle_reverse_pass,
        ("Ctrl+Shift+R",),
        "Bidirectional layer: step the reverse pass, from the last step back to the first",
        icon_text="Reverse",
        checkable=True,
    ),
    ActionSpec("reset_layout", "Reset layout", lambda w: w.memory.reset_layout),
    # Presentation mode and the presenter's clicker (PageDown/PageUp; Space while presenting).
    ActionSpec(
        "present",
        "&Present",
        lambda w: w.presentation.toggle,
        ("F5",),
        "Full screen: the cell and its equation, large, for a lecture room",
        checkable=True,
    ),
    ActionSpec("leave_present", "Leave presentation", lambda w: w.presentation.leave, ("Esc",)),
    ActionSpec(
        "clicker_next",
        "Forward",
        lambda w: w.presentation.forward,
        ("PgDown",),
        "The next tour stop while touring, else the next phase",
    ),
    ActionSpec(
        "clicker_prev",
        "Back",
        lambda w: w.presentation.back,
        ("PgUp",),
        "The previous tour stop while touring, else the previous phase",
    ),
    ActionSpec(
        "blank", "Blank the screen", lambda w: w.presentation.blank, ("B", "."), "Or show it again"
    ),
    # The debugger (see lstm_sim.gui.debugger).
    ActionSpec(
        "next_break",
        "Run to &next breakpoint",
        lambda w: w.debugger.next_break,
        ("F8",),
        "The next step where an enabled breakpoint holds",
    ),
    ActionSpec(
        "prev_break",
        "Run to &previous breakpoint",
        lambda w: w.debugger.prev_break,
        ("Shift+F8",),
        "The previous step where an enabled breakpoint holds",
    ),
    ActionSpec("compare", "&Compare with trace…", lambda w: w.debugger.compare_dialog),
    ActionSpec(
        "save_session",
        "Save sess&ion…",
        lambda w: w.session_files.save_dialog,
        ("Ctrl+S",),
        "Everything on screen, edits and debugger included, in one .lstmsim file",
    ),
    ActionSpec("open_session", "Open s&ession…", lambda w: w.session_files.open_dialog),
    # Help.
    ActionSpec(
        "tour",
        "Lecture &tour",
        lambda w: w.tour.toggle,
        ("F6",),
        "Walk the lecture's points in order; again to leave and explore, again to resume",
        checkable=True,
    ),
    ActionSpec(
        "shortcuts",
        "&Keyboard shortcuts",
        _shortcut_list,
        ("F1",),
    ),
    ActionSpec("guide", "What to &watch", lambda w: w.show_guide, ("F2",)),
    ActionSpec("about", "&About lstm-sim", _about),
)

STEPPING_TOOLBAR = ("first", "prev_step", "prev_phase", "play", "next_phase", "next_step", "last")
VIEW_TOOLBAR = ("reverse_pass", "zoom_out", "zoom_reset", "zoom_in", "dark")

MENUS = (
    MenuSpec(
        "file",
        "&File",
        (
            "open_scenario",
            "open",
            "new",
            Submenu("recent", "Recent &files"),
            SEPARATOR,
            "open_session",
            "save_session",
            SEPARATOR,
            "load_inputs",
            SEPARATOR,
            "export_trace",
            "export_svg",
            "export_png",
            "export_animation",
            SEPARATOR,
            "quit",
        ),
    ),
    MenuSpec("edit", "&Edit", ("undo", "redo")),
    MenuSpec(
        "step",
        "&Step",
        (
            "play",
            "next_phase",
            "prev_phase",
            "next_step",
            "prev_step",
            "first",
            "last",
            SEPARATOR,
            "clicker_next",
            "clicker_prev",
        ),
    ),
    MenuSpec(
        "view",
        "&View",
        (
            "dark",
            "reduced",
            "no_spoilers",
            "unrolled",
            "reverse_pass",
            SEPARATOR,
            "present",
            "blank",
            Submenu("present_strip", "Presentation strip"),
            SEPARATOR,
            "zoom_in",
            "zoom_out",
            "zoom_reset",
            SEPARATOR,
            Submenu("panels", "Panels"),
            "reset_layout",
        ),
    ),
    MenuSpec("debug", "&Debug", ("next_break", "prev_break", SEPARATOR, "compare")),
    # Filled with the demo views after the first frame; its place is kept from the start.
    MenuSpec("demos", "De&mos"),
    MenuSpec("help", "&Help", ("shortcuts", "guide", "tour", "about")),
)
