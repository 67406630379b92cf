"""Conditions and watches over a recorded trace: a small expression language, never eval.

An expression speaks about one step of one layer: ``f[3] > 0.9``, ``norm(c) > 10 and
t > 5``, ``token == "he"``, ``abs(c - prev.c)[0:8] > 0.5``, ``layer 1: any(o < 0.05)``.
A prefix may name the pass of a reverse or bidirectional layer: ``reverse: f[0] > 0.9``,
``layer 0 forward: ...``; such a pass is evaluated in the order it ran
(:mod:`lstm_sim.engine.pass_order`), so its ``prev`` is the step it read before (t+1),
and ``t`` stays the time step.
It is parsed with :mod:`ast` into a tree whose every node is checked against a short
whitelist, then evaluated over a range of steps at once with NumPy: each name is a
``(n, H)`` slice of the trace, each per-step number a ``(n, 1)`` column, so the result for
every step comes from a handful of array operations, not a Python loop over steps.

Names: ``h c i f g o fc ig tanh_c x`` (LSTM) or ``h a x`` (simple RNN), ``t``, ``layer``,
``token`` (the step's token, a string), ``dh dc`` when gradients were recorded; each
vector name also as ``prev.<name>``, its value one step earlier (``prev.h``/``prev.c``
at t = 0 are h0/c0; other quantities have no value before the first step and read NaN).
At a step Keras's input mask skips (``Trace.mask``), the gates and the other quantities
the model did not compute read NaN (a comparison with them never holds); h, c and x are
the carried state and the input.
Functions: ``max min mean sum norm any all argmax`` reduce over units; ``abs isfinite``
act on each unit; ``max(a, b)``/``min(a, b)`` compare two operands unit by unit.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_sim.engine.finite_rows import rows_all_finite, rows_with_nan
from lstm_sim.engine.network import Kind
from lstm_sim.engine.pass_order import ReversePassTrace, layer_passes_of
from lstm_sim.engine.sequence_mask import MASKED_STEP_FIELDS
from lstm_sim.engine.trace import Trace

MAX_LENGTH = 500
"""Characters an expression may have; a condition is typed, not generated."""
MAX_NODES = 200
MAX_EXPONENT = 64.0
"""Largest |exponent| of ``**``: enough for any real condition, too small to hang."""

LSTM_NAMES = ("h", "c", "i", "f", "g", "o", "fc", "ig", "tanh_c", "x")
RNN_NAMES = ("h", "a", "x")
GRU_NAMES = ("h", "r", "z", "n", "hn", "x")
GRADIENT_NAMES = ("dh", "dc")
STEP_NAMES = ("t", "layer", "token")

_SIGNED = {2: np.int16, 4: np.int32, 8: np.int64}
_UNSIGNED = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def unit_extreme(values: np.ndarray, largest: bool) -> np.ndarray:
    """The largest (``largest``) or smallest of each row of a float (n, k) array, (n, 1):
    the numbers ``np.max``/``np.min`` give (NaN where a row holds one), except that of +0
    and -0 max gives +0 and min -0 (IEEE 754's maximum and minimum).

    Why not ``np.max(axis=1)``: NumPy reduces each short float row with a scalar loop
    that checks every value for NaN, several times slower than an integer row, which runs
    in SIMD. A float's bits read as a signed integer order the floats >= +0 as the floats
    and put every negative one below them; read as unsigned, they order negative floats
    by magnitude, above every float >= +0.
    """
    size = values.dtype.itemsize
    if values.dtype.kind != "f" or size not in _SIGNED or values.shape[1] == 1:
        reduce = np.max if largest else np.min
        return np.asarray(reduce(values, axis=1, keepdims=True))
    signed, unsigned = values.view(_SIGNED[size]), values.view(_UNSIGNED[size])
    if largest:
        # A unit >= +0: the largest signed pattern. All negative: the smallest magnitude.
        bits = signed.max(axis=1).view(_UNSIGNED[size])
        again = np.flatnonzero(bits >> (8 * size - 1))
    else:
        # A negative unit: the largest magnitude among them. None: the smallest pattern.
        bits = unsigned.max(axis=1)
        again = np.flatnonzero(bits >> (8 * size - 1) == 0)
    if again.size:
        bits[again] = unsigned[again].min(axis=1)
    result: np.ndarray = bits.view(values.dtype)
    result[rows_with_nan(values)] = np.nan
    return result[:, None]


_REDUCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "max": lambda v: unit_extreme(v, largest=True),
    "min": lambda v: unit_extreme(v, largest=False),
    "mean": lambda v: np.mean(v, axis=1, keepdims=True),
    "sum": lambda v: np.sum(v, axis=1, keepdims=True),
    "norm": lambda v: np.sqrt(np.sum(np.square(v), axis=1, keepdims=True)),
    "any": lambda v: np.any(v, axis=1, keepdims=True),
    "all": lambda v: np.all(v, axis=1, keepdims=True),
    "argmax": lambda v: np.argmax(v, axis=1, keepdims=True),
}
_ELEMENTWISE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "abs": np.abs,
    "isfinite": np.isfinite,
}
FUNCTIONS = (*_REDUCTIONS, *_ELEMENTWISE)

_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
_PREFIX = re.compile(
    r"\s*(?:layer\s+(?P<layer>\d+)(?:\s+(?P<named>forward|reverse))?|(?P<alone>forward|reverse))\s*:"
)

# What a node that is not allowed is called in the message.
_FORBIDDEN_NAMES = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.IfExp: "an if-expression",
    ast.NamedExpr: "an assignment",
    ast.Starred: "a starred argument",
    ast.JoinedStr: "an f-string",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Await: "await",
    ast.Yield: "yield",
}


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated; the message points at the column."""


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, the layer it names (None: every layer), its tree,
    and the pass it names (None: the forward arrays, or each pass a caller evaluates)."""

    text: str
    layer: int | None
    body: ast.expr
    offset: int
    """Characters before the body in ``text`` (the ``layer L:`` part), for column numbers."""
    direction: str | None = None

    def __str__(self) -> str:
        return self.text


def _error(node: ast.AST, offset: int, message: str) -> ExpressionError:
    column = getattr(node, "col_offset", 0) + offset + 1
    return ExpressionError(f"{message} (column {column})")


def parse_expression(text: str) -> Expression:
    """``text`` checked against the language above; raise ExpressionError if it is not."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"an expression has at most {MAX_LENGTH} characters")
    if not text.isascii():
        raise ExpressionError("an expression is written in ASCII characters")
    layer: int | None = None
    direction: str | None = None
    offset = 0
    prefix = _PREFIX.match(text)
    if prefix is not None:
        number = prefix.group("layer")
        layer = None if number is None else int(number)
        direction = prefix.group("named") or prefix.group("alone")
        offset = prefix.end()
    body_text = text[offset:]
    if not body_text.strip():
        raise ExpressionError(f"the expression is empty (column {offset + 1})")
    # A leading blank would parse as an indent; the columns still count it.
    offset += len(body_text) - len(body_text.lstrip())
    try:
        tree = ast.parse(body_text.strip(), mode="eval")
    except SyntaxError as err:
        column = (err.offset or 1) + offset
        raise ExpressionError(f"syntax error: {err.msg} (column {column})") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression is nested too deeply") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"the expression has more than {MAX_NODES} parts")
    for node in nodes:
        _check_node(node, offset)
    return Expression(text=text, layer=layer, body=tree.body, offset=offset, direction=direction)


def _check_node(node: ast.AST, offset: int) -> None:
    """Refuse any node outside the whitelist, naming it and its column."""
    allowed = (
        ast.Expression,
        ast.BoolOp,
        ast.And,
        ast.Or,
        ast.BinOp,
        ast.UnaryOp,
        ast.USub,
        ast.UAdd,
        ast.Not,
        ast.Compare,
        ast.Call,
        ast.Name,
        ast.Load,
        ast.Attribute,
        ast.Subscript,
        ast.Slice,
        ast.Constant,
        *_ARITHMETIC,
        *_COMPARISONS,
    )
    if isinstance(node, tuple(_FORBIDDEN_NAMES)):
        what = _FORBIDDEN_NAMES[type(node)]
        raise _error(node, offset, f"{what} is not allowed in an expression")
    if not isinstance(node, allowed):
        raise _error(node, offset, f"'{type(node).__name__}' is not allowed in an expression")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else "this call"
            raise _error(node, offset, f"unknown function '{name}'; known: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise _error(node, offset, f"{node.func.id}() takes no keyword arguments")
        most = 2 if node.func.id in ("max", "min") else 1
        if not 1 <= len(node.args) <= most:
            raise _error(node, offset, f"{node.func.id}() takes {most} argument(s)")
    if isinstance(node, ast.Attribute) and not (
        isinstance(node.value, ast.Name) and node.value.id == "prev"
    ):
        raise _error(node, offset, "only prev.<name> may use a dot")
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool | int | float | str):
        raise _error(node, offset, f"the constant {node.value!r} is not a number or a string")
    # Written so that inf and nan fail the test too.
    numeric = isinstance(node, ast.Constant) and isinstance(node.value, int | float)
    if numeric and not abs(node.value) <= 1e300:  # type: ignore[attr-defined]
        raise _error(node, offset, "the number is too large")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = _constant_number(node.right)
        if exponent is None or abs(exponent) > MAX_EXPONENT:
            raise _error(
                node.right,
                offset,
                f"an exponent must be a number between -{MAX_EXPONENT:g} and {MAX_EXPONENT:g}",
            )
    if isinstance(node, ast.Slice) and node.step is not None:
        raise _error(node, offset, "a unit slice has no step: write c[0:8]")


def _constant_number(node: ast.expr) -> float | None:
    """The value of a literal number, possibly negated; None for anything else."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _constant_number(node.operand)
        if inner is None:
            return None
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            return None
        return float(node.value)
    return None


def names_for(trace: Trace) -> tuple[str, ...]:
    """The vector names an expression over ``trace`` may use."""
    return names_for_kind(trace.kind)


def names_for_kind(kind: Kind) -> tuple[str, ...]:
    """The vector names an expression over a ``kind`` network's trace may use."""
    return {"lstm": LSTM_NAMES, "gru": GRU_NAMES, "rnn": RNN_NAMES}[kind]


@dataclass(frozen=True)
class _Scope:
    """The steps ``start``..``stop``-1 of one layer, as expression values."""

    trace: Trace
    layer: int
    start: int
    stop: int
    gradients: dict[str, np.ndarray] | None
    offset: int

    def vector(self, name: str, node: ast.AST, shift: int = 0) -> np.ndarray:
        """(n, H) values of ``name`` at steps start-shift..stop-shift-1."""
        known = (*names_for(self.trace), *GRADIENT_NAMES)
        if name not in known:
            raise _error(
                node,
                self.offset,
                f"unknown name '{name}'; known: {', '.join((*known, *STEP_NAMES))}",
            )
        if name in ("h", "c") and shift == 1:
            # h_all and c_all hold the initial state at index 0: prev is exact at t = 0.
            full = self.trace.h_all if name == "h" else self.trace.c_all
            assert full is not None
            return full[self.layer, self.start : self.stop]
        values = self._series(name, node)
        if shift == 0:
            return values[self.start : self.stop]
        lo = self.start - shift
        if lo >= 0:
            return values[lo : self.stop - shift]
        missing = np.full((-lo, values.shape[1]), np.nan)
        return np.concatenate([missing, values[: self.stop - shift]])

    def _series(self, name: str, node: ast.AST) -> np.ndarray:
        """(T, H) values of ``name`` for this layer."""
        trace = self.trace
        if name in GRADIENT_NAMES:
            if self.gradients is None or name not in self.gradients:
                raise _error(node, self.offset, f"'{name}' needs gradients (record with --grad)")
            return np.asarray(self.gradients[name][self.layer])
        if name == "x":
            return np.asarray(trace.layer_input(self.layer))
        if name in ("i", "f", "g", "o", "r", "z", "n"):
            values = np.asarray(trace.gate(name)[self.layer])
        else:
            series = {"h": trace.h, "a": trace.pre, "c": trace.c}.get(
                name, getattr(trace, name, None)
            )
            assert series is not None
            values = np.asarray(series[self.layer])
        if trace.mask is not None and name not in MASKED_STEP_FIELDS:
            # Computed by the kernels at a masked step, then discarded: not the model's.
            values = np.where(trace.mask[:, None], values, np.nan)
        return values

    def step_value(self, name: str, node: ast.AST, shift: int = 0) -> np.ndarray:
        steps = np.arange(self.start - shift, self.stop - shift)[:, None]
        if name == "t":
            return self.trace.step_times(steps)
        if name == "layer":
            return np.full((self.stop - self.start, 1), self.layer)
        if self.trace.tokens is None:
            raise _error(node, self.offset, "'token' needs token input; this trace has numbers")
        tokens = np.array(("", *self.trace.tokens), dtype=np.str_)
        return tokens[steps + 1]


def _evaluate(node: ast.expr, scope: _Scope) -> Any:
    """The value of ``node`` over the scope's steps: an (n, k) array or a constant."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in STEP_NAMES:
            return scope.step_value(node.id, node)
        return scope.vector(node.id, node)
    if isinstance(node, ast.Attribute):
        if node.attr in STEP_NAMES:
            return scope.step_value(node.attr, node, shift=1)
        return scope.vector(node.attr, node, shift=1)
    if isinstance(node, ast.Subscript):
        return _index_units(node, scope)
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, scope)
        if isinstance(node.op, ast.Not):
            return np.logical_not(operand)
        return np.negative(operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, scope), _evaluate(node.right, scope)
        return _broadcast(node, scope, _ARITHMETIC[type(node.op)], left, right)
    if isinstance(node, ast.BoolOp):
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        result = _evaluate(node.values[0], scope)
        for value in node.values[1:]:
            result = _broadcast(node, scope, combine, result, _evaluate(value, scope))
        return result
    if isinstance(node, ast.Compare):
        return _compare(node, scope)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    name = node.func.id
    if name == "all" and _calls(node.args[0], "isfinite"):
        # all(isfinite(v)), the default breakpoint's question, without a mask of v.
        inner = _evaluate(node.args[0].args[0], scope)  # type: ignore[attr-defined]
        if isinstance(inner, np.ndarray) and inner.dtype.kind == "f":
            return rows_all_finite(inner)[:, None]
    args = [_evaluate(arg, scope) for arg in node.args]
    if len(args) == 2:
        pairwise = np.maximum if name == "max" else np.minimum
        return _broadcast(node, scope, pairwise, *args)
    if name in _ELEMENTWISE:
        return _ELEMENTWISE[name](args[0])
    value = args[0]
    if not isinstance(value, np.ndarray):
        return value
    if value.dtype.kind == "U":
        raise _error(node, scope.offset, f"{name}() needs numbers, not tokens")
    return _REDUCTIONS[name](value)


def _calls(node: ast.expr, function: str) -> bool:
    """Whether ``node`` is a call of ``function`` on one argument."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == function
        and len(node.args) == 1
    )


def _index_units(node: ast.Subscript, scope: _Scope) -> np.ndarray:
    value = _evaluate(node.value, scope)
    if not isinstance(value, np.ndarray) or value.shape[1] == 1:
        raise _error(node, scope.offset, "only a vector can be indexed by unit")
    width = value.shape[1]
    index = node.slice
    if isinstance(index, ast.Slice):
        bounds = []
        for bound in (index.lower, index.upper):
            number = None if bound is None else _constant_number(bound)
            if bound is not None and (number is None or number != int(number)):
                raise _error(node, scope.offset, "a unit slice's bounds are whole numbers")
            bounds.append(None if number is None else int(number))
        picked = value[:, bounds[0] : bounds[1]]
        if picked.shape[1] == 0:
            raise _error(node, scope.offset, f"the slice picks no unit of {width}")
        return picked
    number = _constant_number(index)
    if number is None or number != int(number):
        raise _error(node, scope.offset, "a unit index is a whole number, as in f[3]")
    unit = int(number)
    if not -width <= unit < width:
        raise _error(node, scope.offset, f"unit {unit} is out of range for {width} units")
    return value[:, unit : unit + 1 if unit != -1 else None]


def _compare(node: ast.Compare, scope: _Scope) -> Any:
    left = _evaluate(node.left, scope)
    result: Any = True
    for op, comparator in zip(node.ops, node.comparators, strict=True):
        right = _evaluate(comparator, scope)
        texts = [isinstance(v, str) or _is_text(v) for v in (left, right)]
        if any(texts) and (not all(texts) or not isinstance(op, ast.Eq | ast.NotEq)):
            raise _error(node, scope.offset, "a token is compared with == or != to a string")
        holds = _broadcast(node, scope, _COMPARISONS[type(op)], left, right)
        result = np.logical_and(result, holds)
        left = right
    return result


def _is_text(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "U"


def _broadcast(
    node: ast.AST, scope: _Scope, operation: Callable[[Any, Any], Any], left: Any, right: Any
) -> Any:
    widths = {v.shape[1] for v in (left, right) if isinstance(v, np.ndarray)} - {1}
    if len(widths) > 1:
        raise _error(
            node, scope.offset, f"cannot combine vectors of {' and '.join(map(str, widths))} units"
        )
    return operation(left, right)


def _as_columns(value: Any, steps: int) -> np.ndarray:
    """``value`` as an (n, k) array, a constant repeated over the steps."""
    array = np.asarray(value)
    if array.ndim == 0:
        return np.broadcast_to(array, (steps, 1))
    return array


def pass_of(trace: Trace) -> str:
    """Which pass's arrays ``trace`` holds: "reverse" for :func:`reverse_pass`'s."""
    return "reverse" if isinstance(trace, ReversePassTrace) else "forward"


def check_layer(layer: int, num_layers: int) -> None:
    """ExpressionError unless a model of ``num_layers`` layers has ``layer``."""
    if layer >= num_layers:
        raise ExpressionError(
            f"layer {layer} does not exist: the model has {num_layers} "
            f"(layers are numbered from 0) (column 1)"
        )


def layers_looked_at(expression: Expression, trace: Trace) -> list[int]:
    """The layers the expression looks at in the pass ``trace`` holds (those that run it)."""
    shown = pass_of(trace)
    named = expression.direction
    if named is not None and named != shown:
        has = "this model has no reverse pass" if not trace.directions else "evaluate it there"
        raise ExpressionError(f"'{named}:' names the {named} pass; {has} (column 1)")
    if expression.layer is not None:
        check_layer(expression.layer, trace.num_layers)
    every = range(trace.num_layers) if expression.layer is None else [expression.layer]
    layers = [k for k in every if shown in layer_passes_of(trace, k)]
    if not layers:
        if expression.layer is None:
            raise ExpressionError(f"no layer runs a {shown} pass (column 1)")
        raise ExpressionError(f"layer {expression.layer} has no {shown} pass (column 1)")
    return layers


def evaluate(
    expression: Expression,
    trace: Trace,
    layer: int,
    start: int = 0,
    stop: int | None = None,
    gradients: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """The expression's value at steps ``start``..``stop``-1 of ``layer``: (n, k), k = 1 for
    a number per step, k = units for a vector.

    gradients: ``{"dh": (L, T, H), "dc": (L, T, H)}`` when recorded.
    """
    stop = trace.num_steps if stop is None else stop
    if not 0 <= start <= stop <= trace.num_steps:
        raise ValueError(f"steps {start}:{stop} are out of range for T={trace.num_steps}")
    scope = _Scope(trace, layer, start, stop, gradients, expression.offset)
    with np.errstate(all="ignore"):
        try:
            value = _evaluate(expression.body, scope)
        except (TypeError, ValueError) as err:
            if isinstance(err, ExpressionError):
                raise
            raise ExpressionError(f"cannot evaluate '{expression.text}': {err}") from None
    return _as_columns(value, stop - start)


def truth(
    expression: Expression,
    trace: Trace,
    layer: int,
    start: int = 0,
    stop: int | None = None,
    gradients: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Where a condition holds at steps ``start``..``stop``-1 of ``layer``: (n, k) booleans."""
    value = evaluate(expression, trace, layer, start, stop, gradients)
    if value.dtype != np.bool_:
        raise ExpressionError(
            f"'{expression.text}' gives numbers, not a truth value: compare it, as in "
            f"'{expression.text.strip()} > 0' (column {expression.offset + 1})"
        )
    return value


@dataclass(frozen=True)
class Hit:
    """A step and layer where a condition holds, and the units that make it hold (empty
    when the condition is about the whole step, like ``t == 5``)."""

    t: int
    layer: int
    units: tuple[int, ...]


def _masks(
    expression: Expression,
    trace: Trace,
    start: int,
    stop: int,
    gradients: dict[str, np.ndarray] | None,
) -> tuple[list[int], list[np.ndarray], np.ndarray]:
    """The layers the condition looks at, its (n, k) truth per layer, and (n, layers):
    whether it holds at each step of each of them."""
    layers = layers_looked_at(expression, trace)
    masks = [truth(expression, trace, layer, start, stop, gradients) for layer in layers]
    holding = np.stack([mask.any(axis=1) for mask in masks], axis=1)
    return layers, masks, holding


def _hit(layers: list[int], masks: list[np.ndarray], start: int, row: int, column: int) -> Hit:
    mask = masks[column][row]
    units = tuple(int(u) for u in np.flatnonzero(mask)) if mask.shape[0] > 1 else ()
    return Hit(t=start + row, layer=layers[column], units=units)


def chunk_steps(trace: Trace) -> int:
    """How many steps a search over a long range evaluates at once: about a million values
    per (steps, H) temporary (4 MB in float32), so an expression's intermediates stay in
    cache instead of being written out to memory and read back."""
    return max(256, (1 << 20) // trace.hidden_size)


def _chunks(trace: Trace, start: int, stop: int) -> Iterator[tuple[int, int]]:
    size = chunk_steps(trace)
    for lo in range(start, stop, size):
        yield lo, min(lo + size, stop)


def hits(
    expression: Expression,
    trace: Trace,
    start: int = 0,
    stop: int | None = None,
    gradients: dict[str, np.ndarray] | None = None,
) -> Iterator[Hit]:
    """Every (step, layer) in ``start``..``stop``-1 where the condition holds, by step then
    layer (``layer L:`` conditions look at layer L only)."""
    stop = trace.num_steps if stop is None else stop
    for lo, hi in _chunks(trace, start, stop):
        layers, masks, holding = _masks(expression, trace, lo, hi, gradients)
        for row, column in zip(*np.nonzero(holding), strict=True):
            yield _hit(layers, masks, lo, int(row), int(column))


def hit_steps(
    expression: Expression,
    trace: Trace,
    gradients: dict[str, np.ndarray] | None = None,
    start: int = 0,
) -> np.ndarray:
    """The steps from ``start`` on where the condition holds on any layer it looks at,
    ascending: what a plot marks."""
    found = [np.zeros(0, np.intp)]
    for lo, hi in _chunks(trace, start, trace.num_steps):
        _, _, holding = _masks(expression, trace, lo, hi, gradients)
        found.append(lo + np.flatnonzero(holding.any(axis=1)))
    return np.concatenate(found)


def next_hit(
    expressions: list[Expression],
    trace: Trace,
    after: int,
    backward: bool = False,
    gradients: dict[str, np.ndarray] | None = None,
    chunk: int = 2048,
) -> tuple[Hit, Expression] | None:
    """The nearest step after ``after`` (before it, ``backward``) where any expression holds,
    with the one that holds (at one step: the lowest layer, then the first expression);
    None when none does.

    The steps are searched in chunks outward from ``after``, so a hit close by is found
    without evaluating the whole sequence.
    """
    steps = trace.num_steps
    # Generated as the search goes: a search that stops at once makes one chunk, not T.
    if backward:
        bounds = ((max(stop - chunk, 0), stop) for stop in range(min(after, steps), 0, -chunk))
    else:
        bounds = ((start, min(start + chunk, steps)) for start in range(after + 1, steps, chunk))
    for start, stop in bounds:
        best: tuple[int, int, int] | None = None  # (step, layer, expression index)
        found: dict[int, tuple[list[int], list[np.ndarray], np.ndarray]] = {}
        for index, expression in enumerate(expressions):
            layers, masks, holding = found[index] = _masks(
                expression, trace, start, stop, gradients
            )
            rows = np.flatnonzero(holding.any(axis=1))
            if rows.size == 0:
                continue
            row = int(rows[-1] if backward else rows[0])
            column = int(np.argmax(holding[row]))
            candidate = (start + row, layers[column], index)
            nearer = best is None or (
                candidate[0] > best[0] if backward else candidate[0] < best[0]
            )
            if nearer or (best is not None and candidate[0] == best[0] and candidate < best):
                best = candidate
        if best is not None:
            t, layer, index = best
            layers, masks, _ = found[index]
            hit = _hit(layers, masks, start, t - start, layers.index(layer))
            return hit, expressions[index]
    return None


@dataclass(frozen=True)
class HitIndex:
    """Where each of several conditions holds, over every step of one trace: what the
    plots mark, and the next or previous hit by a binary search instead of an evaluation.

    Built by :func:`index_hits`; when the trace is recomputed from some step on,
    :meth:`refreshed` evaluates only the steps from there (a step's condition reads that
    step and the one before it, so the steps before stay as they were).
    """

    expressions: tuple[Expression, ...]
    steps: tuple[np.ndarray, ...]
    """For each expression, the ascending steps where it holds on a layer it looks at."""
    every: np.ndarray
    """The ascending steps where any of them holds."""

    def nearest(self, after: int, backward: bool = False) -> int | None:
        """The nearest step after ``after`` (before it, ``backward``) where any holds."""
        if backward:
            at = int(np.searchsorted(self.every, after, side="left")) - 1
            return int(self.every[at]) if at >= 0 else None
        at = int(np.searchsorted(self.every, after, side="right"))
        return int(self.every[at]) if at < self.every.size else None

    def refreshed(
        self, trace: Trace, start: int, gradients: dict[str, np.ndarray] | None = None
    ) -> HitIndex:
        """The index of ``trace`` after its steps from ``start`` on were recomputed."""
        start = max(0, min(start, trace.num_steps))
        steps = tuple(
            np.concatenate(
                [kept[: np.searchsorted(kept, start)], hit_steps(e, trace, gradients, start)]
            )
            for e, kept in zip(self.expressions, self.steps, strict=True)
        )
        return HitIndex(self.expressions, steps, _union(steps))


def _union(steps: Sequence[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate([np.zeros(0, np.intp), *steps]))


def index_hits(
    expressions: Sequence[Expression],
    trace: Trace,
    gradients: dict[str, np.ndarray] | None = None,
) -> HitIndex:
    """Evaluate ``expressions`` over every step of ``trace`` into a :class:`HitIndex`."""
    steps = tuple(hit_steps(e, trace, gradients) for e in expressions)
    return HitIndex(tuple(expressions), steps, _union(steps))


def next_indexed_hit(
    index: HitIndex,
    trace: Trace,
    after: int,
    backward: bool = False,
    gradients: dict[str, np.ndarray] | None = None,
) -> tuple[Hit, Expression] | None:
    """What :func:`next_hit` gives for ``index``'s expressions, found with the index: only
    the step it lands on is evaluated, for the layer, the units and which one holds."""
    t = index.nearest(after, backward)
    if t is None:
        return None
    return next_hit(list(index.expressions), trace, t - 1, gradients=gradients, chunk=1)


NON_FINITE_LSTM = "not (all(isfinite(h)) and all(isfinite(c)))"
NON_FINITE_RNN = "not all(isfinite(h))"


def non_finite_condition(trace: Trace) -> Expression:
    """The default breakpoint: the first step where h (or c) is no longer finite."""
    return parse_expression(NON_FINITE_LSTM if trace.kind == "lstm" else NON_FINITE_RNN)
