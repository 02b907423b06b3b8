"""A tiny serializer for tests and plugin authors: every wire type as canonical JSON text.

:class:`TrivialSerializer` satisfies the :class:`~distlab.rpc.kinds.Serializer` contract with as
little as possible, so that a test of the rpc engine, of a contract check or of a tool needs no
plugin, and so that a plugin author sees the whole contract at work in one short module. It is not
a wire format to measure: it is slow and verbose on purpose (floats as exact hexadecimal text).

The text is compact ASCII JSON of a *plain* value, written and read by one
:class:`~distlab.rpc.types.TypeVisitor` each way:

=======================  ===========================================================
wire type                plain value
=======================  ===========================================================
integers, ``Enum``       integer
``BOOL``                 ``true`` / ``false``
floats                   ``float.hex`` text (exact, NaN and infinities included)
``String``               string
``Opaque``, fixed        lowercase hex text
arrays                   array (numeric ones decode to a numpy array of the dtype)
``Struct``               array of the field values, in field order
``Union``                ``[discriminant, value]``
``Optional``             ``[]`` or ``[value]``
``VOID``                 ``null``
=======================  ===========================================================

Decoding is strict: the input must be exactly the text :meth:`TrivialSerializer.encode` writes
for some value (it is parsed, written again and compared), and every failure is a
:class:`~distlab.rpc.errors.DecodeError`.

Examples:
    >>> from distlab.rpc.types import INT32, String, Struct
    >>> point = Struct("point", (("x", INT32), ("name", String(8))))
    >>> TrivialSerializer().encode({"x": 1, "name": "a"}, point)
    b'[1,"a"]'
    >>> TrivialSerializer().decode(b'[1,"a"]', point)
    {'x': 1, 'name': 'a'}
"""

from __future__ import annotations

import json
from typing import Any

from distlab.rpc.errors import DecodeError, EncodeError
from distlab.rpc.plain import FromPlain, FromPlainVisitor, PlainMismatch, ToPlain, ToPlainVisitor
from distlab.rpc.types import (
    Array,
    FixedArray,
    FixedOpaque,
    Float,
    Int,
    Opaque,
    Optional,
    String,
    Struct,
    Void,
    WireType,
    brief,
    numeric,
)
from distlab.rpc.values import fits_float32, validate

__all__ = ["TrivialSerializer"]


class TrivialSerializer:
    """The trivial serializer: canonical JSON text of every wire type (a fake for tests).

    Examples:
        >>> from distlab.rpc.types import FLOAT64, Array
        >>> TrivialSerializer().encode([0.5], Array(FLOAT64))
        b'["0x1.0000000000000p-1"]'
    """

    schemaless = True
    unsafe = False

    def encode(self, value: Any, type: WireType) -> bytes:
        """The bytes of ``value`` as a ``type``; :class:`EncodeError` names a field that does not fit."""
        try:
            validate(value, type)
            plain = type.compiled(_TO.key, _TO.visit)(value)
            return _dumps(plain).encode("ascii")
        except RecursionError:
            raise EncodeError("value", "nested too deeply") from None

    def decode(self, data: bytes, type: WireType) -> Any:
        """The value of ``type`` that all of ``data`` encodes; :class:`DecodeError` otherwise."""
        value, end = self.decode_prefix(data, type)
        if end != len(data):
            raise DecodeError(end, f"{len(data) - end} trailing bytes")
        return value

    def decode_prefix(self, data: bytes, type: WireType) -> tuple[Any, int]:
        """The value of ``type`` at the start of ``data`` and the offset where its text ends."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DecodeError(0, f"expected bytes, got {data.__class__.__name__}")
        raw = bytes(data)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            # The text is ASCII, so what precedes the bad byte is all that can hold the value.
            text = raw[: err.start].decode("utf-8")
        try:
            plain, end = json.JSONDecoder(parse_constant=_refuse_constant).raw_decode(text)
            canonical = _dumps(plain)
        except json.JSONDecodeError as err:
            raise DecodeError(len(text[: err.pos].encode("utf-8")), f"invalid JSON: {err.msg}") from None
        except RecursionError:
            raise DecodeError(0, "nested too deeply") from None
        except ValueError as err:  # a constant such as NaN, or an integer of too many digits
            raise DecodeError(0, f"invalid JSON: {err}") from None
        if text[:end] != canonical:
            raise DecodeError(0, "not the canonical text of a value (spacing, escapes or number form)")
        try:
            return type.compiled(_FROM.key, _FROM.visit)(plain, "value"), end
        except PlainMismatch as err:
            raise DecodeError(0, str(err)) from None
        except RecursionError:
            raise DecodeError(0, "nested too deeply") from None


def _dumps(plain: Any) -> str:
    return json.dumps(plain, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _ToPlain(ToPlainVisitor):
    """The ``to_plain(value)`` of each wire type (the value has been validated)."""

    key = ("trivial", "to")

    def visit_float(self, t: Float) -> ToPlain:
        return lambda v: float(v).hex()

    def visit_void(self, t: Void) -> ToPlain:
        return lambda v: None

    def visit_string(self, t: String) -> ToPlain:
        return str

    def visit_opaque(self, t: Opaque) -> ToPlain:
        return lambda v: bytes(v).hex()

    def visit_fixed_opaque(self, t: FixedOpaque) -> ToPlain:
        return lambda v: bytes(v).hex()

    def visit_array(self, t: Array) -> ToPlain:
        return self._items(t.elem)

    def visit_fixed_array(self, t: FixedArray) -> ToPlain:
        return self._items(t.elem)

    def _items(self, elem: WireType) -> ToPlain:
        each = self.compiled(elem)
        return lambda v: [each(x) for x in (v.tolist() if hasattr(v, "tolist") else v)]

    def visit_struct(self, t: Struct) -> ToPlain:
        fields = [(name, self.compiled(ft)) for name, ft in t.fields]

        def struct_to(v: Any) -> list[Any]:
            get = v.__getitem__ if isinstance(v, dict) else lambda k: getattr(v, k)
            return [f(get(name)) for name, f in fields]

        return struct_to

    def visit_optional(self, t: Optional) -> ToPlain:
        inner = self.compiled(t.elem)
        return lambda v: [] if v is None else [inner(v)]


class _FromPlain(FromPlainVisitor):
    """The ``from_plain(plain, path)`` of each wire type: checks the plain value and shapes it."""

    key = ("trivial", "from")

    def visit_int(self, t: Int) -> FromPlain:
        return _integer(t.lo, t.hi, t.dtype)

    def visit_float(self, t: Float) -> FromPlain:
        single = t.bits == 32

        def float_from(x: Any, path: str) -> float:
            if not isinstance(x, str):
                raise PlainMismatch(f"{path}: expected a float as hexadecimal text, got {type(x).__name__}")
            try:
                f = float.fromhex(x)
            except (ValueError, OverflowError):
                raise PlainMismatch(f"{path}: {brief(x)} is not a hexadecimal float") from None
            if f.hex() != x:
                raise PlainMismatch(f"{path}: {brief(x)} is not the canonical text of {f}")
            if single and not fits_float32(f):
                raise PlainMismatch(f"{path}: {f} does not fit a 32-bit float")
            return f

        return float_from

    def visit_opaque(self, t: Opaque) -> FromPlain:
        return _hex_bytes(0, t.bound)

    def visit_fixed_opaque(self, t: FixedOpaque) -> FromPlain:
        return _hex_bytes(t.size, t.size)

    def visit_array(self, t: Array) -> FromPlain:
        return self._items(t.elem, 0, t.bound)

    def visit_fixed_array(self, t: FixedArray) -> FromPlain:
        return self._items(t.elem, t.size, t.size)

    def _items(self, elem: WireType, lo_n: int, hi_n: int) -> FromPlain:
        each = self.compiled(elem)
        num = numeric(elem)

        def array_from(x: Any, path: str) -> Any:
            if not isinstance(x, list):
                raise PlainMismatch(f"{path}: expected an array, got {type(x).__name__}")
            if not lo_n <= len(x) <= hi_n:
                raise PlainMismatch(f"{path}: {len(x)} items, the type allows {lo_n} to {hi_n}")
            items = [each(v, f"{path}[{i}]") for i, v in enumerate(x)]
            if num is None:
                return items
            import numpy as np  # only here: importing distlab.rpc stays cheap

            return np.array(items, dtype=num.dtype)

        return array_from

    def visit_struct(self, t: Struct) -> FromPlain:
        fields = [(name, self.compiled(ft)) for name, ft in t.fields]
        cls = t.cls

        def struct_from(x: Any, path: str) -> Any:
            if not isinstance(x, list) or len(x) != len(fields):
                raise PlainMismatch(f"{path}: struct {t.name} is an array of its {len(fields)} field values")
            kw = {name: f(v, f"{path}.{name}") for (name, f), v in zip(fields, x)}
            if cls is None:
                return kw
            try:
                return cls(**kw)
            except Exception as err:  # the class's own checks refused the values
                raise PlainMismatch(f"{path}: {cls.__name__} refused the decoded fields: {err}") from None

        return struct_from

    def visit_optional(self, t: Optional) -> FromPlain:
        inner = self.compiled(t.elem)

        def optional_from(x: Any, path: str) -> Any:
            if not isinstance(x, list) or len(x) > 1:
                raise PlainMismatch(f"{path}: an optional value is [] or [value]")
            return inner(x[0], path) if x else None

        return optional_from


def _integer(lo: int, hi: int, dtype: str) -> FromPlain:
    def int_from(x: Any, path: str) -> int:
        if type(x) is not int:
            raise PlainMismatch(f"{path}: expected an integer, got {type(x).__name__}")
        if not lo <= x <= hi:
            raise PlainMismatch(f"{path}: {brief(x)} is outside [{lo}, {hi}] of {dtype}")
        return x

    return int_from


def _hex_bytes(lo_n: int, hi_n: int) -> FromPlain:
    def bytes_from(x: Any, path: str) -> bytes:
        if not isinstance(x, str):
            raise PlainMismatch(f"{path}: expected hexadecimal text, got {type(x).__name__}")
        try:
            b = bytes.fromhex(x)
        except ValueError:
            raise PlainMismatch(f"{path}: invalid hexadecimal text") from None
        if b.hex() != x:
            raise PlainMismatch(f"{path}: not lowercase hexadecimal text without spaces")
        if not lo_n <= len(b) <= hi_n:
            raise PlainMismatch(f"{path}: {len(b)} bytes, the type allows {lo_n} to {hi_n}")
        return b

    return bytes_from


_TO = _ToPlain()
_FROM = _FromPlain()
