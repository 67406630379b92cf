"""The state_dict and module tree of what a PyTorch file's pickle built, read inertly.

:mod:`.pickle_machine` turns the pickle into dicts, lists, arrays and
:class:`ObjectRecord` s (a class name plus the state the pickle gave it). This module
walks that value as ``torch.nn.Module.state_dict`` would:

- ``torch.save(model)``: a module is a record whose state holds ``_parameters``,
  ``_buffers`` and ``_modules``; its own parameters, then its persistent buffers, then
  each child's, in registration order;
- ``torch.jit.save``: a module is a ``__torch__.*`` record with a ``training``
  attribute; its tensors and child modules are plain attributes. The class's TorchScript
  source is *read* (parsed to a syntax tree, never compiled or run) for which attributes
  are parameters and buffers and for the constants scripting compiled into it
  (``hidden_size``, ``batch_first`` ...); a traced recurrent module's options are the
  literal arguments of its ``torch.lstm``/``torch.rnn_tanh``/``torch.rnn_relu`` call,
  and a traced ``RNNCell``'s nonlinearity the one ``torch.relu``/``torch.tanh`` it calls;
- dicts (a checkpoint ``{"model": ..., "epoch": 7}``) prefix their keys; other values
  (numbers, strings, an optimizer's lists) are skipped.

Each module found becomes a :class:`ModuleRecord` with its plain public attributes as
options; a bare state_dict has no module records.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstm_sim.engine.formats.errors import ModelFileError
from lstm_sim.engine.formats.module_tree import ModelContents, ModuleRecord, OptionValue
from lstm_sim.engine.formats.pickle_machine import ObjectRecord

CodeReader = Callable[[str], str | None]
"""TorchScript source of a module name (``__torch__.torch.nn.modules.rnn``), or None."""

MAX_DEPTH = 200
"""Nesting of modules and dicts: a real model is a few levels deep."""

MAX_VISITS = 1_000_000
"""Values visited: a pickle's shared references must not make the walk exponential."""

# aten's recurrent ops take (input, hx, params, has_biases, num_layers, dropout, train,
# bidirectional, batch_first); the op's name says the mode and nonlinearity.
_RECURRENT_OPS = {
    "lstm": {"mode": "LSTM"},
    "gru": {"mode": "GRU"},
    "rnn_tanh": {"mode": "RNN_TANH", "nonlinearity": "tanh"},
    "rnn_relu": {"mode": "RNN_RELU", "nonlinearity": "relu"},
}
_RECURRENT_ARGS = ("bias", "num_layers", "dropout", None, "bidirectional", "batch_first")


def _option(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is a plain option value (see :data:`OptionValue`)."""
    if value is None or type(value) in (bool, int, float, str):
        return True
    return type(value) is tuple and depth < 4 and all(_option(v, depth + 1) for v in value)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


@dataclass
class _ClassFacts:
    """What a TorchScript class's source says about its instances."""

    parameters: list[str] | None = None
    buffers: list[str] | None = None
    constants: dict[str, OptionValue] = field(default_factory=dict)


_NOT_LITERAL = object()


def _literal(node: ast.expr) -> Any:
    """The value a literal expression spells, or ``_NOT_LITERAL`` for anything else (a
    call, a name): nothing is evaluated."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return _NOT_LITERAL


def _recurrent_call(function: ast.FunctionDef) -> dict[str, OptionValue]:
    """Options from the one aten recurrent call in a traced module's forward."""
    for node in ast.walk(function):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "torch"
            and node.func.attr in _RECURRENT_OPS
            and len(node.args) == 3 + len(_RECURRENT_ARGS)
        ):
            continue
        options: dict[str, OptionValue] = dict(_RECURRENT_OPS[node.func.attr])
        for name, arg in zip(_RECURRENT_ARGS, node.args[3:], strict=True):
            value = _literal(arg)
            if name is not None and _option(value):
                options[name] = value
        return options
    return {}


def _cell_nonlinearity(function: ast.FunctionDef) -> dict[str, OptionValue]:
    """A traced ``RNNCell``'s forward is two ``torch.linear`` calls and one
    ``torch.relu`` or ``torch.tanh``: that call is its nonlinearity."""
    called = {
        node.func.attr
        for node in ast.walk(function)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "torch"
        and node.func.attr in ("relu", "tanh")
    }
    return {"nonlinearity": called.pop()} if len(called) == 1 else {}


def _class_facts(source: str, class_name: str) -> _ClassFacts:
    """Parameters, buffers and constants of ``class_name`` in TorchScript ``source``."""
    facts = _ClassFacts()
    try:
        tree = ast.parse(source)  # a syntax tree only: nothing is compiled or run
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return facts
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name]
    for statement in classes[0].body if len(classes) == 1 else []:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            names = _literal(statement.value)
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                if statement.targets[0].id == "__parameters__":
                    facts.parameters = names
                elif statement.targets[0].id == "__buffers__":
                    facts.buffers = names
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(statement.annotation, ast.Subscript)
            and isinstance(statement.annotation.value, ast.Name)
            and statement.annotation.value.id == "Final"
            and statement.value is not None
        ):
            value = _literal(statement.value)
            if _option(value):
                facts.constants[statement.target.id] = value
        elif isinstance(statement, ast.FunctionDef) and statement.name == "forward":
            traced = _recurrent_call(statement)
            if class_name == "RNNCell":
                traced.update(_cell_nonlinearity(statement))
            for name, value in traced.items():
                facts.constants.setdefault(name, value)
    return facts


class _Walker:
    """Collects tensors and module records from one pickled value."""

    def __init__(self, read_code: CodeReader) -> None:
        self._read_code = read_code
        self._facts: dict[str, _ClassFacts] = {}
        self.state_dict: dict[str, np.ndarray] = {}
        self.modules: list[ModuleRecord] = []
        self._visits = 0
        self._ancestors: set[int] = set()

    def _visit(self, value: Any, depth: int) -> None:
        self._visits += 1
        if self._visits > MAX_VISITS:
            raise ModelFileError(f"its pickle refers to more than {MAX_VISITS} values")
        if depth > MAX_DEPTH:
            raise ModelFileError(f"its modules or dicts nest deeper than {MAX_DEPTH} levels")
        if id(value) in self._ancestors:
            raise ModelFileError("its pickle holds a module or dict that contains itself")

    def walk(self, value: Any, path: str, depth: int = 0) -> None:
        self._visit(value, depth)
        if isinstance(value, np.ndarray):
            self.state_dict[path] = value
        elif type(value) is dict:
            self._ancestors.add(id(value))
            for key, item in value.items():
                if type(key) in (str, int):
                    self.walk(item, _join(path, str(key)), depth + 1)
            self._ancestors.discard(id(value))
        elif isinstance(value, ObjectRecord) and self._module_kind(value) is not None:
            self.module(value, path, depth)

    @staticmethod
    def _module_kind(record: ObjectRecord) -> str | None:
        state = record.state
        if type(state) is not dict:
            return None
        if all(type(state.get(k)) is dict for k in ("_parameters", "_buffers", "_modules")):
            return "eager"
        if record.cls.module.split(".")[0] == "__torch__" and "training" in state:
            return "script"
        return None

    def _class(self, record: ObjectRecord) -> _ClassFacts:
        name = record.cls.qualified_name
        if name not in self._facts:
            source = self._read_code(record.cls.module)
            found = _ClassFacts() if source is None else _class_facts(source, record.cls.name)
            self._facts[name] = found
        return self._facts[name]

    def _tensor(self, name: str, value: Any) -> None:
        if not isinstance(value, np.ndarray):
            raise ModelFileError(
                f"{name} is a {type(value).__name__}, expected a tensor (an uninitialized "
                "or unusual parameter)"
            )
        self.state_dict[name] = value

    def module(self, record: ObjectRecord, path: str, depth: int) -> None:
        state: dict[str, Any] = record.state
        options = {
            key: value
            for key, value in state.items()
            if isinstance(key, str)
            and not key.startswith("_")
            and key != "training"
            and _option(value)
        }
        if self._module_kind(record) == "eager":
            skipped = state.get("_non_persistent_buffers_set")
            tensors = [(k, v) for k, v in state["_parameters"].items() if v is not None]
            tensors += [
                (k, v)
                for k, v in state["_buffers"].items()
                if v is not None and not (isinstance(skipped, frozenset) and k in skipped)
            ]
            children = [(k, v) for k, v in state["_modules"].items() if v is not None]
        else:
            facts = self._class(record)
            options = {**facts.constants, **options}
            if facts.parameters is None or facts.buffers is None:
                names = [k for k, v in state.items() if isinstance(v, np.ndarray)]
            else:
                names = [n for n in facts.parameters + facts.buffers if n in state]
            # A bias=False module lists its bias as a parameter holding None.
            tensors = [(k, state[k]) for k in names if state[k] is not None]
            children = [
                (k, v)
                for k, v in state.items()
                if isinstance(v, ObjectRecord) and self._module_kind(v) == "script"
            ]
        for key, _ in children:
            if not isinstance(key, str):
                raise ModelFileError(f"module {path or '(root)'} names a child with a non-string")
        self.modules.append(
            ModuleRecord(
                path=path,
                type_name=record.cls.name,
                qualified_name=record.cls.qualified_name,
                options={k: v for k, v in options.items() if k not in dict(tensors)},
                children=tuple(k for k, _ in children),
            )
        )
        for key, value in tensors:
            self._tensor(_join(path, str(key)), value)
        self._ancestors.add(id(record))
        for key, child in children:
            self._visit(child, depth + 1)
            if not (isinstance(child, ObjectRecord) and self._module_kind(child) is not None):
                raise ModelFileError(
                    f"module {_join(path, key)} is a {type(child).__name__}, expected a module"
                )
            self.module(child, _join(path, key), depth + 1)
        self._ancestors.discard(id(record))


def contents_from_pickle(obj: Any, read_code: CodeReader) -> ModelContents:
    """The tensors (by state_dict name) and module records of an unpickled PyTorch file."""
    walker = _Walker(read_code)
    walker.walk(obj, "")
    return ModelContents(walker.state_dict, tuple(walker.modules) if walker.modules else None)
