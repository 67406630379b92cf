"""What the model's readout predicts at the cursor, as
:func:`lstm_sim.model.predictions.describe_predictions` classifies the head: the five most
probable next tokens (a language model), the five most probable classes (a classifier
without a vocabulary), or every output over time (a linear readout), with a target only
when targets were given or the model declares itself a next-step predictor.

Everything shown is read from the trace (``logits``, ``probs``); ranking probabilities
(and, for a linear language-model readout, the softmax of its logits) is the only work
done here.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from lstm_sim.engine.cells import softmax
from lstm_sim.gui.colors import THEMES, Palette, value_color
from lstm_sim.gui.panels.token_text import display_token
from lstm_sim.gui.plots.frame_pacer import FramePacer
from lstm_sim.gui.plots.readable_axis import ReadableAxis
from lstm_sim.gui.session_link import subscribe
from lstm_sim.model import Session
from lstm_sim.model.both_passes import runs_both_ways
from lstm_sim.model.predictions import NEXT_INPUT, PredictionsDescription, describe_predictions

TOP_K = 5
MAX_CURVES = 8
ROW_PT = 15
HEADING_PT = 13
BAR_HEIGHT_PX = 26
NEXT_MARK = "◀ comes next"


class ProbabilityBar(QWidget):
    """A horizontal bar filled to ``value`` (0..1), coloured on the gate scale so a
    probability and a gate of the same size look alike."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.value = 0.0
        self.marked = False
        self.palette_: Palette = THEMES["light"]
        self.setMinimumSize(120, BAR_HEIGHT_PX)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_value(self, value: float, marked: bool) -> None:
        self.value, self.marked = float(value), marked
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5)
        painter.setPen(QPen(self.palette_.empty, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(frame)
        filled = QRectF(frame)
        filled.setWidth(frame.width() * min(max(self.value, 0.0), 1.0))
        painter.fillRect(filled, value_color(self.value, "gate", self.palette_.name))
        if self.marked:
            painter.setPen(QPen(self.palette_.highlight, 3))
            painter.drawRect(frame)
        painter.end()


class PredictionsPanel(QWidget):
    """Follows the cursor; a model without a readout gets a sentence saying so."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.palette_: Palette = THEMES["light"]
        self.targets: np.ndarray | None = None
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        font = QFont()
        font.setPointSize(HEADING_PT)
        self.heading.setFont(font)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_top_k())
        self.pages.addWidget(self._build_regression())
        self.none_label = QLabel(
            "This model has no readout: its output is h<sub>t</sub> itself, so there is "
            "nothing to predict here."
        )
        self.none_label.setWordWrap(True)
        self.pages.addWidget(self.none_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.heading)
        layout.addWidget(self.pages, 1)
        self._pacer = FramePacer(self._redraw, self)
        self._curves_stale = True
        self._unsubscribe = subscribe(self, session)
        self.set_theme("light")
        self._pacer.flush()

    def _build_top_k(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 6, 0, 0)
        grid.setHorizontalSpacing(12)
        font = QFont()
        font.setPointSize(ROW_PT)
        self.token_labels: list[QLabel] = []
        self.bars: list[ProbabilityBar] = []
        self.value_labels: list[QLabel] = []
        self.mark_labels: list[QLabel] = []
        for row in range(TOP_K):
            token, value, mark = QLabel(), QLabel(), QLabel()
            for label in (token, value, mark):
                label.setFont(font)
            token.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            bar = ProbabilityBar()
            grid.addWidget(token, row, 0)
            grid.addWidget(bar, row, 1)
            grid.addWidget(value, row, 2)
            grid.addWidget(mark, row, 3)
            self.token_labels.append(token)
            self.bars.append(bar)
            self.value_labels.append(value)
            self.mark_labels.append(mark)
        grid.setColumnStretch(1, 1)
        # The mark's column keeps its width when no row is marked: the dock is as wide
        # from the first frame as a marked row needs, and the bars do not jump.
        bold = QFont(font)
        bold.setBold(True)
        grid.setColumnMinimumWidth(3, QFontMetrics(bold).horizontalAdvance(NEXT_MARK) + 2)
        self.next_label = QLabel()
        self.next_label.setWordWrap(True)
        self.next_label.setTextFormat(Qt.TextFormat.RichText)
        grid.addWidget(self.next_label, TOP_K, 0, 1, 4)
        # Under clamps: the top-k of the run without them, beside the clamped run's.
        self.original_label = QLabel()
        self.original_label.setWordWrap(True)
        self.original_label.setTextFormat(Qt.TextFormat.RichText)
        grid.addWidget(self.original_label, TOP_K + 1, 0, 1, 4)
        grid.setRowStretch(TOP_K + 2, 1)
        return page

    def _build_regression(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        self.value_text = QLabel()
        self.value_text.setTextFormat(Qt.TextFormat.RichText)
        font = QFont()
        font.setPointSize(ROW_PT)
        self.value_text.setFont(font)
        self.plot = pg.PlotWidget(axisItems={"left": ReadableAxis("left")})
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.predicted_curve = self.plot.plot()
        self.more_curves = [self.plot.plot() for _ in range(1, MAX_CURVES)]
        self.target_curve = self.plot.plot()
        for curve in (self.predicted_curve, *self.more_curves, self.target_curve):
            # A long sequence is drawn at screen resolution, each pixel column's lowest
            # and highest value kept (pyqtgraph's own downsampling); the data stay whole.
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        for curve in (self.predicted_curve, *self.more_curves):
            # Solid wide pens: drawn segment by segment, as Qt strokes a jagged path
            # with a wide pen hundreds of times slower (see plots/state_plot.py).
            curve.curve.setSegmentedLineMode("on")
        self.step_line = pg.InfiniteLine(angle=90, movable=False)
        self.plot.addItem(self.step_line, ignoreBounds=True)
        layout.addWidget(self.value_text)
        layout.addWidget(self.plot, 1)
        return page

    def detach(self) -> None:
        self._unsubscribe()
        self._pacer.stop()

    def set_targets(self, targets: np.ndarray | None) -> None:
        """Targets (T, K) to draw beside a linear readout's outputs, or None for none."""
        self.targets = None if targets is None else np.asarray(targets, dtype=float)
        self._curves_stale = True
        self._pacer.mark_dirty()

    # -- what the panel shows ----------------------------------------------------------------
    @property
    def description(self) -> PredictionsDescription:
        """What the head is, and so what this panel shows."""
        return describe_predictions(self.session.network, targets_given=self.targets is not None)

    @property
    def mode(self) -> str:
        """'softmax' (ranked tokens or classes), 'linear' (outputs over time) or 'none':
        which page is shown."""
        kind = self.description.kind
        return {"tokens": "softmax", "classes": "softmax", "values": "linear"}.get(kind, "none")

    def output_names(self) -> list[str]:
        """A label per readout output: the vocabulary's tokens when they line up."""
        network = self.session.network
        size = network.output_size or 0
        vocab = network.vocab
        if vocab is not None and len(vocab) == size:
            return [display_token(token) for token in vocab.tokens]
        return [f"#{k}" for k in range(size)]

    def next_index(self) -> int | None:
        """The readout output of the token that really comes after step t, if known."""
        session = self.session
        if self.description.kind != "tokens":
            return None
        ids = session.trace.token_ids
        if ids is None or session.t + 1 >= len(ids):
            return None
        return int(ids[session.t + 1])

    def probabilities(self, original: bool = False) -> np.ndarray:
        """(V,) at step t: the recorded probabilities, or the softmax of a linear
        readout's logits; of the run without clamps (``original``), when clamps act."""
        t = self.session.t
        if original:
            kept = self.session.original
            assert kept is not None
            probs, logits = kept.readout_at("probs", t), kept.readout_at("logits", t)
        else:
            trace = self.session.trace
            probs = None if trace.probs is None else trace.probs[t]
            logits = None if trace.logits is None else trace.logits[t]
        if probs is not None:
            return probs
        assert logits is not None
        return softmax(logits.copy())

    def top_k(self, original: bool = False) -> list[tuple[int, float]]:
        """(output index, probability) of the TOP_K most probable at step t; of the run
        without clamps (``original``), when clamps act."""
        row = self.probabilities(original)
        order = np.argsort(-row, kind="stable")[:TOP_K]
        return [(int(k), float(row[k])) for k in order]

    # -- drawing -------------------------------------------------------------------------
    @property
    def redraw_pending(self) -> bool:
        return self._pacer.dirty

    def flush(self) -> None:
        self._pacer.flush()

    def _redraw(self) -> None:
        mode = self.mode
        description = self.description
        self.pages.setCurrentIndex({"softmax": 0, "linear": 1, "none": 2}[mode])
        t = self.session.t
        read = self._step_input_text(t)
        if description.target == NEXT_INPUT:
            says = "the readout predicts x<sub>t+1</sub>"
        elif description.kind == "tokens":
            says = "the readout predicts the next token"
        else:
            says = "the head outputs"
        network = self.session.network
        if runs_both_ways(network, network.num_layers - 1):
            says += " from [h<sub>t</sub>→ ‖ h<sub>t</sub>←]"  # both passes' h_t, joined
        self.heading.setText(
            f"{description.title}<br>After step t = {t}{read}, {says}:"
            if mode != "none"
            else f"t = {t}"
        )
        self.none_label.setText(description.title)
        if mode == "softmax":
            self._show_top_k()
        elif mode == "linear":
            self._show_regression()

    def _step_input_text(self, t: int) -> str:
        tokens = self.session.tokens
        if tokens is None:
            return ""
        return f" (read “{display_token(tokens[t])}”)"

    def _show_top_k(self) -> None:
        names = self.output_names()
        actual = self.next_index()
        shown = self.top_k()
        for row in range(TOP_K):
            # A readout with fewer than TOP_K outputs leaves its last rows out.
            for widget in self._row_widgets(row):
                widget.setVisible(row < len(shown))
        for row, (k, p) in enumerate(shown):
            marked = k == actual
            self.token_labels[row].setText(names[k])
            self.value_labels[row].setText(f"{p:.3f}")
            self.mark_labels[row].setText(NEXT_MARK if marked else "")
            self.bars[row].set_value(p, marked)
            weight = QFont.Weight.Bold if marked else QFont.Weight.Normal
            for label in (self.token_labels[row], self.value_labels[row]):
                font = label.font()
                font.setWeight(weight)
                label.setFont(font)
        self._color_marks()
        probs = self.probabilities()
        if self.description.kind == "classes":
            self.next_label.setText("")
        elif actual is None:
            self.next_label.setText("The sequence ends here: nothing comes next.")
        elif actual not in [k for k, _ in shown]:
            rank = int(np.count_nonzero(probs > probs[actual]))
            self.next_label.setText(
                f"Comes next: <b>{names[actual]}</b>, p = {probs[actual]:.3f} (rank {rank + 1})"
            )
        else:
            self.next_label.setText("")
        if self.session.original is None:
            self.original_label.setVisible(False)
        else:
            listed = ", ".join(f"{names[k]} {p:.3f}" for k, p in self.top_k(original=True))
            self.original_label.setText(f"<i>Without the clamps:</i> {listed}")
            self.original_label.setVisible(True)

    def _row_widgets(self, row: int) -> tuple[QWidget, ...]:
        return (
            self.token_labels[row],
            self.bars[row],
            self.value_labels[row],
            self.mark_labels[row],
        )

    def _color_marks(self) -> None:
        color = self.palette_.highlight.name()
        for label in self.mark_labels:
            label.setStyleSheet(f"color: {color}; font-weight: bold;")

    def _target_values(self) -> np.ndarray | None:
        """(T', K) what the outputs are compared with, aligned to steps 0..T'-1, or None."""
        target = self.description.target
        if target == NEXT_INPUT:
            return self.session.trace.x[1:]  # the target at step t is the input at t+1
        if target == "given" and self.targets is not None:
            values = self.targets
            return values[:, None] if values.ndim == 1 else values
        return None

    def _show_regression(self) -> None:
        session = self.session
        logits = session.trace.logits
        assert logits is not None
        t = session.t
        targets = self._target_values()
        if self._curves_stale:
            steps = np.arange(session.num_steps, dtype=float)
            curves = [self.predicted_curve, *self.more_curves]
            # The legend lists only what is drawn: no entry for an absent target.
            self.legend.clear()
            for k, curve in enumerate(curves):
                if k < logits.shape[1]:
                    curve.setData(steps, logits[:, k])
                    self.legend.addItem(curve, "predicted" if len(logits.T) == 1 else f"output {k}")
                else:
                    curve.setData([], [])
            if targets is not None:
                self.target_curve.setData(steps[: len(targets)], targets[:, 0])
                what = "next input" if self.description.target == NEXT_INPUT else "given"
                self.legend.addItem(self.target_curve, f"target: {what}")
            else:
                self.target_curve.setData([], [])
            self._curves_stale = False
        self.step_line.setValue(t)
        parts = [f"predicted ŷ<sub>t</sub> = <b>{logits[t, 0]:.4f}</b>"]
        if logits.shape[1] > 1:
            drawn = min(logits.shape[1], MAX_CURVES)
            parts = [
                f"{logits.shape[1]} outputs, first {drawn} drawn; ŷ<sub>t,0</sub> = "
                f"<b>{logits[t, 0]:.4f}</b>"
            ]
        if targets is not None and t < len(targets):
            target = targets[t, 0]
            name = "x<sub>t+1</sub>" if self.description.target == NEXT_INPUT else "y<sub>t</sub>"
            parts.append(f"target {name} = <b>{target:.4f}</b>")
            parts.append(f"error = {logits[t, 0] - target:+.4f}")
        self.value_text.setText(" · ".join(parts))

    def set_theme(self, name: str) -> None:
        self.palette_ = THEMES[name]
        for bar in self.bars:
            bar.palette_ = self.palette_
            bar.update()
        self.plot.setBackground(self.palette_.background)
        self.predicted_curve.setPen(pg.mkPen(self.palette_.highlight, width=3))
        for curve in self.more_curves:
            curve.setPen(pg.mkPen(self.palette_.foreground, width=1))
        self.target_curve.setPen(
            pg.mkPen(QColor(self.palette_.caption), width=2, style=Qt.PenStyle.DashLine)
        )
        self.step_line.setPen(pg.mkPen(self.palette_.foreground, width=1))
        # The legend sits over the curves' top right: an opaque box keeps its names
        # readable where a curve passes behind them.
        backing = QColor(self.palette_.background)
        backing.setAlpha(230)
        self.legend.setBrush(pg.mkBrush(backing))
        self.legend.setPen(pg.mkPen(QColor(self.palette_.caption), width=1))
        self.legend.setLabelTextColor(QColor(self.palette_.foreground))
        self.legend.setZValue(10)
        self._curves_stale = True
        self._pacer.mark_dirty()

    # -- session signals ---------------------------------------------------------------------
    def _on_network_changed(self) -> None:
        self._curves_stale = True
        self._pacer.mark_dirty()

    def _on_trace_changed(self, start: int) -> None:
        self._curves_stale = True
        self._pacer.mark_dirty()

    def _on_cursor_changed(self, t: int, phase: int) -> None:
        self._pacer.mark_dirty()
