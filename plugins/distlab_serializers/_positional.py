"""The engine shared by the positional formats (XDR, NDR, native): a compiler from wire types to codecs.

A positional format writes the fields of a value in the type's order with no names or tags, so the
receiver needs the type to read it. The formats differ in a few choices, gathered in a
:class:`Layout`: byte order, XDR's 4-byte units with zero padding, NDR's natural alignment, the width
of a bool, how strings and optional values are written, and fixed-width or varint integers.

A type is compiled once per layout into two closures, kept in the type's cache:

- ``enc(buf, value)`` appends the bytes of ``value`` to the bytearray ``buf``; it checks bounds and
  ranges (``struct`` checks ranges itself) and, when something does not fit, the serializer re-walks
  the value with :func:`distlab.rpc.types.validate` to name the field;
- ``dec(data, pos) -> (value, pos)`` reads one value at ``pos``; every length is checked against the
  bytes left before anything is allocated (a 4-byte length of 2**31 costs nothing), and every
  failure is a :class:`~distlab.errors.DecodeError` with the offset.
"""

from __future__ import annotations

import dataclasses
import operator
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from distlab.errors import DecodeError, EncodeError
from distlab.rpc import arrays
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
    Union,
    UnionValue,
    Void,
    WireType,
    validate,
)

from distlab_serializers._codegen import struct_encoder

__all__ = ["Layout", "Positional"]

Enc = Callable[[bytearray, Any], None]
Dec = Callable[[bytes, int], tuple[Any, int]]

_ZEROS = tuple(bytes(n) for n in range(8))
_PAD4 = (b"", b"\0\0\0", b"\0\0", b"\0")
_NDR_REFERENT = 0x00020000


@dataclasses.dataclass(frozen=True)
class Layout:
    """The choices that make one positional format.

    Attributes:
        key: a short unique name (the cache key).
        order: ``"<"`` little-endian or ``">"`` big-endian.
        unit4: XDR: every item takes a multiple of 4 bytes, zero padded.
        align: NDR: every primitive is aligned to its size, counted from ``origin``.
        origin: the offset alignment counts from (NDR: after the 4-byte format label).
        bool_size: bytes of a bool (4 in XDR, 1 in NDR and native).
        strings: ``"counted"`` (length, bytes) or ``"ndr"`` (maximum count, offset, actual count,
            bytes and a NUL, as a conformant varying string).
        optional: ``"flag"`` (a bool, then the value) or ``"referent"`` (NDR: a 4-byte referent id,
            0 for null, then the value).
        varint: integers, enums and lengths as LEB128 varints (signed ones zigzagged).
    """

    key: str
    order: str
    unit4: bool = False
    align: bool = False
    origin: int = 0
    bool_size: int = 1
    strings: str = "counted"
    optional: str = "flag"
    varint: bool = False


def _truncated(pos: int, need: int, data: bytes) -> DecodeError:
    return DecodeError(pos, f"truncated: {need} bytes needed, {len(data) - pos} left")


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    u = 0
    shift = 0
    start = pos
    n = len(data)
    while True:
        if pos >= n:
            raise _truncated(pos, 1, data)
        b = data[pos]
        pos += 1
        u |= (b & 0x7F) << shift
        if b < 0x80:
            if u >> 64:
                raise DecodeError(start, "varint overflows 64 bits")
            return u, pos
        shift += 7
        if shift > 63:
            raise DecodeError(start, "varint longer than 10 bytes")


def _varint(u: int) -> bytes:
    if u < 0x80:
        return bytes((u,))
    out = bytearray()
    while u >= 0x80:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


class Compiler:
    """Compiles wire types into ``enc`` and ``dec`` closures for one layout."""

    def __init__(self, layout: Layout, specialize: bool = True) -> None:
        self.layout = layout
        self.specialize = specialize
        self.ekey = (layout.key, "enc") if specialize else (layout.key, "enc", "generic")
        self.dkey = (layout.key, "dec")

    # -- small helpers --------------------------------------------------------------------------

    def _alignment(self, t: WireType) -> int:
        """NDR alignment of ``t`` (1 when the layout does not align)."""
        L = self.layout
        if not L.align:
            return 1
        if isinstance(t, (Int, Float)):
            return t.size
        if isinstance(t, Bool):
            return L.bool_size
        if isinstance(t, (Enum, String, Opaque, Optional)):
            return 4
        if isinstance(t, Array):
            return max(4, self._alignment(t.elem))
        if isinstance(t, FixedArray):
            return self._alignment(t.elem)
        if isinstance(t, Struct):
            return max([self._alignment(ft) for _, ft in t.fields] or [1])
        if isinstance(t, Union):
            return max([self._alignment(t.discriminant)] + [self._alignment(a) for _, _, a in t.arms])
        return 1

    def minsize(self, t: WireType) -> int:
        """The fewest bytes an encoding of ``t`` takes (so a count can be checked against what is left)."""
        L = self.layout
        small = 1 if L.varint else 4
        if isinstance(t, (Int, Float)):
            return 1 if L.varint and isinstance(t, Int) else t.size
        if isinstance(t, Bool):
            return L.bool_size
        if isinstance(t, Enum):
            return small
        if isinstance(t, String):
            return 13 if L.strings == "ndr" else small
        if isinstance(t, Opaque):
            return small
        if isinstance(t, FixedOpaque):
            return t.size + (-t.size % 4 if L.unit4 else 0)
        if isinstance(t, Array):
            return small
        if isinstance(t, FixedArray):
            return t.size * self.minsize(t.elem)
        if isinstance(t, Struct):
            return sum(self.minsize(ft) for _, ft in t.fields)
        if isinstance(t, Union):
            return self.minsize(t.discriminant)
        if isinstance(t, Optional):
            return 4 if L.optional == "referent" or L.unit4 else 1
        return 0

    # -- length words ---------------------------------------------------------------------------

    def _len_codec(self) -> tuple[Enc, Dec]:
        L = self.layout
        if L.varint:

            def put(buf: bytearray, n: int) -> None:
                buf += _varint(n)

            return put, _read_varint
        S = struct.Struct(L.order + "I")
        pack, unpack = S.pack, S.unpack_from
        align = L.align
        o = L.origin

        def put_len(buf: bytearray, n: int) -> None:
            if align:
                p = (o - len(buf)) & 3
                if p:
                    buf += _ZEROS[p]
            buf += pack(n)

        def get_len(data: bytes, pos: int) -> tuple[int, int]:
            if align:
                pos = _skip_pad(data, pos, (o - pos) & 3)
            if pos + 4 > len(data):
                raise _truncated(pos, 4, data)
            return unpack(data, pos)[0], pos + 4

        return put_len, get_len

    # -- encoders -------------------------------------------------------------------------------

    def encoder(self, t: WireType) -> Enc:
        """The encoder of ``t`` (compiled on first use)."""
        enc: Enc | None = t._cache.get(self.ekey)
        if enc is None:
            enc = self._encoder(t)
            t._cache[self.ekey] = enc
        return enc

    def _encoder(self, t: WireType) -> Enc:  # noqa: C901 - one branch per wire type
        L = self.layout
        o = L.origin
        if isinstance(t, Int) and L.varint:
            lo, hi, signed = t.lo, t.hi, t.signed

            def enc_varint(buf: bytearray, v: int) -> None:
                if not lo <= v <= hi:
                    raise EncodeError("value", f"{v} out of range")
                buf += _varint(((v << 1) ^ (v >> 63)) & 0xFFFFFFFFFFFFFFFF if signed else v)

            return enc_varint
        if isinstance(t, (Int, Float)):
            return self._fixed(L.order + t.code, t.size)
        if isinstance(t, Bool):
            one = struct.pack(L.order + ("I" if L.bool_size == 4 else "B"), 1)
            zero = bytes(len(one))
            m = L.bool_size - 1 if L.align else 0

            def enc_bool(buf: bytearray, v: Any) -> None:
                if m:
                    p = (o - len(buf)) & m
                    if p:
                        buf += _ZEROS[p]
                if v is True or (v == 1 and isinstance(v, int)):
                    buf += one
                elif v is False or (v == 0 and isinstance(v, int)):
                    buf += zero
                else:
                    raise EncodeError("value", f"expected a bool, got {v!r}")

            return enc_bool
        if isinstance(t, Enum):
            values = t.values
            inner = self.encoder(Int(32, True))

            def enc_enum(buf: bytearray, v: int) -> None:
                if v not in values or isinstance(v, bool):
                    raise EncodeError("value", f"{v!r} is not a value of enum {t.name}")
                inner(buf, v)

            return enc_enum
        if isinstance(t, Void):

            def enc_void(buf: bytearray, v: Any) -> None:
                if v is not None:
                    raise EncodeError("value", "a void arm carries None")

            return enc_void
        if isinstance(t, (String, Opaque)):
            return self._counted_bytes(t)
        if isinstance(t, FixedOpaque):
            size = t.size
            pad = _PAD4[size & 3] if L.unit4 else b""

            def enc_fixed_opaque(buf: bytearray, v: bytes) -> None:
                if len(v) != size or not isinstance(v, (bytes, bytearray, memoryview)):
                    raise EncodeError("value", f"fixed opaque needs exactly {size} bytes")
                buf += v
                buf += pad

            return enc_fixed_opaque
        if isinstance(t, (Array, FixedArray)):
            return self._array_encoder(t)
        if isinstance(t, Struct):
            return self._struct_encoder(t)
        if isinstance(t, Union):
            de = self.encoder(t.discriminant)
            arms = {c: self.encoder(a) for c, _, a in t.arms}
            default = self.encoder(t.default[1]) if t.default is not None else None

            def enc_union(buf: bytearray, v: Any) -> None:
                d, x = v
                de(buf, d)
                f = arms.get(d, default)
                if f is None:
                    raise EncodeError("value", f"discriminant {d!r} has no arm")
                f(buf, x)

            return enc_union
        if isinstance(t, Optional):
            inner_enc = self.encoder(t.elem)
            if L.optional == "referent":
                put_len = self._len_codec()[0]

                def enc_pointer(buf: bytearray, v: Any) -> None:
                    if v is None:
                        put_len(buf, 0)
                    else:
                        put_len(buf, _NDR_REFERENT)
                        inner_enc(buf, v)

                return enc_pointer
            fmt = L.order + ("I" if L.unit4 else "B")
            present, absent = struct.pack(fmt, 1), struct.pack(fmt, 0)

            def enc_optional(buf: bytearray, v: Any) -> None:
                if v is None:
                    buf += absent
                else:
                    buf += present
                    inner_enc(buf, v)

            return enc_optional
        if isinstance(t, Ref):
            ref = t

            def enc_ref(buf: bytearray, v: Any) -> None:
                self.encoder(ref.target)(buf, v)

            return enc_ref
        raise TypeError(f"{t!r} is not a wire type")

    def _fixed(self, fmt: str, size: int) -> Enc:
        pack = struct.Struct(fmt).pack
        if self.layout.align and size > 1:
            m, o = size - 1, self.layout.origin

            def enc_aligned(buf: bytearray, v: Any) -> None:
                p = (o - len(buf)) & m
                if p:
                    buf += _ZEROS[p]
                buf += pack(v)

            return enc_aligned

        def enc_fixed(buf: bytearray, v: Any) -> None:
            buf += pack(v)

        return enc_fixed

    def _counted_bytes(self, t: String | Opaque) -> Enc:
        L = self.layout
        bound = t.bound
        text = isinstance(t, String)
        put_len = self._len_codec()[0]
        if text and L.strings == "ndr":
            put3 = struct.Struct(L.order + "III").pack
            o = L.origin

            def enc_ndr_string(buf: bytearray, v: str) -> None:
                b = v.encode("utf-8")
                n = len(b)
                if n > bound:
                    raise EncodeError("value", f"{n} bytes exceed the bound {bound}")
                p = (o - len(buf)) & 3
                if p:
                    buf += _ZEROS[p]
                buf += put3(n + 1, 0, n + 1)
                buf += b
                buf += b"\0"

            return enc_ndr_string
        unit4 = L.unit4

        def enc_counted(buf: bytearray, v: Any) -> None:
            b = v.encode("utf-8") if text else v
            if not text and not isinstance(b, (bytes, bytearray, memoryview)):
                raise EncodeError("value", "expected bytes")
            n = len(b)
            if n > bound:
                raise EncodeError("value", f"{n} bytes exceed the bound {bound}")
            put_len(buf, n)
            buf += b
            if unit4:
                buf += _PAD4[n & 3]

        return enc_counted

    def _array_encoder(self, t: Array | FixedArray) -> Enc:
        L = self.layout
        elem = t.elem
        fixed = isinstance(t, FixedArray)
        bound = t.size if isinstance(t, FixedArray) else t.bound
        put_len = self._len_codec()[0]
        if isinstance(elem, (Int, Float)) and not (L.varint and isinstance(elem, Int)):
            order = L.order
            m = elem.size - 1 if L.align else 0
            o = L.origin

            def enc_numeric(buf: bytearray, v: Any) -> None:
                n = len(v)
                if n > bound or (fixed and n != bound):
                    raise EncodeError("value", f"{n} items do not fit the bound {bound}")
                if not fixed:
                    put_len(buf, n)
                if m:
                    p = (o - len(buf)) & m
                    if p:
                        buf += _ZEROS[p]
                arrays.put_numeric(buf, v, elem, order)

            if not L.align and not L.varint:
                enc_numeric.numeric = (elem, fixed, bound, order)  # type: ignore[attr-defined]
            return enc_numeric
        if isinstance(elem, Int):  # varint layout
            dtype = elem.dtype

            def enc_varints(buf: bytearray, v: Any) -> None:
                n = len(v)
                if n > bound or (fixed and n != bound):
                    raise EncodeError("value", f"{n} items do not fit the bound {bound}")
                if not fixed:
                    put_len(buf, n)
                a = np.asarray(v) if n else np.empty(0, dtype)
                if a.dtype.kind not in "iu":
                    if isinstance(v, np.ndarray):
                        raise EncodeError("value", f"expected integers, got {a.dtype}")
                    validate(v, Array(elem))  # big Python ints make an object array
                    a = np.array(v, dtype=object)
                elif a.dtype != dtype:
                    validate(a, Array(elem))
                a = a.astype(dtype)
                arrays.put_varints(buf, arrays.zigzag(a) if elem.signed else a)

            return enc_varints
        ee = self.encoder(elem)

        def enc_array(buf: bytearray, v: Any) -> None:
            n = len(v)
            if n > bound or (fixed and n != bound) or isinstance(v, (str, bytes, dict)):
                raise EncodeError("value", f"{n} items do not fit the bound {bound}")
            if not fixed:
                put_len(buf, n)
            for x in v:
                ee(buf, x)

        return enc_array

    def _struct_encoder(self, t: Struct) -> Enc:
        if self.specialize:
            generated = struct_encoder(self, t)
            if generated is not None:
                return generated
        names = [n for n, _ in t.fields]
        encs = [self.encoder(ft) for _, ft in t.fields]
        if len(names) == 1:
            aget: Callable[[Any], Any] = lambda v, _n=names[0]: (getattr(v, _n),)  # noqa: E731
            iget: Callable[[Any], Any] = lambda v, _n=names[0]: (v[_n],)  # noqa: E731
        elif not names:
            aget = iget = lambda v: ()  # noqa: E731
        else:
            aget, iget = operator.attrgetter(*names), operator.itemgetter(*names)
        a = self._alignment(t)
        m, o = (a - 1, self.layout.origin) if a > 1 else (0, 0)

        def enc_struct(buf: bytearray, v: Any) -> None:
            if m:
                p = (o - len(buf)) & m
                if p:
                    buf += _ZEROS[p]
            vals = iget(v) if type(v) is dict else aget(v)
            for f, x in zip(encs, vals):
                f(buf, x)

        return enc_struct

    # -- decoders -------------------------------------------------------------------------------

    def decoder(self, t: WireType) -> Dec:
        """The decoder of ``t`` (compiled on first use)."""
        dec: Dec | None = t._cache.get(self.dkey)
        if dec is None:
            dec = self._decoder(t)
            t._cache[self.dkey] = dec
        return dec

    def _decoder(self, t: WireType) -> Dec:  # noqa: C901 - one branch per wire type
        L = self.layout
        o = L.origin
        if isinstance(t, Int) and L.varint:
            lo, hi, signed = t.lo, t.hi, t.signed

            def dec_varint(data: bytes, pos: int) -> tuple[int, int]:
                u, end = _read_varint(data, pos)
                v = (u >> 1) ^ -(u & 1) if signed else u
                if not lo <= v <= hi:
                    raise DecodeError(pos, f"{v} is outside the range of {t.dtype}")
                return v, end

            return dec_varint
        if isinstance(t, (Int, Float)):
            return self._fixed_decoder(L.order + t.code, t.size)
        if isinstance(t, Bool):
            raw = self._fixed_decoder(L.order + ("I" if L.bool_size == 4 else "B"), L.bool_size)

            def dec_bool(data: bytes, pos: int) -> tuple[bool, int]:
                x, end = raw(data, pos)
                if x > 1:
                    raise DecodeError(end - L.bool_size, f"a bool is 0 or 1, not {x}")
                return x == 1, end

            return dec_bool
        if isinstance(t, Enum):
            values = t.values
            inner = self.decoder(Int(32, True))

            def dec_enum(data: bytes, pos: int) -> tuple[int, int]:
                x, end = inner(data, pos)
                if x not in values:
                    raise DecodeError(pos, f"{x} is not a value of enum {t.name}")
                return x, end

            return dec_enum
        if isinstance(t, Void):
            return lambda data, pos: (None, pos)
        if isinstance(t, (String, Opaque)):
            return self._counted_decoder(t)
        if isinstance(t, FixedOpaque):
            size = t.size
            pad = -size % 4 if L.unit4 else 0

            def dec_fixed_opaque(data: bytes, pos: int) -> tuple[bytes, int]:
                end = pos + size
                if end + pad > len(data):
                    raise _truncated(pos, size + pad, data)
                return data[pos:end], _check_pad(data, end, pad)

            return dec_fixed_opaque
        if isinstance(t, (Array, FixedArray)):
            return self._array_decoder(t)
        if isinstance(t, Struct):
            return self._struct_decoder(t)
        if isinstance(t, Union):
            dd = self.decoder(t.discriminant)
            arms = {c: self.decoder(a) for c, _, a in t.arms}
            default = self.decoder(t.default[1]) if t.default is not None else None

            def dec_union(data: bytes, pos: int) -> tuple[Any, int]:
                d, end = dd(data, pos)
                f = arms.get(d, default)
                if f is None:
                    raise DecodeError(pos, f"discriminant {d} has no arm in union {t.name}")
                x, end = f(data, end)
                return UnionValue(d, x), end

            return dec_union
        if isinstance(t, Optional):
            inner_dec = self.decoder(t.elem)
            if L.optional == "referent":
                get_len = self._len_codec()[1]

                def dec_pointer(data: bytes, pos: int) -> tuple[Any, int]:
                    ref, end = get_len(data, pos)
                    if ref == 0:
                        return None, end
                    return inner_dec(data, end)

                return dec_pointer
            flag = self._fixed_decoder(L.order + ("I" if L.unit4 else "B"), 4 if L.unit4 else 1)

            def dec_optional(data: bytes, pos: int) -> tuple[Any, int]:
                x, end = flag(data, pos)
                if x == 0:
                    return None, end
                if x != 1:
                    raise DecodeError(pos, f"an optional's flag is 0 or 1, not {x}")
                return inner_dec(data, end)

            return dec_optional
        if isinstance(t, Ref):
            ref = t

            def dec_ref(data: bytes, pos: int) -> tuple[Any, int]:
                return self.decoder(ref.target)(data, pos)

            return dec_ref
        raise TypeError(f"{t!r} is not a wire type")

    def _fixed_decoder(self, fmt: str, size: int) -> Dec:
        unpack = struct.Struct(fmt).unpack_from
        if self.layout.align and size > 1:
            m, o = size - 1, self.layout.origin

            def dec_aligned(data: bytes, pos: int) -> tuple[Any, int]:
                p = (o - pos) & m
                if p:
                    pos = _skip_pad(data, pos, p)
                if pos + size > len(data):
                    raise _truncated(pos, size, data)
                return unpack(data, pos)[0], pos + size

            return dec_aligned

        def dec_fixed(data: bytes, pos: int) -> tuple[Any, int]:
            if pos + size > len(data):
                raise _truncated(pos, size, data)
            return unpack(data, pos)[0], pos + size

        return dec_fixed

    def _counted_decoder(self, t: String | Opaque) -> Dec:
        L = self.layout
        bound = t.bound
        text = isinstance(t, String)
        get_len = self._len_codec()[1]
        if text and L.strings == "ndr":
            get3 = struct.Struct(L.order + "III").unpack_from
            o = L.origin

            def dec_ndr_string(data: bytes, pos: int) -> tuple[str, int]:
                pos = _skip_pad(data, pos, (o - pos) & 3)
                if pos + 12 > len(data):
                    raise _truncated(pos, 12, data)
                maxc, offset, actual = get3(data, pos)
                if offset != 0 or actual != maxc or actual == 0:
                    raise DecodeError(pos, f"string counts must be (n, 0, n) with n >= 1, got ({maxc}, {offset}, {actual})")
                if actual - 1 > bound:
                    raise DecodeError(pos, f"string of {actual - 1} bytes exceeds the bound {bound}")
                start = pos + 12
                end = start + actual
                if end > len(data):
                    raise _truncated(start, actual, data)
                if data[end - 1] != 0:
                    raise DecodeError(end - 1, "string is not NUL-terminated")
                return _utf8(data, start, end - 1), end

            return dec_ndr_string
        unit4 = L.unit4

        def dec_counted(data: bytes, pos: int) -> tuple[Any, int]:
            n, start = get_len(data, pos)
            if n > bound:
                raise DecodeError(pos, f"length {n} exceeds the bound {bound}")
            end = start + n
            pad = -n % 4 if unit4 else 0
            if end + pad > len(data):
                raise _truncated(start, n + pad, data)
            value = _utf8(data, start, end) if text else data[start:end]
            return value, _check_pad(data, end, pad)

        return dec_counted

    def _array_decoder(self, t: Array | FixedArray) -> Dec:
        L = self.layout
        elem = t.elem
        fixed = isinstance(t, FixedArray)
        bound = t.size if isinstance(t, FixedArray) else t.bound
        get_len = self._len_codec()[1]

        def count(data: bytes, pos: int) -> tuple[int, int]:
            if fixed:
                return bound, pos
            n, end = get_len(data, pos)
            if n > bound:
                raise DecodeError(pos, f"count {n} exceeds the bound {bound}")
            return n, end

        if isinstance(elem, (Int, Float)) and not (L.varint and isinstance(elem, Int)):
            size = elem.size
            order = L.order
            m = size - 1 if L.align else 0
            o = L.origin

            def dec_numeric(data: bytes, pos: int) -> tuple[Any, int]:
                n, start = count(data, pos)
                if m:
                    start = _skip_pad(data, start, (o - start) & m)
                if start + n * size > len(data):
                    raise _truncated(start, n * size, data)
                return arrays.get_numeric(data, start, n, elem, order), start + n * size

            return dec_numeric
        if isinstance(elem, Int):  # varint layout
            lo, hi, dtype = elem.lo, elem.hi, elem.dtype

            def dec_varints(data: bytes, pos: int) -> tuple[Any, int]:
                n, start = count(data, pos)
                u, end = arrays.get_varints(data, start, n)
                if elem.signed:
                    v = arrays.kernels.zigzag_decode(u)
                    if n and (v.min() < lo or v.max() > hi):
                        raise DecodeError(start, f"an item is outside the range of {dtype}")
                    return v.astype(dtype), end
                if n and u.max() > hi:
                    raise DecodeError(start, f"an item is outside the range of {dtype}")
                return u.astype(dtype), end

            return dec_varints
        de = self.decoder(elem)
        least = self.minsize(elem)
        # Items that may take no bytes (an empty struct) cannot be checked against what is left;
        # a count of them beyond the bytes left plus this slack is taken for a length bomb.
        slack = 0 if least else 4096

        def dec_array(data: bytes, pos: int) -> tuple[list[Any], int]:
            n, p = count(data, pos)
            if not fixed and n * max(least, 1) > len(data) - p + slack:
                raise DecodeError(pos, f"count {n} cannot fit in the {len(data) - p} bytes left")
            out = []
            for _ in range(n):
                x, p = de(data, p)
                out.append(x)
            return out, p

        return dec_array

    def _struct_decoder(self, t: Struct) -> Dec:
        names = [n for n, _ in t.fields]
        decs = [self.decoder(ft) for _, ft in t.fields]
        cls = t.cls
        positional = (
            cls is not None
            and dataclasses.is_dataclass(cls)
            and [f.name for f in dataclasses.fields(cls) if f.init] == names
        )
        a = self._alignment(t)
        m, o = (a - 1, self.layout.origin) if a > 1 else (0, 0)

        def dec_struct(data: bytes, pos: int) -> tuple[Any, int]:
            if m:
                pos = _skip_pad(data, pos, (o - pos) & m)
            vals = []
            for f in decs:
                x, pos = f(data, pos)
                vals.append(x)
            if cls is None:
                return dict(zip(names, vals)), pos
            try:
                return (cls(*vals) if positional else cls(**dict(zip(names, vals)))), pos
            except Exception as err:  # the class's own checks (__post_init__) refused the values
                raise DecodeError(pos, f"{cls.__name__} refused the decoded fields: {err}") from None

        return dec_struct


def _skip_pad(data: bytes, pos: int, p: int) -> int:
    if not p:
        return pos
    if pos + p > len(data):
        raise _truncated(pos, p, data)
    if data[pos : pos + p] != _ZEROS[p]:
        raise DecodeError(pos, "nonzero alignment padding")
    return pos + p


def _check_pad(data: bytes, pos: int, p: int) -> int:
    if p and data[pos : pos + p] != _ZEROS[p]:
        raise DecodeError(pos, "nonzero padding")
    return pos + p


def _utf8(data: bytes, start: int, end: int) -> str:
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError as err:
        raise DecodeError(start + err.start, f"invalid UTF-8: {err.reason}") from None


def explain(value: Any, t: WireType, err: BaseException) -> EncodeError:
    """The error to raise when encoding failed: one that names the field if validation finds it."""
    try:
        validate(value, t)
    except EncodeError as named:
        return named
    except RecursionError:
        return EncodeError("value", "nested too deeply")
    if isinstance(err, EncodeError):
        return err
    return EncodeError("value", f"{type(err).__name__}: {err}")


class Positional:
    """A serializer for one positional layout (the XDR, NDR and native components build on it)."""

    schemaless = False
    unsafe = False

    def __init__(self, layout: Layout, specialize: bool = True) -> None:
        self._compiler = Compiler(layout, specialize)
        self._ekey = self._compiler.ekey
        self._dkey = self._compiler.dkey

    def _prefix(self) -> bytes:
        return b""

    def encode(self, value: Any, type: WireType) -> bytes:
        """The bytes of ``value`` as a ``type``; :class:`EncodeError` names a field that does not fit."""
        enc = type._cache.get(self._ekey) or self._compiler.encoder(type)
        numeric = getattr(enc, "numeric", None)
        if numeric is not None and isinstance(value, np.ndarray) and value.ndim == 1:
            # A whole message that is one numeric array: straight into one preallocated buffer.
            elem, fixed, bound, order = numeric
            n = value.shape[0]
            if n <= bound and (n == bound or not fixed):
                head = b"" if fixed else struct.pack(order + "I", n)
                try:
                    return arrays.encode_array(value, elem, order, self._prefix() + head)
                except Exception as err:
                    raise explain(value, type, err) from None
        buf = bytearray(self._prefix())
        try:
            enc(buf, value)
        except Exception as err:
            raise explain(value, type, err) from None
        return bytes(buf)

    def decode(self, data: bytes, type: WireType) -> Any:
        """The value of ``type`` that ``data`` encodes; :class:`DecodeError` with the offset otherwise."""
        return self._decode_from(self._compiler, _as_bytes(data), 0, type)

    def decode_prefix(self, data: bytes, type: WireType) -> tuple[Any, int]:
        """The value of ``type`` at the start of ``data``, and the offset where it ends.

        For messages whose header says how to read the rest (an RPC call's arguments follow its
        header). Raises :class:`DecodeError` as :meth:`decode` does, except for trailing bytes.
        """
        return self._decode_from(self._compiler, _as_bytes(data), 0, type, whole=False)

    @staticmethod
    def _decode_from(compiler: Compiler, data: bytes, pos: int, type: WireType, whole: bool = True) -> Any:
        dec = type._cache.get(compiler.dkey) or compiler.decoder(type)
        try:
            value, end = dec(data, pos)
        except RecursionError:
            raise DecodeError(pos, "nested too deeply") from None
        if not whole:
            return value, end
        if end != len(data):
            raise DecodeError(end, f"{len(data) - end} trailing bytes")
        return value


def _as_bytes(data: Any) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise DecodeError(0, f"expected bytes, got {type(data).__name__}")
