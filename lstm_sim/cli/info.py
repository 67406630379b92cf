"""``lstm-sim info MODEL``: describe a model file without running it."""

from __future__ import annotations

import argparse

from lstm_sim.engine.formats import SUFFIXES, load_model
from lstm_sim.engine.head import describe_stage
from lstm_sim.engine.network import Network


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "info",
        help="describe a model file: kind, sizes, vocabulary, parameters",
        description=f"Describe a model file ({', '.join(SUFFIXES)}).",
    )
    parser.add_argument("model", help="the model file")
    parser.add_argument(
        "--prefix",
        help="which recurrent module of a PyTorch state_dict to read, e.g. encoder.lstm",
    )
    parser.add_argument(
        "--nonlinearity",
        choices=("tanh", "relu"),
        help="what a PyTorch nn.RNN used (its state_dict does not say; tanh by default)",
    )
    add_external_data_option(parser)


def add_external_data_option(parser: argparse.ArgumentParser) -> None:
    """``--allow-external-data``: the one way a model file may make lstm-sim read another."""
    parser.add_argument(
        "--allow-external-data",
        action="store_true",
        help="let an ONNX model read tensors kept in files beside it (refused by default)",
    )


def describe(network: Network) -> list[tuple[str, str]]:
    """(label, value) lines describing ``network``."""
    if network.kind == "gru":
        reset = "after W_hn h + b_hn, as PyTorch" if network.reset_after else "before W_hn"
        kind = f"GRU (gates r, z, n; reset {reset})"
    else:
        kind = "LSTM" if network.kind == "lstm" else f"RNN ({network.nonlinearity})"
    plural = "s" if network.num_layers > 1 else ""
    if network.readout is None:
        output = "none (no readout; the output is h of the last layer)"
    else:
        origin = network.metadata.get("readout_module")
        output = f"{network.output_size} ({network.readout.kind} readout"
        output += f" from {origin!r})" if origin else ")"
    vocab = network.vocab
    lines = [("kind", f"{kind}, {network.num_layers} layer{plural}")]
    if network.embedding is not None:
        origin = network.param_names.get("embedding.weight") or network.metadata.get(
            "embedding_module", "embedding.weight"
        )
        v, d = network.embedding.shape
        lines.append(("embedding", f"{origin} (V={v}, D={d}): token ids in, x_t = its row"))
    lines += [
        ("input size", str(network.input_size)),
        (
            "hidden size",
            str(network.hidden_size)
            + (f" (h projected to proj_size={network.proj_size})" if network.proj_size else ""),
        ),
        ("output size", output),
        (
            "vocabulary",
            "none" if vocab is None else f"{len(vocab)} tokens, {vocab.tokenizer} tokenizer",
        ),
        ("parameters", f"{network.num_parameters:,}"),
        ("dtype", str(network.dtype)),
        ("weights from", network.source),
    ]
    lines += [("variant", phrase) for phrase in network.variants()]
    if network.head:
        stages = " → ".join(describe_stage(stage) for stage in network.head)
        lines.append(("head", f"{stages} → readout (computed exactly)"))
    lines += [(f"metadata {key}", value) for key, value in sorted(network.metadata.items())]
    lines += [("note", note) for note in network.notes]
    return lines


def run(args: argparse.Namespace) -> int:
    network = load_model(
        args.model,
        args.prefix,
        nonlinearity=args.nonlinearity,
        allow_external_data=args.allow_external_data,
    )
    lines = describe(network)
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"{label:<{width}}  {value}")
    return 0
