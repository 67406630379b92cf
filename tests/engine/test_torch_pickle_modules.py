"""Whole-module and TorchScript .pt files, read without torch and without running them.

The committed fixtures (scripts/make_torch_fixtures.py, ``make_whole_module_fixtures``)
hold PyTorch's own state_dicts and outputs; the live tests save fresh models when torch
is importable and compare against ``model.state_dict()`` bit for bit.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from lstm_sim.engine import record
from lstm_sim.engine.formats import load_model
from lstm_sim.engine.formats.module_tree import ModelContents, ModuleRecord
from lstm_sim.engine.formats.torch_pickle import read_torch_contents, read_torch_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "torch"
TINY_LM_FILES = ["tiny_lm_whole.pt", "tiny_lm_script.pt", "tiny_lm_trace.pt"]
LSTM_OPTIONS = {"num_layers": 2, "batch_first": True, "bias": True, "bidirectional": False}


@pytest.fixture(scope="module")
def expected() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "whole_modules.npz", allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _assert_same_tensors(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    """Same names in the same order, same dtypes and shapes, bit-identical values."""
    assert list(got) == list(want)
    for key, value in want.items():
        assert got[key].dtype == value.dtype and got[key].shape == value.shape, key
        assert got[key].tobytes() == value.tobytes(), key


def _by_path(contents: ModelContents) -> dict[str, ModuleRecord]:
    assert contents.modules is not None
    return {record.path: record for record in contents.modules}


@pytest.mark.parametrize("file", TINY_LM_FILES)
def test_tiny_lm_tensors_and_tree(expected: dict[str, np.ndarray], file: str) -> None:
    contents = read_torch_contents(FIXTURES / file)
    state = {k[len("tiny_lm.") :]: v for k, v in expected.items() if k.startswith("tiny_lm.")}
    del state["tokens"], state["logits"]
    _assert_same_tensors(contents.state_dict, state)
    modules = _by_path(contents)
    assert [r.path for r in contents.modules or ()] == ["", "embedding", "lstm", "decoder"]
    assert modules[""].type_name == "TinyLM"
    assert modules[""].children == ("embedding", "lstm", "decoder")
    kinds = {path: modules[path].type_name for path in ("embedding", "lstm", "decoder")}
    assert kinds == {"embedding": "Embedding", "lstm": "LSTM", "decoder": "Linear"}
    assert LSTM_OPTIONS.items() <= dict(modules["lstm"].options).items()
    assert modules["lstm"].options["mode"] == "LSTM"
    if file != "tiny_lm_trace.pt":  # tracing compiles these into the graph's shapes
        assert modules["lstm"].options["hidden_size"] == 4
        assert modules["embedding"].options["padding_idx"] is None
        assert modules["decoder"].options["out_features"] == 11
    # Nothing the modules hold as tensors is repeated as an option.
    assert all(not isinstance(v, np.ndarray) for r in modules.values() for v in r.options.values())


@pytest.mark.parametrize("file", TINY_LM_FILES)
def test_tiny_lm_loads_its_lstm_and_decoder(expected: dict[str, np.ndarray], file: str) -> None:
    net = load_model(FIXTURES / file)
    assert (net.kind, net.num_layers, net.hidden_size) == ("lstm", 2, 4)
    assert net.metadata["module"] == "lstm" and net.metadata["readout_module"] == "decoder"
    assert net.metadata["batch_first"] == "True"
    kind = "whole module" if file == "tiny_lm_whole.pt" else "TorchScript module"
    assert f"PyTorch .pt {kind}" in net.source
    # The decoder reads h: with the embedding rows as inputs, the logits are PyTorch's.
    rows = expected["tiny_lm.embedding.weight"][expected["tiny_lm.tokens"]]
    logits = record(net, rows).logits
    np.testing.assert_allclose(logits, expected["tiny_lm.logits"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("file", ["rnn_relu_whole.pt", "rnn_relu_script.pt"])
def test_whole_rnn_knows_its_nonlinearity(expected: dict[str, np.ndarray], file: str) -> None:
    net = load_model(FIXTURES / file)  # no nonlinearity flag: the file records relu
    assert (net.kind, net.nonlinearity) == ("rnn", "relu")
    assert net.metadata["nonlinearity"] == "relu" and net.metadata["batch_first"] == "False"
    np.testing.assert_allclose(
        record(net, expected["rnn_relu.x"]).h, expected["rnn_relu.h"], rtol=0, atol=1e-6
    )
    assert load_model(FIXTURES / file, nonlinearity="relu").nonlinearity == "relu"
    with pytest.raises(ValueError, match="'tanh' was asked for, but the file records 'relu'"):
        load_model(FIXTURES / file, nonlinearity="tanh")


def test_state_dict_file_has_no_module_tree() -> None:
    contents = read_torch_contents(FIXTURES / "lstm2.pt")
    assert contents.modules is None
    assert list(contents.state_dict) == list(read_torch_file(FIXTURES / "lstm2.pt"))


def test_whole_module_in_a_checkpoint_keeps_its_prefix(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.LSTM(2, 3), torch.nn.Linear(3, 2))
    torch.save({"model": model, "epoch": 4}, tmp_path / "ckpt.pt")
    contents = read_torch_contents(tmp_path / "ckpt.pt")
    want = {f"model.{k}": v.numpy() for k, v in model.state_dict().items()}
    _assert_same_tensors(contents.state_dict, want)
    modules = _by_path(contents)
    assert modules["model"].type_name == "Sequential"
    assert modules["model"].children == ("0", "1")
    assert modules["model.0"].type_name == "LSTM" and modules["model.1"].type_name == "Linear"


# -- live PyTorch: the engineer's model saved four ways ----------------------------------


@pytest.fixture(scope="module")
def torch() -> ModuleType:
    return pytest.importorskip("torch")


def _engineers_model(torch: ModuleType) -> Any:
    class Tagger(torch.nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.embed = torch.nn.Embedding(13, 5, padding_idx=0)
            self.rnn = torch.nn.LSTM(5, 6, num_layers=2, batch_first=True, dropout=0.25)
            self.norm = torch.nn.LayerNorm(6, eps=1e-4)
            self.head = torch.nn.Sequential(
                torch.nn.Linear(6, 7), torch.nn.GELU(approximate="tanh"), torch.nn.Linear(7, 13)
            )
            self.register_buffer("scale", torch.tensor([0.5, 2.0]))
            self.register_buffer("scratch", torch.zeros(3), persistent=False)

        # Unannotated: TorchScript reads it as a Tensor (and parses comments on this line).
        def forward(self, tokens):  # type: ignore[no-untyped-def]
            hidden, _ = self.rnn(self.embed(tokens))
            return self.head(self.norm(hidden)) * self.scale[0]

    # torch.save(model) pickles the class by reference: make it importable from here.
    Tagger.__qualname__ = Tagger.__name__
    globals()["Tagger"] = Tagger
    torch.manual_seed(11)
    return Tagger().eval()


def _save(torch: ModuleType, model: Any, how: str, path: Path, example: Any) -> None:
    """``model`` saved as ``torch.save`` of its state_dict or itself, or TorchScript."""
    with warnings.catch_warnings():
        # torch.jit warns that TorchScript is deprecated, and tracing that shapes become
        # constants; the files it writes are what users have, so neither matters here.
        warnings.simplefilter("ignore")
        if how == "state_dict":
            torch.save(model.state_dict(), path)
        elif how == "whole":
            torch.save(model, path)
        elif how == "script":
            torch.jit.save(torch.jit.script(model), path)
        else:
            torch.jit.save(torch.jit.trace(model, example), path)


@pytest.mark.parametrize("how", ["state_dict", "whole", "script", "trace"])
def test_live_engineers_model(torch: ModuleType, tmp_path: Path, how: str) -> None:
    model = _engineers_model(torch)
    tokens = torch.tensor([[3, 1, 12, 0, 7]])
    path = tmp_path / f"{how}.pt"
    _save(torch, model, how, path, tokens)
    contents = read_torch_contents(path)
    eager = {k: v.numpy() for k, v in model.state_dict().items()}
    assert "scratch" not in eager
    if how in ("script", "trace"):
        # TorchScript keeps non-persistent buffers: torch.jit.load's state_dict has them.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript's, as above
            loaded = torch.jit.load(path)  # this test's own file, not a user's
        want = {k: v.numpy() for k, v in loaded.state_dict().items()}
        assert list(want) == ["scale", "scratch", *list(eager)[1:]]
    else:
        want = eager
    _assert_same_tensors(contents.state_dict, want)
    if how == "state_dict":
        assert contents.modules is None
        return
    modules = _by_path(contents)
    order = ["", "embed", "rnn", "norm", "head", "head.0", "head.1", "head.2"]
    assert [r.path for r in contents.modules or ()] == order
    kinds = [modules[p].type_name for p in order[1:]]
    assert kinds == ["Embedding", "LSTM", "LayerNorm", "Sequential", "Linear", "GELU", "Linear"]
    assert modules["head"].children == ("0", "1", "2")
    rnn = modules["rnn"].options
    assert {"num_layers": 2, "batch_first": True, "dropout": 0.25}.items() <= rnn.items()
    if how != "trace":
        assert modules["norm"].options["eps"] == 1e-4
        assert modules["norm"].options["normalized_shape"] == (6,)
        assert modules["head.1"].options["approximate"] == "tanh"
        assert modules["embed"].options["padding_idx"] == 0
        assert (rnn["hidden_size"], rnn["input_size"], rnn["proj_size"]) == (6, 5, 0)


def test_live_rnn_nonlinearity_from_every_whole_form(torch: ModuleType, tmp_path: Path) -> None:
    torch.manual_seed(12)
    rnn = torch.nn.RNN(2, 3, num_layers=2, nonlinearity="relu").double()
    x = torch.randn(5, 2, dtype=torch.float64)
    with torch.no_grad():
        _, h_last = rnn(x)
    for how in ("whole", "script", "trace"):
        _save(torch, rnn, how, tmp_path / f"{how}.pt", x)
        net = load_model(tmp_path / f"{how}.pt")
        assert net.nonlinearity == "relu", how
        h = record(net, x.numpy()).h
        np.testing.assert_allclose(h[:, -1], h_last.numpy(), rtol=0, atol=1e-12, err_msg=how)


@pytest.mark.parametrize("protocol", [1, 2, 3, 4, 5])
def test_live_every_pickle_protocol(torch: ModuleType, tmp_path: Path, protocol: int) -> None:
    """torch.save's pickle_protocol: copyreg objects (1), NEWOBJ (2), framing and
    STACK_GLOBAL (4, 5) all give the same tensors and tree."""
    torch.manual_seed(protocol)
    model = torch.nn.Sequential(torch.nn.LSTM(2, 3, batch_first=True), torch.nn.LayerNorm(3))
    torch.save(model, tmp_path / "m.pt", pickle_protocol=protocol)
    contents = read_torch_contents(tmp_path / "m.pt")
    _assert_same_tensors(contents.state_dict, {k: v.numpy() for k, v in model.state_dict().items()})
    modules = _by_path(contents)
    assert [modules[p].type_name for p in ("", "0", "1")] == ["Sequential", "LSTM", "LayerNorm"]
    assert modules["0"].options["batch_first"] is True


def _bias_free_blocks(torch: ModuleType) -> Any:
    class Blocks(torch.nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(2, 3, bias=False)
            self.blocks = torch.nn.ModuleList([torch.nn.LayerNorm(3, bias=False), torch.nn.ReLU()])

        def forward(self, x):  # type: ignore[no-untyped-def]
            x = self.lin(x)
            for block in self.blocks:
                x = block(x)
            return x

    Blocks.__qualname__ = Blocks.__name__  # importable from here, as above
    globals()["Blocks"] = Blocks
    torch.manual_seed(13)
    return Blocks()


@pytest.mark.parametrize("how", ["whole", "script", "trace"])
def test_live_absent_biases_and_module_lists(torch: ModuleType, tmp_path: Path, how: str) -> None:
    model = _bias_free_blocks(torch)
    _save(torch, model, how, tmp_path / "b.pt", torch.zeros(2))
    contents = read_torch_contents(tmp_path / "b.pt")
    _assert_same_tensors(contents.state_dict, {k: v.numpy() for k, v in model.state_dict().items()})
    modules = _by_path(contents)
    assert modules["blocks"].children == ("0", "1")
    kinds = [modules[p].type_name for p in ("lin", "blocks", "blocks.0", "blocks.1")]
    assert kinds == ["Linear", "ModuleList", "LayerNorm", "ReLU"]


def test_live_unreadable_whole_module_says_how_to_resave(torch: ModuleType, tmp_path: Path) -> None:
    holder = torch.nn.Module()
    holder.lstm = torch.nn.LSTM(2, 3)
    holder.tag = b"\x00\xff"  # protocol 2 pickles bytes through _codecs.encode: readable
    torch.save(holder, tmp_path / "bytes.pt")
    state = read_torch_contents(tmp_path / "bytes.pt").state_dict
    assert list(state) == list(holder.state_dict())
    holder.table = np.arange(3)  # a NumPy array pickles as a call into NumPy: refused
    torch.save(holder, tmp_path / "numpy.pt")
    with pytest.raises(ValueError, match=r"refused to load.*numpy.*torch\.save\(model\.state_dict"):
        load_model(tmp_path / "numpy.pt")


@pytest.mark.parametrize("nonlinearity", ["relu", "tanh"])
def test_live_rnn_cell_nonlinearity(torch: ModuleType, tmp_path: Path, nonlinearity: str) -> None:
    torch.manual_seed(14)
    cell = torch.nn.RNNCell(2, 3, nonlinearity=nonlinearity)
    for how in ("whole", "script", "trace"):
        _save(torch, cell, how, tmp_path / f"{how}.pt", torch.zeros(1, 2))
        net = load_model(tmp_path / f"{how}.pt")
        assert (net.kind, net.metadata["nonlinearity"]) == ("rnn", nonlinearity), how
