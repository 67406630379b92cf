"""The status bar's tanh/ReLU switch for a PyTorch RNN whose file does not record its
nonlinearity: the reader assumed tanh, and the user says what the model was trained with
here instead of only on the command line (``--nonlinearity``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QStatusBar, QWidget

from lstm_sim.gui.panels.status_part import StatusPart
from lstm_sim.model.opening import Opener, Opening

CHOICES = ("tanh", "relu")


class NonlinearitySwitch(QObject):
    """A label and a combo box in ``bar``, shown while ``opener`` offers a nonlinearity
    choice; picking one calls ``switch`` with its name (which reads the file again)."""

    def __init__(self, opener: Opener, bar: QStatusBar, switch: Callable[[str], object]) -> None:
        super().__init__(bar)
        self.opener = opener
        self.switch = switch
        self.combo = QComboBox()
        self.combo.addItems(CHOICES)
        self.combo.setAccessibleName("RNN nonlinearity")
        self.widget = QWidget()
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        name = StatusPart("RNN nonlinearity")  # set off from the status line's parts
        name.setToolTip("")  # the switch's own tooltip says what it is for
        layout.addWidget(name)
        layout.addWidget(self.combo)
        bar.addPermanentWidget(self.widget)
        self.combo.activated.connect(self._on_activated)
        opener.opened.connect(self._sync)
        opener.session.network_changed.connect(self._sync)
        self._sync()

    def detach(self) -> None:
        self.opener.opened.disconnect(self._sync)
        self.opener.session.network_changed.disconnect(self._sync)

    def _sync(self, _opening: Opening | None = None) -> None:
        choice = self.opener.nonlinearity_choice()
        self.widget.setVisible(choice is not None)
        if choice is None:
            return
        self.combo.setCurrentText(choice)
        chosen = self.opener.current.nonlinearity is not None
        how = "as you chose" if chosen else "assumed: the file does not record it"
        self.widget.setToolTip(
            f"This PyTorch RNN is read with {choice} ({how}). Pick the nonlinearity it was "
            "trained with: the model is read again and every step reruns."
        )

    def _on_activated(self, index: int) -> None:
        name = CHOICES[index]
        if name != self.opener.session.network.nonlinearity:
            self.switch(name)
        self._sync()  # a switch that failed puts the combo back
