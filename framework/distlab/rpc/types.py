"""The wire type model: one small set of types shared by every serializer and by the IDL compiler.

A wire type says what a value looks like on the wire; the value itself is a plain Python value:

=========================  ==========================================  ============================
type                       Python value                                XDR (RFC 4506) counterpart
=========================  ==========================================  ============================
``INT32`` ``UINT32``       ``int`` within the range                    ``int``, ``unsigned int``
``INT64`` ``UINT64``       ``int`` within the range                    ``hyper``, ``unsigned hyper``
``FLOAT32`` ``FLOAT64``    ``float`` (``FLOAT32`` must fit a single)   ``float``, ``double``
``BOOL``                   ``bool``                                    ``bool``
:class:`Enum`              ``int`` that is a member's value            ``enum``
:class:`String`            ``str`` (bound counts UTF-8 bytes)          ``string<N>``
:class:`Opaque`            ``bytes``                                   ``opaque<N>``
:class:`FixedOpaque`       ``bytes`` of exactly ``size``               ``opaque[N]``
:class:`Array`             ``list``; numpy array for numeric elements  ``T<N>``
:class:`FixedArray`        as :class:`Array`, exactly ``size`` items   ``T[N]``
:class:`Struct`            instance of ``cls`` (a dataclass) or dict   ``struct``
:class:`Union`             ``(discriminant, value)``, e.g.             ``union switch``
                           :class:`UnionValue`
:class:`Optional`          ``None`` or the value                       ``T *``
``VOID``                   ``None``                                    ``void``
:class:`Ref`               the value of the type it is bound to        a type named before it is
                                                                       defined (recursive types)
=========================  ==========================================  ============================

Arrays of integers or floats are the fast path: encoders accept a numpy array (or any sequence) and
decoders return a numpy array of the element's dtype in this machine's byte order. Bounds
(``max_len``, ``size``) belong to the type and are enforced by encoders (:class:`EncodeError`) and
decoders (:class:`DecodeError`) alike; ``max_len=None`` means the wire limit, 2**32 - 1.

Every type is a frozen, hashable dataclass, so a later IDL compiler can emit them as module-level
constants; each carries a private cache in which serializers keep what they compiled for it.

Walking the types: one visitor
------------------------------
Every codec is a walk over a type: the positional encoders, decoders and layout rules, the
schema-less mapping, pickle's allowed classes, the generated struct encoders, the value checks of
:mod:`distlab.rpc.values`, and later the IDL compiler and the ONC RPC stubs. They all dispatch the
same way: a :class:`TypeVisitor` has one method per wire type (``visit_int``, ``visit_struct``, ...),
and each type's ``accept(visitor)`` calls its own method (double dispatch). Why this one:

- It is the shape of rpcgen-style code generation: a generator walks a type and emits code per
  kind, so an IDL compiler or a stub writer is one more :class:`TypeVisitor` subclass with the same
  methods, and a new wire type is one new method that every visitor gets a default for.
- Dispatch costs a method call, once per type and never per value: a codec visits a type to build
  a closure (or source text), keeps it in the type's cache (:meth:`WireType.compiled`), and runs
  that for every value, so the hot paths are as fast as before.
- It is typed: ``visit_struct`` receives a :class:`Struct`, so mypy checks each rule's use of its
  type's attributes, which a chain of ``isinstance`` tests (or ``functools.singledispatch`` over
  free functions, which cannot carry a codec's layout without globals) did not give.

A visitor overrides the methods of the types it handles; every other one calls
:meth:`TypeVisitor.default`, which refuses (``TypeError``) unless the visitor says otherwise.

Examples:
    >>> point = Struct("point", (("x", INT32), ("y", INT32)))
    >>> class FieldCount(TypeVisitor[int]):
    ...     def visit_struct(self, t: Struct) -> int:
    ...         return len(t.fields)
    ...     def default(self, t: WireType) -> int:
    ...         return 1
    >>> point.accept(FieldCount()), INT32.accept(FieldCount())
    (2, 1)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import Any, Generic, NamedTuple, TypeVar

from distlab.rpc.errors import EncodeError

__all__ = [
    "BOOL",
    "FLOAT32",
    "FLOAT64",
    "INT32",
    "INT64",
    "MAX_LEN",
    "UINT32",
    "UINT64",
    "VOID",
    "Array",
    "Bool",
    "Enum",
    "FixedArray",
    "FixedOpaque",
    "Float",
    "Int",
    "Opaque",
    "Optional",
    "Ref",
    "String",
    "Struct",
    "TypeVisitor",
    "Union",
    "UnionValue",
    "Void",
    "WireType",
    "brief",
    "chain_link",
    "integer",
    "is_numeric",
    "numeric",
]

_F = TypeVar("_F")
R = TypeVar("R")

MAX_LEN = 2**32 - 1
"""The largest length a 4-byte length word can carry: the bound of an unbounded ``<>`` type."""


@dataclasses.dataclass(frozen=True)
class WireType:
    """Base of every wire type."""

    # Serializers keep their compiled encoder and decoder here, keyed by their layout; a type is
    # hashed recursively, which would cost more per call than the encoding of a small record.
    _cache: dict[Any, Any] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def compiled(self, key: Hashable, compile: Callable[[WireType], _F]) -> _F:
        """What a serializer compiles for this type under ``key`` (its format and direction):
        ``compile(self)`` on first use, then the same object from the type's cache."""
        f: _F | None = self._cache.get(key)
        if f is None:
            f = compile(self)
            self._cache[key] = f
        return f

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor``'s rule for this type: its ``visit_<kind>`` method (here, its default)."""
        return visitor.default(self)


@dataclasses.dataclass(frozen=True)
class Int(WireType):
    """A 32- or 64-bit integer, signed or not."""

    bits: int = 32
    signed: bool = True

    def __post_init__(self) -> None:
        if self.bits not in (32, 64):
            raise ValueError(f"Int bits must be 32 or 64, not {self.bits}")

    @property
    def lo(self) -> int:
        """The smallest value."""
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        """The largest value."""
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def size(self) -> int:
        """Width in bytes."""
        return self.bits // 8

    @property
    def code(self) -> str:
        """The ``struct`` format letter."""
        return {(32, True): "i", (32, False): "I", (64, True): "q", (64, False): "Q"}[(self.bits, self.signed)]

    @property
    def dtype(self) -> str:
        """The numpy dtype name (this machine's byte order)."""
        return ("int" if self.signed else "uint") + str(self.bits)

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_int(self)``."""
        return visitor.visit_int(self)


@dataclasses.dataclass(frozen=True)
class Float(WireType):
    """An IEEE 754 binary32 or binary64 number."""

    bits: int = 64

    def __post_init__(self) -> None:
        if self.bits not in (32, 64):
            raise ValueError(f"Float bits must be 32 or 64, not {self.bits}")

    @property
    def size(self) -> int:
        """Width in bytes."""
        return self.bits // 8

    @property
    def code(self) -> str:
        """The ``struct`` format letter."""
        return "f" if self.bits == 32 else "d"

    @property
    def dtype(self) -> str:
        """The numpy dtype name (this machine's byte order)."""
        return "float32" if self.bits == 32 else "float64"

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_float(self)``."""
        return visitor.visit_float(self)


@dataclasses.dataclass(frozen=True)
class Bool(WireType):
    """A boolean (``True`` or ``False``; ``0`` and ``1`` are accepted when encoding)."""

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_bool(self)``."""
        return visitor.visit_bool(self)


@dataclasses.dataclass(frozen=True)
class Void(WireType):
    """No value (``None``): the empty arm of a union."""

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_void(self)``."""
        return visitor.visit_void(self)


@dataclasses.dataclass(frozen=True)
class Enum(WireType):
    """An enumeration: named 32-bit signed values. The Python value is the member's integer.

    Attributes:
        name: the enum's name (as in the IDL).
        members: ``(name, value)`` pairs.
    """

    name: str
    members: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        values = [v for _, v in self.members]
        if not self.members or len(set(values)) != len(values):
            raise ValueError(f"enum {self.name} needs members with distinct values")
        if any(not -(2**31) <= v < 2**31 for v in values):
            raise ValueError(f"enum {self.name} values must fit a signed 32-bit integer")
        object.__setattr__(self, "_values", frozenset(values))

    @property
    def values(self) -> frozenset[int]:
        """The member values."""
        return self._values  # type: ignore[attr-defined,no-any-return]

    def name_of(self, value: int) -> str:
        """The name of the member with ``value``."""
        return next(n for n, v in self.members if v == value)

    def value_of(self, name: str) -> int:
        """The value of the member named ``name``."""
        return next(v for n, v in self.members if n == name)

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_enum(self)``."""
        return visitor.visit_enum(self)


@dataclasses.dataclass(frozen=True)
class String(WireType):
    """A UTF-8 string of at most ``max_len`` bytes (``None``: 2**32 - 1)."""

    max_len: int | None = None

    @property
    def bound(self) -> int:
        """The largest allowed length in bytes."""
        return MAX_LEN if self.max_len is None else self.max_len

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_string(self)``."""
        return visitor.visit_string(self)


@dataclasses.dataclass(frozen=True)
class Opaque(WireType):
    """Variable-length bytes, at most ``max_len`` (``None``: 2**32 - 1)."""

    max_len: int | None = None

    @property
    def bound(self) -> int:
        """The largest allowed length."""
        return MAX_LEN if self.max_len is None else self.max_len

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_opaque(self)``."""
        return visitor.visit_opaque(self)


@dataclasses.dataclass(frozen=True)
class FixedOpaque(WireType):
    """Exactly ``size`` bytes."""

    size: int

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_fixed_opaque(self)``."""
        return visitor.visit_fixed_opaque(self)


@dataclasses.dataclass(frozen=True)
class Array(WireType):
    """A variable-length array of ``elem``, at most ``max_len`` items (``None``: 2**32 - 1)."""

    elem: WireType
    max_len: int | None = None

    @property
    def bound(self) -> int:
        """The largest allowed number of items."""
        return MAX_LEN if self.max_len is None else self.max_len

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_array(self)``."""
        return visitor.visit_array(self)


@dataclasses.dataclass(frozen=True)
class FixedArray(WireType):
    """Exactly ``size`` items of ``elem``."""

    elem: WireType
    size: int

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_fixed_array(self)``."""
        return visitor.visit_fixed_array(self)


@dataclasses.dataclass(frozen=True)
class Struct(WireType):
    """Named fields in order.

    Attributes:
        name: the struct's name (as in the IDL).
        fields: ``(field name, type)`` pairs, in wire order.
        cls: the class decoders build (called with the fields as keywords), typically a dataclass;
            ``None`` decodes to a ``dict``. Encoders accept an object with the fields as
            attributes, or a mapping.
    """

    name: str
    fields: tuple[tuple[str, WireType], ...]
    cls: type | None = None

    def __post_init__(self) -> None:
        names = [n for n, _ in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"struct {self.name} has duplicate field names")

    @classmethod
    def of(cls, dataclass: type, **types: WireType) -> Struct:
        """The struct type of a dataclass, its fields in declaration order.

        Examples:
            >>> @dataclasses.dataclass
            ... class Point:
            ...     x: int
            ...     y: int
            >>> Struct.of(Point, x=INT32, y=INT32).name
            'Point'
        """
        names = [f.name for f in dataclasses.fields(dataclass)]
        missing = set(names) ^ set(types)
        if missing:
            raise ValueError(f"Struct.of({dataclass.__name__}): types and fields differ on {sorted(missing)}")
        return cls(dataclass.__name__, tuple((n, types[n]) for n in names), dataclass)

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_struct(self)``."""
        return visitor.visit_struct(self)


class UnionValue(NamedTuple):
    """The value of a :class:`Union`: the discriminant and the value of its arm (any 2-tuple works)."""

    discriminant: int
    value: Any


@dataclasses.dataclass(frozen=True)
class Union(WireType):
    """A discriminated union.

    Attributes:
        name: the union's name.
        discriminant: the type of the discriminant: an :class:`Int` (32-bit), :class:`Enum` or ``BOOL``.
        arms: ``(case value, arm name, arm type)``; use ``VOID`` for an arm without data.
        default: ``(arm name, arm type)`` for every other discriminant, or ``None`` (then any other
            discriminant is an error both ways).
    """

    name: str
    discriminant: WireType
    arms: tuple[tuple[int, str, WireType], ...]
    default: tuple[str, WireType] | None = None

    def __post_init__(self) -> None:
        check = self.discriminant.accept(_CaseCheck())
        if check is None:
            raise ValueError(f"union {self.name}: the discriminant must be a 32-bit int, an enum or bool")
        cases = [c for c, _, _ in self.arms]
        if len(set(cases)) != len(cases):
            raise ValueError(f"union {self.name} has duplicate case values")
        for c in cases:
            check(c, f"{self.name} case")
        object.__setattr__(self, "_by_case", {c: t for c, _, t in self.arms})

    def arm(self, discriminant: int) -> WireType | None:
        """The arm type of ``discriminant`` (the default arm's if none matches), or ``None``."""
        t = self._by_case.get(discriminant)  # type: ignore[attr-defined]
        if t is None and self.default is not None:
            return self.default[1]
        return t  # type: ignore[no-any-return]

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_union(self)``."""
        return visitor.visit_union(self)


@dataclasses.dataclass(frozen=True)
class Optional(WireType):
    """``None`` or a value of ``elem`` (XDR's optional data, ``T *``)."""

    elem: WireType

    def __post_init__(self) -> None:
        if self.elem.accept(_Nullable(follow_ref=True)):
            # None could not tell the two levels apart in a schema-less format.
            raise ValueError("Optional of Optional or of VOID is not a wire type")

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_optional(self)``."""
        return visitor.visit_optional(self)


@dataclasses.dataclass(frozen=True)
class Ref(WireType):
    """A named reference to a type bound later: how a recursive type (a linked list) is written.

    Examples:
        >>> node = Ref("node")
        >>> node.bind(Struct("node", (("item", INT32), ("next", Optional(node)))))
        >>> node.target.name
        'node'
    """

    name: str
    _cell: list[WireType] = dataclasses.field(default_factory=list, repr=False, compare=False, hash=False)

    def bind(self, target: WireType) -> None:
        """Bind the reference to its type (once)."""
        if self._cell:
            raise ValueError(f"reference {self.name} is already bound")
        self._cell.append(target)

    @property
    def target(self) -> WireType:
        """The type referred to."""
        if not self._cell:
            raise ValueError(f"reference {self.name} is not bound")
        return self._cell[0]

    def accept(self, visitor: TypeVisitor[R]) -> R:
        """``visitor.visit_ref(self)``."""
        return visitor.visit_ref(self)


def chain_link(t: Struct) -> str | None:
    """The name of ``t``'s link field if ``t`` is a linked list's node, else ``None``.

    A node is a struct whose *last* field is an :class:`Optional` of a reference to the struct
    itself (``struct node { int v; node *next; }``): XDR's optional data as RFC 4506 section 4.19
    writes a list. A value of such a type is a chain as long as the list, so every codec and check
    walks it with a loop, not a call per node (Python's recursion stops near 1,000 nodes). Only the
    last field is followed: other recursive fields (a tree's left child) recurse as usual, so a
    right-leaning tree walks its right spine in the loop.

    Examples:
        >>> node = Ref("node")
        >>> node.bind(Struct("node", (("item", INT32), ("next", Optional(node)))))
        >>> chain_link(node.target), chain_link(Struct("p", (("x", INT32),)))
        ('next', None)
    """
    if not t.fields:
        return None
    name, last = t.fields[-1]
    if not isinstance(last, Optional):
        return None
    target: WireType = last.elem
    seen: set[int] = set()
    while isinstance(target, Ref) and target._cell and id(target) not in seen:
        seen.add(id(target))
        target = target._cell[0]
    return name if target is t else None


INT32 = Int(32, True)
UINT32 = Int(32, False)
INT64 = Int(64, True)
UINT64 = Int(64, False)
FLOAT32 = Float(32)
FLOAT64 = Float(64)
BOOL = Bool()
VOID = Void()


class TypeVisitor(Generic[R]):
    """A rule per wire type: what a codec, a check or a code generator makes of each kind of type.

    ``t.accept(visitor)`` (or ``visitor.visit(t)``) calls the method of ``t``'s kind; a subclass
    overrides those it handles, and every other one calls :meth:`default`. A visitor usually
    returns a closure that it keeps in the type's cache, so it runs once per type, not per value.
    A rule that needs the rule of a child type (an array's element, a struct's fields) visits
    the child; a :class:`Ref` is visited as itself, so that a recursive type's rule can look its
    target up when it runs instead of looping while it is built.

    Examples:
        >>> class Width(TypeVisitor[int]):
        ...     def visit_int(self, t: Int) -> int:
        ...         return t.size
        ...     def default(self, t: WireType) -> int:
        ...         return 0
        >>> Width().visit(INT64), Width().visit(BOOL)
        (8, 0)
    """

    def visit(self, t: WireType) -> R:
        """The rule for ``t``: ``t.accept(self)``."""
        return t.accept(self)

    def default(self, t: WireType) -> R:
        """The rule for every kind the visitor does not handle (raises ``TypeError``)."""
        raise TypeError(f"{t!r} is not a wire type {type(self).__name__} handles")

    def visit_int(self, t: Int) -> R:
        """The rule for :class:`Int` (``INT32``, ``UINT32``, ``INT64``, ``UINT64``)."""
        return self.default(t)

    def visit_float(self, t: Float) -> R:
        """The rule for :class:`Float` (``FLOAT32``, ``FLOAT64``)."""
        return self.default(t)

    def visit_bool(self, t: Bool) -> R:
        """The rule for ``BOOL``."""
        return self.default(t)

    def visit_void(self, t: Void) -> R:
        """The rule for ``VOID``."""
        return self.default(t)

    def visit_enum(self, t: Enum) -> R:
        """The rule for :class:`Enum`."""
        return self.default(t)

    def visit_string(self, t: String) -> R:
        """The rule for :class:`String`."""
        return self.default(t)

    def visit_opaque(self, t: Opaque) -> R:
        """The rule for :class:`Opaque`."""
        return self.default(t)

    def visit_fixed_opaque(self, t: FixedOpaque) -> R:
        """The rule for :class:`FixedOpaque`."""
        return self.default(t)

    def visit_array(self, t: Array) -> R:
        """The rule for :class:`Array`."""
        return self.default(t)

    def visit_fixed_array(self, t: FixedArray) -> R:
        """The rule for :class:`FixedArray`."""
        return self.default(t)

    def visit_struct(self, t: Struct) -> R:
        """The rule for :class:`Struct`."""
        return self.default(t)

    def visit_union(self, t: Union) -> R:
        """The rule for :class:`Union`."""
        return self.default(t)

    def visit_optional(self, t: Optional) -> R:
        """The rule for :class:`Optional`."""
        return self.default(t)

    def visit_ref(self, t: Ref) -> R:
        """The rule for :class:`Ref` (a recursive type's name)."""
        return self.default(t)


class _Numeric(TypeVisitor["Int | Float | None"]):
    """The numeric type itself, or ``None``."""

    def visit_int(self, t: Int) -> Int:
        return t

    def visit_float(self, t: Float) -> Float:
        return t

    def default(self, t: WireType) -> None:
        return None


class _Integer(TypeVisitor["Int | None"]):
    """The integer type itself, or ``None``."""

    def visit_int(self, t: Int) -> Int:
        return t

    def default(self, t: WireType) -> None:
        return None


_NUMERIC = _Numeric()
_INTEGER = _Integer()


def numeric(t: WireType) -> Int | Float | None:
    """``t`` if arrays of it take the numpy fast path (an :class:`Int` or a :class:`Float`), else ``None``.

    Examples:
        >>> numeric(FLOAT64) is FLOAT64, numeric(BOOL)
        (True, None)
    """
    return t.accept(_NUMERIC)


def integer(t: WireType) -> Int | None:
    """``t`` if it is an :class:`Int`, else ``None``."""
    return t.accept(_INTEGER)


def is_numeric(t: WireType) -> bool:
    """Whether arrays of ``t`` take the numpy fast path (integers and floats)."""
    return t.accept(_NUMERIC) is not None


class _Nullable(TypeVisitor[bool]):
    """Whether ``None`` is a value of the type (what an :class:`Optional` may not hold)."""

    def __init__(self, follow_ref: bool) -> None:
        self.follow_ref = follow_ref

    def visit_optional(self, t: Optional) -> bool:
        return True

    def visit_void(self, t: Void) -> bool:
        return True

    def visit_ref(self, t: Ref) -> bool:
        # One level only: a reference still unbound (or bound to another reference) is accepted.
        return self.follow_ref and bool(t._cell) and t.target.accept(_Nullable(follow_ref=False))

    def default(self, t: WireType) -> bool:
        return False


_CaseRule = Callable[[Any, str], None]


class _CaseCheck(TypeVisitor["_CaseRule | None"]):
    """The check of a union's case values against its discriminant type, or ``None`` for a type
    that cannot be a discriminant. The same rules and words as :func:`distlab.rpc.values.validate`,
    written here because the model cannot import the value checks (they import the model)."""

    def visit_int(self, t: Int) -> _CaseRule | None:
        if t.bits != 32:
            return None

        def check_int(value: Any, path: str) -> None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise EncodeError(path, f"expected an integer, got {type(value).__name__}")
            if not t.lo <= value <= t.hi:
                raise EncodeError(path, f"{brief(value)} is outside [{t.lo}, {t.hi}] of {t.dtype}")

        return check_int

    def visit_enum(self, t: Enum) -> _CaseRule:
        def check_enum(value: Any, path: str) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or value not in t.values:
                raise EncodeError(path, f"{brief(value)} is not a value of enum {t.name} {dict(t.members)}")

        return check_enum

    def visit_bool(self, t: Bool) -> _CaseRule:
        def check_bool(value: Any, path: str) -> None:
            if not isinstance(value, int) or value not in (True, False):
                raise EncodeError(path, f"expected a bool, got {brief(value)}")

        return check_bool

    def default(self, t: WireType) -> None:
        return None


def brief(value: Any) -> str:
    """``repr(value)`` for error messages, except that a long integer is named by its size.

    Python refuses to print an integer of more than 4,300 digits (``ValueError``), and a decoder
    that quotes a bignum from its input (or a list holding one) must still raise only its own error.

    Examples:
        >>> brief(-7), brief(2**5000)
        ('-7', 'an integer of 5001 bits')
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"
    try:
        return repr(value)
    except Exception:  # a container holding such an integer, or an object whose __repr__ fails
        return f"a {type(value).__name__} that cannot be shown"
