"""Plain values: the rules every codec shares that carries a typed value as a value of a small data
model (numbers, strings, arrays, null), as the schema-less formats and :class:`TrivialSerializer` do.

Such a codec compiles two closures per wire type, each with a :class:`TypeVisitor`:
``to_plain(value)`` (the value has been validated) and ``from_plain(plain, path)``, which checks
the plain value against the type, raises :class:`PlainMismatch` with the field path where it does
not fit, and shapes it into the typed value. :class:`ToPlainVisitor` and :class:`FromPlainVisitor`
hold the rules that do not depend on the plain model (booleans, enums, strings, void, unions,
references); a codec subclasses them, sets ``key`` (its cache key) and adds the rest.

Examples:
    >>> from distlab.rpc.types import BOOL, String
    >>> class Checks(FromPlainVisitor):
    ...     key = ("example", "from")
    >>> Checks().compiled(String(3))("abc", "value")
    'abc'
    >>> Checks().compiled(BOOL)(1, "value.flag")
    Traceback (most recent call last):
    ...
    distlab.rpc.plain.PlainMismatch: value.flag: expected a bool, got int
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from distlab.rpc.types import Bool, Enum, Int, Ref, String, TypeVisitor, Union, UnionValue, Void, WireType, brief

__all__ = ["FromPlain", "FromPlainVisitor", "PlainMismatch", "ToPlain", "ToPlainVisitor"]

ToPlain = Callable[[Any], Any]
"""A compiled ``to_plain(value)``: the plain value of a validated typed value."""

FromPlain = Callable[[Any, str], Any]
"""A compiled ``from_plain(plain, path)``: the typed value, or :class:`PlainMismatch`."""


class PlainMismatch(Exception):
    """A plain value that does not fit the type (a codec reports it as a DecodeError at offset 0,
    the message naming the field path)."""


class ToPlainVisitor(TypeVisitor[ToPlain]):
    """The ``to_plain(value)`` rules shared by every plain model; a subclass sets ``key`` and adds
    floats, strings, void, opaques, arrays, structs and optionals."""

    key: Hashable

    def compiled(self, t: WireType) -> ToPlain:
        """The ``to_plain`` of ``t``, compiled once and kept in its cache under :attr:`key`."""
        return t._cache.get(self.key) or t.compiled(self.key, self.visit)

    def visit_int(self, t: Int) -> ToPlain:
        return int

    def visit_enum(self, t: Enum) -> ToPlain:
        return int

    def visit_bool(self, t: Bool) -> ToPlain:
        return bool

    def visit_union(self, t: Union) -> ToPlain:
        disc = self.compiled(t.discriminant)
        arms = {c: self.compiled(a) for c, _, a in t.arms}
        default = self.compiled(t.default[1]) if t.default is not None else None

        def union_to(v: Any) -> list[Any]:
            d, x = v
            return [disc(d), (arms.get(d) or default)(x)]  # type: ignore[misc]

        return union_to

    def visit_ref(self, t: Ref) -> ToPlain:
        ref = t
        return lambda v: self.compiled(ref.target)(v)


class FromPlainVisitor(TypeVisitor[FromPlain]):
    """The ``from_plain(plain, path)`` checks shared by every plain model; a subclass sets ``key``
    and adds integers, floats, opaques, arrays, structs and optionals."""

    key: Hashable

    def compiled(self, t: WireType) -> FromPlain:
        """The ``from_plain`` of ``t``, compiled once and kept in its cache under :attr:`key`."""
        return t._cache.get(self.key) or t.compiled(self.key, self.visit)

    def visit_bool(self, t: Bool) -> FromPlain:
        def bool_from(x: Any, path: str) -> bool:
            if not isinstance(x, bool):
                raise PlainMismatch(f"{path}: expected a bool, got {type(x).__name__}")
            return x

        return bool_from

    def visit_enum(self, t: Enum) -> FromPlain:
        values = t.values

        def enum_from(x: Any, path: str) -> int:
            if type(x) is not int or x not in values:
                raise PlainMismatch(f"{path}: {brief(x)} is not a value of enum {t.name}")
            return x

        return enum_from

    def visit_void(self, t: Void) -> FromPlain:
        def void_from(x: Any, path: str) -> None:
            if x is not None:
                raise PlainMismatch(f"{path}: a void arm carries null")

        return void_from

    def visit_string(self, t: String) -> FromPlain:
        bound = t.bound

        def string_from(x: Any, path: str) -> str:
            if not isinstance(x, str):
                raise PlainMismatch(f"{path}: expected a string, got {type(x).__name__}")
            try:
                n = len(x.encode("utf-8"))
            except UnicodeEncodeError:
                raise PlainMismatch(f"{path}: not valid Unicode text (a lone surrogate)") from None
            if n > bound:
                raise PlainMismatch(f"{path}: {n} bytes exceed the bound {bound}")
            return x

        return string_from

    def visit_union(self, t: Union) -> FromPlain:
        disc = self.compiled(t.discriminant)
        arms = {c: self.compiled(a) for c, _, a in t.arms}
        default = self.compiled(t.default[1]) if t.default is not None else None

        def union_from(x: Any, path: str) -> UnionValue:
            if not isinstance(x, (list, tuple)) or len(x) != 2:  # cbor2 gives tuples inside tags
                raise PlainMismatch(f"{path}: a union is a 2-item array [discriminant, value]")
            d = disc(x[0], f"{path}.discriminant")
            f = arms.get(d, default)
            if f is None:
                raise PlainMismatch(f"{path}: discriminant {d} has no arm in union {t.name}")
            return UnionValue(d, f(x[1], f"{path}.value"))

        return union_from

    def visit_ref(self, t: Ref) -> FromPlain:
        ref = t
        return lambda x, path: self.compiled(ref.target)(x, path)
