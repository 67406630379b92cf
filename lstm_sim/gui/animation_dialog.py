"""File ▸ Export animation: the steps, size and speed to write, then the export with a
progress dialog that can cancel (and then leaves no file behind).

The frames are rendered on the GUI thread: each is a QGraphicsScene drawn into an image,
and Qt's text layout is only safe there. The progress dialog is modal and keeps the
window painting between frames; the session cannot change while it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QProgressDialog,
    QSpinBox,
    QWidget,
)

from lstm_sim.model import Session

if TYPE_CHECKING:
    from lstm_sim.gui.main_window import MainWindow

SIZES = ("640x360", "1280x720", "1920x1080", "3840x2160")
VIEWS = (
    ("cell", "The cell"),
    ("present", "The cell as presented (high contrast, large text)"),
    ("unrolled", "Unrolled in time (a frame per phase)"),
)
FILE_FILTER = (
    "Animated GIF (*.gif);;Animated PNG (*.apng);;MP4 video (*.mp4);;PNG still (*.png);;"
    "SVG still (*.svg);;PDF still (*.pdf)"
)


class AnimationSettings(QDialog):
    """From which step to which (the first phase of one to the last of the other), what
    to draw, the frame size and the frames per second."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        last = session.num_steps - 1
        self.first = QSpinBox()
        self.first.setRange(0, last)
        self.first.setValue(session.t)
        self.last = QSpinBox()
        self.last.setRange(0, last)
        self.last.setValue(min(session.t + 1, last))
        self.view_box = QComboBox()
        for key, title in VIEWS:
            self.view_box.addItem(title, key)
        self.size_box = QComboBox()
        self.size_box.addItems(SIZES)
        self.size_box.setCurrentText("1280x720")
        self.fps = QSpinBox()
        self.fps.setRange(1, 60)
        self.fps.setValue(12)
        form = QFormLayout(self)
        form.addRow(f"From step (0 … {last})", self.first)
        form.addRow("To step", self.last)
        form.addRow("View", self.view_box)
        form.addRow("Size (pixels)", self.size_box)
        form.addRow("Frames per second", self.fps)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def view(self) -> str:
        return str(self.view_box.currentData())

    def frame_size(self) -> tuple[int, int]:
        width, height = self.size_box.currentText().split("x")
        return int(width), int(height)


def export_with_progress(
    window: MainWindow,
    path: str,
    first: int,
    last: int,
    size: tuple[int, int],
    fps: int,
    view: str = "cell",
) -> list[Path]:
    """Write steps ``first`` .. ``last`` of ``view`` to ``path`` with a progress dialog;
    [] when cancelled or failed (a failure gets a dialog saying why)."""
    from lstm_sim.gui.animation_export import ExportCancelled, export

    session = window.session
    start, stop = (min(first, last), 0), (max(first, last), len(session.phases) - 1)
    dialog = QProgressDialog("Rendering frames…", "Cancel", 0, 1, window)
    dialog.setWindowTitle("Export animation")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)

    def progress(done: int, total: int) -> bool:
        dialog.setMaximum(total)
        dialog.setValue(done)
        dialog.setLabelText(f"Rendering frame {done + 1} of {total}…")
        QApplication.processEvents()
        return not dialog.wasCanceled()

    try:
        return export(
            session,
            start,
            stop,
            path,
            size=size,
            fps=fps,
            theme=window.state.view.theme,
            view=view,
            progress=progress,
        )
    except ExportCancelled:
        window.statusBar().showMessage("Export cancelled: no file was written.", 5000)
        return []
    except (ValueError, OSError) as err:
        window.show_error("Cannot export the animation", str(err))
        return []
    finally:
        dialog.close()
        dialog.deleteLater()


def export_animation_dialog(window: MainWindow) -> None:
    """File ▸ Export animation: ask where and what, then export."""
    settings = AnimationSettings(window.session, window)
    if settings.exec() != QDialog.DialogCode.Accepted:
        return
    path, _ = QFileDialog.getSaveFileName(window, "Export animation", "cell.gif", FILE_FILTER)
    if not path:
        return
    written = export_with_progress(
        window,
        path,
        settings.first.value(),
        settings.last.value(),
        settings.frame_size(),
        settings.fps.value(),
        settings.view(),
    )
    if written:
        shown = written[0].name if len(written) == 1 else f"{len(written)} files"
        window.statusBar().showMessage(f"Exported {shown}", 5000)
