"""Render the three lecture-demo views to PNG for the README, without a screen:

    python scripts/make_demo_screenshots.py [--out docs] [--size 1600x900]

writes demo-code-reader.png and demo-code-reader-comments.png (the shipped code-reading
model on held-out standard-library code, coloured by its string-literal unit and by its
comment unit), demo-vanishing-gradient.png (the long-lag scenario's trained LSTM beside
its RNN, T at the query) and demo-memory-ledger.png (the built-in demo's gender unit just
after 'Bob'). Every number in them comes from the models lstm-sim ships, so rerunning the
script reproduces them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtWidgets import QApplication, QWidget

from lstm_sim.gui.app import create_application
from lstm_sim.gui.demo_views import (
    install_demo_views,
    open_code_reader,
    open_gradient_comparison,
    open_ledger,
)
from lstm_sim.gui.main_window import MainWindow
from lstm_sim.model import (
    Session,
    code_reader,
    scenario_registry,
)
from lstm_sim.model.demo import DEMO_TITLE, demo_inputs, demo_network

LEDGER_STEP = 9
"""'in', two words after 'Bob': the gender unit's cell is the write made at 'Bob'."""
LEDGER_UNIT = 0
CURSOR_MARKS = {"in_string": '"Unrecognized', "in_comment": "# Include"}
"""Each screenshot's cursor sits a few characters into this string literal or comment of
the default text."""


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


def settle(window: MainWindow) -> None:
    window.diagram.finish_animation()
    QApplication.processEvents()
    window.flush_views()
    window.demo_views.flush()
    QApplication.processEvents()


def memory_ledger(window: MainWindow, path: Path) -> None:
    window.session.load(demo_network(), demo_inputs(), title=DEMO_TITLE)
    open_ledger(window)
    window.session.select_unit(LEDGER_UNIT)
    window.session.seek(LEDGER_STEP)
    settle(window)
    save(window, path)
    window.docks["ledger"].hide()


def code_reading(window: MainWindow, path: Path, pattern: str) -> None:
    network = code_reader.load_code_reader()
    found = code_reader.shipped_units(network)[pattern]
    text = code_reader.DEFAULT_TEXT
    window.session.load(network, list(text), title="Code reader")
    reader = open_code_reader(window)
    window.session.select_layer(found.layer)
    window.session.select_unit(found.unit)
    reader.set_quantity(found.quantity)
    reader.finder.set_pattern(pattern)
    window.session.seek(text.index(CURSOR_MARKS[pattern]) + 6)
    settle(window)
    save(window.docks["code_reader"], path)
    window.docks["code_reader"].hide()


def vanishing_gradient(window: MainWindow, path: Path, name: str = "long-lag") -> None:
    """The comparison window of scenario ``name`` (long-lag: the LSTM and the RNN;
    gru-vs-lstm: the GRU beside them) at its last step."""
    scenario = scenario_registry.get(name)
    kinds = {network.kind: network for network in scenario.load_networks()}
    inputs = scenario.default_input()
    comparison = open_gradient_comparison(
        window, kinds["lstm"], kinds["rnn"], inputs, kinds.get("gru")
    )
    if comparison is None:
        raise ValueError(f"the {name} models cannot share an input")
    comparison.resize(window.size())
    comparison.last()
    QApplication.processEvents()
    comparison.flush()
    save(comparison, path)
    comparison.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--size", default="1600x900", help="window size, WxH")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    app = create_application()
    window = MainWindow(Session(demo_network(), demo_inputs(), title=DEMO_TITLE))
    install_demo_views(window)
    window.resize(width, height)
    window.show()
    QApplication.processEvents()
    try:
        memory_ledger(window, args.out / "demo-memory-ledger.png")
        vanishing_gradient(window, args.out / "demo-vanishing-gradient.png")
        vanishing_gradient(window, args.out / "demo-gru-vs-lstm.png", "gru-vs-lstm")
        code_reading(window, args.out / "demo-code-reader.png", "in_string")
        code_reading(window, args.out / "demo-code-reader-comments.png", "in_comment")
    except (OSError, ValueError, KeyError) as err:
        print(f"make_demo_screenshots: error: {err}", file=sys.stderr)
        return 2
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
