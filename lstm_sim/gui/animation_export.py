"""Animations and stills of the cell for slides, rendered off screen at any size.

Every frame is a render of the diagram's scene (never a screen grab) at a cursor
position ``(t, phase)`` and a flow progress: from one moment to another the cursor walks
phase by phase, and between two phases the flow animation is sampled ``flow_frames``
times, as the window would play it. The view is the ``cell`` as the window draws it, the
cell as presentation mode draws it (``present``: the high-contrast palette, text sized
for a projector at the frame's height), or the chain of steps ``unrolled`` in time
(which has no flow inside a phase: a frame per phase). Written as an animated GIF or
APNG (Pillow), an MP4 (imageio-ffmpeg, an optional extra), a PNG sequence, or one still
(PNG, SVG or PDF).

Every output goes through a temporary file (or folder) beside the target and is renamed
into place at the end, so a cancelled or failed export leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMarginsF, QRectF, QSize, QSizeF
from PySide6.QtGui import QImage, QPageSize, QPainter, QPdfWriter

from lstm_sim.engine.atomic_write import atomic_path
from lstm_sim.gui.colors import CONTRAST, THEMES
from lstm_sim.gui.diagram import MIN_TEXT_PX, frame_at, keep_text_readable, scene_for
from lstm_sim.gui.diagram.scene import DiagramScene
from lstm_sim.gui.diagram.unrolled import UnrolledScene
from lstm_sim.gui.presentation import PROJECTOR_TEXT_PX_AT_1080
from lstm_sim.model import Session

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

ANIMATIONS = (".gif", ".apng", ".mp4")
STILLS = (".png", ".svg", ".pdf")
VIEWS = ("cell", "present", "unrolled")
FLOW_FRAMES = 5
"""Frames sampled inside each phase's flow, beside the one at its end."""
RENDER_HINTS = (
    QPainter.RenderHint.Antialiasing
    | QPainter.RenderHint.TextAntialiasing
    | QPainter.RenderHint.SmoothPixmapTransform
)

Progress = Callable[[int, int], bool]
"""(frames done, frames in all) -> False to cancel."""


class ExportError(ValueError):
    """An export that cannot be made as asked; nothing was written."""


class ExportCancelled(Exception):
    """The user cancelled; nothing was written."""


@dataclass(frozen=True)
class Moment:
    """A cursor position and how far its phase's flow has run."""

    t: int
    phase: int
    progress: float = 1.0


def parse_moment(text: str, session: Session) -> tuple[int, int]:
    """``T`` or ``T:PHASE`` (a phase number from 0, or its key such as ``forget``) as a
    cursor; ``T`` alone means the step's last phase, the whole step shown."""
    keys = [phase.key for phase in session.phases]
    step_text, _, phase_text = text.partition(":")
    try:
        t = int(step_text)
    except ValueError:
        raise ExportError(f"'{text}': expected T or T:PHASE, such as 3 or 3:forget") from None
    if not 0 <= t < session.num_steps:
        raise ExportError(f"'{text}': step {t} is outside 0..{session.num_steps - 1}")
    if not phase_text:
        return t, len(keys) - 1
    if phase_text in keys:
        return t, keys.index(phase_text)
    if phase_text.isdigit() and int(phase_text) < len(keys):
        return t, int(phase_text)
    raise ExportError(
        f"'{text}': no phase {phase_text!r}; the phases are 0..{len(keys) - 1} ({', '.join(keys)})"
    )


def moments(
    phase_count: int, start: tuple[int, int], stop: tuple[int, int], flow_frames: int
) -> list[Moment]:
    """Every frame from ``start`` to ``stop`` (inclusive): each cursor position at the end
    of its flow, and before each but the first, ``flow_frames`` frames of the flow into it."""
    first = start[0] * phase_count + start[1]
    last = stop[0] * phase_count + stop[1]
    if last < first:
        raise ExportError("the export ends before it starts: --to must not come before --from")
    frames = []
    for position in range(first, last + 1):
        t, phase = divmod(position, phase_count)
        if position > first:
            for k in range(1, flow_frames + 1):
                frames.append(Moment(t, phase, k / (flow_frames + 1)))
        frames.append(Moment(t, phase))
    return frames


class FrameRenderer:
    """The session's ``view`` (see :data:`VIEWS`) drawn into images of one size, one
    moment at a time."""

    def __init__(
        self, session: Session, size: tuple[int, int], theme: str = "light", view: str = "cell"
    ) -> None:
        if theme not in THEMES:
            raise ExportError(f"no theme {theme!r}; the themes are {', '.join(THEMES)}")
        if view not in VIEWS:
            raise ExportError(f"no view {view!r}; the views are {', '.join(VIEWS)}")
        self.session = session
        self.view = view
        self.size = QSize(*size)
        self.palette = THEMES[CONTRAST[theme] if view == "present" else theme]
        self.window_start = max(0, min(session.unit, session.network.hidden_size - 1))
        self.scene: DiagramScene | UnrolledScene
        if view == "unrolled":
            self.scene = UnrolledScene(session.network.kind, session.network.hidden_size)
            self.window_start -= self.window_start % self.scene.units
            # The chain follows a cursor of its own: the session on screen stays put.
            self._cursor = Session(
                session.network,
                session.inputs(),
                h0=session.trace.h_all[:, 0].copy(),
                c0=None if session.trace.c_all is None else session.trace.c_all[:, 0].copy(),
            )
            self._cursor.set_clamps(session.clamps)
            self._cursor.select_layer(session.layer)
            self._cursor.select_unit(session.unit)
        else:
            self.scene = scene_for(session)
            self.window_start -= self.window_start % self.scene.window_size()
            # A small animation for a slide keeps its labels readable, as the window does;
            # a presentation's as large as presentation mode makes them at this height.
            rect = self.scene.sceneRect()
            scale = min(self.size.width() / rect.width(), self.size.height() / rect.height())
            wanted = MIN_TEXT_PX
            if view == "present":
                projector = PROJECTOR_TEXT_PX_AT_1080 * self.size.height() / 1080.0
                wanted = max(wanted, projector)
            keep_text_readable(self.scene, scale, wanted)
        self.scene.set_palette(self.palette)

    def _show(self, moment: Moment) -> None:
        if isinstance(self.scene, UnrolledScene):
            self._cursor.seek(moment.t, moment.phase)
            self.scene.show(self._cursor, self.window_start)
        else:
            self.scene.show_frame(
                frame_at(self.session, moment.t, moment.phase, moment.progress, self.window_start)
            )

    def _paint(self, painter: QPainter, target: QRectF) -> None:
        if isinstance(self.scene, UnrolledScene):
            self.scene.render(painter, target, self.scene.sceneRect())
        else:
            self.scene.render_vector(painter, target, self.scene.sceneRect())

    def _target(self, width: float, height: float) -> QRectF:
        """Where the scene goes in a width x height page: as large as fits, centred."""
        source = self.scene.sceneRect()
        scale = min(width / source.width(), height / source.height())
        w, h = source.width() * scale, source.height() * scale
        return QRectF((width - w) / 2, (height - h) / 2, w, h)

    def render(self, moment: Moment) -> QImage:
        self._show(moment)
        image = QImage(self.size, QImage.Format.Format_ARGB32)
        image.fill(self.palette.background)
        painter = QPainter(image)
        painter.setRenderHints(RENDER_HINTS)
        self._paint(painter, self._target(self.size.width(), self.size.height()))
        painter.end()
        return image

    def write_vector(self, moment: Moment, path: Path, kind: str) -> None:
        """One still as ``kind`` ".svg" or ".pdf" written to ``path``: shapes and text,
        sharp at any zoom."""
        self._show(moment)
        width, height = self.size.width(), self.size.height()
        if kind == ".svg":
            from PySide6.QtSvg import QSvgGenerator  # only a vector export needs it

            svg = QSvgGenerator()
            svg.setFileName(str(path))
            svg.setSize(self.size)
            svg.setViewBox(QRectF(0, 0, width, height))
            svg.setTitle("lstm-sim cell diagram")
            device: QSvgGenerator | QPdfWriter = svg
        else:
            pdf = QPdfWriter(str(path))
            pdf.setPageSize(QPageSize(QSizeF(width, height), QPageSize.Unit.Point))
            pdf.setPageMargins(QMarginsF(0, 0, 0, 0))
            pdf.setResolution(72)
            pdf.setTitle("lstm-sim cell diagram")
            device = pdf
        painter = QPainter(device)
        painter.setRenderHints(RENDER_HINTS)
        painter.fillRect(QRectF(0, 0, width, height), self.palette.background)
        self._paint(painter, self._target(width, height))
        if not painter.end():
            raise OSError(f"could not write {path}")


def _frames(
    renderer: FrameRenderer, frames: list[Moment], progress: Progress | None
) -> Iterator[QImage]:
    for done, moment in enumerate(frames):
        if progress is not None and not progress(done, len(frames)):
            raise ExportCancelled
        yield renderer.render(moment)
    if progress is not None:
        progress(len(frames), len(frames))


def _pil_image(image: QImage) -> PILImage:
    from PIL import Image

    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    data = bytes(rgba.constBits())[: rgba.sizeInBytes()]
    return Image.frombuffer("RGBA", (rgba.width(), rgba.height()), data, "raw", "RGBA", 0, 1)


def _save_png(image: QImage, path: Path) -> None:
    # PySide6's stubs type the format as bytes, while only a str is accepted at run time.
    if not image.save(str(path), "PNG"):  # type: ignore[call-overload]
        raise OSError(f"could not write {path}")


def _pillow() -> None:
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise ExportError(
            "animated GIF and APNG need Pillow: pip install 'lstm-sim[export]'"
        ) from None


def export(
    session: Session,
    start: tuple[int, int],
    stop: tuple[int, int],
    out: str | os.PathLike[str],
    *,
    size: tuple[int, int] = (1280, 720),
    fps: int = 12,
    theme: str = "light",
    view: str = "cell",
    sequence: bool = False,
    flow_frames: int = FLOW_FRAMES,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the ``view`` (see :data:`VIEWS`) from ``start`` to ``stop`` to ``out``;
    returns the files written.

    An animation (.gif, .apng, .mp4) holds every frame; a .png with ``sequence`` becomes
    OUT_0001.png, OUT_0002.png, ...; a .png, .svg or .pdf otherwise is one still of
    ``stop``. ``progress`` is called before each frame and can cancel (ExportCancelled).
    """
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in ANIMATIONS + STILLS:
        raise ExportError(
            f"{path.name}: expected an output ending in {', '.join(ANIMATIONS + STILLS)}"
        )
    if sequence and suffix != ".png":
        raise ExportError("a frame sequence is written as .png files: name OUT.png")
    if not 1 <= fps <= 60:
        raise ExportError(f"fps must be between 1 and 60, got {fps}")
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
        raise ExportError(f"{path.parent}: not a folder lstm-sim can write into")
    renderer = FrameRenderer(session, size, theme, view)
    if view == "unrolled":
        flow_frames = 0  # the chain has no flow inside a phase: each would repeat the last
    if suffix in STILLS and not sequence:
        if progress is not None and not progress(0, 1):
            raise ExportCancelled
        with atomic_path(path) as temporary:
            if suffix == ".png":
                _save_png(renderer.render(Moment(*stop)), temporary)
            else:
                renderer.write_vector(Moment(*stop), temporary, suffix)
        return [path]
    frames = moments(len(session.phases), start, stop, flow_frames)
    if sequence:
        return _write_sequence(renderer, frames, path, progress)
    if suffix == ".mp4":
        return [_write_mp4(renderer, frames, path, fps, progress)]
    _pillow()
    images = [_pil_image(image) for image in _frames(renderer, frames, progress)]
    with atomic_path(path) as temporary:
        if suffix == ".gif":
            # One palette for the whole animation keeps colours from flickering.
            first = images[0].convert("RGB").quantize(colors=255)
            rest = [image.convert("RGB").quantize(palette=first) for image in images[1:]]
            first.save(
                temporary,
                "GIF",
                save_all=True,
                append_images=rest,
                loop=0,
                duration=round(1000 / fps),
                disposal=1,
            )
        else:
            images[0].save(
                temporary,
                "PNG",
                save_all=True,
                append_images=images[1:],
                duration=round(1000 / fps),
                loop=0,
            )
    return [path]


def _write_sequence(
    renderer: FrameRenderer, frames: list[Moment], path: Path, progress: Progress | None
) -> list[Path]:
    """OUT_0001.png ...: rendered into a hidden folder beside them, moved in at the end."""
    folder = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=path.parent))
    try:
        names = []
        for number, image in enumerate(_frames(renderer, frames, progress), start=1):
            name = f"{path.stem}_{number:04d}.png"
            _save_png(image, folder / name)
            names.append(name)
        written = []
        for name in names:
            os.replace(folder / name, path.parent / name)
            written.append(path.parent / name)
        return written
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_mp4(
    renderer: FrameRenderer, frames: list[Moment], path: Path, fps: int, progress: Progress | None
) -> Path:
    try:
        import imageio_ffmpeg  # type: ignore[import-not-found]
    except ImportError:
        raise ExportError(
            "MP4 export needs imageio-ffmpeg: pip install 'lstm-sim[video]' "
            "(or export a .gif or .apng, which need only Pillow)"
        ) from None
    width, height = renderer.size.width(), renderer.size.height()
    if width % 2 or height % 2:
        raise ExportError(f"an MP4 needs an even width and height, got {width}x{height}")
    with atomic_path(path) as temporary:
        writer = imageio_ffmpeg.write_frames(
            str(temporary),
            (width, height),
            fps=fps,
            pix_fmt_in="rgb24",
            quality=8,
            output_params=["-f", "mp4"],
        )
        writer.send(None)
        try:
            for image in _frames(renderer, frames, progress):
                rgb = image.convertToFormat(QImage.Format.Format_RGB888)
                rows = bytes(rgb.constBits())
                line = rgb.bytesPerLine()
                writer.send(b"".join(rows[y * line : y * line + width * 3] for y in range(height)))
        finally:
            writer.close()
    return path
