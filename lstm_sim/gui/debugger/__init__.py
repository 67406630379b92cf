"""The debugger in the main window: Breakpoints, Watches, Interventions and Compare docks,
F8 / Shift+F8, the steps where a breakpoint holds marked on the plots, playback that stops
at a breakpoint, and the diagram's "Clamp ... from here" context menu.

:class:`Debugger` is built by the window and kept as ``window.debugger``; its state lives
in the window's :class:`~lstm_sim.model.app_state.AppState`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from lstm_sim.engine.interventions import ClampError
from lstm_sim.gui.debugger.breakpoints_panel import BreakpointsPanel
from lstm_sim.gui.debugger.compare_panel import ComparePanel
from lstm_sim.gui.debugger.interventions_panel import InterventionsPanel
from lstm_sim.gui.debugger.watches_panel import WatchesPanel
from lstm_sim.gui.lazy_dock import LazyDock
from lstm_sim.model.breakpoints import BreakHit
from lstm_sim.model.interventions import clamp_from_here

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow

LSTM_STRIPS = {name: name for name in ("i", "f", "g", "o", "c", "h")}
RNN_STRIPS = {"h": "h", "pre": "a"}
"""Diagram strips a context menu can clamp, by the clamp quantity they show."""


class Debugger(QObject):
    """The window's debugger views and commands."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        state = window.state
        self.session = window.session
        self.breakpoints = state.breakpoints
        self.interventions = state.interventions
        self.breakpoints_panel = BreakpointsPanel(state.breakpoints)
        self.watches_panel = WatchesPanel(state.watches)
        self.interventions_panel = InterventionsPanel(state.interventions)
        self.compare_panel = ComparePanel(window.session)
        self.last_hit: BreakHit | None = None
        from lstm_sim.gui.main_window import scrolled  # the window's module imports this one

        # Scrolled: a short right column scrolls a dock rather than growing the window.
        docks = {
            "breakpoints": LazyDock("Breakpoints", window, widget=scrolled(self.breakpoints_panel)),
            "watches": LazyDock("Watches", window, widget=scrolled(self.watches_panel)),
            "interventions": LazyDock("What-if", window, widget=scrolled(self.interventions_panel)),
            "compare": LazyDock("Compare", window, widget=scrolled(self.compare_panel)),
        }
        for dock in docks.values():
            window.tabifyDockWidget(window.docks["states"], dock)
        # Four tabs keep their titles whole at 1280 pixels wide; Compare opens from the
        # Debug menu (or View ▸ Panels) when a reference is chosen.
        docks["compare"].hide()
        window.docks["states"].raise_()
        window.docks.update(docks)
        self.plots = (window.state_plot, window.gate_heatmaps)
        self.breakpoints.changed.connect(self._on_breakpoints_changed)
        self.session.cursor_changed.connect(self._on_cursor_changed)
        diagram = window.diagram
        diagram.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        diagram.customContextMenuRequested.connect(self._on_context_menu)
        self._on_breakpoints_changed()
        window.installEventFilter(self)

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
        self.breakpoints.changed.disconnect(self._on_breakpoints_changed)
        self.session.cursor_changed.disconnect(self._on_cursor_changed)
        for panel in (
            self.breakpoints_panel,
            self.watches_panel,
            self.interventions_panel,
            self.compare_panel,
        ):
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

    def _on_breakpoints_changed(self) -> None:
        steps = self.breakpoints.hit_steps()
        for plot in self.plots:
            plot.mark_hits(steps)
        self._hit_set = frozenset(int(t) for t in steps)

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        controller = self.window.controller
        if controller.playing and phase == 0 and t in self._hit_set:
            controller.pause()
            self.last_hit = self.breakpoints.find_at(t)
            text = self.last_hit.describe() if self.last_hit else f"t={t}"
            message = f"Stopped at a breakpoint: {text}"
            self.breakpoints_panel.show_hit(message)
            self.window.statusBar().showMessage(message)

    # -- the diagram's context menu -----------------------------------------------------------
    def clamp_menu(self, scene_point: QPointF) -> QMenu | None:
        """The clamps offered for the strip cell at ``scene_point`` (None: not a cell of a
        clampable strip)."""
        session = self.session
        if session.network.kind == "gru":
            return self._no_clamp_menu(scene_point, "Clamps on a GRU are not supported yet")
        if not session.network.is_plain:  # the engine refuses clamps on these
            variant = session.network.variants()[0]
            return self._no_clamp_menu(scene_point, f"Clamps are not supported yet ({variant})")
        strips = LSTM_STRIPS if session.network.kind == "lstm" else RNN_STRIPS
        for field, quantity in strips.items():
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
            values = (0.0, 1.0) if quantity in ("i", "f", "o") else (0.0,)
            for value in values:
                verb = "Ablate" if value == 0.0 and quantity in ("h", "c", "a", "g") else "Clamp"
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
        """A GRU's or a variant LSTM's strips: a menu that says clamps cannot act on it yet
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
