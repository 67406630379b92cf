"""Saving a rendered picture (a screenshot, an exported diagram) without ever leaving a
half-written file where the user's previous one was."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImageWriter, QPixmap

from lstm_sim.engine.atomic_write import atomic_path


def save_pixmap(pixmap: QPixmap, path: str | Path) -> None:
    """Write ``pixmap`` to ``path`` in the format its suffix names (PNG when it names none
    Qt can write); OSError naming the path when it cannot be written."""
    suffix = Path(path).suffix.lstrip(".").lower()
    writable = {bytes(f.data()).decode() for f in QImageWriter.supportedImageFormats()}
    image_format = suffix if suffix in writable else "png"
    # The temporary file's name ends in .tmp, so the format is named, not guessed.
    with atomic_path(path) as temporary:
        if not pixmap.save(str(temporary), image_format.upper()):
            raise OSError(f"{path}: could not write a {image_format.upper()} image there")
