"""The PySide6 / pyqtgraph desktop interface, built on the Qt-free session model.

The Qt-free layers every window needs are imported here, before any module of this
package imports PySide6: PySide6's import hook reads the source of each module imported
after it (looking for ``from __feature__``), and NumPy, psygnal, the engine and the model
are some two hundred modules the window's start then does not read twice.
"""

import lstm_sim.model.app_state  # noqa: F401  (imported for its side effect, see above)
