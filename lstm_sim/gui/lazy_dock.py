"""A dock whose view may be built later: until :meth:`LazyDock.fill` it holds an empty
placeholder, so the window's layout, its tabs and View ▸ Panels are complete from the
first frame while views the first frame does not show wait for it."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QWidget


class LazyDock(QDockWidget):
    """A movable, closable, floatable dock; ``name`` (its object name) defaults to the
    title; ``widget`` fills it at once."""

    def __init__(
        self, title: str, parent: QWidget, name: str = "", widget: QWidget | None = None
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

    def fill(self, widget: QWidget) -> None:
        """Put ``widget`` in place of the placeholder."""
        placeholder = self.widget()
        self.setWidget(widget)
        self.filled = True
        if placeholder is not None and placeholder is not widget:
            placeholder.deleteLater()
