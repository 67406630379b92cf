"""install_demo_views: the Demos menu, its docks and windows, and what happens when the
main window closes."""

from __future__ import annotations

import numpy as np

from lstm_sim.engine import Network
from lstm_sim.engine.vocab import Vocabulary
from lstm_sim.gui.code_reader import CodeReader
from lstm_sim.gui.comparison import ComparisonWindow
from lstm_sim.gui.demo_views import install_demo_views
from lstm_sim.gui.plots.ledger_plot import LedgerPlot
from lstm_sim.model import Session, scenario_registry


def demos_menu(window):
    menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    return next(m for m in menus if m.title().replace("&", "") == "Demos")


def action(menu, text: str):
    return next(a for a in menu.actions() if a.text().startswith(text))


def char_session() -> Session:
    rng = np.random.default_rng(0)
    tokens = tuple("abc \n'#")
    network = Network.random("lstm", len(tokens), 4, rng, vocab=Vocabulary(tokens))
    return Session(network, list("ab 'c'\n#a\n"), title="chars")


def test_install_adds_the_menu_and_the_docks_once(make_window) -> None:
    window = make_window()
    install_demo_views(window)
    install_demo_views(window)
    assert {"code_reader", "ledger"} <= set(window.docks)
    assert isinstance(window.docks["code_reader"].widget(), CodeReader)
    assert isinstance(window.docks["ledger"].widget(), LedgerPlot)
    assert not window.docks["ledger"].isVisible()
    titles = [a.menu().title() for a in window.menuBar().actions() if a.menu() is not None]
    assert titles.count("De&mos") == 1
    # Demos sits just before Help.
    assert titles.index("De&mos") == titles.index("&Help") - 1
    menu = demos_menu(window)
    assert [a.text() for a in menu.actions()] == [
        "Code reader…",
        "Vanishing gradient: RNN beside LSTM…",
        "Vanishing gradient on this model…",
        "Memory ledger",
    ]


def test_menu_opens_each_view(make_window, qtbot) -> None:
    window = make_window(char_session())
    install_demo_views(window)
    menu = demos_menu(window)
    action(menu, "Memory ledger").trigger()
    assert window.docks["ledger"].isVisible()
    action(menu, "Code reader").trigger()
    assert window.docks["code_reader"].isVisible()
    # A character model stays: the reader shows the session's own text.
    assert window.session.title == "chars"
    assert window.demo_views.code_reader.text_view.num_tokens == window.session.num_steps
    action(menu, "Vanishing gradient on this model").trigger()
    comparisons = window.demo_views.comparisons
    assert len(comparisons) == 1
    comparison = comparisons[0]
    assert isinstance(comparison, ComparisonWindow)
    # The window's own LSTM beside a fresh tanh RNN, on the window's own text.
    np.testing.assert_array_equal(
        comparison.lstm_session.network.layers[0].weight_hh,
        window.session.network.layers[0].weight_hh,
    )
    assert comparison.rnn_session.network.kind == "rnn"
    assert comparison.rnn_session.tokens == window.session.tokens
    # The comparison has its own copy: stepping it leaves the main window's cursor alone.
    comparison.last()
    assert comparison.rnn_session.t == window.session.num_steps - 1
    assert window.session.t == 0


def test_dark_theme_reaches_the_demo_views(make_window) -> None:
    window = make_window(char_session())
    install_demo_views(window)
    window.set_theme("dark")
    reader = window.demo_views.code_reader
    assert window.state.view.theme == "dark"
    assert reader.text_view.palette_.name == "dark"
    assert window.demo_views.ledger.palette_.name == "dark"


def test_closing_the_window_closes_the_comparisons(make_window, qtbot) -> None:
    window = make_window(char_session())
    install_demo_views(window)
    action(demos_menu(window), "Vanishing gradient on this model").trigger()
    comparison = window.demo_views.comparisons[0]
    qtbot.waitExposed(comparison)
    window.close()
    assert window.demo_views.comparisons == []
    assert not comparison.isVisible()


class FakeLongLag:
    """Stands in for the long-lag scenario: its networks and input, as the registry's."""

    def __init__(self) -> None:
        rng = np.random.default_rng(4)
        vocab = Vocabulary(("A", "B", "0", "1", "?"))
        self.networks = (
            Network.random("lstm", 5, 3, rng, vocab=vocab),
            Network.random("rnn", 5, 2, rng, vocab=vocab),
        )

    def load_networks(self):
        return self.networks

    def default_input(self):
        return ("A", "0", "1", "0", "?")


def test_the_lecture_pair_comes_from_the_long_lag_scenario(make_window, monkeypatch) -> None:
    fake = FakeLongLag()
    monkeypatch.setattr(scenario_registry, "get", lambda name: fake)
    window = make_window(char_session())
    install_demo_views(window)
    action(demos_menu(window), "Vanishing gradient: RNN beside LSTM").trigger()
    comparison = window.demo_views.comparisons[-1]
    assert comparison.lstm_session.network is fake.networks[0]
    assert comparison.rnn_session.network is fake.networks[1]
    assert comparison.lstm_session.tokens == fake.default_input()


def test_a_gru_is_compared_beside_a_fresh_lstm_and_rnn(make_window, qtbot) -> None:
    rng = np.random.default_rng(3)
    tokens = tuple("abc")
    gru = Network.random("gru", len(tokens), 4, rng, vocab=Vocabulary(tokens))
    window = make_window(Session(gru, list("abcab"), title="gru"))
    install_demo_views(window)
    action(demos_menu(window), "Vanishing gradient on this model").trigger()
    (comparison,) = window.demo_views.comparisons
    assert [n.kind for n in comparison.networks()] == ["lstm", "rnn", "gru"]
    np.testing.assert_array_equal(
        comparison.gru_session.network.layers[0].weight_hh, gru.layers[0].weight_hh
    )
    assert comparison.gru_session.tokens == window.session.tokens
    comparison.close()
