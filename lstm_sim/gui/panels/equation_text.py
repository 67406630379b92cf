"""The current phase's equations as rich text, with the recorded numbers filled in.

Only formatting happens here: every number is read from the trace, and the split of a
pre-activation into input, recurrent and bias terms comes from the engine
(:mod:`lstm_sim.engine.explain`).
"""

from __future__ import annotations

import html
import re

import numpy as np

from lstm_sim.engine.explain import PreactivationTerms, candidate_terms, preactivation_terms
from lstm_sim.engine.trace import StepRecord
from lstm_sim.model import Session
from lstm_sim.model.cell_options import cell_options
from lstm_sim.model.gru_terms import gru_term
from lstm_sim.model.masked_steps import hands_on_zeros, step_is_masked
from lstm_sim.model.pass_view import Pass, layer_passes, pass_caption

VECTOR_WINDOW = 12
"""How many units of a vector are shown around the selected unit."""

GATE_NAMES = {"i": "i", "f": "f", "g": "g", "o": "o", "r": "r", "z": "z"}
RESET_CONVENTIONS = {
    True: "reset after the product: PyTorch nn.GRU, Keras reset_after=True, "
    "ONNX linear_before_reset=1",
    False: "reset before the product: Keras reset_after=False, ONNX linear_before_reset=0",
}
"""Where a GRU's reset gate acts, with the framework names of each convention."""
MINUS = "\u2212"
OPTION_PHASES = ("forget", "input", "output", "hidden", "reset", "update", "candidate")
"""The phases whose equations a layer's options (activations, clip) change."""


def number(value: float, digits: int = 2) -> str:
    """``value`` rounded, with a true minus sign and never a "−0.00"."""
    text = f"{value:.{digits}f}"
    if float(text) == 0.0:
        text = text.lstrip("-")
    return text.replace("-", MINUS)


def factor(value: float, digits: int = 2) -> str:
    """A number inside a product: negative ones in parentheses, ``0.50·(−0.03)``."""
    text = number(value, digits)
    return f"({text})" if text.startswith(MINUS) else text


def signed_term(value: float, digits: int = 2) -> str:
    """`` + 0.31`` or `` − 1.02``, for the second and later terms of a sum."""
    text = number(abs(value), digits)
    return f" {MINUS} {text}" if value < 0 and text != number(0.0, digits) else f" + {text}"


def sub(symbol: str, index: str) -> str:
    return f"<i>{symbol}</i><sub>{index}</sub>"


def caption_html(text: str) -> str:
    """Plain text with ``h_{t-1}``/``x_t`` marks, as rich text with real subscripts."""
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"\b([A-Za-z])_\{([^}]*)\}", r"<i>\1</i><sub>\2</sub>", escaped)
    escaped = re.sub(r"\b([A-Za-z])_([A-Za-z0-9]+)", r"<i>\1</i><sub>\2</sub>", escaped)
    return escaped.replace("-", MINUS)


def vector(values: np.ndarray, selected: int) -> str:
    """A compact row ``[0.30 0.99 …]`` of (H,) values with the selected unit in bold;
    long vectors show a window around the selected unit."""
    hidden = values.shape[0]
    start = 0
    if hidden > VECTOR_WINDOW:
        start = int(np.clip(max(selected, 0) - VECTOR_WINDOW // 2, 0, hidden - VECTOR_WINDOW))
    stop = min(hidden, start + VECTOR_WINDOW)
    cells = []
    for u in range(start, stop):
        text = number(float(values[u]))
        cells.append(f"<b><u>{text}</u></b>" if u == selected else text)
    head = "… " if start > 0 else ""
    tail = " …" if stop < hidden else ""
    # A plain space after each wide gap lets a narrow panel wrap the vector (at 1280x720
    # twelve numbers joined by non-breaking spaces were wider than the panel).
    return f"[{head}{'&nbsp; '.join(cells)}{tail}]"


def _input_symbol(layer: int) -> str:
    return sub("x", "t") if layer == 0 else f"<i>h</i><sub>t</sub><sup>({layer - 1})</sup>"


def _affine_line(
    lhs: str,
    fn: str,
    weights: tuple[str, str],
    bias: str,
    terms: PreactivationTerms,
    layer: int,
    unit: int,
    pre: float,
    value: float,
    peephole: tuple[str, str] | None = None,
    clip: float | None = None,
) -> str:
    """``lhs[u] = fn(W_x[u,:]·x_t + W_h[u,:]·h_{t-1} + b[u]) = fn(a + b + c) = fn(s) = v``;
    ``peephole`` (the weight's and the cell state's symbols) adds the term p[u]·c[u], and
    ``clip`` holds s to ±clip before ``fn``, as the engine does."""
    u = f"[{unit}]"
    peek = "" if peephole is None else f" + {peephole[0]}{u}·{peephole[1]}{u}"
    symbolic = (
        f"{fn}({weights[0]}[{unit},:]·{_input_symbol(layer)}"
        f" + {weights[1]}[{unit},:]·{sub('h', 't−1')} + {bias}{u}{peek})"
    )
    peek_numbers = "" if terms.peephole is None else signed_term(terms.peephole[unit])
    numeric = (
        f"{fn}({number(terms.x_part[unit])}{signed_term(terms.h_part[unit])}"
        f"{signed_term(terms.bias[unit])}{peek_numbers})"
    )
    return (
        f"{lhs}{u} = {symbolic}<br>&nbsp;&nbsp;&nbsp;&nbsp;= {numeric}"
        f" = {squashed(fn, pre, clip)} = <b>{number(value)}</b>"
    )


def squashed(fn: str, pre: float, clip: float | None) -> str:
    """``fn(s)``, or with a clip ``fn(clip(s, ±clip)) = fn(held)``, as the engine computes."""
    if clip is None:
        return f"{fn}({number(pre)})"
    held = float(np.clip(pre, -clip, clip))
    return f"{fn}(clip({number(pre)}, ±{clip:g})) = {fn}({number(held)})"


def _gate_line(session: Session, record: StepRecord, gate: str, unit: int) -> str:
    """``f_t[u] = σ(W_if[u,:]·x_t + W_hf[u,:]·h_{t-1} + b_f[u]) = σ(a + b + c) = σ(s) = v``,
    with the layer's activation, peephole and clip; a coupled gate is 1 minus the other."""
    options = cell_options(session.shown_network, record.layer)
    if gate == options.derived_gate:
        return _coupled_line(record, gate, unit)
    name = GATE_NAMES[gate]
    terms = preactivation_terms(session.shown_network, session.shown, record.layer, record.t, gate)
    weights = (sub("W", "i" + name), sub("W", "h" + name))
    cell = sub("c", "t" if gate == "o" else "t−1")
    peephole = None if terms.peephole is None else (sub("p", name), cell)
    return _affine_line(
        sub(name, "t"),
        options.function(gate),
        weights,
        sub("b", name),
        terms,
        record.layer,
        unit,
        record.pre_gate(gate)[unit],
        getattr(record, gate)[unit],
        peephole=peephole,
        clip=options.clip,
    )


def _coupled_line(record: StepRecord, gate: str, unit: int) -> str:
    """``i_t[u] = 1 − f_t[u] = 1 − 0.43 = 0.57``: a coupled gate has no weights of its own
    in the cell's output (its pre-activation is still recorded, unused)."""
    other = "f" if gate == "i" else "i"
    u = f"[{unit}]"
    source = float(getattr(record, other)[unit])
    note = (
        f"<span style='color:gray'>coupled gates: {sub(gate, 't')} is 1 {MINUS} "
        f"{sub(other, 't')}, not computed from its own weights</span>"
    )
    return (
        f"{sub(gate, 't')}{u} = 1 {MINUS} {sub(other, 't')}{u} = 1 {MINUS} {factor(source)}"
        f" = <b>{number(float(getattr(record, gate)[unit]))}</b><br>{note}"
    )


def _rnn_line(session: Session, record: StepRecord, unit: int) -> str:
    terms = preactivation_terms(session.shown_network, session.shown, record.layer, record.t, None)
    weights = (sub("W", "ih"), sub("W", "hh"))
    return _affine_line(
        sub("h", "t"),
        session.network.nonlinearity,
        weights,
        "<i>b</i>",
        terms,
        record.layer,
        unit,
        record.pre[unit],
        record.h[unit],
    )


def _input_line(session: Session, record: StepRecord, unit: int) -> str:
    tokens = session.tokens
    if record.layer == 0 and tokens is not None:
        x = f"{sub('x', 't')} = one-hot(“{tokens[record.t]}”)"
    elif record.layer > 0 and len(layer_passes(session.network, record.layer - 1)) > 1:
        # The layer below is bidirectional: this layer reads both its passes' h_t, joined.
        half = record.x.shape[0] // 2
        x = (
            f"{_input_symbol(record.layer)} = [forward ‖ reverse] = "
            f"{vector(record.x[:half], -1)} ‖ {vector(record.x[half:], -1)}"
        )
    else:
        x = f"{_input_symbol(record.layer)} = {vector(record.x, -1)}"
    h_prev = sub("h", "t−1")
    if unit < record.h_prev.shape[0]:
        parts = [x, f"{h_prev}[{unit}] = {number(record.h_prev[unit])}"]
    else:  # a projected h_{t-1} has fewer units than the cell
        parts = [x, f"{h_prev} = {vector(record.h_prev, -1)}"]
    if record.c_prev is not None:
        parts.append(f"{sub('c', 't−1')}[{unit}] = {number(record.c_prev[unit])}")
    return "&nbsp;&nbsp;&nbsp;&nbsp;".join(parts)


def _cell_line(record: StepRecord, unit: int) -> str:
    assert record.f is not None and record.c_prev is not None and record.i is not None
    assert record.g is not None and record.fc is not None and record.ig is not None
    assert record.c is not None
    u = f"[{unit}]"
    return (
        f"{sub('c', 't')}{u} = {sub('f', 't')}{u}·{sub('c', 't−1')}{u}"
        f" + {sub('i', 't')}{u}·{sub('g', 't')}{u}<br>&nbsp;&nbsp;&nbsp;&nbsp;"
        f"= {factor(record.f[unit])}·{factor(record.c_prev[unit])}"
        f" + {factor(record.i[unit])}·{factor(record.g[unit])}"
        f" = {number(record.fc[unit])}{signed_term(record.ig[unit])}"
        f" = <b>{number(record.c[unit])}</b>"
    )


def _hidden_line(record: StepRecord, unit: int, cell_output: str = "tanh") -> str:
    """``h_t[u] = o_t[u]·tanh(c_t[u])`` with the numbers; with a projection the product is
    m_t, and h_t = W_hr m_t follows on its own line."""
    assert record.o is not None and record.tanh_c is not None and record.c is not None
    u = f"[{unit}]"
    fn = cell_output
    product = record.h if record.m is None else record.m
    lhs = sub("h", "t") if record.m is None else sub("m", "t")
    line = (
        f"{lhs}{u} = {sub('o', 't')}{u}·{fn}({sub('c', 't')}{u})"
        f" = {number(record.o[unit])}·{fn}({number(record.c[unit])})"
        f" = {factor(record.o[unit])}·{factor(record.tanh_c[unit])}"
        f" = <b>{number(product[unit])}</b>"
    )
    if record.m is None:
        return line
    width = record.h.shape[0]
    projected = f"{sub('h', 't')} = {sub('W', 'hr')} {sub('m', 't')}, P = {width} units"
    if unit < width:
        projected += (
            f":&nbsp; {sub('h', 't')}[{unit}] = {sub('W', 'hr')}[{unit},:]·{sub('m', 't')}"
            f" = <b>{number(record.h[unit])}</b>"
        )
    return f"{line}<br>{projected}"


def _candidate_lines(session: Session, record: StepRecord, unit: int) -> list[str]:
    """hn_t[u] with its two terms, n_t[u] with the reset applied where the network's
    convention applies it, and the convention's name (last: the numbers come first in a
    short panel)."""
    assert record.r is not None and record.hn is not None and record.n is not None
    terms = candidate_terms(session.shown_network, session.shown, record.layer, record.t)
    options = cell_options(session.shown_network, record.layer)
    fn = options.candidate
    reset_after = session.network.reset_after
    u = f"[{unit}]"
    h_prev, r, hn = sub("h", "t−1"), sub("r", "t"), sub("hn", "t")
    seen = h_prev if reset_after else f"({r} ⊙ {h_prev})"
    hn_line = (
        f"{hn}{u} = {sub('W', 'hn')}[{unit},:]·{seen} + {sub('b', 'hn')}{u}"
        f" = {number(terms.hn_product[unit])}{signed_term(terms.hn_bias[unit])}"
        f" = <b>{number(record.hn[unit])}</b>"
    )
    x_terms = f"{fn}({sub('W', 'in')}[{unit},:]·{_input_symbol(record.layer)} + {sub('b', 'in')}{u}"
    x_numbers = f"{fn}({number(terms.x_part[unit])}{signed_term(terms.bias[unit])}"
    if reset_after:
        symbolic = f"{x_terms} + {r}{u}·{hn}{u})"
        numeric = (
            f"{x_numbers} + {factor(record.r[unit])}·{factor(record.hn[unit])})"
            f" = {x_numbers}{signed_term(terms.reset_part[unit])})"
        )
    else:
        symbolic = f"{x_terms} + {hn}{u})"
        numeric = f"{x_numbers}{signed_term(terms.reset_part[unit])})"
    n_line = (
        f"{sub('n', 't')}{u} = {symbolic}<br>&nbsp;&nbsp;&nbsp;&nbsp;= {numeric}"
        f" = {squashed(fn, float(record.pre_gate('n')[unit]), options.clip)}"
        f" = <b>{number(record.n[unit])}</b>"
    )
    convention = f"<span style='color:gray'>{RESET_CONVENTIONS[reset_after]}</span>"
    return [hn_line, n_line, convention]


def _gru_hidden_line(session: Session, record: StepRecord, unit: int) -> str:
    """``h_t[u] = z·h_{t-1} + (1 - z)·n``, with the numbers."""
    assert record.z is not None and record.n is not None
    u = f"[{unit}]"
    z, n, h_prev = float(record.z[unit]), float(record.n[unit]), float(record.h_prev[unit])
    keep, mix = (gru_term(record, name, session.network.reset_after) for name in ("keep", "mix"))
    return (
        f"{sub('h', 't')}{u} = {sub('z', 't')}{u}·{sub('h', 't−1')}{u}"
        f" + (1 {MINUS} {sub('z', 't')}{u})·{sub('n', 't')}{u}<br>&nbsp;&nbsp;&nbsp;&nbsp;"
        f"= {factor(z)}·{factor(h_prev)} + {factor(1.0 - z)}·{factor(n)}"
        f" = {number(keep[unit])}{signed_term(mix[unit])}"
        f" = <b>{number(float(record.h[unit]))}</b>"
    )


def _option_notes(session: Session, layer: int, key: str) -> list[str]:
    """Grey lines defining what the layer's options mean: an activation's constants and the
    clip, so the numbers above can be checked by hand."""
    options = cell_options(session.shown_network, layer)
    notes = list(options.definitions)
    if options.clip is not None and key != "hidden":
        notes.append(
            f"clip(a, ±{options.clip:g}) holds each gate's pre-activation to ±{options.clip:g}"
        )
    return [f"<span style='color:gray'>{html.escape(note, quote=False)}</span>" for note in notes]


def phase_vectors(session: Session, record: StepRecord) -> list[tuple[str, np.ndarray]]:
    """The (H,) vectors the current phase computes, with their rich-text names."""
    key = session.phases[session.phase].key
    names = {
        "arrive": ["h_prev", "c_prev"],
        "forget": ["f"],
        "input": ["i", "g"],
        "cell": ["c"],
        "output": ["o"],
        "hidden": ["m", "h"],
        "reset": ["r"],
        "update": ["z"],
        "candidate": ["hn", "n"],
    }[key]
    labels = {"h_prev": sub("h", "t−1"), "c_prev": sub("c", "t−1")}
    out = []
    for name in names:
        values = getattr(record, name)
        if values is not None:
            out.append((labels.get(name, sub(name, "t")), values))
    return out


def _masked_lines(session: Session, record: StepRecord, unit: int) -> list[str]:
    """A masked step's lines: it computes nothing, h_t and c_t are h_{t-1} and c_{t-1}."""
    assert session.network.mask_value is not None
    lines = [
        f"<b>step {record.t} is masked</b> (every feature of the model's input "
        f"{sub('x', str(record.t))} equals "
        f"the mask value {session.network.mask_value:g}): no gate is computed"
    ]
    u = f"[{unit}]"
    h_prev = sub("h", "t−1")
    if unit < record.h.shape[0]:
        carried = [f"{sub('h', 't')}{u} = {h_prev}{u} = <b>{number(record.h[unit])}</b>"]
    else:  # a projected h has fewer units than the cell
        carried = [f"{sub('h', 't')} = {h_prev} = {vector(record.h, -1)}"]
    if record.c is not None:
        carried.append(
            f"{sub('c', 't')}{u} = {sub('c', 't−1')}{u} = <b>{number(record.c[unit])}</b>"
        )
    lines.append("&nbsp;&nbsp;&nbsp;&nbsp;".join(carried) + ", carried through unchanged")
    layer, shown = record.layer, session.shown_pass
    if hands_on_zeros(session.network, session.trace, layer, shown, record.t):
        lines.append(
            f"<span style='color:gray'>layer {layer} hands on zeros at step {record.t}, "
            f"not {sub('h', 't')}</span>"
        )
    return lines


def equation_html(session: Session) -> str:
    """The equations of the session's current phase for the selected unit, with numbers,
    followed by the vectors of all units; at a masked step only what the step carries."""
    record = session.current
    key = session.phases[session.phase].key
    unit = session.unit
    masked = step_is_masked(session.trace, record.t)
    lines: list[str] = []
    if unit < 0:
        lines.append("<i>Select a unit to see its equation with numbers.</i>")
    elif masked:
        if key == "arrive":
            lines.append(_input_line(session, record, unit))
        lines.extend(_masked_lines(session, record, unit))
    elif key == "arrive":
        lines.append(_input_line(session, record, unit))
    elif session.network.kind == "rnn":
        lines.append(_rnn_line(session, record, unit))
    elif key in ("reset", "update"):
        lines.append(_gate_line(session, record, "r" if key == "reset" else "z", unit))
    elif key == "candidate":
        lines.extend(_candidate_lines(session, record, unit))
    elif session.network.kind == "gru":
        lines.append(_gru_hidden_line(session, record, unit))
    elif key == "forget":
        lines.append(_gate_line(session, record, "f", unit))
    elif key == "input":
        lines.append(_gate_line(session, record, "i", unit))
        lines.append(_gate_line(session, record, "g", unit))
    elif key == "cell":
        lines.append(_cell_line(record, unit))
    elif key == "output":
        lines.append(_gate_line(session, record, "o", unit))
    else:
        lines.append(
            _hidden_line(
                record, unit, cell_options(session.shown_network, record.layer).cell_output
            )
        )
    # A GRU's h_t applies no function of its own: its notes belong to the gate phases.
    gru_hidden = key == "hidden" and session.network.kind == "gru"
    if unit >= 0 and key in OPTION_PHASES and not gru_hidden and not masked:
        lines.extend(_option_notes(session, record.layer, key))
    shown = phase_vectors(session, record)
    if masked and key != "arrive":
        # The gates the kernels computed here were discarded: only the carried state.
        shown = [(sub(name, "t"), getattr(record, name)) for name in ("h", "c")]
        shown = [(name, values) for name, values in shown if values is not None]
    rows = [f"{name} = {vector(values, unit)}" for name, values in shown]
    body = "<br>".join(lines)
    vectors = "&nbsp;&nbsp;&nbsp;&nbsp;".join(rows)
    html = f"{body}<br><span style='color:gray'>all units:</span> {vectors}"
    if len(session.passes) > 1 or session.shown_pass == "reverse":
        html = f"<span style='color:gray'>{pass_caption_html(session.shown_pass)}</span><br>{html}"
    return shown_pass_html(session, html)


def shown_pass_html(session: Session, html: str) -> str:
    """``html`` for the shown pass: the reverse pass came to step t from step t+1, so the
    state it read is h_{t+1} (and c_{t+1}), not h_{t−1}."""
    return html.replace("t−1", "t+1") if session.shown_pass == "reverse" else html


def pass_caption_html(shown: Pass) -> str:
    """Which way the shown pass reads time, with real subscripts."""
    return caption_html(pass_caption(shown))
