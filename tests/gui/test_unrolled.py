"""The unrolled chain: follows the cursor, shows the trace's values (drawn while it is
shown, caught up when it comes to the front), and leaves cells that did not change alone."""

from __future__ import annotations

from lstm_sim.gui.colors import value_colors
from lstm_sim.gui.diagram.unrolled import CENTRE, SLOTS


def test_the_chain_follows_the_cursor(make_window):
    window = make_window()
    window.action("unrolled").trigger()
    assert window.centre_views.currentWidget() is window.unrolled
    session, view = window.session, window.unrolled
    assert view.steps_shown() == [None, None, 0, 1, 2]
    session.seek(3, 0)
    assert view.steps_shown() == [1, 2, 3, 4, 5][:SLOTS]
    session.last()
    assert view.steps_shown()[CENTRE] == session.num_steps - 1
    assert view.steps_shown()[CENTRE + 1] is None


def test_cells_show_the_traces_values_up_to_the_cursor(make_window):
    window = make_window()
    session, chain = window.session, window.unrolled.chain
    # Moved while the chain is behind the cell diagram: it catches up when shown.
    session.seek(2, len(session.phases) - 1)
    window.action("unrolled").trigger()
    palette = chain.palette_.name
    units = chain.units
    for slot, step in ((CENTRE - 1, 1), (CENTRE, 2)):
        h = session.trace.h[0, step, :units]
        assert chain.strip_colors(slot, "h") == value_colors(h, "signed", palette)
    c_before = session.trace.c[0, 1, :units]
    assert chain.strip_colors(CENTRE - 1, "c") == value_colors(c_before, "signed", palette)
    # The next step is not computed yet: empty cells, no spoilers.
    assert chain.strip_colors(CENTRE + 1, "h") == [None] * units
    session.seek(2, 0)  # only the inputs have arrived: the gates are not known yet
    assert chain.strip_colors(CENTRE, "f") == [None] * units


def test_a_step_leaves_unchanged_cells_alone(make_window):
    window = make_window()
    window.action("unrolled").trigger()
    session, chain = window.session, window.unrolled.chain
    session.seek(3, 0)
    before = [cell.shown for cell in chain.cells]
    session.seek(3, 1)  # a phase within the step: only the cursor's cell changes
    after = [cell.shown for cell in chain.cells]
    changed = [k for k in range(SLOTS) if before[k] != after[k]]
    assert changed == [CENTRE]


def test_the_simple_rnn_gets_the_same_chain(make_window):
    from lstm_sim.model import Session
    from lstm_sim.model.scenario_registry import get

    scenario = get("simple-rnn")
    network = scenario.load_networks()[0]
    window = make_window(Session(network, scenario.default_input()))
    window.action("unrolled").trigger()
    chain = window.unrolled.chain
    assert chain.kind == "rnn"
    assert set(chain.cells[CENTRE].strips) == {"pre", "h"}
    window.session.seek(4)
    assert window.unrolled.steps_shown() == [2, 3, 4, 5, 6]
    h = window.session.trace.h[0, 4, : chain.units]
    assert chain.strip_colors(CENTRE, "h") == value_colors(h, "signed", chain.palette_.name)


def test_the_chain_behind_the_cell_diagram_waits_until_shown(make_window):
    window = make_window()
    chain = window.unrolled.chain
    assert not window.unrolled.isVisible()
    assert [cell.shown for cell in chain.cells] == [None] * SLOTS
    window.action("unrolled").trigger()
    assert [cell.shown for cell in chain.cells][CENTRE:] != [None] * (SLOTS - CENTRE)
