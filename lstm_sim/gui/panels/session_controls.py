"""The toolbar's controls of what is shown: the timeline and step counter, the playback
speed, the layer and the selected unit. Each follows the state and writes only to it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QSpinBox

from lstm_sim.gui.controller import PlaybackController
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model.app_state import AppState
from lstm_sim.model.view_settings import SPEEDS


class SessionControls(QObject):
    """``timeline`` and ``step_label`` for the stepping toolbar; ``speed``, ``layer_box``
    and ``unit_box`` for the view toolbar. Seeking goes through ``controller``, so a
    running flow animation finishes first."""

    def __init__(self, state: AppState, controller: PlaybackController, parent: QObject) -> None:
        super().__init__(parent)
        self.state = state
        self.session = session = state.session
        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrows belong to stepping
        self.timeline.setMinimumWidth(160)
        self.timeline.setToolTip("Time step t: drag to seek")
        self.timeline.valueChanged.connect(controller.seek)
        self.step_label = QLabel()
        self.speed = QComboBox()
        for speed in SPEEDS:
            self.speed.addItem(f"{speed:g}×", speed)
        self.speed.setCurrentIndex(SPEEDS.index(state.view.speed))
        self.speed.setToolTip("Playback speed")
        self.speed.currentIndexChanged.connect(self._on_speed_chosen)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Layer shown (stacked models)")
        self.layer_box.currentIndexChanged.connect(self._on_layer_chosen)
        self.unit_box = QSpinBox()
        self.unit_box.setToolTip("Selected unit: its equation, curve and row are highlighted")
        self.unit_box.setSpecialValueText("none")
        self.unit_box.valueChanged.connect(session.select_unit)
        self._unsubscribe = subscribe(self, session)
        state.view.speed_changed.connect(self._on_speed_changed)
        self._on_network_changed()

    def detach(self) -> None:
        self._unsubscribe()
        self.state.view.speed_changed.disconnect(self._on_speed_changed)

    # -- intents -----------------------------------------------------------------------------
    def _on_speed_chosen(self, _index: int) -> None:
        self.state.view.speed = self.speed.currentData()

    def _on_layer_chosen(self, index: int) -> None:
        if index >= 0:
            self.session.select_layer(index)

    # -- following the state -----------------------------------------------------------------
    def _on_network_changed(self) -> None:
        session, net = self.session, self.session.network
        self.timeline.blockSignals(True)
        self.timeline.setRange(0, session.num_steps - 1)
        self.timeline.blockSignals(False)
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.addItems([f"layer {k}" for k in range(net.num_layers)])
        self.layer_box.setCurrentIndex(session.layer)
        self.layer_box.setEnabled(net.num_layers > 1)
        self.layer_box.blockSignals(False)
        self.unit_box.blockSignals(True)
        self.unit_box.setRange(-1, net.hidden_size - 1)
        self.unit_box.setValue(session.unit)
        self.unit_box.blockSignals(False)
        self._on_cursor_changed(session.t, session.phase)

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self.timeline.blockSignals(True)
        self.timeline.setValue(t)
        self.timeline.blockSignals(False)
        self.step_label.setText(f" {t} / {self.session.num_steps - 1} ")

    def _on_layer_changed(self, layer: int) -> None:
        self.layer_box.blockSignals(True)
        self.layer_box.setCurrentIndex(layer)
        self.layer_box.blockSignals(False)

    def _on_unit_changed(self, unit: int) -> None:
        self.unit_box.blockSignals(True)
        self.unit_box.setValue(unit)
        self.unit_box.blockSignals(False)

    def _on_speed_changed(self, speed: float) -> None:
        self.speed.blockSignals(True)
        self.speed.setCurrentIndex(self.speed.findData(speed))
        self.speed.blockSignals(False)
