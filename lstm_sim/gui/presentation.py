"""Presentation mode: the cell and its equation fill the screen for a lecture room.

Menus, toolbars, the status bar and the docks go (one plot dock may stay, chosen in
View ▸ Presentation strip); the cell is drawn in the theme's high-contrast palette with
text sized for a projector; the plots reveal only the steps taken; a presenter's clicker
steps (PageDown / PageUp, and Space, which outside presentation mode plays); ``B`` or
``.`` blanks the screen; the mouse pointer shows as a ring while it moves. Esc leaves
and puts everything back as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QActionGroup, QColor, QCursor, QKeySequence, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow

PROJECTOR_TEXT_PX_AT_1080 = 28.0
"""The smallest label or number of the cell on a 1080-pixel-high screen; scaled with the
screen's height."""
RING_RADIUS_PX = 28
RING_IDLE_MS = 1200
"""The ring fades this long after the pointer stops."""
POINTER_POLL_MS = 30
STRIPS = ("states", "gates")
"""The docks that may stay beside the cell in presentation mode."""


class PresenterOverlay(QWidget):
    """Over the whole window, never taking a click: a blank screen, or a ring around
    the mouse pointer."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.window_ = parent
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.blank_color: QColor | None = None
        self.ring_at: QPoint | None = None
        self.ring_color = QColor("#ffa94d")
        self.hide()

    def refresh(self) -> None:
        visible = self.blank_color is not None or self.ring_at is not None
        if visible:
            self.setGeometry(self.window_.rect())
            self.raise_()
        self.setVisible(visible)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.blank_color is not None:
            painter.fillRect(self.rect(), self.blank_color)
            return
        if self.ring_at is not None:
            glow = QColor(self.ring_color)
            glow.setAlphaF(0.25)
            painter.setBrush(glow)
            painter.setPen(QPen(self.ring_color, 5))
            painter.drawEllipse(QPointF(self.ring_at), RING_RADIUS_PX, RING_RADIUS_PX)


@dataclass
class _Saved:
    """What presentation mode changed, to put back when it ends."""

    menu_bar: bool
    status_bar: bool
    toolbars: list[QWidget]
    docks: list[QWidget]
    window_state: Qt.WindowState
    no_spoilers: bool
    play_keys: list[QKeySequence]


class Presentation(QObject):
    """Presentation mode of one window: :meth:`enter`, :meth:`leave`, and the clicker's
    :meth:`forward`, :meth:`back` and :meth:`blank`."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self.strip: str | None = None
        """The plot dock kept beside the cell (``states`` or ``gates``), or None."""
        self.overlay = PresenterOverlay(window)
        self._saved: _Saved | None = None
        self._last_pointer = QPoint()
        self._idle_ms = RING_IDLE_MS
        self._pointer_timer = QTimer(self)
        self._pointer_timer.setObjectName("pointer ring")
        self._pointer_timer.setInterval(POINTER_POLL_MS)
        self._pointer_timer.timeout.connect(self._follow_pointer)
        window.installEventFilter(self)

    # -- entering and leaving ------------------------------------------------------------
    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def enter(self, *, full_screen: bool = True) -> None:
        """Hide everything but the cell, the equation (and the chosen strip); with
        ``full_screen`` False the window keeps its size (a screenshot off screen)."""
        if self.active:
            return
        window = self.window
        play = window.action("play")
        self._saved = _Saved(
            menu_bar=window.menuBar().isVisible(),
            status_bar=window.statusBar().isVisible(),
            toolbars=[bar for bar in window.toolbars() if bar.isVisible()],
            docks=[dock for dock in self._docks() if dock.isVisible()],
            window_state=window.windowState(),
            no_spoilers=window.state.view.no_spoilers,
            play_keys=list(play.shortcuts()),
        )
        self.active = True
        window.controller.pause()
        # The clicker's Space steps here; it would start playback otherwise.
        play.setShortcuts([])
        forward = window.action("clicker_next")
        forward.setShortcuts([*forward.shortcuts(), QKeySequence("Space")])
        window.menuBar().hide()
        window.statusBar().hide()
        for bar in window.toolbars():
            bar.hide()
        self._show_strip_only()
        window.state.view.no_spoilers = True
        window.diagram.set_contrast(True)
        window.set_presenting(True)
        window.action("leave_present").setEnabled(True)
        window.action("present").setChecked(True)
        if full_screen:
            window.showFullScreen()
        self._size_text()
        self._last_pointer = QCursor.pos()
        self._pointer_timer.start()

    def leave(self) -> None:
        """Back to the window as it was before :meth:`enter`."""
        if not self.active or self._saved is None:
            return
        saved, self._saved = self._saved, None
        self.active = False
        window = self.window
        self._pointer_timer.stop()
        self.overlay.blank_color = None
        self.overlay.ring_at = None
        self.overlay.refresh()
        window.action("play").setShortcuts(saved.play_keys)
        forward = window.action("clicker_next")
        forward.setShortcuts([k for k in forward.shortcuts() if k.toString() != "Space"])
        window.menuBar().setVisible(saved.menu_bar)
        window.statusBar().setVisible(saved.status_bar)
        for bar in saved.toolbars:
            bar.show()
        for dock in self._docks():
            dock.setVisible(dock in saved.docks)
        window.state.view.no_spoilers = saved.no_spoilers
        window.diagram.set_contrast(False)
        window.set_presenting(False)
        window.diagram.set_min_text_px(window.diagram_min_text_px())
        window.action("leave_present").setEnabled(False)
        window.action("present").setChecked(False)
        window.setWindowState(saved.window_state)

    def set_strip(self, key: str | None) -> None:
        """Keep the ``key`` plot dock beside the cell in presentation mode (None: none)."""
        if key is not None and key not in STRIPS:
            raise ValueError(f"no presentation strip {key!r}; the strips are {STRIPS}")
        self.strip = key
        if self.active:
            self._show_strip_only()

    def _docks(self) -> list[QDockWidget]:
        # Every dock, the ones other parts of the window add (the debugger's) included.
        return self.window.findChildren(QDockWidget)

    def _show_strip_only(self) -> None:
        strip = self.window.docks.get(self.strip) if self.strip is not None else None
        for dock in self._docks():
            dock.setVisible(dock is strip)

    def fill_strip_menu(self, menu: QMenu) -> None:
        """View ▸ Presentation strip: none, or one plot dock kept beside the cell."""
        group = QActionGroup(menu)
        for key, title in ((None, "None"), ("states", "States over time"), ("gates", "Gates")):
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(key == self.strip)
            action.triggered.connect(lambda _checked=False, key=key: self.set_strip(key))
            group.addAction(action)

    def text_px(self) -> float:
        """The smallest on-screen text size of the cell for the window's height."""
        return PROJECTOR_TEXT_PX_AT_1080 * self.window.height() / 1080.0

    def _size_text(self) -> None:
        # Sized from the window's height, which full screen changes after entering.
        if self.active:
            self.window.set_presenting(True)
            self.window.diagram.set_min_text_px(self.text_px())

    # -- the clicker ---------------------------------------------------------------------
    def forward(self) -> None:
        """The next stop while touring, else the next phase."""
        if self.overlay.blank_color is not None:
            self.blank()
        elif self.window.state.tour.active:
            self.window.tour.next()
        else:
            self.window.controller.next_phase()

    def back(self) -> None:
        if self.overlay.blank_color is not None:
            self.blank()
        elif self.window.state.tour.active:
            self.window.tour.previous()
        else:
            self.window.controller.prev_phase()

    def blank(self) -> None:
        """Blank the screen in the room's colour, or bring the picture back."""
        if self.overlay.blank_color is None:
            self.overlay.blank_color = QColor(self.window.diagram.diagram().theme_colors.background)
            self.overlay.ring_at = None
        else:
            self.overlay.blank_color = None
        self.overlay.refresh()

    @property
    def blanked(self) -> bool:
        return self.overlay.blank_color is not None

    # -- the pointer ring ----------------------------------------------------------------
    def _follow_pointer(self) -> None:
        position = QCursor.pos()
        if position != self._last_pointer:
            self._last_pointer = position
            self._idle_ms = 0
            self.show_ring(self.window.mapFromGlobal(position))
        elif self.overlay.ring_at is not None:
            self._idle_ms += POINTER_POLL_MS
            if self._idle_ms >= RING_IDLE_MS:
                self.show_ring(None)

    def show_ring(self, at: QPoint | None) -> None:
        """A ring around ``at`` (window coordinates), or none."""
        if self.overlay.blank_color is not None:
            return
        self.overlay.ring_color = QColor(self.window.diagram.diagram().theme_colors.highlight)
        self.overlay.ring_at = at
        self.overlay.refresh()

    # -- window events -------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window:
            if event.type() == QEvent.Type.Resize and self.active:
                # After the layout has settled on the new size.
                QTimer.singleShot(0, self, self._size_text)
                self.overlay.refresh()
            elif event.type() == QEvent.Type.Close:
                self.leave()
        return False
