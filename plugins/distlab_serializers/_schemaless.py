"""How the self-describing formats (JSON, msgpack, CBOR) carry the wire type model.

A schema-less format has its own small data model (numbers, strings, bytes, arrays, maps, null), so a
typed value is first turned into a *plain* value of that model, and back:

==================  ===========================================  =======================================
wire type           plain value                                  notes
==================  ===========================================  =======================================
integers            integer                                      range checked both ways
floats              float                                        JSON: NaN and infinities as the strings
                                                                 ``"NaN"``, ``"Infinity"``, ``"-Infinity"``
``BOOL``            true / false
``Enum``            the member's integer                         not its name: names are the IDL's, and a
                                                                 number survives renaming
``String``          text string                                  bound counts UTF-8 bytes
``Opaque``          byte string                                  JSON: standard base64 in a string
numeric arrays      array of numbers                             decoded back into a numpy array
other arrays        array
``Struct``          map from field name to value                 exactly the struct's fields
a list's node       array of the nodes, each a map of its        see "Linked lists" below
                    other fields (the link left out)
``Union``           2-item array ``[discriminant, value]``
``Optional``        null or the value                            (an optional of an optional is not a
                                                                 wire type, so null is unambiguous)
``VOID``            null
==================  ===========================================  =======================================

Linked lists: a struct whose last field is an optional reference to itself
(:func:`~distlab.rpc.chain_link`, ``struct node { int v; node *next; }``) would be, as a map, one
level of nesting per node. The libraries' C decoders nest recursively and stop a deep input on
purpose, as a defense against stack exhaustion: msgpack at a fixed depth of 1,024 containers
(compiled in), the json and cbor2 decoders at the interpreter's recursion limit. Raising those limits
would trade a clean error for a crash of the process on a hostile input (the C stack is not grown
by ``sys.setrecursionlimit``), and msgpack's cannot be raised at all. So a node is written as what a
list is: one array of its nodes in order, each node a map of its fields but the link, the last
node's link being null. ``[{"v": 1}, {"v": 2}]`` is the list 1, 2; an optional list is null or such
an array, so the two levels stay apart. The depth of the bytes no longer grows with the length of the
list, so a list of any length decodes, and the mapping to and from plain values, like
:func:`~distlab.rpc.validate` and :func:`~distlab.rpc.equal`, walks it in a loop. This is the
shape RFC 4506 section 4.19 gives XDR's lists (a sequence of items, each followed by a "more"
flag), and what the positional formats here write. Other recursive fields (a tree's left child)
still nest, and the decoder refuses what nests deeper than the library allows with a DecodeError.

Decoding checks the plain value against the type exactly as a positional decoder checks its bytes,
and raises :class:`~distlab.rpc.errors.DecodeError`. The libraries parse the whole item at once, so a
mismatch between the parsed value and the type is reported at offset 0 with the field path in the
message; syntax errors carry the library's offset where it gives one.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from distlab.rpc import (
    Array,
    DecodeError,
    EncodeError,
    FixedArray,
    FixedOpaque,
    Float,
    FromPlain,
    FromPlainVisitor,
    Int,
    Opaque,
    Optional,
    PlainMismatch,
    String,
    Struct,
    ToPlain,
    ToPlainVisitor,
    Void,
    WireType,
    brief,
    chain_link,
    fits_float32,
    integer,
    numeric,
    validate,
)

__all__ = ["Plain", "PlainCodec"]

_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


@dataclasses.dataclass(frozen=True)
class Plain:
    """What one format's plain model can hold natively.

    Attributes:
        key: the cache key.
        binary: byte strings are native (else base64 text).
        nonfinite: NaN and infinities are native floats (else strings).
    """

    key: str
    binary: bool = True
    nonfinite: bool = True


class PlainCodec:
    """Compiles wire types into ``to_plain(value)`` and ``from_plain(plain, path)`` closures."""

    def __init__(self, plain: Plain) -> None:
        self.plain = plain
        self._to = _ToPlain(plain)
        self._from = _FromPlain(plain)

    def to_plain(self, value: Any, t: WireType) -> Any:
        """The plain value of ``value`` (which the caller has validated)."""
        return self._to.compiled(t)(value)

    def from_plain(self, plain: Any, t: WireType) -> Any:
        """The typed value of ``plain``; :class:`DecodeError` (offset 0) if it does not fit."""
        f = self._from.compiled(t)
        try:
            return f(plain, "value")
        except PlainMismatch as err:
            raise DecodeError(0, str(err)) from None
        except RecursionError:
            raise DecodeError(0, "nested too deeply") from None


class _ToPlain(ToPlainVisitor):
    """The ``to_plain(value)`` of each wire type, for one plain model."""

    def __init__(self, plain: Plain) -> None:
        self.plain = plain
        self.key = (plain.key, "to")

    def visit_float(self, t: Float) -> ToPlain:
        if self.plain.nonfinite:
            return float
        return lambda v: float(v) if math.isfinite(v) else ("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))

    def visit_string(self, t: String) -> ToPlain:
        return _same

    def visit_void(self, t: Void) -> ToPlain:
        return _same

    def visit_opaque(self, t: Opaque) -> ToPlain:
        return self._bytes()

    def visit_fixed_opaque(self, t: FixedOpaque) -> ToPlain:
        return self._bytes()

    def _bytes(self) -> ToPlain:
        if self.plain.binary:
            return bytes
        return lambda v: base64.b64encode(v).decode("ascii")

    def visit_array(self, t: Array) -> ToPlain:
        return self._array(t.elem)

    def visit_fixed_array(self, t: FixedArray) -> ToPlain:
        return self._array(t.elem)

    def _array(self, elem: WireType) -> ToPlain:
        num = numeric(elem)
        if num is not None:
            item = self.compiled(num)
            # Only floats need an item-by-item pass, and only where the plain model lacks NaN.
            itemwise = integer(num) is None and not self.plain.nonfinite

            def numeric_to(v: Any) -> list[Any]:
                items = v.tolist() if isinstance(v, np.ndarray) else list(v)
                if itemwise:
                    return [item(x) for x in items]
                return items

            return numeric_to
        each = self.compiled(elem)
        return lambda v: [each(x) for x in v]

    def visit_struct(self, t: Struct) -> ToPlain:
        fields = [(n, self.compiled(ft)) for n, ft in t.fields]
        link = chain_link(t)
        if link is not None:
            return _chain_to(fields[:-1], link)

        def struct_to(v: Any) -> dict[str, Any]:
            if isinstance(v, dict):
                return {n: f(v[n]) for n, f in fields}
            return {n: f(getattr(v, n)) for n, f in fields}

        return struct_to

    def visit_optional(self, t: Optional) -> ToPlain:
        inner = self.compiled(t.elem)
        return lambda v: None if v is None else inner(v)

    def default(self, t: WireType) -> ToPlain:
        raise TypeError(f"{t!r} is not a wire type")


def _chain_to(head: list[tuple[str, ToPlain]], link: str) -> ToPlain:
    """A linked list's node as the array of its nodes, each a map of the fields but ``link``."""

    def chain_to(v: Any) -> list[dict[str, Any]]:
        nodes = []
        while v is not None:  # the value is validated, so the list ends (no cycle)
            if isinstance(v, dict):
                nodes.append({n: f(v[n]) for n, f in head})
                v = v[link]
            else:
                nodes.append({n: f(getattr(v, n)) for n, f in head})
                v = getattr(v, link)
        return nodes

    return chain_to


def _same(v: Any) -> Any:
    return v


class _FromPlain(FromPlainVisitor):
    """The ``from_plain(plain, path)`` of each wire type, for one plain model: checks and shapes."""

    def __init__(self, plain: Plain) -> None:
        self.plain = plain
        self.key = (plain.key, "from")

    def visit_int(self, t: Int) -> FromPlain:
        lo, hi = t.lo, t.hi

        def int_from(x: Any, path: str) -> int:
            if type(x) is int:
                n: int = x
            elif isinstance(x, int) and not isinstance(x, bool):
                n = int(x)  # a subclass of int, as a plain int
            else:
                raise PlainMismatch(f"{path}: expected an integer, got {type(x).__name__}")
            if not lo <= n <= hi:
                raise PlainMismatch(f"{path}: {brief(n)} is outside [{lo}, {hi}]")
            return n

        return int_from

    def visit_float(self, t: Float) -> FromPlain:
        small = t.bits == 32
        nonfinite = self.plain.nonfinite

        def float_from(x: Any, path: str) -> float:
            if isinstance(x, str) and not nonfinite and x in _SPECIAL:
                return _SPECIAL[x]
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise PlainMismatch(f"{path}: expected a number, got {type(x).__name__}")
            try:
                f = float(x)
            except OverflowError:
                raise PlainMismatch(f"{path}: {brief(x)} is too large for a float") from None
            if small and not fits_float32(f):
                raise PlainMismatch(f"{path}: {f} does not fit a 32-bit float")
            return f

        return float_from

    def visit_opaque(self, t: Opaque) -> FromPlain:
        return self._bytes(0, t.bound)

    def visit_fixed_opaque(self, t: FixedOpaque) -> FromPlain:
        return self._bytes(t.size, t.size)

    def _bytes(self, lo_n: int, hi_n: int) -> FromPlain:
        binary = self.plain.binary

        def opaque_from(x: Any, path: str) -> bytes:
            if binary:
                if not isinstance(x, bytes):
                    raise PlainMismatch(f"{path}: expected a byte string, got {type(x).__name__}")
                b = x
            else:
                if not isinstance(x, str):
                    raise PlainMismatch(f"{path}: expected base64 text, got {type(x).__name__}")
                try:
                    b = base64.b64decode(x.encode("ascii"), validate=True)
                except (binascii.Error, UnicodeEncodeError, ValueError):
                    raise PlainMismatch(f"{path}: invalid base64") from None
            if not lo_n <= len(b) <= hi_n:
                raise PlainMismatch(f"{path}: {len(b)} bytes, the type allows {lo_n} to {hi_n}")
            return b

        return opaque_from

    def visit_array(self, t: Array) -> FromPlain:
        return self._array(t.elem, 0, t.bound)

    def visit_fixed_array(self, t: FixedArray) -> FromPlain:
        return self._array(t.elem, t.size, t.size)

    def _array(self, elem: WireType, lo_n: int, hi_n: int) -> FromPlain:
        each = self.compiled(elem)

        def items(x: Any, path: str) -> Sequence[Any]:
            if not isinstance(x, (list, tuple)):  # cbor2 gives tuples inside tags (see cbor_format)
                raise PlainMismatch(f"{path}: expected an array, got {type(x).__name__}")
            if not lo_n <= len(x) <= hi_n:
                raise PlainMismatch(f"{path}: {len(x)} items, the type allows {lo_n} to {hi_n}")
            return x

        num = numeric(elem)
        if num is not None:
            dtype = np.dtype(num.dtype)
            whole = integer(num)

            def numeric_from(x: Any, path: str) -> np.ndarray:
                x = items(x, path)
                if whole is not None and all(type(v) is int for v in x):
                    if x and not (whole.lo <= min(x) and max(x) <= whole.hi):
                        return np.array([each(v, f"{path}[{i}]") for i, v in enumerate(x)], dtype)
                    return np.array(x, dtype)
                return np.array([each(v, f"{path}[{i}]") for i, v in enumerate(x)], dtype)

            return numeric_from

        def array_from(x: Any, path: str) -> list[Any]:
            return [each(v, f"{path}[{i}]") for i, v in enumerate(items(x, path))]

        return array_from

    def visit_struct(self, t: Struct) -> FromPlain:
        link = chain_link(t)
        if link is not None:
            return self._chain(t, link)
        fields = [(n, self.compiled(ft)) for n, ft in t.fields]
        names = {n for n, _ in t.fields}
        cls = t.cls

        def struct_from(x: Any, path: str) -> Any:
            if type(x) is not dict and not isinstance(x, Mapping):  # cbor2's frozendict inside tags
                raise PlainMismatch(f"{path}: expected a map for struct {t.name}, got {type(x).__name__}")
            if x.keys() != names:
                keys = ", ".join(sorted(map(brief, x)))
                raise PlainMismatch(f"{path}: struct {t.name} has fields {sorted(names)}, got keys {keys}")
            kw = {n: f(x[n], f"{path}.{n}") for n, f in fields}
            if cls is None:
                return kw
            try:
                return cls(**kw)
            except Exception as err:
                raise PlainMismatch(f"{path}: {cls.__name__} refused the decoded fields: {err}") from None

        return struct_from

    def _chain(self, t: Struct, link: str) -> FromPlain:
        """A linked list's node from the array of its nodes (see "Linked lists" above)."""
        fields = [(n, self.compiled(ft)) for n, ft in t.fields[:-1]]
        names = {n for n, _ in fields}
        cls = t.cls

        def chain_from(x: Any, path: str) -> Any:
            if not isinstance(x, (list, tuple)) or not x:
                got = "an empty array" if isinstance(x, (list, tuple)) else type(x).__name__
                raise PlainMismatch(f"{path}: a {t.name} list is an array of one or more nodes, got {got}")
            kws = []
            for i, node in enumerate(x):
                here = f"{path}[{i}]"
                if type(node) is not dict and not isinstance(node, Mapping):
                    raise PlainMismatch(f"{here}: expected a map for a node of {t.name}, got {type(node).__name__}")
                if node.keys() != names:
                    keys = ", ".join(sorted(map(brief, node)))
                    raise PlainMismatch(f"{here}: a node of {t.name} has fields {sorted(names)}, got keys {keys}")
                kws.append({n: f(node[n], f"{here}.{n}") for n, f in fields})
            value = None
            for i in range(len(kws) - 1, -1, -1):  # each node holds the next: build from the last
                kw = kws[i]
                kw[link] = value
                if cls is None:
                    value = kw
                    continue
                try:
                    value = cls(**kw)
                except Exception as err:
                    raise PlainMismatch(f"{path}[{i}]: {cls.__name__} refused the decoded fields: {err}") from None
            return value

        return chain_from

    def visit_optional(self, t: Optional) -> FromPlain:
        inner = self.compiled(t.elem)
        return lambda x, path: None if x is None else inner(x, path)

    def default(self, t: WireType) -> FromPlain:
        raise TypeError(f"{t!r} is not a wire type")


class SchemalessSerializer:
    """Base of the JSON, msgpack and CBOR serializers: check, map to plain, let the library encode."""

    schemaless = True
    unsafe = False
    PLAIN = Plain("plain")

    def __init__(self) -> None:
        self._codec = PlainCodec(self.PLAIN)

    def dumps(self, plain: Any) -> bytes:
        """The library's encoding of a plain value."""
        raise NotImplementedError

    def loads(self, data: bytes) -> Any:
        """The library's decoding of ``data`` into a plain value (:class:`DecodeError` on bad input)."""
        raise NotImplementedError

    def loads_prefix(self, data: bytes) -> tuple[Any, int]:
        """The plain value at the start of ``data`` and the offset where it ends (:class:`DecodeError`
        on bad input; bytes after it are left alone)."""
        raise NotImplementedError

    def encode(self, value: Any, type: WireType) -> bytes:
        """Validate ``value`` (:class:`EncodeError` names the field), map it to plain, encode it."""
        try:
            validate(value, type)
        except RecursionError:
            raise EncodeError("value", "nested too deeply") from None
        return self.dumps(self._codec.to_plain(value, type))

    def decode(self, data: bytes, type: WireType) -> Any:
        """Decode with the library, then check the plain value against ``type`` and shape it."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DecodeError(0, f"expected bytes, got {data.__class__.__name__}")
        return self._codec.from_plain(self.loads(bytes(data)), type)

    def decode_prefix(self, data: bytes, type: WireType) -> tuple[Any, int]:
        """The value of ``type`` at the start of ``data``, and the offset where its encoding ends."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DecodeError(0, f"expected bytes, got {data.__class__.__name__}")
        plain, end = self.loads_prefix(bytes(data))
        return self._codec.from_plain(plain, type), end
