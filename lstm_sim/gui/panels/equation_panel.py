"""Under the diagram: the phase's title, its caption to read aloud, and its equation
with the selected unit's numbers."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from lstm_sim.gui.panels.equation_text import caption_html, equation_html, shown_pass_html
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session
from lstm_sim.model.cell_options import cell_options, option_caption
from lstm_sim.model.interventions import was_values
from lstm_sim.model.masked_steps import masked_caption, step_is_masked
from lstm_sim.model.numbering import index_range

TITLE_PT = 20
CAPTION_PT = 15
EQUATION_PT = 15


class WrappedLabel(QLabel):
    """A word-wrapped label that lays its text out once per width.

    The panel's layout asks a wrapped label for its height at several widths on every
    change, and QLabel lays the rich text out anew for each question; a step changed the
    equation's text several times over (about a dozen layouts). Unchanged text is not
    set again at all.
    """

    def __init__(self) -> None:
        super().__init__()
        self._heights: dict[int, int] = {}

    def setText(self, text: str) -> None:
        if text != self.text():
            self._heights.clear()
            super().setText(text)

    def heightForWidth(self, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = super().heightForWidth(width)
        return height

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._heights.clear()
        super().changeEvent(event)


def _label(point_size: int, bold: bool = False) -> WrappedLabel:
    label = WrappedLabel()
    font = QFont()
    font.setPointSize(point_size)
    font.setBold(bold)
    label.setFont(font)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    return label


class EquationPanel(QWidget):
    """Follows the session's cursor, layer and unit; shows, never computes."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.title = _label(TITLE_PT, bold=True)
        self.caption = _label(CAPTION_PT)
        self.equation = _label(EQUATION_PT)
        # Under clamps: what the selected unit's quantities were in the run without them.
        self.was = _label(CAPTION_PT)
        for label in (self.caption, self.equation):
            label.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.setSpacing(6)
        for label in (self.title, self.caption, self.equation, self.was):
            layout.addWidget(label)
        layout.addStretch(1)
        self._unsubscribe = subscribe(self, session)
        self.refresh()

    def detach(self) -> None:
        self._unsubscribe()

    def set_point_scale(self, factor: float, *, captioned: bool = True) -> None:
        """Every line ``factor`` times its normal size (presentation mode); without
        ``captioned`` the phase's explanation is left out (the lecturer says it)."""
        self.caption.setVisible(captioned)
        sizes = ((self.title, TITLE_PT), (self.caption, CAPTION_PT), (self.equation, EQUATION_PT))
        for label, points in sizes:
            font = label.font()
            font.setPointSize(round(points * factor))
            label.setFont(font)

    def refresh(self) -> None:
        session = self.session
        phase = session.phases[session.phase]
        layers = index_range(session.network.num_layers)
        layer = f" · layer {session.layer} {layers}" if session.network.num_layers > 1 else ""
        masked_suffix = " · masked step" if step_is_masked(session.trace, session.t) else ""
        self.title.setText(
            f"t = {session.t} · {phase.title} ({session.phase + 1}/{len(session.phases)})"
            f"{layer}{masked_suffix}"
        )
        options = option_caption(cell_options(session.shown_network, session.layer), phase.key)
        text = f"{phase.caption} {options}".strip()
        masked_text = masked_caption(
            session.network, session.trace, session.layer, session.shown_pass, session.t
        )
        if masked_text:
            # The phase's own sentence would describe gates this step does not compute.
            text = masked_text
        caption = caption_html(text)
        self.caption.setText(shown_pass_html(session, caption))
        self.equation.setText(equation_html(session))
        changed = was_values(session)
        # Only what differs at the shown precision; the rest is counted, not hidden.
        shown = [(n, now, was) for n, now, was in changed if f"{now:.3f}" != f"{was:.3f}"]
        slight = len(changed) - len(shown)
        text = ""
        if changed:
            parts = [f"{name} {was:.3f} (now {now:.3f})" for name, now, was in shown]
            if slight:
                parts.append(f"{slight} more differ by less than 0.001")
            text = f"Without the clamps, unit {session.unit} was: " + " · ".join(parts)
        self.was.setVisible(bool(changed))
        self.was.setText(text)

    def _on_network_changed(self) -> None:
        self.refresh()

    def _on_trace_changed(self, start: int) -> None:
        self.refresh()

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self.refresh()

    def _on_layer_changed(self, layer: int) -> None:
        self.refresh()

    def _on_unit_changed(self, unit: int) -> None:
        self.refresh()
