"""The PySide6 / pyqtgraph desktop interface, built on the Qt-free session model."""
