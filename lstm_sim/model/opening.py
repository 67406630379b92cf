"""What is open and how it was opened, and the one place that opens anything.

The command line's window start, File ▸ Open, File ▸ New random model, the scenario
picker, drag and drop and the Demos menu all open through :class:`Opener`, so each way of
opening loads, names and selects alike. A load that fails raises ValueError or OSError and
leaves the session as it was; the caller says so where the user looks. A PyTorch file
that holds several recurrent modules raises :class:`ModuleChoiceNeeded`, listing them, so
the caller can offer a choice and open it again with a prefix.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
from psygnal import Signal

from lstm_sim.engine.network import Kind, Network
from lstm_sim.model.demo import DEMO_TITLE, model_from_file, random_model
from lstm_sim.model.input_source import InputSource, read_source
from lstm_sim.model.session import Session

if TYPE_CHECKING:
    from lstm_sim.engine.formats.torch_state_dict import RecurrentModule
    from lstm_sim.model.scenario import ViewHint

OpeningKind = Literal["demo", "file", "scenario", "random", "session"]


@dataclass(frozen=True)
class Opening:
    """How the session's network came to be open.

    kind: "demo" (the built-in demo), "file" (a model file, ``source`` its path),
    "scenario" (``source`` its name), "random" (a freshly initialised network, ``source``
    says which) or "session" (a network handed to the session as it is: a trained model
    applied, a model from Python); title: the session's title; view: a view the scenario
    opens besides the cell; partners: the scenario's other models (the long-lag RNN),
    for that view; inputs: the inputs given instead of the default ones (the last
    loaded, when File ▸ Load inputs… has been used); prefix: the recurrent module picked
    in a PyTorch file; nonlinearity: the one given for a PyTorch RNN (None: what the
    file records, or tanh).
    """

    kind: OpeningKind
    source: str
    title: str
    view: ViewHint | None = None
    partners: tuple[Network, ...] = ()
    inputs: InputSource | None = None
    prefix: str | None = None
    nonlinearity: str | None = None


TANH_ASSUMED = "RNN nonlinearity assumed tanh"
"""How a model's notes start when its reader took tanh for an RNN that does not say."""


class ModuleChoiceNeeded(ValueError):
    """A PyTorch file holds several recurrent modules: ``candidates`` lists them (each
    one's prefix, kind, layers, H and D); open it again with one's prefix."""

    def __init__(self, path: str, candidates: list[RecurrentModule]) -> None:
        listed = "; ".join(c.describe() for c in candidates)
        super().__init__(
            f"{path}: found {len(candidates)} recurrent modules ({listed}); "
            "choose one (--prefix on the command line)"
        )
        self.path = path
        self.candidates = candidates


class Opener:
    """Loads files, scenarios and random models into one session; ``opened`` fires
    with the :class:`Opening` after each successful load."""

    opened = Signal(object)  # the Opening

    def __init__(self, session: Session) -> None:
        self.session = session
        self.current = self._as_found()
        self._network = session.network
        self._loading = False
        session.network_changed.connect(self._on_network_changed)

    def _as_found(self) -> Opening:
        """The opening of a network this opener did not load."""
        kind: OpeningKind = "demo" if self.session.title == DEMO_TITLE else "session"
        return Opening(kind, self.session.network.source, self.session.title)

    def _load(
        self,
        opening: Opening,
        network: Network,
        inputs: np.ndarray | Sequence[str],
        unit: int = 0,
        initial: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
    ) -> Opening:
        self._loading = True
        try:
            self.session.load(network, inputs, opening.title, h0=initial[0], c0=initial[1])
        finally:
            self._loading = False
        self.session.select_unit(unit)
        self.current = opening
        self._network = network
        self.opened.emit(opening)
        return opening

    def open_file(
        self,
        path: str | os.PathLike[str],
        *,
        prefix: str | None = None,
        nonlinearity: str | None = None,
        inputs: InputSource | None = None,
    ) -> Opening:
        """The model in ``path`` (``prefix`` and ``nonlinearity`` as ``lstm-sim trace``
        takes them) on ``inputs``, or its default inputs. A file with several recurrent
        modules and no prefix raises :class:`ModuleChoiceNeeded`; a bad inputs file
        raises InputFileError; either way the session stays as it was."""
        path = os.fspath(path)
        try:
            network, default, title = model_from_file(path, prefix, nonlinearity)
        except ValueError:
            if prefix is None:
                self._check_single_module(path)
            raise
        given = read_source(network, inputs) if inputs is not None else None
        sequence = default if given is None or given.sequence is None else given.sequence
        initial = (None, None) if given is None else (given.h0, given.c0)
        opening = Opening("file", path, title, None, (), inputs, prefix, nonlinearity)
        from lstm_sim.engine.formats.errors import InputFileError

        try:
            return self._load(opening, network, sequence, initial=initial)
        except ValueError as err:
            if inputs is None:
                raise
            raise InputFileError(f"{inputs.describe()}: {err}") from None

    @staticmethod
    def _check_single_module(path: str) -> None:
        """Raise :class:`ModuleChoiceNeeded` when ``path`` holds several recurrent modules."""
        from lstm_sim.engine.formats import recurrent_modules_in

        try:
            candidates = recurrent_modules_in(path)
        except ValueError:
            return  # the reader's own message says what is wrong with the file
        if len(candidates) > 1:
            raise ModuleChoiceNeeded(path, candidates)

    def load_inputs(self, source: InputSource) -> None:
        """Run the open network on the sequence and initial states ``source`` names, as one
        undoable edit of the session; a bad file raises InputFileError and changes nothing."""
        from lstm_sim.engine.formats.errors import InputFileError

        given = read_source(self.session.network, source)
        sequence = self.session.sequence() if given.sequence is None else given.sequence
        try:
            self.session.replace_sequence(sequence, given.h0, given.c0)
        except ValueError as err:
            raise InputFileError(f"{source.describe()}: {err}") from None
        self.current = replace(self.current, inputs=source)

    def nonlinearity_choice(self) -> str | None:
        """The nonlinearity of an open RNN the user may switch ('tanh' or 'relu'): one
        read from a PyTorch file that does not record it; None when there is no choice."""
        current, network = self.current, self.session.network
        if current.kind != "file" or network.kind != "rnn":
            return None
        assumed = any(note.startswith(TANH_ASSUMED) for note in network.notes)
        return network.nonlinearity if assumed or current.nonlinearity else None

    def set_nonlinearity(self, nonlinearity: str) -> Opening:
        """Read the open file again with ``nonlinearity`` and rerun everything on the
        session's sequence and initial state."""
        current = self.current
        if self.nonlinearity_choice() is None:
            raise ValueError("the open model has no nonlinearity to choose")
        network, _default, _title = model_from_file(current.source, current.prefix, nonlinearity)
        opening = replace(current, nonlinearity=nonlinearity)
        session = self.session
        return self._load(
            opening, network, session.sequence(), session.unit, session.initial_state()
        )

    def open_scenario(self, name: str) -> Opening:
        """The lecture scenario ``name``: its shipped model on its opening input, the unit
        its description names selected; a missing or broken model raises ValueError."""
        # A start on a model file or the demo needs no registry: imported when used.
        from lstm_sim.model.scenario_registry import get

        scenario = get(name)
        networks = scenario.load_networks()
        scenario.description()  # the guide reads it: a model without one is refused here
        made = scenario.default_input()
        inputs = list(made) if isinstance(made, tuple) else np.asarray(made)
        unit = scenario.opening_unit(networks[0])
        opening = Opening("scenario", name, scenario.title, scenario.view, networks[1:])
        return self._load(opening, networks[0], inputs, unit)

    def open_random(
        self, kind: Kind, input_size: int, hidden_size: int, num_layers: int, seed: int, steps: int
    ) -> Opening:
        """A freshly initialised network on a seeded input (see :func:`random_model`)."""
        network, inputs = random_model(kind, input_size, hidden_size, num_layers, seed, steps)
        return self._load(Opening("random", network.source, network.source), network, inputs)

    def _on_network_changed(self) -> None:
        # A new sequence for the same network (steps added, inputs loaded) keeps the opening.
        if not self._loading and self.session.network is not self._network:
            self.current = self._as_found()

    def detach(self) -> None:
        self.session.network_changed.disconnect(self._on_network_changed)
