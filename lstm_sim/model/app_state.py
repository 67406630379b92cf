"""Everything a window shows, Qt-free: the session and the state around it. A window is
built from one :class:`AppState`; its views subscribe to these objects and send them
intents, and a GUI test can assert on them before it looks at a pixel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lstm_sim.model.breakpoints import Breakpoints
from lstm_sim.model.guide import Guide
from lstm_sim.model.interventions import Interventions
from lstm_sim.model.opening import Opener
from lstm_sim.model.session import Session
from lstm_sim.model.tour_state import TourState
from lstm_sim.model.view_settings import ViewSettings
from lstm_sim.model.watches import Watches

if TYPE_CHECKING:
    from lstm_sim.model.training_job import TrainingJob


class AppState:
    """The session, how it is shown (``view``), what to watch in it (``guide``), what
    is open and how (``opener``, the one way to open anything), the training of its
    model (``training``), the debugger's ``breakpoints``, ``watches`` and
    ``interventions``, and where the lecture tour is (``tour``)."""

    def __init__(self, session: Session, view: ViewSettings | None = None) -> None:
        self.session = session
        self.view = view or ViewSettings()
        self.guide = Guide(session)
        self.opener = Opener(session)
        self._training: TrainingJob | None = None
        self.breakpoints = Breakpoints(session)
        self.watches = Watches(session)
        self.interventions = Interventions(session)
        self.tour = TourState(self.opener)

    @property
    def training(self) -> TrainingJob:
        """The training job, made when first asked for: the training panel is built after
        the window's first frame, and the trainer's modules are not imported before it."""
        if self._training is None:
            from lstm_sim.model.training_job import TrainingJob

            self._training = TrainingJob(self.session)
        return self._training

    def detach(self) -> None:
        """Stop following the session (it outlives this state)."""
        self.guide.detach()
        self.opener.detach()
        if self._training is not None:
            self._training.detach()
        self.tour.detach()
        self.breakpoints.detach()
        self.watches.detach()
