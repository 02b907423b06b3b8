"""Decoders of the positional formats: wire types compiled into ``dec(data, pos) -> (value, end)`` closures.

A closure reads one value at ``pos``. Every length is checked against the bytes left before
anything is allocated (a 4-byte length of 2**31 costs nothing), and every failure is a
:class:`~distlab.rpc.errors.DecodeError` with the offset.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from typing import Any

from distlab.rpc import (
    Array,
    Bool,
    DecodeError,
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
    UnionValue,
    Void,
    WireType,
    chain_link,
    integer,
    numeric,
)
from distlab.rpc import arrays, kernels
from distlab_serializers._positional_layout import ZEROS, Dec, HDec, Layout, TypeCompiler, conformant_tail

__all__ = ["DecoderCompiler"]


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


class DecoderCompiler(TypeCompiler[Dec]):
    """Compiles wire types into ``dec`` closures for one layout."""

    def __init__(self, layout: Layout) -> None:
        super().__init__(layout, (layout.key, "dec"))
        self._minsize = _MinSize(layout)
        self._tails_key = (layout.key, "dec", "hoisted")

    def decoder(self, t: WireType) -> Dec:
        """The decoder of ``t`` (compiled on first use)."""
        return self.compiled(t)

    def minsize(self, t: WireType) -> int:
        """The fewest bytes an encoding of ``t`` takes (so a count can be checked against what is left)."""
        return t.accept(self._minsize)

    def _get_len(self) -> Callable[[bytes, int], tuple[int, int]]:
        """The reader of a length or count."""
        L = self.layout
        if L.varint:
            return _read_varint
        unpack = struct.Struct(L.order + "I").unpack_from
        align = L.align
        o = L.origin

        def get_len(data: bytes, pos: int) -> tuple[int, int]:
            if align:
                pos = _skip_pad(data, pos, (o - pos) & 3)
            if pos + 4 > len(data):
                raise _truncated(pos, 4, data)
            return unpack(data, pos)[0], pos + 4

        return get_len

    def visit_int(self, t: Int) -> Dec:
        if not self.layout.varint:
            return self._fixed_decoder(self.layout.order + t.code, t.size)
        lo, hi, signed = t.lo, t.hi, t.signed

        def dec_varint(data: bytes, pos: int) -> tuple[int, int]:
            u, end = _read_varint(data, pos)
            v = (u >> 1) ^ -(u & 1) if signed else u
            if not lo <= v <= hi:
                raise DecodeError(pos, f"{v} is outside the range of {t.dtype}")
            return v, end

        return dec_varint

    def visit_float(self, t: Float) -> Dec:
        return self._fixed_decoder(self.layout.order + t.code, t.size)

    def visit_bool(self, t: Bool) -> Dec:
        L = self.layout
        raw = self._fixed_decoder(L.order + ("I" if L.bool_size == 4 else "B"), L.bool_size)

        if L.bool_nonzero:
            # C706 14.2.2: FALSE is a zero octet, TRUE any octet with a bit set.
            def dec_nonzero_bool(data: bytes, pos: int) -> tuple[bool, int]:
                x, end = raw(data, pos)
                return x != 0, end

            return dec_nonzero_bool

        def dec_bool(data: bytes, pos: int) -> tuple[bool, int]:
            x, end = raw(data, pos)
            if x > 1:
                raise DecodeError(end - L.bool_size, f"a bool is 0 or 1, not {x}")
            return x == 1, end

        return dec_bool

    def visit_enum(self, t: Enum) -> Dec:
        values = t.values
        inner = self.decoder(Int(32, True))

        def dec_enum(data: bytes, pos: int) -> tuple[int, int]:
            x, end = inner(data, pos)
            if x not in values:
                raise DecodeError(pos, f"{x} is not a value of enum {t.name}")
            return x, end

        return dec_enum

    def visit_void(self, t: Void) -> Dec:
        return lambda data, pos: (None, pos)

    def visit_string(self, t: String) -> Dec:
        return self._counted_decoder(t.bound, text=True)

    def visit_opaque(self, t: Opaque) -> Dec:
        return self._counted_decoder(t.bound, text=False)

    def visit_fixed_opaque(self, t: FixedOpaque) -> Dec:
        size = t.size
        pad = -size % 4 if self.layout.unit4 else 0

        def dec_fixed_opaque(data: bytes, pos: int) -> tuple[bytes, int]:
            end = pos + size
            if end + pad > len(data):
                raise _truncated(pos, size + pad, data)
            return data[pos:end], _check_pad(data, end, pad)

        return dec_fixed_opaque

    def visit_array(self, t: Array) -> Dec:
        return self._array_decoder(t.elem, fixed=False, bound=t.bound)

    def visit_fixed_array(self, t: FixedArray) -> Dec:
        return self._array_decoder(t.elem, fixed=True, bound=t.size)

    def visit_struct(self, t: Struct) -> Dec:
        tail = conformant_tail(t) if self.layout.hoist else None
        if tail is None:
            link = chain_link(t)
            return self._struct_decoder(t) if link is None else self._chain_decoder(t)
        # C706 14.3.7.1: the maximum count of the conformant member that ends the structure comes
        # first; the members follow, and the tail reads its items with that count.
        get_len = self._get_len()
        body = self._tail_decoder(t)

        def dec_conformant_struct(data: bytes, pos: int) -> tuple[Any, int]:
            max_count, p = get_len(data, pos)
            return body(data, p, max_count)

        return dec_conformant_struct

    def _tail_decoder(self, t: WireType) -> HDec:
        """The decoder of ``t`` as (or as a structure ending in) a hoisted conformant member."""
        return t.compiled(self._tails_key, self._compile_tail)

    def _compile_tail(self, t: WireType) -> HDec:
        return t.accept(_TailDecoders(self))

    def visit_union(self, t: Union) -> Dec:
        dd = self.decoder(t.discriminant)
        arms = {c: self.decoder(a) for c, _, a in t.arms}
        default = self.decoder(t.default[1]) if t.default is not None else None
        a = self.alignment(t)
        m, o = (a - 1, self.layout.origin) if a > 1 else (0, 0)

        def dec_union(data: bytes, pos: int) -> tuple[Any, int]:
            if m:
                pos = _skip_pad(data, pos, (o - pos) & m)
            d, end = dd(data, pos)
            f = arms.get(d, default)
            if f is None:
                raise DecodeError(pos, f"discriminant {d} has no arm in union {t.name}")
            x, end = f(data, end)
            return UnionValue(d, x), end

        return dec_union

    def visit_optional(self, t: Optional) -> Dec:
        L = self.layout
        inner_dec = self.decoder(t.elem)
        if L.optional == "referent":
            get_len = self._get_len()

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

    def visit_ref(self, t: Ref) -> Dec:
        ref = t

        def dec_ref(data: bytes, pos: int) -> tuple[Any, int]:
            return self.decoder(ref.target)(data, pos)

        return dec_ref

    def default(self, t: WireType) -> Dec:
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

    def _counted_decoder(self, bound: int, text: bool) -> Dec:
        L = self.layout
        get_len = self._get_len()
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

    def _array_decoder(self, elem: WireType, fixed: bool, bound: int) -> Dec:
        get_len = self._get_len()
        items = self._array_items(elem, check_room=not fixed)
        if fixed:
            return lambda data, pos: items(data, pos, bound, pos)

        def dec_counted_array(data: bytes, pos: int) -> tuple[Any, int]:
            n, start = get_len(data, pos)
            if n > bound:
                raise DecodeError(pos, f"count {n} exceeds the bound {bound}")
            return items(data, start, n, pos)

        return dec_counted_array

    def _array_items(
        self, elem: WireType, check_room: bool = True
    ) -> Callable[[bytes, int, int, int], tuple[Any, int]]:
        """``items(data, start, n, at)``: ``n`` items of ``elem`` from ``start`` (``at``: where the
        count was, for errors). A count is checked against the bytes left before anything is
        allocated."""
        L = self.layout
        num, whole = numeric(elem), integer(elem)
        if num is not None and not (L.varint and whole is not None):
            size = num.size
            order = L.order
            m = size - 1 if L.align else 0
            o = L.origin

            def dec_numeric(data: bytes, start: int, n: int, at: int) -> tuple[Any, int]:
                if m:
                    start = _skip_pad(data, start, (o - start) & m)
                if start + n * size > len(data):
                    raise _truncated(start, n * size, data)
                return arrays.get_numeric(data, start, n, num, order), start + n * size

            return dec_numeric
        if whole is not None:  # varint layout
            lo, hi, dtype, signed = whole.lo, whole.hi, whole.dtype, whole.signed

            def dec_varints(data: bytes, start: int, n: int, at: int) -> tuple[Any, int]:
                if n > len(data) - start:  # every varint takes at least one byte
                    raise DecodeError(at, f"count {n} cannot fit in the {len(data) - start} bytes left")
                u, end = arrays.get_varints(data, start, n)
                if signed:
                    v = kernels.zigzag_decode(u)
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

        def dec_array(data: bytes, p: int, n: int, at: int) -> tuple[list[Any], int]:
            if check_room and n * max(least, 1) > len(data) - p + slack:
                raise DecodeError(at, f"count {n} cannot fit in the {len(data) - p} bytes left")
            out = []
            for _ in range(n):
                x, p = de(data, p)
                out.append(x)
            return out, p

        return dec_array

    def _struct_decoder(self, t: Struct) -> Dec:
        names = [n for n, _ in t.fields]
        decs = [self.decoder(ft) for _, ft in t.fields]
        build = self._builder(t)
        a = self.alignment(t)
        m, o = (a - 1, self.layout.origin) if a > 1 else (0, 0)

        def dec_struct(data: bytes, pos: int) -> tuple[Any, int]:
            if m:
                pos = _skip_pad(data, pos, (o - pos) & m)
            vals = []
            for f in decs:
                x, pos = f(data, pos)
                vals.append(x)
            return build(vals, pos), pos

        return dec_struct

    def _chain_decoder(self, t: Struct) -> Dec:
        """A linked list's node (:func:`~distlab.rpc.chain_link`), read node by node in a loop.

        The bytes are those of the recursive definition (see the encoder's ``_chain_encoder``);
        the nodes are read first, then built from the last to the first, since each holds the
        next. Every node takes at least its flag or pointer, so a list has at most as many nodes
        as the input has bytes: time and memory stay linear in the input.
        """
        decs = [self.decoder(ft) for _, ft in t.fields[:-1]]
        present = self._presence()
        build = self._builder(t)
        a = self.alignment(t)
        m, o = (a - 1, self.layout.origin) if a > 1 else (0, 0)

        def dec_chain(data: bytes, pos: int) -> tuple[Any, int]:
            nodes: list[tuple[list[Any], int]] = []
            more = True
            while more:
                if m:
                    pos = _skip_pad(data, pos, (o - pos) & m)
                vals = []
                for f in decs:
                    x, pos = f(data, pos)
                    vals.append(x)
                more, pos = present(data, pos)
                nodes.append((vals, pos))
            node = None
            for vals, end in reversed(nodes):
                vals.append(node)
                node = build(vals, end)
            return node, pos

        return dec_chain

    def _presence(self) -> Callable[[bytes, int], tuple[bool, int]]:
        """The reader of an optional's presence: XDR's and native's flag (0 or 1), NDR's pointer
        (a referent id, 0 for null; C706 14.3.10), as :meth:`visit_optional` reads them."""
        L = self.layout
        if L.optional == "referent":
            get_len = self._get_len()

            def pointer(data: bytes, pos: int) -> tuple[bool, int]:
                ref, end = get_len(data, pos)
                return ref != 0, end

            return pointer
        flag = self._fixed_decoder(L.order + ("I" if L.unit4 else "B"), 4 if L.unit4 else 1)

        def present(data: bytes, pos: int) -> tuple[bool, int]:
            x, end = flag(data, pos)
            if x > 1:
                raise DecodeError(pos, f"an optional's flag is 0 or 1, not {x}")
            return x == 1, end

        return present

    def _tail_struct_decoder(self, t: Struct) -> HDec:
        """A structure whose last member is (or ends in) a conformant member with a hoisted count."""
        decs = [self.decoder(ft) for _, ft in t.fields[:-1]]
        last = self._tail_decoder(t.fields[-1][1])
        build = self._builder(t)
        a = self.alignment(t)
        m, o = (a - 1, self.layout.origin) if a > 1 else (0, 0)

        def dec_tail_struct(data: bytes, pos: int, max_count: int) -> tuple[Any, int]:
            if m:
                pos = _skip_pad(data, pos, (o - pos) & m)
            vals = []
            for f in decs:
                x, pos = f(data, pos)
                vals.append(x)
            x, pos = last(data, pos, max_count)
            vals.append(x)
            return build(vals, pos), pos

        return dec_tail_struct

    def _builder(self, t: Struct) -> Callable[[list[Any], int], Any]:
        """``build(values, end)``: the struct's value from its members' values, in order."""
        names = [n for n, _ in t.fields]
        cls = t.cls
        positional = (
            cls is not None
            and dataclasses.is_dataclass(cls)
            and [f.name for f in dataclasses.fields(cls) if f.init] == names
        )

        def build(vals: list[Any], pos: int) -> Any:
            if cls is None:
                return dict(zip(names, vals))
            try:
                return cls(*vals) if positional else cls(**dict(zip(names, vals)))
            except Exception as err:  # the class's own checks (__post_init__) refused the values
                raise DecodeError(pos, f"{cls.__name__} refused the decoded fields: {err}") from None

        return build


def _skip_pad(data: bytes, pos: int, p: int) -> int:
    # NDR's alignment gaps (the only layout that aligns): C706 gives their octets no value, so a
    # receiver skips them whatever they hold (impacket fills them with 0xaa, 0xbb, ...); the
    # encoders here write zeros.
    if not p:
        return pos
    if pos + p > len(data):
        raise _truncated(pos, p, data)
    return pos + p


def _check_pad(data: bytes, pos: int, p: int) -> int:
    if p and data[pos : pos + p] != ZEROS[p]:
        raise DecodeError(pos, "nonzero padding")
    return pos + p


def _utf8(data: bytes, start: int, end: int) -> str:
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError as err:
        raise DecodeError(start + err.start, f"invalid UTF-8: {err.reason}") from None



class _MinSize(TypeVisitor[int]):
    """The fewest bytes an encoding of each kind takes in one layout."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.small = 1 if layout.varint else 4  # a length, count or enum

    def visit_int(self, t: Int) -> int:
        return 1 if self.layout.varint else t.size

    def visit_float(self, t: Float) -> int:
        return t.size

    def visit_bool(self, t: Bool) -> int:
        return self.layout.bool_size

    def visit_enum(self, t: Enum) -> int:
        return self.small

    def visit_string(self, t: String) -> int:
        return 13 if self.layout.strings == "ndr" else self.small

    def visit_opaque(self, t: Opaque) -> int:
        return self.small

    def visit_fixed_opaque(self, t: FixedOpaque) -> int:
        return t.size + (-t.size % 4 if self.layout.unit4 else 0)

    def visit_array(self, t: Array) -> int:
        return self.small

    def visit_fixed_array(self, t: FixedArray) -> int:
        return t.size * t.elem.accept(self)

    def visit_struct(self, t: Struct) -> int:
        return sum(ft.accept(self) for _, ft in t.fields)

    def visit_union(self, t: Union) -> int:
        return t.discriminant.accept(self)

    def visit_optional(self, t: Optional) -> int:
        return 4 if self.layout.optional == "referent" or self.layout.unit4 else 1

    def default(self, t: WireType) -> int:
        # VOID takes nothing; a reference is not followed (it may be the type being compiled).
        return 0


class _TailDecoders(TypeVisitor[HDec]):
    """Decoders of the conformant member that ends a structure, given the maximum count that NDR
    hoisted to the start of the outermost structure (C706 14.3.7.1 and 14.3.7.2)."""

    def __init__(self, compiler: DecoderCompiler) -> None:
        self.c = compiler

    def visit_struct(self, t: Struct) -> HDec:
        return self.c._tail_struct_decoder(t)

    def visit_ref(self, t: Ref) -> HDec:
        ref, c = t, self.c
        return lambda data, pos, n: c._tail_decoder(ref.target)(data, pos, n)

    def visit_opaque(self, t: Opaque) -> HDec:
        bound = t.bound

        def dec_tail_opaque(data: bytes, pos: int, n: int) -> tuple[bytes, int]:
            if n > bound:
                raise DecodeError(pos, f"length {n} exceeds the bound {bound}")
            if pos + n > len(data):
                raise _truncated(pos, n, data)
            return data[pos : pos + n], pos + n

        return dec_tail_opaque

    def visit_string(self, t: String) -> HDec:
        bound = t.bound
        get2 = struct.Struct(self.c.layout.order + "II").unpack_from
        o = self.c.layout.origin

        def dec_tail_string(data: bytes, pos: int, maxc: int) -> tuple[str, int]:
            pos = _skip_pad(data, pos, (o - pos) & 3)
            if pos + 8 > len(data):
                raise _truncated(pos, 8, data)
            offset, actual = get2(data, pos)
            if offset != 0 or actual != maxc or actual == 0:
                raise DecodeError(pos, f"string counts must be (n, 0, n) with n >= 1, got ({maxc}, {offset}, {actual})")
            if actual - 1 > bound:
                raise DecodeError(pos, f"string of {actual - 1} bytes exceeds the bound {bound}")
            start = pos + 8
            end = start + actual
            if end > len(data):
                raise _truncated(start, actual, data)
            if data[end - 1] != 0:
                raise DecodeError(end - 1, "string is not NUL-terminated")
            return _utf8(data, start, end - 1), end

        return dec_tail_string

    def visit_array(self, t: Array) -> HDec:
        items = self.c._array_items(t.elem)
        bound = t.bound

        def dec_tail_array(data: bytes, pos: int, n: int) -> tuple[Any, int]:
            if n > bound:
                raise DecodeError(pos, f"count {n} exceeds the bound {bound}")
            return items(data, pos, n, pos)

        return dec_tail_array

    def default(self, t: WireType) -> HDec:
        raise TypeError(f"{t!r} cannot end a structure as a conformant member")
