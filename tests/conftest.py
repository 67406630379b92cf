"""Shared test set-up: Qt renders offscreen and PySide6 is the binding, before any Qt import."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
