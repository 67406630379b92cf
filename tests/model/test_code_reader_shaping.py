"""The code reader's shaping losses (scripts/train_code_reader.py): each :class:`Shaping`'s
gap is what its loss sends back to h, checked against finite differences of the loss
itself, and a unit already past a hinge's bounds is left alone."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest


def _script() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "scripts" / "train_code_reader.py"
    spec = importlib.util.spec_from_file_location("train_code_reader", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


script = _script()


def _loss(shaping, h: np.ndarray, labels: np.ndarray) -> float:
    """The auxiliary loss written out from its definition, not from ``gap``."""
    if shaping.pattern == "indent":
        return float(np.sum((h - script.indent_target(labels, shaping.sign)) ** 2))
    leaning = shaping.sign * h
    below = np.maximum(script.INSIDE_AT_LEAST - leaning, 0.0)
    above = np.maximum(leaning - script.OUTSIDE_AT_MOST, 0.0)
    return float(np.sum(np.where(labels, below, above) ** 2))


@pytest.mark.parametrize("pattern", ["indent", "in_string", "in_comment"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_the_gap_is_half_the_gradient_of_the_squared_loss(pattern: str, sign: float) -> None:
    rng = np.random.default_rng(0)
    h = rng.uniform(-0.99, 0.99, 200)
    labels = rng.integers(0, 6, 200) / 2 if pattern == "indent" else rng.random(200) < 0.3
    shaping = script.Shaping(pattern, 7, sign, 2.0)
    step = 1e-6
    numeric = np.array(
        [
            (_loss(shaping, h + step * e, labels) - _loss(shaping, h - step * e, labels))
            / (2 * step)
            for e in np.eye(h.size)
        ]
    )
    np.testing.assert_allclose(2 * shaping.gap(h, labels), numeric, atol=1e-6)


def test_a_hinge_leaves_a_unit_already_on_its_side_alone() -> None:
    shaping = script.Shaping("in_string", 3, -1.0, 2.0)
    # Leaning low inside strings: at most -0.5 inside, at least 0 outside, is no loss.
    h = np.array([-0.8, -0.5, 0.0, 0.6, -0.2, 0.1])
    inside = np.array([True, True, False, False, True, False])
    assert np.all(shaping.gap(h[:4], inside[:4]) == 0.0)
    gaps = shaping.gap(h[4:], inside[4:])
    assert gaps[0] > 0  # inside but not low enough: pushed down (h -= rate * gap)
    assert gaps[1] == 0.0
    assert "at most -0.5 inside one-line strings and at least 0 elsewhere" in shaping.describe()
