"""Running a :class:`Trainer` in a thread of its own, so the window keeps stepping while
the model learns.

The trainer already works on its own copy of the parameters; this thread only iterates
its generator and hands each :class:`Progress` to the GUI thread through a queued signal.
Pausing holds the thread between two reports; stopping asks the trainer to finish the
update in progress and returns.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal

from lstm_sim.model.training import Trainer


class TrainingWorker(QThread):
    """One training run; ``progressed`` carries a training Progress, the last one with
    done=True; ``failed`` a message when the arithmetic broke down."""

    progressed = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        trainer: Trainer,
        parent: QObject | None = None,
        running: threading.Event | None = None,
    ) -> None:
        """``running``: the thread runs while it is set (the training job's; one of its
        own if not given)."""
        super().__init__(parent)
        self.setObjectName("training")
        self.trainer = trainer
        self._running = running if running is not None else threading.Event()
        if running is None:
            self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        """Hold the thread at its next report (at most ``report_every`` seconds away)."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        """Finish after the update in progress; a paused run is woken to finish."""
        self.trainer.stop()
        self._running.set()

    def run(self) -> None:
        try:
            for progress in self.trainer.run():
                self.progressed.emit(progress)
                if progress.done:
                    return
                self._running.wait()
        except (ValueError, FloatingPointError, MemoryError) as err:
            self.failed.emit(str(err))
