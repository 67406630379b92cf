"""The committed models of scripts/make_own_model_fixtures.py, read without torch or
Keras: logits equal the framework's, or the head is left out with a note naming why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_sim.engine.formats import load_model
from lstm_sim.engine.trace import record

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "own"


@pytest.fixture(scope="module")
def outputs() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "outputs.npz", allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def test_embedding_two_layer_lstm_linear(outputs: dict[str, np.ndarray]) -> None:
    net = load_model(FIXTURES / "word_lstm2.pt")
    assert net.embedding is not None and net.embedding.shape == (11, 6)
    assert (net.num_layers, net.input_size, net.output_size) == (2, 6, 4)
    trace = record(net, outputs["ids"])
    np.testing.assert_allclose(trace.logits, outputs["word_lstm2.logits"], rtol=0, atol=1e-12)


def test_state_dict_mlp_head_is_refused_with_a_note() -> None:
    net = load_model(FIXTURES / "mlp_head.pt")
    assert net.readout is None and net.head == ()
    (note,) = [n for n in net.notes if n.startswith("no readout")]
    assert "head.0 → head.2 has 2 Linears" in note and "torch.save(model)" in note


def test_layernorm_head_float32(outputs: dict[str, np.ndarray]) -> None:
    net = load_model(FIXTURES / "layernorm_head.safetensors")
    assert net.dtype == np.float32 and net.metadata["head"] == "LayerNorm(5, eps=1e-05)"
    trace = record(net, outputs["x"])
    np.testing.assert_allclose(trace.logits, outputs["layernorm_head.logits"], rtol=0, atol=1e-5)
    assert "LayerNorm 'norm': eps assumed 1e-5 (a state_dict omits it)" in net.notes


def test_tied_word_lm(outputs: dict[str, np.ndarray]) -> None:
    net = load_model(FIXTURES / "tied_lm.pt")
    assert net.metadata["tied_weights"] == "head.weight is embed.weight (tied)"
    trace = record(net, outputs["ids"])
    np.testing.assert_allclose(trace.logits, outputs["tied_lm.logits"], rtol=0, atol=1e-12)


def test_seq2seq_names_its_candidates_and_refuses_a_guessed_head() -> None:
    with pytest.raises(ValueError, match="found 2 recurrent modules: 'decoder', 'encoder'"):
        load_model(FIXTURES / "seq2seq.pt")
    decoder = load_model(FIXTURES / "seq2seq.pt", prefix="decoder")
    assert decoder.readout is None
    assert any(n.startswith("other recurrent modules not run: 'encoder'") for n in decoder.notes)
    assert any("encoder (a recurrent module)" in n for n in decoder.notes if "no readout" in n)
    # Two embeddings fit (V, 3) and none is named for one module: none is guessed.
    assert decoder.embedding is None
    assert any("no input embedding taken" in n for n in decoder.notes)


def test_bfloat16_safetensors(outputs: dict[str, np.ndarray]) -> None:
    net = load_model(FIXTURES / "lstm_bf16.safetensors")
    assert net.dtype == np.float32
    assert "weights stored as bfloat16 are computed in float32 (upcast)" in net.notes
    trace = record(net, outputs["x"])
    np.testing.assert_allclose(trace.logits, outputs["lstm_bf16.logits"], rtol=0, atol=1e-5)


def test_keras_embedding_lstm_dense_relu_dense_softmax(outputs: dict[str, np.ndarray]) -> None:
    pytest.importorskip("h5py")
    net = load_model(FIXTURES / "embed_mlp.keras")
    assert net.embedding is not None and net.embedding.shape == (11, 6)
    assert net.readout is not None and net.readout.kind == "softmax"
    assert len(net.head) == 2  # Dense(8) and its ReLU; Dense(4) is the readout
    trace = record(net, outputs["ids"])
    np.testing.assert_allclose(trace.probs, outputs["embed_mlp.probs"], rtol=0, atol=1e-5)


def test_a_chooser_can_list_each_recurrent_module() -> None:
    from lstm_sim.engine.formats import recurrent_modules_in

    listed = [m.describe() for m in recurrent_modules_in(FIXTURES / "seq2seq.pt")]
    assert listed == [
        "'decoder': LSTM, 1 layer(s), H=4, D=3",
        "'encoder': LSTM, 1 layer(s), H=4, D=3",
    ]
    (cell,) = recurrent_modules_in(FIXTURES.parent / "torch" / "lstm_cell.pt")
    assert (cell.prefix, cell.kind, cell.num_layers, cell.hidden_size) == ("", "LSTMCell", 1, 5)


def test_module_records_make_the_refused_mlp_head_exact(outputs: dict[str, np.ndarray]) -> None:
    """What a whole-module file adds to the same tensors: module types and the ReLU."""
    from lstm_sim.engine.formats.module_tree import ModuleRecord
    from lstm_sim.engine.formats.torch_pickle import read_torch_file
    from lstm_sim.engine.formats.torch_state_dict import network_from_state_dict

    def rec(path: str, kind: str, *children: str) -> ModuleRecord:
        return ModuleRecord(path, kind, f"torch.nn.modules.x.{kind}", {}, children)

    records = (
        ModuleRecord("", "WordModel", "__main__.WordModel", {}, ("embed", "lstm", "head")),
        rec("embed", "Embedding"),
        rec("lstm", "LSTM"),
        rec("head", "Sequential", "0", "1", "2"),
        rec("head.0", "Linear"),
        rec("head.1", "ReLU"),
        rec("head.2", "Linear"),
    )
    arrays = read_torch_file(FIXTURES / "mlp_head.pt")
    net = network_from_state_dict(arrays, source="test", modules=records)
    assert net.metadata["head"] == "Linear 5→8 → ReLU" and net.readout is not None
    assert not any("no readout" in note for note in net.notes)
    trace = record(net, outputs["ids"])
    np.testing.assert_allclose(trace.logits, outputs["mlp_head.logits"], rtol=0, atol=1e-12)
    # A module the head cannot compute, recorded between them, leaves the head out.
    odd = (*records[:5], rec("head.1", "Softplus"), records[6])
    refused = network_from_state_dict(arrays, source="test", modules=odd)
    assert refused.readout is None
    assert any("head.1 (Softplus)" in note for note in refused.notes)


def test_float16_weights_are_noted_as_upcast(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(2)
    arrays = {
        "weight_ih_l0": rng.normal(size=(8, 3)).astype(np.float16),
        "weight_hh_l0": rng.normal(size=(8, 2)).astype(np.float16),
    }
    save_file(arrays, tmp_path / "half.safetensors")
    net = load_model(tmp_path / "half.safetensors")
    assert net.dtype == np.float32
    assert net.notes == ("weights stored as float16 are computed in float32 (upcast)",)


def test_keras_pooling_before_the_dense_leaves_the_head_out() -> None:
    from lstm_sim.engine.formats.keras import network_from_keras

    rng = np.random.default_rng(3)
    lstm = {"name": "l", "units": 2, "activation": "tanh", "recurrent_activation": "sigmoid"}
    layers = [
        {"class_name": "LSTM", "config": lstm},
        {"class_name": "GlobalAveragePooling1D", "config": {"name": "pool"}},
        {"class_name": "Dense", "config": {"name": "d", "activation": "softmax"}},
    ]
    config = {"class_name": "Sequential", "config": {"layers": layers}}
    weights = {
        "l": [rng.normal(size=(3, 8)), rng.normal(size=(2, 8)), np.zeros(8)],
        "d": [rng.normal(size=(2, 4)), np.zeros(4)],
    }
    net = network_from_keras(config, weights, "test")
    assert net.readout is None
    assert net.notes == (
        "layer 'l' returns only its last step to the head; lstm-sim shows the head's output "
        "at every step, as if the sequence ended there",
        "no readout: layer 'pool' is a GlobalAveragePooling1D, which lstm-sim does not "
        "compute; head left out",
    )
