from __future__ import annotations

import pytest

from lstm_sim.model.numbering import index_range


def test_an_index_is_shown_with_its_range_from_zero():
    assert index_range(12) == "of 0–11"
    assert index_range(1) == "of 0"
    with pytest.raises(ValueError, match="at least 1"):
        index_range(0)
