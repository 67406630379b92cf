"""A pickle interpreter that never imports, calls or mutates anything but its own values.

Python's unpickler resolves every global to a live object, calls it for REDUCE, and lets
BUILD set attributes on whatever it was given: a hostile file can reach any importable
function, or poison an object shared across loads. This machine reads the same opcodes
but produces only inert values, fresh for each load:

- a global (GLOBAL, STACK_GLOBAL, INST, OBJ) is a :class:`GlobalRef`, a name, never imported;
- constructing an object (NEWOBJ, NEWOBJ_EX, INST, OBJ) gives an :class:`ObjectRecord`
  holding the class's name and arguments; BUILD stores its state there, once;
- a call (REDUCE) runs only a function the caller supplies for that global's name (a
  NumPy rebuild of a tensor, a dict for ``collections.OrderedDict``); any other call is
  refused before anything happens;
- SETITEM(S), APPEND(S) and ADDITEMS change only dicts, lists and sets this load made.

Memo indices, stack size, value counts, tuple nesting and integer sizes are bounded before
anything is allocated, so a small file cannot ask for gigabytes.
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lstm_sim.engine.formats.errors import ModelFileError


class RefusedPickle(ModelFileError):
    """The pickle asked for something this machine never does (a call, a foreign write)."""


@dataclass(frozen=True, slots=True)
class GlobalRef:
    """A global the pickle named: ``module.name``, never imported."""

    module: str
    name: str

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(eq=False, slots=True)
class ObjectRecord:
    """An object the pickle constructed: its class's name, arguments and BUILD state.

    Nothing is constructed; the record is created by this load and only BUILD of the same
    load fills ``state`` (once).
    """

    cls: GlobalRef
    args: tuple[Any, ...] = ()
    state: Any = None
    built: bool = field(default=False, repr=False)


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a small pickle from asking for a large amount of memory."""

    max_values: int = 4_000_000
    """Values pushed on the stack (each costs memory); a whole model needs far fewer."""
    max_memo: int = 1_000_000
    """Memo slots, and so the largest memo index accepted."""
    max_tuple_depth: int = 64
    """Tuple nesting: tuples are hashed and compared recursively."""
    max_int_bytes: int = 64
    """Bytes of one LONG1/LONG4 integer."""


_T = TypeVar("_T")

Caller = Callable[..., Any]
"""A function the caller lets REDUCE run for one global: it gets the pickled arguments."""


def _describe(value: Any) -> str:
    """A short, recursion-free name of a value's kind, for error messages."""
    if isinstance(value, GlobalRef):
        return value.qualified_name
    if isinstance(value, ObjectRecord):
        return f"a {value.cls.qualified_name} object"
    return f"a {type(value).__name__}"


class _Mark:
    """The MARK opcode's stack marker (one per load, never escapes the machine)."""


class PickleMachine:
    """Runs one pickle; ``calls`` maps a global's qualified name to what REDUCE may run,
    ``persistent_load`` resolves persistent ids (it gets the id, an inert value)."""

    def __init__(
        self,
        data: bytes,
        *,
        calls: Mapping[str, Caller],
        persistent_load: Callable[[Any], Any],
        limits: Limits | None = None,
    ) -> None:
        self._data = bytes(data)
        self._pos = 0
        self._calls = calls
        self._persistent_load = persistent_load
        self._limits = limits or Limits()
        self._stack: list[Any] = []
        self._marks: list[int] = []
        self._memo: dict[int, Any] = {}
        self._values = 0
        self._tuple_depth: dict[int, int] = {}
        # Ids of the containers this load made, with the containers kept alive so an id
        # cannot be reused by another object.
        self._own: dict[int, Any] = {}
        self._built_dicts: set[int] = set()

    # -- reading the byte stream ---------------------------------------------------------

    def _take(self, count: int) -> bytes:
        if count < 0 or self._pos + count > len(self._data):
            raise ModelFileError(
                f"the pickle ends early: an opcode wants {count} bytes at offset {self._pos}"
            )
        chunk = self._data[self._pos : self._pos + count]
        self._pos += count
        return chunk

    def _line(self) -> bytes:
        end = self._data.find(b"\n", self._pos)
        if end < 0:
            raise ModelFileError(f"the pickle ends early inside a text line at {self._pos}")
        return self._take(end + 1 - self._pos)[:-1]

    def _unsigned(self, size: int) -> int:
        return int.from_bytes(self._take(size), "little")

    # -- the stack -----------------------------------------------------------------------

    def _count(self) -> None:
        self._values += 1
        if self._values > self._limits.max_values:
            raise ModelFileError(
                f"the pickle holds more than {self._limits.max_values} values; "
                "no model file needs that many"
            )

    def _push(self, value: Any) -> None:
        self._count()
        self._stack.append(value)

    def _pop(self) -> Any:
        if not self._stack or (self._marks and len(self._stack) <= self._marks[-1]):
            raise ModelFileError("the pickle pops from an empty stack")
        return self._stack.pop()

    def _top(self) -> Any:
        if not self._stack or (self._marks and len(self._stack) <= self._marks[-1]):
            raise ModelFileError("the pickle reads an empty stack")
        return self._stack[-1]

    def _pop_mark(self) -> list[Any]:
        if not self._marks:
            raise ModelFileError("the pickle closes a MARK it never opened")
        start = self._marks.pop()
        items = self._stack[start:]
        del self._stack[start:]
        return items

    def _own_new(self, container: _T) -> _T:
        self._own[id(container)] = container
        return container

    def _is_own(self, value: object) -> bool:
        return self._own.get(id(value)) is value

    def _owned(self, value: Any, kind: type, opcode: str) -> Any:
        if type(value) is not kind or not self._is_own(value):
            raise RefusedPickle(
                f"refused to load: its pickle applies {opcode} to {_describe(value)}; "
                f"only a {kind.__name__} it made itself may be changed"
            )
        return value

    def _tuple(self, items: list[Any] | tuple[Any, ...]) -> tuple[Any, ...]:
        depth = 1 + max(
            (self._tuple_depth.get(id(item), 0) for item in items if type(item) is tuple),
            default=0,
        )
        if depth > self._limits.max_tuple_depth:
            raise ModelFileError(
                f"the pickle nests tuples deeper than {self._limits.max_tuple_depth} levels"
            )
        made = tuple(items)
        self._own_new(made)
        self._tuple_depth[id(made)] = depth
        return made

    def _memo_index(self, index: int) -> int:
        if index > self._limits.max_memo:
            raise ModelFileError(
                f"the pickle uses memo index {index}, beyond the {self._limits.max_memo} "
                "slots any model file needs"
            )
        return index

    def _memo_get(self, index: int) -> Any:
        if index not in self._memo:
            raise ModelFileError(f"the pickle reads memo slot {index}, which it never filled")
        return self._memo[index]

    def _memo_put(self, index: int) -> None:
        self._memo_index(index)
        if len(self._memo) >= self._limits.max_memo and index not in self._memo:
            raise ModelFileError(f"the pickle fills more than {self._limits.max_memo} memo slots")
        self._memo[index] = self._top()

    # -- globals, objects and calls ----------------------------------------------------------

    @staticmethod
    def _global(module: Any, name: Any) -> GlobalRef:
        if not (isinstance(module, str) and isinstance(name, str)) or not module or not name:
            raise ModelFileError("the pickle names a global with something other than text")
        if len(module) + len(name) > 300:
            raise ModelFileError("the pickle names a global longer than 300 characters")
        return GlobalRef(module, name)

    def _construct(self, cls: Any, args: Any) -> ObjectRecord:
        if not isinstance(cls, GlobalRef):
            raise ModelFileError(f"the pickle constructs an object of {_describe(cls)}")
        if type(args) is not tuple:
            raise ModelFileError(
                f"the pickle constructs {cls.qualified_name} from {_describe(args)}"
            )
        return self._own_new(ObjectRecord(cls, args))

    def _call(self, func: Any, args: Any) -> Any:
        if not isinstance(func, GlobalRef):
            raise RefusedPickle(f"refused to load: its pickle calls {_describe(func)}")
        run = self._calls.get(func.qualified_name)
        if run is None:
            raise RefusedPickle(
                f"refused to load: its pickle calls {func.qualified_name}, which a saved "
                "model never needs (it could run code)"
            )
        if type(args) is not tuple:
            raise ModelFileError(f"the pickle calls {func.qualified_name} with {_describe(args)}")
        result = run(*args)
        if type(result) in (dict, list) or isinstance(result, ObjectRecord):
            self._own_new(result)  # the caller made it fresh, for this load alone
        return result

    def _build(self, target: Any, state: Any) -> None:
        if type(target) is dict and self._is_own(target) and type(state) is dict:
            # An OrderedDict's attributes (a state_dict's ``_metadata``: version numbers);
            # the dict itself is what matters, so they are read and dropped, once.
            if id(target) in self._built_dicts:
                raise RefusedPickle("refused to load: its pickle BUILDs twice onto a dict")
            self._built_dicts.add(id(target))
            return
        if not (isinstance(target, ObjectRecord) and self._is_own(target)):
            raise RefusedPickle(
                f"refused to load: its pickle BUILDs onto {_describe(target)}; only objects "
                "the same pickle constructed may receive state"
            )
        if target.built:
            raise RefusedPickle(
                f"refused to load: its pickle BUILDs twice onto {_describe(target)}"
            )
        target.state = state
        target.built = True

    # -- the loop ------------------------------------------------------------------------

    def load(self) -> Any:
        """The pickle's value, or ModelFileError (RefusedPickle for a refused operation)."""
        while True:
            if self._pos >= len(self._data):
                raise ModelFileError("the pickle ends without a STOP opcode")
            code = self._data[self._pos]
            self._pos += 1
            if code == 0x2E:  # STOP
                if len(self._stack) != 1 or self._marks:
                    raise ModelFileError("the pickle stops with a malformed stack")
                return self._stack[0]
            handler = _HANDLERS.get(code)
            if handler is None:
                raise ModelFileError(
                    f"the pickle uses opcode {bytes([code])!r} at offset {self._pos - 1}, "
                    "which a saved model never needs"
                )
            handler(self)

    # -- opcode handlers -----------------------------------------------------------------

    def _op_proto(self) -> None:
        if self._unsigned(1) > 5:
            raise ModelFileError("the pickle declares a protocol above 5")

    def _op_frame(self) -> None:
        self._unsigned(8)  # a framing hint only: the whole pickle is in memory already

    def _op_mark(self) -> None:
        self._count()
        self._marks.append(len(self._stack))

    def _op_pop(self) -> None:
        if self._marks and len(self._stack) == self._marks[-1]:
            self._marks.pop()
        else:
            self._pop()

    def _op_pop_mark(self) -> None:
        self._pop_mark()

    def _op_dup(self) -> None:
        self._push(self._top())

    def _op_none(self) -> None:
        self._push(None)

    def _op_true(self) -> None:
        self._push(True)

    def _op_false(self) -> None:
        self._push(False)

    def _op_int(self) -> None:
        text = self._line()
        if text in (b"00", b"01"):
            self._push(text == b"01")
        else:
            self._push(self._text_int(text))

    def _text_int(self, text: bytes) -> int:
        digits = text.rstrip(b"L")
        if len(digits) > 3 * self._limits.max_int_bytes:
            raise ModelFileError("the pickle holds an integer with too many digits")
        try:
            return int(digits)
        except ValueError:
            raise ModelFileError(f"the pickle holds a malformed integer {digits[:20]!r}") from None

    def _op_long(self) -> None:
        self._push(self._text_int(self._line()))

    def _op_binint(self) -> None:
        self._push(int.from_bytes(self._take(4), "little", signed=True))

    def _op_binint1(self) -> None:
        self._push(self._unsigned(1))

    def _op_binint2(self) -> None:
        self._push(self._unsigned(2))

    def _long_of(self, size: int) -> None:
        if size > self._limits.max_int_bytes:
            raise ModelFileError(f"the pickle holds a {size}-byte integer")
        self._push(int.from_bytes(self._take(size), "little", signed=True))

    def _op_long1(self) -> None:
        self._long_of(self._unsigned(1))

    def _op_long4(self) -> None:
        self._long_of(int.from_bytes(self._take(4), "little", signed=True))

    def _op_float(self) -> None:
        try:
            self._push(float(self._line()))
        except ValueError:
            raise ModelFileError("the pickle holds a malformed float") from None

    def _op_binfloat(self) -> None:
        self._push(struct.unpack(">d", self._take(8))[0])

    def _op_string(self) -> None:
        text = self._line()
        if len(text) < 2 or text[0] != text[-1] or text[:1] not in (b"'", b'"'):
            raise ModelFileError("the pickle holds a malformed quoted string")
        try:
            raw = codecs.escape_decode(text[1:-1])[0]
        except ValueError:
            raise ModelFileError("the pickle holds a malformed quoted string") from None
        self._push(self._decode(raw))

    @staticmethod
    def _decode(raw: bytes, encoding: str = "latin-1") -> str:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            raise ModelFileError(f"the pickle holds text that is not valid {encoding}") from None

    def _op_binstring(self) -> None:
        self._push(self._decode(self._take(int.from_bytes(self._take(4), "little", signed=True))))

    def _op_short_binstring(self) -> None:
        self._push(self._decode(self._take(self._unsigned(1))))

    def _op_unicode(self) -> None:
        self._push(self._decode(self._line(), "raw-unicode-escape"))

    def _op_binunicode(self) -> None:
        self._push(self._decode(self._take(self._unsigned(4)), "utf-8"))

    def _op_short_binunicode(self) -> None:
        self._push(self._decode(self._take(self._unsigned(1)), "utf-8"))

    def _op_binunicode8(self) -> None:
        self._push(self._decode(self._take(self._unsigned(8)), "utf-8"))

    def _op_binbytes(self) -> None:
        self._push(self._take(self._unsigned(4)))

    def _op_short_binbytes(self) -> None:
        self._push(self._take(self._unsigned(1)))

    def _op_binbytes8(self) -> None:
        self._push(self._take(self._unsigned(8)))

    def _op_empty_tuple(self) -> None:
        self._push(())

    def _op_tuple(self) -> None:
        self._push(self._tuple(self._pop_mark()))

    def _op_tuple1(self) -> None:
        self._push(self._tuple([self._pop()]))

    def _op_tuple2(self) -> None:
        second = self._pop()
        self._push(self._tuple([self._pop(), second]))

    def _op_tuple3(self) -> None:
        third, second = self._pop(), self._pop()
        self._push(self._tuple([self._pop(), second, third]))

    def _op_empty_list(self) -> None:
        self._push(self._own_new([]))

    def _op_list(self) -> None:
        self._push(self._own_new(self._pop_mark()))

    def _op_empty_dict(self) -> None:
        self._push(self._own_new({}))

    def _op_dict(self) -> None:
        items = self._pop_mark()
        target: dict[Any, Any] = self._own_new({})
        self._set_items(target, items)
        self._push(target)

    def _op_empty_set(self) -> None:
        self._push(self._own_new(set()))

    def _op_frozenset(self) -> None:
        self._push(self._hashing(frozenset, self._pop_mark()))

    @staticmethod
    def _hashing(make: Callable[[Any], Any], items: Any) -> Any:
        try:
            return make(items)
        except TypeError:
            raise ModelFileError("the pickle uses an unhashable value as a key") from None

    def _op_append(self) -> None:
        value = self._pop()
        self._owned(self._top(), list, "APPEND").append(value)

    def _op_appends(self) -> None:
        items = self._pop_mark()
        self._owned(self._top(), list, "APPENDS").extend(items)

    def _op_additems(self) -> None:
        items = self._pop_mark()
        target = self._owned(self._top(), set, "ADDITEMS")
        self._hashing(target.update, items)

    def _set_items(self, target: dict[Any, Any], items: list[Any]) -> None:
        if len(items) % 2:
            raise ModelFileError("the pickle sets dict items from an odd number of values")
        try:
            for index in range(0, len(items), 2):
                target[items[index]] = items[index + 1]
        except TypeError:
            raise ModelFileError("the pickle uses an unhashable value as a key") from None

    def _op_setitem(self) -> None:
        value, key = self._pop(), self._pop()
        self._set_items(self._owned(self._top(), dict, "SETITEM"), [key, value])

    def _op_setitems(self) -> None:
        items = self._pop_mark()
        self._set_items(self._owned(self._top(), dict, "SETITEMS"), items)

    def _op_get(self) -> None:
        self._push(self._memo_get(self._text_int(self._line())))

    def _op_binget(self) -> None:
        self._push(self._memo_get(self._unsigned(1)))

    def _op_long_binget(self) -> None:
        self._push(self._memo_get(self._memo_index(self._unsigned(4))))

    def _op_put(self) -> None:
        self._memo_put(self._text_int(self._line()))

    def _op_binput(self) -> None:
        self._memo_put(self._unsigned(1))

    def _op_long_binput(self) -> None:
        self._memo_put(self._unsigned(4))

    def _op_memoize(self) -> None:
        self._memo_put(len(self._memo))

    def _op_global(self) -> None:
        module = self._decode(self._line(), "utf-8")
        name = self._decode(self._line(), "utf-8")
        self._push(self._global(module, name))

    def _op_stack_global(self) -> None:
        name = self._pop()
        self._push(self._global(self._pop(), name))

    def _op_inst(self) -> None:
        cls = self._global(self._decode(self._line(), "utf-8"), self._decode(self._line(), "utf-8"))
        self._push(self._construct(cls, self._tuple(self._pop_mark())))

    def _op_obj(self) -> None:
        items = self._pop_mark()
        if not items:
            raise ModelFileError("the pickle's OBJ opcode has no class")
        self._push(self._construct(items[0], self._tuple(items[1:])))

    def _op_newobj(self) -> None:
        args = self._pop()
        self._push(self._construct(self._pop(), args))

    def _op_newobj_ex(self) -> None:
        kwargs, args = self._pop(), self._pop()
        if type(kwargs) is not dict or kwargs:
            raise ModelFileError("the pickle constructs an object with keyword arguments")
        self._push(self._construct(self._pop(), args))

    def _op_reduce(self) -> None:
        args = self._pop()
        self._push(self._call(self._pop(), args))

    def _op_build(self) -> None:
        state = self._pop()
        self._build(self._top(), state)

    def _op_persid(self) -> None:
        self._push(self._persistent_load(self._decode(self._line())))

    def _op_binpersid(self) -> None:
        self._push(self._persistent_load(self._pop()))


_HANDLERS: dict[int, Callable[[PickleMachine], None]] = {
    ord(op): handler
    for op, handler in {
        "\x80": PickleMachine._op_proto,
        "\x95": PickleMachine._op_frame,
        "(": PickleMachine._op_mark,
        "0": PickleMachine._op_pop,
        "1": PickleMachine._op_pop_mark,
        "2": PickleMachine._op_dup,
        "N": PickleMachine._op_none,
        "\x88": PickleMachine._op_true,
        "\x89": PickleMachine._op_false,
        "I": PickleMachine._op_int,
        "L": PickleMachine._op_long,
        "J": PickleMachine._op_binint,
        "K": PickleMachine._op_binint1,
        "M": PickleMachine._op_binint2,
        "\x8a": PickleMachine._op_long1,
        "\x8b": PickleMachine._op_long4,
        "F": PickleMachine._op_float,
        "G": PickleMachine._op_binfloat,
        "S": PickleMachine._op_string,
        "T": PickleMachine._op_binstring,
        "U": PickleMachine._op_short_binstring,
        "V": PickleMachine._op_unicode,
        "X": PickleMachine._op_binunicode,
        "\x8c": PickleMachine._op_short_binunicode,
        "\x8d": PickleMachine._op_binunicode8,
        "B": PickleMachine._op_binbytes,
        "C": PickleMachine._op_short_binbytes,
        "\x8e": PickleMachine._op_binbytes8,
        ")": PickleMachine._op_empty_tuple,
        "t": PickleMachine._op_tuple,
        "\x85": PickleMachine._op_tuple1,
        "\x86": PickleMachine._op_tuple2,
        "\x87": PickleMachine._op_tuple3,
        "]": PickleMachine._op_empty_list,
        "l": PickleMachine._op_list,
        "}": PickleMachine._op_empty_dict,
        "d": PickleMachine._op_dict,
        "\x8f": PickleMachine._op_empty_set,
        "\x91": PickleMachine._op_frozenset,
        "a": PickleMachine._op_append,
        "e": PickleMachine._op_appends,
        "\x90": PickleMachine._op_additems,
        "s": PickleMachine._op_setitem,
        "u": PickleMachine._op_setitems,
        "g": PickleMachine._op_get,
        "h": PickleMachine._op_binget,
        "j": PickleMachine._op_long_binget,
        "p": PickleMachine._op_put,
        "q": PickleMachine._op_binput,
        "r": PickleMachine._op_long_binput,
        "\x94": PickleMachine._op_memoize,
        "c": PickleMachine._op_global,
        "\x93": PickleMachine._op_stack_global,
        "i": PickleMachine._op_inst,
        "o": PickleMachine._op_obj,
        "\x81": PickleMachine._op_newobj,
        "\x92": PickleMachine._op_newobj_ex,
        "R": PickleMachine._op_reduce,
        "b": PickleMachine._op_build,
        "P": PickleMachine._op_persid,
        "Q": PickleMachine._op_binpersid,
    }.items()
}
"""Every opcode the machine runs; the rest (extension registry, out-of-band buffers) are
refused: torch never writes them."""


def unpickle(
    data: bytes,
    *,
    calls: Mapping[str, Caller],
    persistent_load: Callable[[Any], Any],
    limits: Limits | None = None,
) -> Any:
    """The value of the pickle ``data``, built inertly (see the module's docstring)."""
    return PickleMachine(data, calls=calls, persistent_load=persistent_load, limits=limits).load()
