"""Each framework's gate blocks land in the engine's order."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_sim.engine.gate_orders import reorder_blocks, to_engine_order
from lstm_sim.engine.gru import GruParameters
from lstm_sim.engine.lstm_variants import LstmParameters


def labelled(order: str, width: int = 2) -> np.ndarray:
    """Blocks whose rows hold their block's letter code, stacked in ``order``."""
    return np.repeat([float(ord(letter)) for letter in order], width)


def test_onnx_and_keras_gru_blocks_become_r_z_n() -> None:
    for framework in ("onnx", "keras"):
        engine = to_engine_order(labelled("zrn"), "gru", framework)  # type: ignore[arg-type]
        np.testing.assert_array_equal(engine, labelled("rzn"))


def test_onnx_lstm_blocks_and_peepholes_become_i_f_g_o() -> None:
    np.testing.assert_array_equal(
        to_engine_order(labelled("iofg"), "lstm", "onnx"), labelled("ifgo")
    )
    hidden = 2
    w = labelled("iofg")[:, None] * np.ones((1, 3))
    params = LstmParameters.from_onnx(w, w[:, :hidden], None, labelled("iof"))
    np.testing.assert_array_equal(params.weight_ih[:, 0], labelled("ifgo"))
    assert params.peephole is not None
    np.testing.assert_array_equal(params.peephole, labelled("ifo"))


def test_keras_gru_biases_split_by_reset_convention() -> None:
    kernel = labelled("zrn")[None, :] * np.ones((3, 1))  # (D, 3H)
    recurrent = labelled("zrn")[None, :] * np.ones((2, 1))
    after = GruParameters.from_keras(
        kernel, recurrent, np.stack([labelled("zrn"), -labelled("zrn")])
    )
    np.testing.assert_array_equal(after.bias_hh, -labelled("rzn"))
    before = GruParameters.from_keras(kernel, recurrent, labelled("zrn"))
    np.testing.assert_array_equal(before.bias_ih, labelled("rzn"))
    np.testing.assert_array_equal(before.bias_hh, 0)
    np.testing.assert_array_equal(before.weight_ih[:, 0], labelled("rzn"))


def test_blocks_that_do_not_divide_are_refused() -> None:
    with pytest.raises(ValueError, match="not 3 blocks"):
        reorder_blocks(np.zeros(7), ("z", "r", "n"), ("r", "z", "n"))
