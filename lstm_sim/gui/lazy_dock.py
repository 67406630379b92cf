"""A dock whose view may be built later: until it is filled it holds an empty
placeholder, so the window's layout, its tabs and View ▸ Panels are complete from the
first frame while views the first frame does not show wait for it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDockWidget, QWidget


class LazyDock(QDockWidget):
    """A movable, closable, floatable dock; ``name`` (its object name) defaults to the
    title. ``widget`` fills it at once; ``build`` makes its view the first time the dock
    is shown (a tab brought to the front, View ▸ Panels) or :meth:`build` is called;
    without either, :meth:`fill` puts a view in."""

    def __init__(
        self,
        title: str,
        parent: QWidget,
        name: str = "",
        widget: QWidget | None = None,
        build: Callable[[], QWidget] | None = None,
    ) -> None:
        super().__init__(title, parent)
        self.setObjectName(name or title)
        self.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.filled = widget is not None
        self.setWidget(widget if widget is not None else QWidget())
        self._build = build
        if build is not None:
            self.visibilityChanged.connect(self._on_visibility_changed)

    def fill(self, widget: QWidget) -> None:
        """Put ``widget`` in place of the placeholder."""
        placeholder = self.widget()
        self.setWidget(widget)
        self.filled = True
        if placeholder is not None and placeholder is not widget:
            placeholder.deleteLater()

    def build(self) -> None:
        """Fill the dock from its ``build`` now, unless it is filled already."""
        if not self.filled and self._build is not None:
            self.fill(self._build())

    def _on_visibility_changed(self, visible: bool) -> None:
        if visible:
            self.build()
