"""The status bar's permanent lines: what is simulated (title, kind, sizes, source), what
the model's reader assumed, and where the cursor is (step and phase)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStatusBar

from lstm_sim.gui.panels.status_part import StatusPart, YieldingLabel
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session
from lstm_sim.model.both_passes import steps_caption
from lstm_sim.model.masked_steps import step_is_masked
from lstm_sim.model.numbering import index_range
from lstm_sim.model.pass_view import pass_caption
from lstm_sim.model.reader_notes import notes_summary


class StatusLine(QObject):
    """Fills ``bar`` with ``source_label`` (elided: a long title or path never widens the
    window), ``notes_label``, ``position_label`` and ``phase_label`` (each set off by a rule
    and elided when the bar is short of room, see :mod:`.status_part`), and keeps them on
    the session."""

    def __init__(self, session: Session, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.session = session
        # The parts elide rather than run together; what is simulated gives way first.
        self.source_label = YieldingLabel()
        self.position_label = StatusPart()
        self.phase_label = StatusPart()
        self.notes_label = StatusPart()  # what the model's reader assumed; details in its tooltip
        bar.addWidget(self.source_label, 1)
        bar.addPermanentWidget(self.notes_label)
        bar.addPermanentWidget(self.position_label)
        bar.addPermanentWidget(self.phase_label)
        self._unsubscribe = subscribe(self, session)
        self._on_network_changed()

    def detach(self) -> None:
        self._unsubscribe()

    def _on_network_changed(self) -> None:
        net = self.session.network
        title = self.session.title or Path(net.source).name
        self.source_label.setText(
            f"{title}: {net.kind.upper()} · {net.num_layers} layer(s) · H = {net.hidden_size}"
            f" · D = {net.input_size} · {net.source}"
        )
        self.source_label.setToolTip(f"{title}\n{net.source}")
        notes, details = notes_summary(net)
        self.notes_label.setText(notes)
        self.notes_label.setToolTip(details)
        self.notes_label.setVisible(bool(notes))
        self._on_cursor_changed(self.session.t, self.session.phase)

    def _on_layer_changed(self, layer: int) -> None:
        self._on_cursor_changed(self.session.t, self.session.phase)

    def _on_trace_changed(self, start: int) -> None:
        # An edited input may mask or unmask the cursor's step.
        self._on_cursor_changed(self.session.t, self.session.phase)

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        session = self.session
        position = f"t = {t} {index_range(session.num_steps)}"
        if len(session.passes) > 1 or session.shown_pass == "reverse":
            position += f" · {session.shown_pass} pass"
        if len(session.passes) > 1:
            position += f" ({steps_caption(session.num_steps, session.followed, t)})"
        tip = pass_caption(session.shown_pass)
        if step_is_masked(session.trace, t):
            carried = "h, c" if session.network.kind == "lstm" else "h"
            position += f" · masked step: {carried} carried through"
            tip += f"\nstep {t} is masked: every layer skips it (Keras mask value)"
        self.position_label.setText(position)
        self.position_label.setToolTip(tip)
        self.phase_label.setText(
            f"phase {phase + 1}/{len(session.phases)}: {session.phases[phase].title}"
        )
