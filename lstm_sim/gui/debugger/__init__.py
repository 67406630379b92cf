"""The debugger in the main window: Breakpoints, Watches, Interventions and Compare docks,
F8 / Shift+F8, the steps where a breakpoint holds marked on the plots, playback that stops
at a breakpoint, and the diagram's "Clamp ... from here" context menu.

:class:`Debugger` is built by the window and kept as ``window.debugger``; its state lives
in the window's :class:`~lstm_sim.model.app_state.AppState`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from lstm_sim.engine.interventions import ClampError
from lstm_sim.gui.lazy_dock import LazyDock
from lstm_sim.gui.scrolled import scrolled
from lstm_sim.model.breakpoints import BreakHit
from lstm_sim.model.interventions import clamp_from_here

if TYPE_CHECKING:
    from lstm_sim.gui.debugger.breakpoints_panel import BreakpointsPanel
    from lstm_sim.gui.debugger.compare_panel import ComparePanel
    from lstm_sim.gui.debugger.interventions_panel import InterventionsPanel
    from lstm_sim.gui.debugger.watches_panel import WatchesPanel
    from lstm_sim.gui.main_window import MainWindow

LSTM_STRIPS = {name: name for name in ("i", "f", "g", "o", "c", "h")}
GRU_STRIPS = {name: name for name in ("r", "z", "n", "h")}
RNN_STRIPS = {"h": "h", "pre": "a"}
CLAMP_STRIPS = {"lstm": LSTM_STRIPS, "gru": GRU_STRIPS, "rnn": RNN_STRIPS}
"""Diagram strips a context menu can clamp, by the clamp quantity they show."""
SIGMOID_GATES = ("i", "f", "o", "r", "z")
"""Gates a menu clamps shut (0) or open (1); every other quantity it ablates (= 0)."""
DOCK_TITLES = {
    "breakpoints": "Breakpoints",
    "watches": "Watches",
    "interventions": "What-if",
    "compare": "Compare",
}


class DebuggerPanel(Protocol):
    def detach(self) -> None: ...


class Debugger(QObject):
    """The window's debugger views and commands."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.state = window.state
        self.session = window.session
        self.breakpoints = self.state.breakpoints
        self.interventions = self.state.interventions
        self.last_hit: BreakHit | None = None
        self._hit_set: frozenset[int] | None = None
        self._panels: dict[str, DebuggerPanel] = {}
        # The first frame shows none of the panels: each is built when its dock is first
        # shown, or when a command needs it (F8 reports in the Breakpoints panel).
        docks = {
            key: LazyDock(title, window, build=partial(self._build_panel, key))
            for key, title in DOCK_TITLES.items()
        }
        for dock in docks.values():
            window.tabifyDockWidget(window.docks["states"], dock)
        # Four tabs keep their titles whole at 1280 pixels wide; Compare opens from the
        # Debug menu (or View ▸ Panels) when a reference is chosen.
        docks["compare"].hide()
        window.docks["states"].raise_()
        window.docks.update(docks)
        self.plots = (window.state_plot, window.gate_heatmaps)
        self.breakpoints.changed.connect(self.mark_hits)
        self.session.cursor_changed.connect(self._on_cursor_changed)
        diagram = window.diagram
        diagram.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        diagram.customContextMenuRequested.connect(self._on_context_menu)
        window.installEventFilter(self)

    # -- panels, built on first use --------------------------------------------------------
    def _build_panel(self, key: str) -> QWidget:
        panel: QWidget
        if key == "breakpoints":
            from lstm_sim.gui.debugger.breakpoints_panel import BreakpointsPanel

            panel = BreakpointsPanel(self.breakpoints)
        elif key == "watches":
            from lstm_sim.gui.debugger.watches_panel import WatchesPanel

            panel = WatchesPanel(self.state.watches)
        elif key == "interventions":
            from lstm_sim.gui.debugger.interventions_panel import InterventionsPanel

            panel = InterventionsPanel(self.interventions)
        else:
            from lstm_sim.gui.debugger.compare_panel import ComparePanel

            panel = ComparePanel(self.session)
        self._panels[key] = cast(DebuggerPanel, panel)
        # Scrolled: a short right column scrolls a dock rather than growing the window.
        return scrolled(panel)

    def _panel(self, key: str) -> DebuggerPanel:
        self.window.docks[key].build()
        return self._panels[key]

    @property
    def breakpoints_panel(self) -> BreakpointsPanel:
        return cast("BreakpointsPanel", self._panel("breakpoints"))

    @property
    def watches_panel(self) -> WatchesPanel:
        return cast("WatchesPanel", self._panel("watches"))

    @property
    def interventions_panel(self) -> InterventionsPanel:
        return cast("InterventionsPanel", self._panel("interventions"))

    @property
    def compare_panel(self) -> ComparePanel:
        return cast("ComparePanel", self._panel("compare"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Show:
            watched.removeEventFilter(self)
            # Scrolled docks ask for little height: share the right column evenly, as
            # it was before they joined the states' tab group.
            window = self.window
            half = window.height() // 2
            pair = [window.docks["states"], window.docks["gates"]]
            window.resizeDocks(pair, [half, half], Qt.Orientation.Vertical)
        return False

    def detach(self) -> None:
        self.breakpoints.changed.disconnect(self.mark_hits)
        self.session.cursor_changed.disconnect(self._on_cursor_changed)
        for panel in self._panels.values():
            panel.detach()

    # -- breakpoints -----------------------------------------------------------------------
    def next_break(self) -> None:
        """F8: to the first phase of the next step where an enabled breakpoint holds."""
        self._run_to(backward=False)

    def prev_break(self) -> None:
        """Shift+F8: the same, backward."""
        self._run_to(backward=True)

    def _run_to(self, backward: bool) -> None:
        window = self.window
        window.controller.pause()
        window.diagram.finish_animation()
        hit = self.breakpoints.run_to(backward)
        self.last_hit = hit
        if hit is None:
            where = "before" if backward else "after"
            message = f"No enabled breakpoint holds {where} step {self.session.t}."
        else:
            message = f"Break: {hit.describe()}"
        self.breakpoints_panel.show_hit(message)
        window.statusBar().showMessage(message)

    def mark_hits(self) -> None:
        """Mark the steps where a breakpoint holds on the plots; the window calls this
        after its first frame (the plots draw after it too), the breakpoints on a change."""
        steps = self.breakpoints.hit_steps()
        for plot in self.plots:
            plot.mark_hits(steps)
        self._hit_set = frozenset(int(t) for t in steps)

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        controller = self.window.controller
        if controller.playing and phase == 0 and self._hit_set is None:
            self.mark_hits()
        if not (controller.playing and phase == 0 and self._may_stop_at(t)):
            return
        hit = self.breakpoints.find_playing(t)
        if hit is None:
            return
        controller.pause()
        self.last_hit = hit
        if hit.pass_ is not None and hit.pass_ != self.session.shown_pass:
            # It holds in the other pass, at the step that pass is at: show that pass.
            self.breakpoints.go_to(hit)
        message = f"Stopped at a breakpoint: {hit.describe()}"
        self.breakpoints_panel.show_hit(message)
        self.window.statusBar().showMessage(message)

    def _may_stop_at(self, t: int) -> bool:
        """Whether a breakpoint may hold when playback reaches step ``t``, from the marked
        steps alone: at t, or (with reverse passes) at T-1-t, where the other pass is."""
        marked = self._hit_set or frozenset()
        mirrored = self.session.num_steps - 1 - t
        return t in marked or (bool(self.session.trace.directions) and mirrored in marked)

    # -- the diagram's context menu -----------------------------------------------------------
    def clamp_menu(self, scene_point: QPointF) -> QMenu | None:
        """The clamps offered for the strip cell at ``scene_point`` (None: not a cell of a
        clampable strip)."""
        session = self.session
        if not session.network.is_plain:  # the engine refuses clamps on these
            variant = session.network.variants()[0]
            return self._no_clamp_menu(scene_point, f"Clamps are not supported yet ({variant})")
        for field, quantity in CLAMP_STRIPS[session.network.kind].items():
            try:
                strip = self.window.diagram.strip(field)
            except ValueError:
                continue
            unit = strip.unit_at(scene_point)
            if unit is None:
                continue
            menu = QMenu(self.window)
            t, layer, steps = session.t, session.layer, session.num_steps
            name = f"{quantity}[{unit}]"
            values = (0.0, 1.0) if quantity in SIGMOID_GATES else (0.0,)
            for value in values:
                verb = "Ablate" if value == 0.0 and quantity not in SIGMOID_GATES else "Clamp"
                text = clamp_from_here(quantity, unit, value, t, steps, layer)
                label = (
                    f"{verb} {name} to {value:g} from here"
                    if verb == "Clamp"
                    else (f"Ablate {name} (= 0) from here")
                )
                self._add_clamp_action(menu, label, text)
            prefix = f"layer {layer}: " if layer else ""
            self._add_clamp_action(
                menu, f"Ablate {name} at step {t} only", f"{prefix}{name} = 0 @ {t}"
            )
            if session.clamps:
                menu.addSeparator()
                menu.addAction("Remove every clamp", self.interventions.clear)
            return menu
        return None

    def _no_clamp_menu(self, scene_point: QPointF, why: str) -> QMenu | None:
        """A variant network's strips: a menu that says clamps cannot act on it yet
        (the engine refuses them), rather than no menu at all."""
        diagram = self.window.diagram
        if not any(
            strip.unit_at(scene_point) is not None for strip in diagram.diagram().strips.values()
        ):
            return None
        menu = QMenu(self.window)
        menu.addAction(why).setEnabled(False)
        return menu

    def _add_clamp_action(self, menu: QMenu, label: str, text: str) -> QAction:
        action = menu.addAction(label)
        action.setToolTip(text)
        action.triggered.connect(lambda _checked=False, spec=text: self.clamp(spec))
        return action

    def clamp(self, text: str) -> None:
        """Add the clamp ``text`` as an undoable edit; an error goes to the status bar and
        the What-if dock."""
        try:
            self.interventions.add(text)
        except ClampError as err:
            self.interventions_panel.error.setText(str(err))
            self.window.statusBar().showMessage(str(err))
            return
        self.window.statusBar().showMessage(f"Clamped: {text}")

    def _on_context_menu(self, pos: QPoint) -> None:
        diagram = self.window.diagram
        menu = self.clamp_menu(diagram.mapToScene(pos))
        if menu is not None:
            menu.exec(diagram.viewport().mapToGlobal(pos))
            menu.deleteLater()

    # -- compare --------------------------------------------------------------------------------
    def compare_dialog(self) -> None:
        """Debug ▸ Compare with trace…: the Compare dock, and a reference to choose."""
        dock = self.window.docks["compare"]
        dock.show()
        dock.raise_()
        self.compare_panel.choose_reference()

    def hit_steps(self) -> np.ndarray:
        return self.breakpoints.hit_steps()
