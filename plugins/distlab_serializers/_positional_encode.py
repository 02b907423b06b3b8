"""Encoders of the positional formats: wire types compiled into ``enc(buf, value)`` closures.

A closure appends the bytes of ``value`` to the bytearray ``buf``. It checks bounds and ranges
(``struct`` checks ranges itself) and raises whatever fails; the serializer then re-walks the value
with :func:`distlab.rpc.types.validate` to name the field. Where the layout allows, a struct's
encoder is generated source (:mod:`distlab_serializers._codegen`) rather than a closure per field.
"""

from __future__ import annotations

import operator
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from distlab.rpc import (
    Array,
    Bool,
    EncodeError,
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
    chain_link,
    integer,
    numeric,
    validate,
)
from distlab.rpc import arrays
from distlab_serializers._codegen import struct_encoder
from distlab_serializers._positional_layout import (
    NDR_REFERENT,
    PAD4,
    ZEROS,
    Enc,
    Layout,
    TypeCompiler,
    conformant_tail,
)

__all__ = ["EncoderCompiler"]


def _varint(u: int) -> bytes:
    if u < 0x80:
        return bytes((u,))
    out = bytearray()
    while u >= 0x80:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


_Getter = Callable[[Any], tuple[Any, ...]]


def _no_fields(v: Any) -> tuple[Any, ...]:
    return ()


def _field_getters(names: list[str]) -> tuple[_Getter, _Getter]:
    """The getters of a struct's field values, as a tuple: from an object, and from a dict."""
    if len(names) > 1:
        return operator.attrgetter(*names), operator.itemgetter(*names)
    if names:  # for one name, operator's getters return the value itself, not a 1-tuple
        name = names[0]
        return (lambda v: (getattr(v, name),)), (lambda v: (v[name],))
    return _no_fields, _no_fields


class EncoderCompiler(TypeCompiler[Enc]):
    """Compiles wire types into ``enc`` closures for one layout.

    Args:
        layout: the format's choices.
        specialize: generate struct encoders where the layout allows (off: a closure per field, the
            generic path the differential tests compare them with).
    """

    def __init__(self, layout: Layout, specialize: bool = True, hoisted: bool = False) -> None:
        key = (layout.key, "enc") if specialize else (layout.key, "enc", "generic")
        super().__init__(layout, key + ("hoisted",) if hoisted else key)
        self.specialize = specialize
        self.hoisted = hoisted
        # NDR: the encoders of a structure's conformant tail, which leave out the maximum count;
        # everything inside a tail (its items, the members before it) is ordinary again.
        self._plain = self
        self._tails = self
        if layout.hoist and not hoisted:
            self._tails = EncoderCompiler(layout, specialize, hoisted=True)
            self._tails._plain = self

    def encoder(self, t: WireType) -> Enc:
        """The encoder of ``t`` (compiled on first use)."""
        return self.compiled(t)

    def _put_len(self) -> Callable[[bytearray, int], None]:
        """The writer of a length or count."""
        L = self.layout
        if L.varint:

            def put_varint(buf: bytearray, n: int) -> None:
                buf += _varint(n)

            return put_varint
        pack = struct.Struct(L.order + "I").pack
        align = L.align
        o = L.origin

        def put_len(buf: bytearray, n: int) -> None:
            if align:
                p = (o - len(buf)) & 3
                if p:
                    buf += ZEROS[p]
            buf += pack(n)

        return put_len

    def visit_int(self, t: Int) -> Enc:
        if not self.layout.varint:
            return self._fixed(self.layout.order + t.code, t.size)
        lo, hi, signed = t.lo, t.hi, t.signed

        def enc_varint(buf: bytearray, v: int) -> None:
            if not lo <= v <= hi:
                raise EncodeError("value", f"{v} out of range")
            buf += _varint(((v << 1) ^ (v >> 63)) & 0xFFFFFFFFFFFFFFFF if signed else v)

        return enc_varint

    def visit_float(self, t: Float) -> Enc:
        return self._fixed(self.layout.order + t.code, t.size)

    def visit_bool(self, t: Bool) -> Enc:
        L = self.layout
        o = L.origin
        one = struct.pack(L.order + ("I" if L.bool_size == 4 else "B"), 1)
        zero = bytes(len(one))
        m = L.bool_size - 1 if L.align else 0

        def enc_bool(buf: bytearray, v: Any) -> None:
            if m:
                p = (o - len(buf)) & m
                if p:
                    buf += ZEROS[p]
            if v is True or (v == 1 and isinstance(v, int)):
                buf += one
            elif v is False or (v == 0 and isinstance(v, int)):
                buf += zero
            else:
                raise EncodeError("value", f"expected a bool, got {v!r}")

        return enc_bool

    def visit_enum(self, t: Enum) -> Enc:
        values = t.values
        inner = self.encoder(Int(32, True))

        def enc_enum(buf: bytearray, v: int) -> None:
            if v not in values or isinstance(v, bool):
                raise EncodeError("value", f"{v!r} is not a value of enum {t.name}")
            inner(buf, v)

        return enc_enum

    def visit_void(self, t: Void) -> Enc:
        def enc_void(buf: bytearray, v: Any) -> None:
            if v is not None:
                raise EncodeError("value", "a void arm carries None")

        return enc_void

    def visit_string(self, t: String) -> Enc:
        return self._counted_bytes(t.bound, text=True)

    def visit_opaque(self, t: Opaque) -> Enc:
        return self._counted_bytes(t.bound, text=False)

    def _tail_encoder(self, t: WireType) -> Enc:
        """The encoder of ``t`` as the conformant tail of a structure (no maximum count)."""
        return self._tails.encoder(t)

    def visit_fixed_opaque(self, t: FixedOpaque) -> Enc:
        size = t.size
        pad = PAD4[size & 3] if self.layout.unit4 else b""

        def enc_fixed_opaque(buf: bytearray, v: bytes) -> None:
            if len(v) != size or not isinstance(v, (bytes, bytearray, memoryview)):
                raise EncodeError("value", f"fixed opaque needs exactly {size} bytes")
            buf += v
            buf += pad

        return enc_fixed_opaque

    def visit_array(self, t: Array) -> Enc:
        return self._array_encoder(t.elem, fixed=False, bound=t.bound, counted=not self.hoisted)

    def visit_fixed_array(self, t: FixedArray) -> Enc:
        return self._array_encoder(t.elem, fixed=True, bound=t.size)

    def visit_struct(self, t: Struct) -> Enc:
        tail = conformant_tail(t) if self.layout.hoist else None
        if tail is None:
            link = chain_link(t)
            if link is not None:
                return self._chain_encoder(t, link)
        if tail is None or self.hoisted:
            return self._struct_encoder(t, tail is not None)
        # C706 section 14.3.7.1: the maximum count of the conformant member that ends the
        # structure (at any depth) comes first, aligned to 4; the structure follows without it.
        path, member = tail
        max_count = member.accept(_MaxCount())
        body = self._tail_encoder(t)
        put_len = self._put_len()

        def enc_conformant_struct(buf: bytearray, v: Any) -> None:
            x = v
            for name in path:
                x = x[name] if type(x) is dict else getattr(x, name)
            put_len(buf, max_count(x))
            body(buf, v)

        return enc_conformant_struct

    def visit_union(self, t: Union) -> Enc:
        de = self.encoder(t.discriminant)
        arms = {c: self.encoder(a) for c, _, a in t.arms}
        default = self.encoder(t.default[1]) if t.default is not None else None
        # NDR (C706 14.3.8): the union starts at its own alignment, its largest arm's.
        a = self.alignment(t)
        m, o = (a - 1, self.layout.origin) if a > 1 else (0, 0)

        def enc_union(buf: bytearray, v: Any) -> None:
            d, x = v
            if m:
                p = (o - len(buf)) & m
                if p:
                    buf += ZEROS[p]
            de(buf, d)
            f = arms.get(d, default)
            if f is None:
                raise EncodeError("value", f"discriminant {d!r} has no arm")
            f(buf, x)

        return enc_union

    def visit_optional(self, t: Optional) -> Enc:
        L = self.layout
        inner_enc = self.encoder(t.elem)
        if L.optional == "referent":
            put_len = self._put_len()

            def enc_pointer(buf: bytearray, v: Any) -> None:
                if v is None:
                    put_len(buf, 0)
                else:
                    put_len(buf, NDR_REFERENT)
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

    def visit_ref(self, t: Ref) -> Enc:
        ref = t

        def enc_ref(buf: bytearray, v: Any) -> None:
            self.encoder(ref.target)(buf, v)

        return enc_ref


    def default(self, t: WireType) -> Enc:
        raise TypeError(f"{t!r} is not a wire type")

    def _fixed(self, fmt: str, size: int) -> Enc:
        pack = struct.Struct(fmt).pack
        if self.layout.align and size > 1:
            m, o = size - 1, self.layout.origin

            def enc_aligned(buf: bytearray, v: Any) -> None:
                p = (o - len(buf)) & m
                if p:
                    buf += ZEROS[p]
                buf += pack(v)

            return enc_aligned

        def enc_fixed(buf: bytearray, v: Any) -> None:
            buf += pack(v)

        return enc_fixed

    def _counted_bytes(self, bound: int, text: bool) -> Enc:
        L = self.layout
        put_len = self._put_len()
        if text and L.strings == "ndr":
            hoisted = self.hoisted
            put3 = struct.Struct(L.order + "III").pack
            put2 = struct.Struct(L.order + "II").pack
            o = L.origin

            def enc_ndr_string(buf: bytearray, v: str) -> None:
                b = v.encode("utf-8")
                n = len(b)
                if n > bound:
                    raise EncodeError("value", f"{n} bytes exceed the bound {bound}")
                p = (o - len(buf)) & 3
                if p:
                    buf += ZEROS[p]
                # C706 14.3.7.2: a string ending a structure keeps its offset and actual count
                # in place; its maximum count went to the structure's start.
                buf += put2(0, n + 1) if hoisted else put3(n + 1, 0, n + 1)
                buf += b
                buf += b"\0"

            return enc_ndr_string
        if self.hoisted:

            def enc_tail_bytes(buf: bytearray, v: Any) -> None:
                if not isinstance(v, (bytes, bytearray, memoryview)):
                    raise EncodeError("value", "expected bytes")
                if len(v) > bound:
                    raise EncodeError("value", f"{len(v)} bytes exceed the bound {bound}")
                buf += v

            return enc_tail_bytes
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
                buf += PAD4[n & 3]

        return enc_counted

    def _array_encoder(self, elem: WireType, fixed: bool, bound: int, counted: bool = True) -> Enc:
        L = self.layout
        put_len = self._put_len()
        write_count = counted and not fixed

        def count(buf: bytearray, v: Any) -> int:
            """Check the number of items against the bound; write it unless the array is fixed
            or its count was hoisted to the start of the structure it ends."""
            n = len(v)
            if n > bound or (fixed and n != bound):
                raise EncodeError("value", f"{n} items do not fit the bound {bound}")
            if write_count:
                put_len(buf, n)
            return n

        num, whole = numeric(elem), integer(elem)
        if num is not None and not (L.varint and whole is not None):
            order = L.order
            m = num.size - 1 if L.align else 0
            o = L.origin

            def enc_numeric(buf: bytearray, v: Any) -> None:
                count(buf, v)
                if m:
                    p = (o - len(buf)) & m
                    if p:
                        buf += ZEROS[p]
                arrays.put_numeric(buf, v, num, order)

            if not L.align and not L.varint:
                enc_numeric.numeric = (num, fixed, bound, order)  # type: ignore[attr-defined]
            return enc_numeric
        if whole is not None:  # varint layout
            dtype = whole.dtype

            def enc_varints(buf: bytearray, v: Any) -> None:
                n = count(buf, v)
                a = np.asarray(v) if n else np.empty(0, dtype)
                if a.dtype.kind not in "iu":
                    if isinstance(v, np.ndarray):
                        raise EncodeError("value", f"expected integers, got {a.dtype}")
                    validate(v, Array(whole))  # big Python ints make an object array
                    a = np.array(v, dtype=object)
                elif a.dtype != dtype:
                    validate(a, Array(whole))
                a = a.astype(dtype)
                arrays.put_varints(buf, arrays.zigzag(a) if whole.signed else a)

            return enc_varints
        ee = self._plain.encoder(elem)

        def enc_array(buf: bytearray, v: Any) -> None:
            if isinstance(v, (str, bytes, dict)):  # sized and iterable, but not an array
                raise EncodeError("value", f"expected a sequence, got {type(v).__name__}")
            count(buf, v)
            for x in v:
                ee(buf, x)

        return enc_array

    def _struct_encoder(self, t: Struct, has_tail: bool = False) -> Enc:
        if self.specialize and not has_tail:
            generated = struct_encoder(self.layout, t, self.encoder)
            if generated is not None:
                return generated
        names = [n for n, _ in t.fields]
        # The members before a conformant tail are ordinary; the tail (only in the tail compiler,
        # which a structure with a tail reaches through visit_struct) leaves its count out.
        encs = [self._plain.encoder(ft) for _, ft in t.fields]
        if has_tail:
            encs[-1] = self.encoder(t.fields[-1][1])
        aget, iget = _field_getters(names)
        a = self.alignment(t)
        m, o = (a - 1, self.layout.origin) if a > 1 else (0, 0)

        def enc_struct(buf: bytearray, v: Any) -> None:
            if m:
                p = (o - len(buf)) & m
                if p:
                    buf += ZEROS[p]
            vals = iget(v) if type(v) is dict else aget(v)
            for f, x in zip(encs, vals):
                f(buf, x)

        return enc_struct


    def _chain_encoder(self, t: Struct, link: str) -> Enc:
        """A linked list's node (:func:`~distlab.rpc.chain_link`), written node by node in a loop.

        The bytes are those of the recursive definition (RFC 4506 section 4.19 spells the list
        out: each node's other fields, then the flag or pointer of the next node): the node aligned
        to the whole struct's alignment (NDR), its other fields, the presence of the next node, and
        the next node at once, which is also where NDR puts it (the pointer is the node's last
        member, so its deferred referent, C706 14.3.12.3, follows it directly).
        """
        head = self._plain._struct_encoder(Struct(t.name, t.fields[:-1]))
        a = self.alignment(t)
        m, o = (a - 1, self.layout.origin) if a > 1 else (0, 0)
        L = self.layout
        if L.optional == "referent":
            put_len = self._put_len()
            fmt = L.order + "I"
            # The pointer is aligned to 4 (put_len pads); its referent id or 0.
            present_bytes = absent_bytes = b""
        else:
            put_len = None
            fmt = L.order + ("I" if L.unit4 else "B")
            present_bytes, absent_bytes = struct.pack(fmt, 1), struct.pack(fmt, 0)

        def enc_chain(buf: bytearray, v: Any) -> None:
            seen: set[int] = set()  # a list that links back to itself has no finite encoding
            while True:
                seen.add(id(v))
                if m:
                    p = (o - len(buf)) & m
                    if p:
                        buf += ZEROS[p]
                head(buf, v)
                v = v[link] if type(v) is dict else getattr(v, link)
                if v is None:
                    if put_len is None:
                        buf += absent_bytes
                    else:
                        put_len(buf, 0)
                    return
                if id(v) in seen:
                    raise EncodeError("value", f"a {t.name} list links back to an earlier node")
                if put_len is None:
                    buf += present_bytes
                else:
                    put_len(buf, NDR_REFERENT)

        return enc_chain


class _MaxCount(TypeVisitor[Callable[[Any], int]]):
    """The maximum count NDR writes for a conformant member's value (C706 sections 14.3.3.2, 14.3.4):
    items of an array, bytes of an opaque, bytes of a string with its terminating NUL."""

    def visit_array(self, t: Array) -> Callable[[Any], int]:
        return len

    def visit_opaque(self, t: Opaque) -> Callable[[Any], int]:
        return len

    def visit_string(self, t: String) -> Callable[[Any], int]:
        return lambda v: len(v.encode("utf-8")) + 1
