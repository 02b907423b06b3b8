"""Checks of Python values against the wire type model: does a value fit a type, are two values equal.

Both are walks of the type (:class:`~distlab.rpc.types.TypeVisitor`) that build one closure per type,
kept in the type's cache, so a value is checked without dispatching on its type again:

- :func:`validate` is what every encoder runs (or re-runs, to name the field) before writing, and
  what the schema-less decoders and pickle run on what they parsed;
- :func:`equal` is what a round trip must preserve: NaN equals NaN, a ``FLOAT32`` compares after
  rounding to a single, a numeric array equals a list of the same items.

A linked list's node (:func:`~distlab.rpc.types.chain_link`) is checked node by node in a loop, so a
list of any length is checked without deep recursion; a list that links back to one of its own nodes
is refused by :func:`validate` (it has no finite encoding) and compared by :func:`equal` as far as
its two walks first meet a pair of nodes already compared.

Examples:
    >>> from distlab.rpc.types import INT32, Struct
    >>> point = Struct("point", (("x", INT32), ("y", INT32)))
    >>> validate({"x": 1, "y": 2}, point)
    >>> equal({"x": 1, "y": 2}, {"x": 1, "y": 2}, point)
    True
"""

from __future__ import annotations

import math
import struct as _struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from distlab.rpc.errors import EncodeError
from distlab.rpc.types import (
    Array,
    Bool,
    Enum,
    FixedArray,
    FixedOpaque,
    Float,
    Int,
    Opaque,
    Optional,
    Ref,
    String,
    Struct,
    TypeVisitor,
    Union,
    Void,
    WireType,
    brief,
    chain_link,
    integer,
    numeric,
)

__all__ = ["FLOAT32_LIMIT", "check_numeric_array", "equal", "fits_float32", "float32", "validate"]

FLOAT32_LIMIT = 2.0**128 - 2.0**103
"""The smallest magnitude that rounds to infinity as a binary32 (IEEE 754-2008 section 7.4: round to
nearest, ties to even; the largest finite single, 2**128 - 2**104, has an odd significand, so the
midpoint above it rounds up to infinity). Every format accepts a finite ``FLOAT32`` value exactly
when its magnitude is below this: what ``struct.pack("f")`` and numpy's ``astype(float32)`` round
to a finite single, no more (a lower cut-off at the largest single refused values that round to it)."""

Check = Callable[[Any, str], None]
"""``check(value, path)``: raises :class:`EncodeError` naming ``path`` if ``value`` does not fit."""
Equal = Callable[[Any, Any], bool]
"""``eq(a, b)``: whether two values of one type are the same wire value."""

_CHECK = ("values", "validate")
_EQUAL = ("values", "equal")


def validate(value: Any, t: WireType, path: str = "value") -> None:
    """Check that ``value`` fits ``t``; the error names the offending field.

    Args:
        value: a Python value.
        t: its wire type.
        path: the name of ``value`` in error messages.

    Raises:
        EncodeError: naming the field path (e.g. ``value.items[3].name``) and what the type allows.
    """
    if not isinstance(t, WireType):
        raise EncodeError(path, f"{t!r} is not a wire type")
    t.compiled(_CHECK, _VALIDATOR.visit)(value, path)


def equal(a: Any, b: Any, t: WireType) -> bool:
    """Whether two values of ``t`` are the same wire value (NaN equals NaN; arrays by item).

    Examples:
        >>> from distlab.rpc.types import FLOAT64, Array
        >>> equal([1.0, float("nan")], [1.0, float("nan")], Array(FLOAT64))
        True
    """
    return t.compiled(_EQUAL, _EQUALITY.visit)(a, b)


def fits_float32(x: float) -> bool:
    """Whether ``x`` (a finite double, NaN or an infinity) is a ``FLOAT32`` value: non-finite, or
    rounding to a finite single.

    Examples:
        >>> fits_float32(3.4028235e38), fits_float32(2.0**128 - 2.0**103), fits_float32(float("inf"))
        (True, False, True)
    """
    return not math.isfinite(x) or abs(x) < FLOAT32_LIMIT


def float32(x: float) -> float:
    """``x`` rounded to the nearest 32-bit float (what a FLOAT32 field carries)."""
    return float(_struct.unpack("<f", _struct.pack("<f", x))[0])


def _is_array(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype")


def _checker(t: WireType) -> Check:
    return t.compiled(_CHECK, _VALIDATOR.visit)


def _equality(t: WireType) -> Equal:
    return t.compiled(_EQUAL, _EQUALITY.visit)


def _getter(value: Any) -> Callable[[str], Any]:
    return value.__getitem__ if isinstance(value, Mapping) else lambda k: getattr(value, k)


class _Validator(TypeVisitor[Check]):
    """The ``check(value, path)`` of each wire type."""

    def visit_int(self, t: Int) -> Check:
        lo, hi, dtype = t.lo, t.hi, t.dtype

        def check_int(value: Any, path: str) -> None:
            if isinstance(value, bool) or not isinstance(value, int):
                if _is_array(value) and value.ndim == 0 and value.dtype.kind in "iu":  # type: ignore[union-attr]
                    value = int(value)
                else:
                    raise EncodeError(path, f"expected an integer, got {type(value).__name__}")
            if not lo <= value <= hi:
                raise EncodeError(path, f"{brief(value)} is outside [{lo}, {hi}] of {dtype}")

        return check_int

    def visit_float(self, t: Float) -> Check:
        bits = t.bits

        def check_float(value: Any, path: str) -> None:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                if not (_is_array(value) and value.ndim == 0 and value.dtype.kind in "iuf"):  # type: ignore[union-attr]
                    raise EncodeError(path, f"expected a number, got {type(value).__name__}")
            try:
                x = float(value)
            except OverflowError:  # an int beyond the largest double
                raise EncodeError(path, f"{brief(value)} does not fit a {bits}-bit float") from None
            if bits == 32 and not fits_float32(x):
                raise EncodeError(path, f"{value} does not fit a 32-bit float")

        return check_float

    def visit_bool(self, t: Bool) -> Check:
        def check_bool(value: Any, path: str) -> None:
            # isinstance first: `array in (True, False)` would raise instead of answering.
            if not isinstance(value, int) or value not in (True, False):
                raise EncodeError(path, f"expected a bool, got {brief(value)}")

        return check_bool

    def visit_void(self, t: Void) -> Check:
        def check_void(value: Any, path: str) -> None:
            if value is not None:
                raise EncodeError(path, f"a void arm carries None, got {type(value).__name__}")

        return check_void

    def visit_enum(self, t: Enum) -> Check:
        values = t.values

        def check_enum(value: Any, path: str) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or value not in values:
                raise EncodeError(path, f"{brief(value)} is not a value of enum {t.name} {dict(t.members)}")

        return check_enum

    def visit_string(self, t: String) -> Check:
        bound = t.bound

        def check_string(value: Any, path: str) -> None:
            if not isinstance(value, str):
                raise EncodeError(path, f"expected a str, got {type(value).__name__}")
            try:
                n = len(value.encode("utf-8"))
            except UnicodeEncodeError as err:
                raise EncodeError(path, f"not encodable as UTF-8: {err.reason}") from None
            if n > bound:
                raise EncodeError(path, f"{n} UTF-8 bytes exceed the bound {bound}")

        return check_string

    def visit_opaque(self, t: Opaque) -> Check:
        bound = t.bound

        def check_opaque(value: Any, path: str) -> None:
            n = _byte_count(value, path)
            if n > bound:
                raise EncodeError(path, f"{n} bytes exceed the bound {bound}")

        return check_opaque

    def visit_fixed_opaque(self, t: FixedOpaque) -> Check:
        size = t.size

        def check_fixed_opaque(value: Any, path: str) -> None:
            n = _byte_count(value, path)
            if n != size:
                raise EncodeError(path, f"fixed opaque needs exactly {size} bytes, got {n}")

        return check_fixed_opaque

    def visit_array(self, t: Array) -> Check:
        bound = t.bound

        def count(n: int, path: str) -> None:
            if n > bound:
                raise EncodeError(path, f"{n} items exceed the bound {bound}")

        return _array_check(t.elem, count)

    def visit_fixed_array(self, t: FixedArray) -> Check:
        size = t.size

        def count(n: int, path: str) -> None:
            if n != size:
                raise EncodeError(path, f"fixed array needs exactly {size} items, got {n}")

        return _array_check(t.elem, count)

    def visit_struct(self, t: Struct) -> Check:
        fields = [(name, _checker(ft)) for name, ft in t.fields]
        link = chain_link(t)
        if link is not None:
            return _chain_check(t, fields[:-1], link)

        def check_struct(value: Any, path: str) -> None:
            getter = _getter(value)
            for name, check in fields:
                try:
                    item = getter(name)
                except (KeyError, AttributeError):
                    raise EncodeError(f"{path}.{name}", f"missing field of struct {t.name}") from None
                check(item, f"{path}.{name}")

        return check_struct

    def visit_union(self, t: Union) -> Check:
        check_discriminant = _checker(t.discriminant)

        def check_union(value: Any, path: str) -> None:
            if not isinstance(value, tuple) or len(value) != 2:
                raise EncodeError(path, f"a union value is (discriminant, value), got {type(value).__name__}")
            check_discriminant(value[0], f"{path}.discriminant")
            arm = t.arm(value[0])
            if arm is None:
                raise EncodeError(path, f"discriminant {value[0]!r} has no arm in union {t.name} and there is no default")
            _checker(arm)(value[1], f"{path}.value")

        return check_union

    def visit_optional(self, t: Optional) -> Check:
        check_elem = _checker(t.elem)

        def check_optional(value: Any, path: str) -> None:
            if value is not None:
                check_elem(value, path)

        return check_optional

    def visit_ref(self, t: Ref) -> Check:
        # The target is looked up when a value is checked: a recursive type is still being bound
        # while its own check is built.
        return lambda value, path: _checker(t.target)(value, path)

    def default(self, t: WireType) -> Check:
        def not_a_type(value: Any, path: str) -> None:
            raise EncodeError(path, f"{t!r} is not a wire type")

        return not_a_type


def chain_path(path: str, link: str, k: int) -> str:
    """The path of the ``k``-th node after ``path`` along a list's ``link`` field: spelled out for
    a few nodes (``value.next.next``), then with a count (``value.next{1234}``), so that a path
    costs the same at any depth."""
    if k <= 4:
        return path + f".{link}" * k
    return f"{path}.{link}{{{k}}}"


def _chain_check(t: Struct, head: list[tuple[str, Check]], link: str) -> Check:
    """The check of a linked list's node ``t``: its other fields per node, its link in a loop."""

    def check_chain(value: Any, path: str) -> None:
        seen: set[int] = set()  # the nodes are alive (reachable from value), so their ids are unique
        k = 0
        while True:
            here = chain_path(path, link, k)
            seen.add(id(value))
            getter = _getter(value)
            for name, check in head:
                try:
                    item = getter(name)
                except (KeyError, AttributeError):
                    raise EncodeError(f"{here}.{name}", f"missing field of struct {t.name}") from None
                check(item, f"{here}.{name}")
            try:
                value = getter(link)
            except (KeyError, AttributeError):
                raise EncodeError(f"{here}.{link}", f"missing field of struct {t.name}") from None
            if value is None:
                return
            k += 1
            if id(value) in seen:
                raise EncodeError(chain_path(path, link, k), f"links back to an earlier node of this {t.name} list")

    return check_chain


def _byte_count(value: Any, path: str) -> int:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise EncodeError(path, f"expected bytes, got {type(value).__name__}")
    return len(value)


def _array_check(elem: WireType, count: Callable[[int, str], None]) -> Check:
    """The check of an array of ``elem`` whose number of items ``count`` checks."""
    check_item = _checker(elem)
    num = numeric(elem)

    def check_array(value: Any, path: str) -> None:
        is_array = _is_array(value)
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence) and not is_array:
            raise EncodeError(path, f"expected a sequence, got {type(value).__name__}")
        if is_array and value.ndim != 1:
            raise EncodeError(path, f"expected a one-dimensional array, got shape {value.shape}")
        count(len(value), path)
        if is_array and num is not None:
            check_numeric_array(value, num, path)
            return
        for i, item in enumerate(value):
            check_item(item, f"{path}[{i}]")

    return check_array


def check_numeric_array(value: Any, elem: Int | Float, path: str) -> None:
    """Check that the numpy array ``value`` holds only values of ``elem`` (its dtype and range).

    Raises:
        EncodeError: naming ``path`` or the first item that does not fit, e.g. ``value[3]``.
    """
    import numpy as np

    kind = value.dtype.kind
    whole = integer(elem)
    if whole is not None:
        if kind not in "iu":
            raise EncodeError(path, f"an array of {elem.dtype} cannot hold dtype {value.dtype}")
        if len(value):
            lo, hi = int(value.min()), int(value.max())
            if lo < whole.lo or hi > whole.hi:
                bad = int(np.flatnonzero((value < whole.lo) | (value > whole.hi))[0])
                raise EncodeError(f"{path}[{bad}]", f"{value[bad]} is outside [{whole.lo}, {whole.hi}] of {elem.dtype}")
    else:
        if kind not in "iuf":
            raise EncodeError(path, f"an array of {elem.dtype} cannot hold dtype {value.dtype}")
        if elem.size == 4 and kind == "f" and value.dtype.itemsize > 4 and len(value):
            finite = np.isfinite(value)
            over = finite & (np.abs(value) >= FLOAT32_LIMIT)
            if over.any():
                bad = int(np.flatnonzero(over)[0])
                raise EncodeError(f"{path}[{bad}]", f"{value[bad]} does not fit a 32-bit float")


class _Equality(TypeVisitor[Equal]):
    """The ``eq(a, b)`` of each wire type; every kind not named compares with ``==``."""

    def visit_float(self, t: Float) -> Equal:
        single = t.bits == 32

        def eq_float(a: Any, b: Any) -> bool:
            a, b = float(a), float(b)
            if single and math.isfinite(a) and math.isfinite(b) and max(abs(a), abs(b)) < FLOAT32_LIMIT:
                a, b = float32(a), float32(b)
            return a == b or (math.isnan(a) and math.isnan(b))

        return eq_float

    def visit_array(self, t: Array) -> Equal:
        return _array_equality(t.elem)

    def visit_fixed_array(self, t: FixedArray) -> Equal:
        return _array_equality(t.elem)

    def visit_struct(self, t: Struct) -> Equal:
        fields = [(name, _equality(ft)) for name, ft in t.fields]
        link = chain_link(t)
        if link is not None:
            return _chain_equality(fields[:-1], link)

        def eq_struct(a: Any, b: Any) -> bool:
            ga, gb = _getter(a), _getter(b)
            return all(eq(ga(n), gb(n)) for n, eq in fields)

        return eq_struct

    def visit_union(self, t: Union) -> Equal:
        def eq_union(a: Any, b: Any) -> bool:
            if a[0] != b[0]:
                return False
            arm = t.arm(a[0])
            return arm is not None and _equality(arm)(a[1], b[1])

        return eq_union

    def visit_optional(self, t: Optional) -> Equal:
        eq_elem = _equality(t.elem)

        def eq_optional(a: Any, b: Any) -> bool:
            if a is None or b is None:
                return a is None and b is None
            return eq_elem(a, b)

        return eq_optional

    def visit_opaque(self, t: Opaque) -> Equal:
        return _eq_bytes

    def visit_fixed_opaque(self, t: FixedOpaque) -> Equal:
        return _eq_bytes

    def visit_ref(self, t: Ref) -> Equal:
        return lambda a, b: _equality(t.target)(a, b)

    def visit_bool(self, t: Bool) -> Equal:
        return lambda a, b: bool(a) == bool(b)

    def default(self, t: WireType) -> Equal:
        return lambda a, b: bool(a == b)


def _chain_equality(head: list[tuple[str, Equal]], link: str) -> Equal:
    """The equality of a linked list's node: its other fields per node, its link in a loop."""

    def eq_chain(a: Any, b: Any) -> bool:
        # A pair of nodes met again (two lists with cycles) has been compared from there on already.
        seen: set[tuple[int, int]] = set()
        while True:
            pair = (id(a), id(b))
            if pair in seen:
                return True
            seen.add(pair)
            ga, gb = _getter(a), _getter(b)
            if not all(eq(ga(n), gb(n)) for n, eq in head):
                return False
            a, b = ga(link), gb(link)
            if a is None or b is None:
                return a is None and b is None

    return eq_chain


def _eq_bytes(a: Any, b: Any) -> bool:
    return bytes(a) == bytes(b)


def _items(value: Any) -> list[Any]:
    return value.tolist() if _is_array(value) else list(value)


def _array_equality(elem: WireType) -> Equal:
    eq_item = _equality(elem)
    num = numeric(elem)
    nan_equal = num is not None and integer(num) is None

    def eq_array(a: Any, b: Any) -> bool:
        if len(a) != len(b):
            return False
        if num is not None and (_is_array(a) or _is_array(b)):
            import numpy as np

            dtype = num.dtype
            try:
                x, y = (v.astype(dtype) if _is_array(v) else np.array(v, dtype=dtype) for v in (a, b))
            except (TypeError, ValueError, OverflowError):
                return False
            return bool(np.array_equal(x, y, equal_nan=nan_equal))
        return all(eq_item(x, y) for x, y in zip(_items(a), _items(b)))

    return eq_array


_VALIDATOR = _Validator()
_EQUALITY = _Equality()
