"""The PySide6 / pyqtgraph desktop interface, built on the Qt-free session model."""

from lstm_sim.gui.singleton_refcounts import make_singletons_immortal

make_singletons_immortal()
