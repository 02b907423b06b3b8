"""The dynamic stub: any Python callable exported over ONC RPC with no IDL, in the spirit of Java RMI.

A generated stub knows every argument's type from the interface definition; a dynamic stub knows
nothing in advance, so **the type travels with each value**. Every argument and result is one XDR
discriminated union, ``dyn_value``, whose discriminant is a type tag and whose arm is the value; a
container's items are ``dyn_value`` again, so a value describes itself all the way down (as Java
serialization writes a class descriptor before an object's fields, and as CBOR or MessagePack tag
each item). In XDR language (RFC 4506), the program is::

    enum dyn_tag { DYN_NONE = 0, DYN_BOOL = 1, DYN_INT = 2, DYN_FLOAT = 3, DYN_STR = 4, DYN_BYTES = 5,
                   DYN_LIST = 6, DYN_TUPLE = 7, DYN_DICT = 8, DYN_OBJECT = 9 };
    struct dyn_entry  { dyn_value key; dyn_value value; };
    struct dyn_field  { string name<>; dyn_value value; };
    struct dyn_object { string cls<>; dyn_field fields<>; };     /* a dataclass instance */
    union dyn_value switch (dyn_tag tag) {
        case DYN_NONE:  void;               case DYN_BOOL:  bool b;
        case DYN_INT:   hyper i;            case DYN_FLOAT: double f;
        case DYN_STR:   string s<>;         case DYN_BYTES: opaque o<>;
        case DYN_LIST:  dyn_value items<>;  case DYN_TUPLE: dyn_value items<>;
        case DYN_DICT:  dyn_entry entries<>;
        case DYN_OBJECT: dyn_object object;
    };
    struct dyn_error  { string type<>; string message<>; };
    union dyn_result switch (int status) { case 0: dyn_value value; case 1: dyn_error error; };
    program DYNAMIC_PROG { version DYNAMIC_V1 {
        dyn_result INVOKE(string name<>, dyn_value args<>, dyn_field kwargs<>) = 1;
        string NAMES(void)<> = 2;                                 /* what is exported, sorted */
    } = 1; } = 0x20000D40;

So the function's name travels in every call (a generated stub sends a procedure number instead:
RMI sends a method hash), one tag word precedes every value, and a dataclass carries its class name
(``module.QualName``) and field names. A dataclass is rebuilt only into a class both sides list in
``classes`` (as RMI needs the class on both sides): a class name arriving from the wire is never
imported. A function that raises on the server answers ``dyn_result`` 1 with the exception's type
name and message, raised at the caller as :class:`RemoteError`; a name that is not exported, or a
value the server cannot rebuild, answers the same way. Malformed bytes are the server's
GARBAGE_ARGS, as for any program. Everything runs over the ordinary :class:`~distlab.oncrpc.Client`,
:class:`~distlab.oncrpc.AsyncClient` and :class:`~distlab.oncrpc.Server`.

Examples:
    Exporting two functions and calling them::

        server = Server()
        server.add(*export({"add": lambda a, b: a + b, "echo": lambda x: x}))
        with server.serve_in_thread(), Client(server.host, server.port) as client:
            remote = DynamicProxy(client)
            remote.add(2, 3)                  # 5
            remote.echo({"k": [1, 2.5, b"x"]})  # the same dict
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from distlab.oncrpc.aclient import AsyncClient
from distlab.oncrpc.client import Client
from distlab.oncrpc.program import Procedure, ProgramVersion
from distlab.rpc.errors import EncodeError, RpcError
from distlab.rpc.types import (
    BOOL,
    FLOAT64,
    INT32,
    INT64,
    VOID,
    Array,
    Enum,
    Opaque,
    Ref,
    String,
    Struct,
    Union,
)

__all__ = [
    "ALLOWED",
    "DEFAULT_PROGRAM",
    "DYNAMIC_VALUE",
    "AsyncDynamicProxy",
    "DynamicProxy",
    "RemoteError",
    "dynamic_program",
    "export",
    "from_value",
    "to_value",
]

DEFAULT_PROGRAM = 0x20000D40
"""The program number of a dynamic export when none is given (in the user-defined range, RFC 5531)."""

ALLOWED = "None, bool, int (64-bit signed), float, str, bytes, list, tuple, dict, or a dataclass instance of these"
"""What a dynamic stub can marshal, in words (said by every refusal)."""

MAX_DEPTH = 100
"""The deepest nesting of containers marshaled or rebuilt: deeper values are refused, not a stack overflow."""

NONE, BOOL_, INT, FLOAT, STR, BYTES, LIST, TUPLE, DICT, OBJECT = range(10)

_value = Ref("dyn_value")
_ENTRY = Struct("dyn_entry", (("key", _value), ("value", _value)))
_FIELD = Struct("dyn_field", (("name", String()), ("value", _value)))
_OBJECT = Struct("dyn_object", (("cls", String()), ("fields", Array(_FIELD))))
_TAG = Enum("dyn_tag", (("DYN_NONE", NONE), ("DYN_BOOL", BOOL_), ("DYN_INT", INT), ("DYN_FLOAT", FLOAT),
                        ("DYN_STR", STR), ("DYN_BYTES", BYTES), ("DYN_LIST", LIST), ("DYN_TUPLE", TUPLE),
                        ("DYN_DICT", DICT), ("DYN_OBJECT", OBJECT)))
DYNAMIC_VALUE = Union("dyn_value", _TAG, (
    (NONE, "none", VOID), (BOOL_, "b", BOOL), (INT, "i", INT64), (FLOAT, "f", FLOAT64), (STR, "s", String()),
    (BYTES, "o", Opaque()), (LIST, "items", Array(_value)), (TUPLE, "items", Array(_value)),
    (DICT, "entries", Array(_ENTRY)), (OBJECT, "object", _OBJECT)))
"""The self-describing value: a type tag, then the value (see the module's docstring)."""
_value.bind(DYNAMIC_VALUE)
_ERROR = Struct("dyn_error", (("type", String()), ("message", String())))
_RESULT = Union("dyn_result", INT32, ((0, "value", DYNAMIC_VALUE), (1, "error", _ERROR)))
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class RemoteError(RpcError):
    """The remote function raised, was not exported, or got a value the server could not rebuild.

    Attributes:
        type_name: the name of the exception's class on the server, e.g. ``"ZeroDivisionError"``.
        message: its message.
    """

    def __init__(self, type_name: str, message: str) -> None:
        self.type_name, self.message = type_name, message
        super().__init__(f"the remote call raised {type_name}: {message}")


def dynamic_program(program: int = DEFAULT_PROGRAM, version: int = 1) -> ProgramVersion:
    """The program version of a dynamic export (INVOKE = 1, NAMES = 2), under ``program`` and ``version``."""
    return ProgramVersion("DYNAMIC_PROG", "DYNAMIC_V1", program, version, {
        1: Procedure("INVOKE", 1, (String(), Array(DYNAMIC_VALUE), Array(_FIELD)), _RESULT),
        2: Procedure("NAMES", 2, (), Array(String())),
    })


def _class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def to_value(value: Any, path: str = "value", _depth: int = 0, _open: frozenset[int] = frozenset()) -> tuple[int, Any]:
    """The ``dyn_value`` (tag, arm value) of a Python value, by its runtime type.

    Raises:
        EncodeError: naming the path and the type that cannot travel, and what can (:data:`ALLOWED`);
            also for an int beyond 64 bits, a value nested deeper than :data:`MAX_DEPTH` and a
            container that contains itself.
    """
    if value is None:
        return NONE, None
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return BOOL_, value
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise EncodeError(path, f"int {value} does not fit 64 bits (allowed: {_INT64_MIN}..{_INT64_MAX})")
        return INT, int(value)
    if isinstance(value, float):
        return FLOAT, value
    if isinstance(value, str):
        return STR, value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return BYTES, bytes(value)
    if _depth >= MAX_DEPTH:
        raise EncodeError(path, f"nested deeper than {MAX_DEPTH} containers")
    if id(value) in _open:
        raise EncodeError(path, "a container that contains itself cannot be copied by value")
    inner = _open | {id(value)}
    depth = _depth + 1
    if isinstance(value, (list, tuple)):
        items = [to_value(v, f"{path}[{i}]", depth, inner) for i, v in enumerate(value)]
        return (TUPLE if isinstance(value, tuple) else LIST), items
    if isinstance(value, dict):
        return DICT, [{"key": to_value(k, f"{path} key {k!r}", depth, inner),
                       "value": to_value(v, f"{path}[{k!r}]", depth, inner)} for k, v in value.items()]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [{"name": f.name, "value": to_value(getattr(value, f.name), f"{path}.{f.name}", depth, inner)}
                  for f in dataclasses.fields(value)]
        return OBJECT, {"cls": _class_name(type(value)), "fields": fields}
    raise EncodeError(path, f"a {type(value).__module__}.{type(value).__qualname__} cannot travel "
                            f"by a dynamic stub; allowed: {ALLOWED}")


def from_value(value: tuple[int, Any], classes: Mapping[str, type], path: str = "value",
               _depth: int = 0) -> Any:
    """The Python value of a decoded ``dyn_value`` (tag, arm value); dataclasses from ``classes`` by name.

    Raises:
        TypeError: a dataclass whose class is not in ``classes``, fields that do not fit it, a dict
            key that cannot be hashed, or nesting deeper than :data:`MAX_DEPTH`.
    """
    tag, arm = value
    if tag in (NONE, BOOL_, INT, FLOAT, STR, BYTES):
        return arm
    if _depth >= MAX_DEPTH:
        raise TypeError(f"{path}: nested deeper than {MAX_DEPTH} containers")
    depth = _depth + 1
    if tag in (LIST, TUPLE):
        items = [from_value(v, classes, f"{path}[{i}]", depth) for i, v in enumerate(arm)]
        return tuple(items) if tag == TUPLE else items
    if tag == DICT:
        out: dict[Any, Any] = {}
        for entry in arm:
            key = from_value(entry["key"], classes, f"{path} key", depth)
            try:
                hash(key)
            except TypeError:
                raise TypeError(f"{path}: a dict key of type {type(key).__name__} is not hashable") from None
            out[key] = from_value(entry["value"], classes, f"{path}[{key!r}]", depth)
        return out
    name = arm["cls"]
    cls = classes.get(name)
    if cls is None:
        known = ", ".join(sorted(classes)) or "none"
        raise TypeError(f"{path}: dataclass {name} is not known on this side (pass it in classes=...; known: {known})")
    kwargs = {f["name"]: from_value(f["value"], classes, f"{path}.{f['name']}", depth) for f in arm["fields"]}
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise TypeError(f"{path}: the fields {sorted(kwargs)} do not build {name}: {err}") from None


def _classes(classes: Iterable[type]) -> dict[str, type]:
    table = {}
    for cls in classes:
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise TypeError(f"classes must hold dataclass types; {cls!r} is not one")
        table[_class_name(cls)] = cls
    return table


def export(functions: Mapping[str, Callable[..., Any]] | Iterable[Callable[..., Any]], *,
           classes: Iterable[type] = (), program: int = DEFAULT_PROGRAM,
           version: int = 1) -> tuple[ProgramVersion, dict[int, Callable[..., Any]]]:
    """The program version and handlers that serve ``functions`` dynamically: ``server.add(*export(...))``.

    Args:
        functions: the callables by name, or callables named by their ``__name__``; coroutine
            functions are awaited.
        classes: the dataclasses the functions take or return (rebuilt by class name).
        program, version: the program and version numbers to serve under.

    Raises:
        TypeError: a function that is not callable, a name that is not an identifier, or a class
            that is not a dataclass.
    """
    table = dict(functions) if isinstance(functions, Mapping) else {f.__name__: f for f in functions}
    for name, fn in table.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"an exported name must be a Python identifier, not {name!r}")
        if not callable(fn):
            raise TypeError(f"exported {name!r} is a {type(fn).__name__}, not a callable")
    known = _classes(classes)

    def fail(err: BaseException) -> tuple[int, Any]:
        return 1, {"type": type(err).__name__, "message": str(err)}

    def done(result: Any) -> tuple[int, Any]:
        try:
            return 0, to_value(result, "result")
        except EncodeError as err:
            return fail(err)

    async def finish(pending: Any) -> tuple[int, Any]:
        try:
            return done(await pending)
        except Exception as err:  # the function's own failure goes back to the caller
            return fail(err)

    def invoke(name: str, args: list[Any], kwargs: list[dict[str, Any]]) -> Any:
        fn = table.get(name)
        if fn is None:
            return fail(LookupError(f"no function {name!r} is exported; exported: {', '.join(sorted(table)) or 'none'}"))
        try:
            pos = [from_value(v, known, f"argument {i}") for i, v in enumerate(args)]
            kw = {f["name"]: from_value(f["value"], known, f"argument {f['name']}") for f in kwargs}
            result = fn(*pos, **kw)
        except Exception as err:  # the function's own failure goes back to the caller
            return fail(err)
        if inspect.isawaitable(result):
            return finish(result)
        return done(result)

    return dynamic_program(program, version), {1: invoke, 2: lambda: sorted(table)}


def _call_args(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, list[Any], list[Any]]:
    pos = [to_value(v, f"{name}() argument {i}") for i, v in enumerate(args)]
    kw = [{"name": k, "value": to_value(v, f"{name}() argument {k}")} for k, v in kwargs.items()]
    return name, pos, kw


def _result(reply: tuple[int, Any], classes: Mapping[str, type], name: str) -> Any:
    status, arm = reply
    if status != 0:
        raise RemoteError(arm["type"], arm["message"])
    return from_value(arm, classes, f"{name}() result")


class _Proxy:
    """What both proxies share: the program they call, the classes results may hold, and local names."""

    def __init__(self, client: Any, *, classes: Iterable[type] = (), program: int = DEFAULT_PROGRAM,
                 version: int = 1) -> None:
        self._client = client
        self._classes = _classes(classes)
        self._program = dynamic_program(program, version)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):  # private names, and Python's own protocol lookups, are never remote
            raise AttributeError(name)
        call = self._remote(name)
        call.__name__ = name
        return call

    def _remote(self, name: str) -> Callable[..., Any]:
        raise NotImplementedError


class DynamicProxy(_Proxy):
    """A remote object over a synchronous :class:`~distlab.oncrpc.Client`: ``proxy.f(*args, **kwargs)`` calls ``f``.

    Args:
        client: an open client of the server that exported the functions.
        classes: the dataclasses results may hold (rebuilt by class name).
        program, version: the numbers the functions were exported under.

    Calling raises :class:`~distlab.rpc.errors.EncodeError` (nothing sent) for an argument that
    cannot travel, :class:`RemoteError` when the remote function raised, and the client's errors
    for the transport. Names starting with ``_`` are not remote.
    """

    def __init__(self, client: Client, *, classes: Iterable[type] = (), program: int = DEFAULT_PROGRAM,
                 version: int = 1) -> None:
        super().__init__(client, classes=classes, program=program, version=version)

    def _remote(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            reply = self._client.call(self._program, 1, *_call_args(name, args, kwargs))
            return _result(reply, self._classes, name)

        return call

    def __dir__(self) -> list[str]:
        return self._names()

    def _names(self) -> list[str]:
        """The names the server exports (a call of NAMES)."""
        return list(self._client.call(self._program, 2))


class AsyncDynamicProxy(_Proxy):
    """:class:`DynamicProxy` over an :class:`~distlab.oncrpc.AsyncClient`: ``await proxy.f(*args)``."""

    def __init__(self, client: AsyncClient, *, classes: Iterable[type] = (), program: int = DEFAULT_PROGRAM,
                 version: int = 1) -> None:
        super().__init__(client, classes=classes, program=program, version=version)

    def _remote(self, name: str) -> Callable[..., Any]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            reply = await self._client.acall(self._program, 1, *_call_args(name, args, kwargs))
            return _result(reply, self._classes, name)

        return call

    async def _names(self) -> list[str]:
        """The names the server exports (a call of NAMES)."""
        return list(await self._client.acall(self._program, 2))

