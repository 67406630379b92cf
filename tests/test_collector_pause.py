"""The window's start runs with the garbage collector paused (lstm_sim.collector_pause):
the command pauses it before it imports the window, and turns it back on, having frozen
what the start made, once the views after the first frame are built; a screenshot, which
ends sooner, turns it back on and freezes nothing. Nobody else's paused collector is
turned on."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lstm_sim.collector_pause import pause_collection, resume_collection


@pytest.fixture
def collector_restored() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.enable()


def test_a_pause_is_undone_and_freezes_only_when_asked(collector_restored: None) -> None:
    frozen = gc.get_freeze_count()
    pause_collection()
    assert not gc.isenabled()
    resume_collection()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    pause_collection()
    resume_collection(freeze=True)
    assert gc.isenabled() and gc.get_freeze_count() > frozen


def test_a_collector_someone_else_paused_stays_paused(collector_restored: None) -> None:
    gc.disable()
    pause_collection()
    resume_collection(freeze=True)
    assert not gc.isenabled() and gc.get_freeze_count() == 0


def test_a_screenshot_turns_the_collector_back_on(tmp_path: Path) -> None:
    from lstm_sim.cli import main

    frozen = gc.get_freeze_count()
    assert main(["--screenshot", str(tmp_path / "w.png"), "--size", "400x300"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


WINDOW = """
import gc, json
from PySide6.QtCore import QTimer
from lstm_sim.gui.app import create_application
from lstm_sim.gui.deferred_views import DeferredViews

app = create_application()
seen = {}
build = DeferredViews.build


def watched_build(self):
    seen["paused until the views are built"] = not gc.isenabled()
    build(self)
    seen["on once they are"] = gc.isenabled()
    seen["start frozen"] = gc.get_freeze_count() > 10000
    QTimer.singleShot(0, app.quit)


DeferredViews.build = watched_build
from lstm_sim.cli import main

status = main([])
print(json.dumps({**seen, "status": status, "on after": gc.isenabled()}))
"""


def test_the_window_starts_paused_and_resumes_after_its_views(tmp_path: Path) -> None:
    # The window remembers its layout: in a settings folder of the test's own.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", WINDOW], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen == {
        "paused until the views are built": True,
        "on once they are": True,
        "start frozen": True,
        "status": 0,
        "on after": True,
    }


NEVER_PAINTED = """
import gc, json
from PySide6.QtCore import QTimer
from lstm_sim.gui import app as app_module
from lstm_sim.gui.deferred_views import DeferredViews

app = app_module.create_application()
seen = {}
DeferredViews.build = lambda self: None  # as if the window were never painted


def look() -> None:
    seen["on without a paint"] = gc.isenabled()
    app.quit()


QTimer.singleShot(app_module.COLLECTOR_DEADLINE_MS + 500, look)
from lstm_sim.cli import main

status = main([])
print(json.dumps({**seen, "status": status}))
"""


def test_the_collector_comes_back_on_even_if_the_window_never_paints(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", NEVER_PAINTED], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"on without a paint": True, "status": 0}
