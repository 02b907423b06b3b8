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

Examples:
    >>> point = Struct("point", (("x", INT32), ("y", INT32)))
    >>> validate({"x": 1, "y": 2}, point)
"""

from __future__ import annotations

import dataclasses
import math
import struct as _struct
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

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
    "Union",
    "UnionValue",
    "Void",
    "WireType",
    "brief",
    "equal",
    "is_numeric",
    "validate",
]

_F = TypeVar("_F")

MAX_LEN = 2**32 - 1
"""The largest length a 4-byte length word can carry: the bound of an unbounded ``<>`` type."""

_FLOAT32_MAX = 3.4028234663852886e38


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


@dataclasses.dataclass(frozen=True)
class Bool(WireType):
    """A boolean (``True`` or ``False``; ``0`` and ``1`` are accepted when encoding)."""


@dataclasses.dataclass(frozen=True)
class Void(WireType):
    """No value (``None``): the empty arm of a union."""


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


@dataclasses.dataclass(frozen=True)
class String(WireType):
    """A UTF-8 string of at most ``max_len`` bytes (``None``: 2**32 - 1)."""

    max_len: int | None = None

    @property
    def bound(self) -> int:
        """The largest allowed length in bytes."""
        return MAX_LEN if self.max_len is None else self.max_len


@dataclasses.dataclass(frozen=True)
class Opaque(WireType):
    """Variable-length bytes, at most ``max_len`` (``None``: 2**32 - 1)."""

    max_len: int | None = None

    @property
    def bound(self) -> int:
        """The largest allowed length."""
        return MAX_LEN if self.max_len is None else self.max_len


@dataclasses.dataclass(frozen=True)
class FixedOpaque(WireType):
    """Exactly ``size`` bytes."""

    size: int


@dataclasses.dataclass(frozen=True)
class Array(WireType):
    """A variable-length array of ``elem``, at most ``max_len`` items (``None``: 2**32 - 1)."""

    elem: WireType
    max_len: int | None = None

    @property
    def bound(self) -> int:
        """The largest allowed number of items."""
        return MAX_LEN if self.max_len is None else self.max_len


@dataclasses.dataclass(frozen=True)
class FixedArray(WireType):
    """Exactly ``size`` items of ``elem``."""

    elem: WireType
    size: int


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
        d = self.discriminant
        if not (isinstance(d, (Enum, Bool)) or (isinstance(d, Int) and d.bits == 32)):
            raise ValueError(f"union {self.name}: the discriminant must be a 32-bit int, an enum or bool")
        cases = [c for c, _, _ in self.arms]
        if len(set(cases)) != len(cases):
            raise ValueError(f"union {self.name} has duplicate case values")
        for c in cases:
            validate(c, d, f"{self.name} case")
        object.__setattr__(self, "_by_case", {c: t for c, _, t in self.arms})

    def arm(self, discriminant: int) -> WireType | None:
        """The arm type of ``discriminant`` (the default arm's if none matches), or ``None``."""
        t = self._by_case.get(discriminant)  # type: ignore[attr-defined]
        if t is None and self.default is not None:
            return self.default[1]
        return t  # type: ignore[no-any-return]


@dataclasses.dataclass(frozen=True)
class Optional(WireType):
    """``None`` or a value of ``elem`` (XDR's optional data, ``T *``)."""

    elem: WireType

    def __post_init__(self) -> None:
        if isinstance(self.elem, (Optional, Void)) or isinstance(self.elem, Ref) and self.elem._cell and isinstance(self.elem.target, (Optional, Void)):
            # None could not tell the two levels apart in a schema-less format.
            raise ValueError("Optional of Optional or of VOID is not a wire type")


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


INT32 = Int(32, True)
UINT32 = Int(32, False)
INT64 = Int(64, True)
UINT64 = Int(64, False)
FLOAT32 = Float(32)
FLOAT64 = Float(64)
BOOL = Bool()
VOID = Void()


def is_numeric(t: WireType) -> bool:
    """Whether arrays of ``t`` take the numpy fast path (integers and floats)."""
    return isinstance(t, (Int, Float))


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


def _is_array(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype")


def validate(value: Any, t: WireType, path: str = "value") -> None:
    """Check that ``value`` fits ``t``; the error names the offending field.

    Args:
        value: a Python value.
        t: its wire type.
        path: the name of ``value`` in error messages.

    Raises:
        EncodeError: naming the field path (e.g. ``value.items[3].name``) and what the type allows.
    """
    if isinstance(t, Int):
        if isinstance(value, bool) or not isinstance(value, int):
            if _is_array(value) and value.ndim == 0 and value.dtype.kind in "iu":  # type: ignore[union-attr]
                value = int(value)
            else:
                raise EncodeError(path, f"expected an integer, got {type(value).__name__}")
        if not t.lo <= value <= t.hi:
            raise EncodeError(path, f"{brief(value)} is outside [{t.lo}, {t.hi}] of {t.dtype}")
    elif isinstance(t, Float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if not (_is_array(value) and value.ndim == 0 and value.dtype.kind in "iuf"):  # type: ignore[union-attr]
                raise EncodeError(path, f"expected a number, got {type(value).__name__}")
        try:
            x = float(value)
        except OverflowError:  # an int beyond the largest double
            raise EncodeError(path, f"{brief(value)} does not fit a {t.bits}-bit float") from None
        if t.bits == 32 and math.isfinite(x) and abs(x) > _FLOAT32_MAX:
            raise EncodeError(path, f"{value} does not fit a 32-bit float")
    elif isinstance(t, Bool):
        # isinstance first: `array in (True, False)` would raise instead of answering.
        if not isinstance(value, int) or value not in (True, False):
            raise EncodeError(path, f"expected a bool, got {brief(value)}")
    elif isinstance(t, Void):
        if value is not None:
            raise EncodeError(path, f"a void arm carries None, got {type(value).__name__}")
    elif isinstance(t, Enum):
        if isinstance(value, bool) or not isinstance(value, int) or value not in t.values:
            raise EncodeError(path, f"{brief(value)} is not a value of enum {t.name} {dict(t.members)}")
    elif isinstance(t, String):
        if not isinstance(value, str):
            raise EncodeError(path, f"expected a str, got {type(value).__name__}")
        try:
            n = len(value.encode("utf-8"))
        except UnicodeEncodeError as err:
            raise EncodeError(path, f"not encodable as UTF-8: {err.reason}") from None
        if n > t.bound:
            raise EncodeError(path, f"{n} UTF-8 bytes exceed the bound {t.bound}")
    elif isinstance(t, (Opaque, FixedOpaque)):
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise EncodeError(path, f"expected bytes, got {type(value).__name__}")
        n = len(value)
        if isinstance(t, Opaque) and n > t.bound:
            raise EncodeError(path, f"{n} bytes exceed the bound {t.bound}")
        if isinstance(t, FixedOpaque) and n != t.size:
            raise EncodeError(path, f"fixed opaque needs exactly {t.size} bytes, got {n}")
    elif isinstance(t, (Array, FixedArray)):
        _validate_array(value, t, path)
    elif isinstance(t, Struct):
        getter = value.__getitem__ if isinstance(value, Mapping) else lambda k: getattr(value, k)
        for name, ft in t.fields:
            try:
                item = getter(name)
            except (KeyError, AttributeError):
                raise EncodeError(f"{path}.{name}", f"missing field of struct {t.name}") from None
            validate(item, ft, f"{path}.{name}")
    elif isinstance(t, Union):
        if not isinstance(value, tuple) or len(value) != 2:
            raise EncodeError(path, f"a union value is (discriminant, value), got {type(value).__name__}")
        validate(value[0], t.discriminant, f"{path}.discriminant")
        arm = t.arm(value[0])
        if arm is None:
            raise EncodeError(path, f"discriminant {value[0]!r} has no arm in union {t.name} and there is no default")
        validate(value[1], arm, f"{path}.value")
    elif isinstance(t, Optional):
        if value is not None:
            validate(value, t.elem, path)
    elif isinstance(t, Ref):
        validate(value, t.target, path)
    else:
        raise EncodeError(path, f"{t!r} is not a wire type")


def _validate_array(value: Any, t: Array | FixedArray, path: str) -> None:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence) and not _is_array(value):
        raise EncodeError(path, f"expected a sequence, got {type(value).__name__}")
    if _is_array(value) and value.ndim != 1:
        raise EncodeError(path, f"expected a one-dimensional array, got shape {value.shape}")
    n = len(value)
    if isinstance(t, Array) and n > t.bound:
        raise EncodeError(path, f"{n} items exceed the bound {t.bound}")
    if isinstance(t, FixedArray) and n != t.size:
        raise EncodeError(path, f"fixed array needs exactly {t.size} items, got {n}")
    if _is_array(value) and is_numeric(t.elem):
        _validate_numeric_array(value, t.elem, path)  # type: ignore[arg-type]
        return
    for i, item in enumerate(value):
        validate(item, t.elem, f"{path}[{i}]")


def _validate_numeric_array(value: Any, elem: Int | Float, path: str) -> None:
    import numpy as np

    kind = value.dtype.kind
    if isinstance(elem, Int):
        if kind not in "iu":
            raise EncodeError(path, f"an array of {elem.dtype} cannot hold dtype {value.dtype}")
        if len(value):
            lo, hi = int(value.min()), int(value.max())
            if lo < elem.lo or hi > elem.hi:
                bad = int(np.flatnonzero((value < elem.lo) | (value > elem.hi))[0])
                raise EncodeError(f"{path}[{bad}]", f"{value[bad]} is outside [{elem.lo}, {elem.hi}] of {elem.dtype}")
    else:
        if kind not in "iuf":
            raise EncodeError(path, f"an array of {elem.dtype} cannot hold dtype {value.dtype}")
        if elem.bits == 32 and kind == "f" and value.dtype.itemsize > 4 and len(value):
            finite = np.isfinite(value)
            over = finite & (np.abs(value) > _FLOAT32_MAX)
            if over.any():
                bad = int(np.flatnonzero(over)[0])
                raise EncodeError(f"{path}[{bad}]", f"{value[bad]} does not fit a 32-bit float")


def equal(a: Any, b: Any, t: WireType) -> bool:
    """Whether two values of ``t`` are the same wire value (NaN equals NaN; arrays by item).

    Examples:
        >>> equal([1.0, float("nan")], [1.0, float("nan")], Array(FLOAT64))
        True
    """
    if isinstance(t, Float):
        a, b = float(a), float(b)
        if t.bits == 32 and math.isfinite(a) and math.isfinite(b) and max(abs(a), abs(b)) <= _FLOAT32_MAX:
            a, b = float32(a), float32(b)
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(t, (Array, FixedArray)):
        if len(a) != len(b):
            return False
        if is_numeric(t.elem) and (_is_array(a) or _is_array(b)):
            import numpy as np

            dtype = t.elem.dtype  # type: ignore[attr-defined]
            try:
                x, y = (v.astype(dtype) if _is_array(v) else np.array(v, dtype=dtype) for v in (a, b))
            except (TypeError, ValueError, OverflowError):
                return False
            return bool(np.array_equal(x, y, equal_nan=isinstance(t.elem, Float)))
        return all(equal(x, y, t.elem) for x, y in zip(_items(a), _items(b)))
    if isinstance(t, Struct):
        ga = a.__getitem__ if isinstance(a, Mapping) else lambda k: getattr(a, k)
        gb = b.__getitem__ if isinstance(b, Mapping) else lambda k: getattr(b, k)
        return all(equal(ga(n), gb(n), ft) for n, ft in t.fields)
    if isinstance(t, Union):
        if a[0] != b[0]:
            return False
        arm = t.arm(a[0])
        return arm is not None and equal(a[1], b[1], arm)
    if isinstance(t, Optional):
        if a is None or b is None:
            return a is None and b is None
        return equal(a, b, t.elem)
    if isinstance(t, (Opaque, FixedOpaque)):
        return bytes(a) == bytes(b)
    if isinstance(t, Ref):
        return equal(a, b, t.target)
    if isinstance(t, Bool):
        return bool(a) == bool(b)
    return bool(a == b)


def _items(value: Any) -> list[Any]:
    return value.tolist() if _is_array(value) else list(value)


def float32(x: float) -> float:
    """``x`` rounded to the nearest 32-bit float (what a FLOAT32 field carries)."""
    return float(_struct.unpack("<f", _struct.pack("<f", x))[0])
