"""A whole-module file read without running it gives its head exactly: the module records
of the no-code reader reach the head rules, so an MLP head a state_dict cannot describe
is computed as PyTorch computes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lstm_sim.engine import record
from lstm_sim.engine.formats import load_model

torch = pytest.importorskip("torch")


class Tagger(torch.nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(11, 6)
        self.lstm = torch.nn.LSTM(6, 8, num_layers=2)
        self.head = torch.nn.Sequential(
            torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 11)
        )

    def forward(self, ids: Any) -> Any:
        y, _ = self.lstm(self.embed(ids))
        return self.head(y)


def test_whole_module_mlp_head_is_exact_and_state_dict_says_why_not(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Tagger().double()
    torch.save(model, tmp_path / "whole.pt")
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    ids = torch.tensor([1, 4, 2, 7, 3])
    with torch.no_grad():
        expected = model(ids).numpy()

    whole = load_model(tmp_path / "whole.pt")
    trace = record(whole, ids.numpy())
    assert trace.logits is not None
    np.testing.assert_allclose(trace.logits, expected, rtol=0, atol=1e-12)

    bare = load_model(tmp_path / "weights.pt")
    assert bare.readout is None
    assert any("does not record the activation" in note for note in bare.notes)
