"""The choices that make one positional format, and what its encoder and decoder compilers share.

A positional format (XDR, NDR, native) writes the fields of a value in the type's order with no
names or tags. The formats differ in a few choices, gathered in a :class:`Layout`. Each direction
has its compiler, :class:`~distlab_serializers._positional_encode.EncoderCompiler` and
:class:`~distlab_serializers._positional_decode.DecoderCompiler`; both derive from
:class:`TypeCompiler`, which keeps one closure per type and layout in the type's cache.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from distlab.rpc import (
    Array,
    Bool,
    Enum,
    FixedArray,
    Float,
    Int,
    Opaque,
    Optional,
    Ref,
    String,
    Struct,
    TypeVisitor,
    Union,
    WireType,
)

__all__ = ["Dec", "Enc", "HDec", "Layout", "NDR_REFERENT", "PAD4", "TypeCompiler", "ZEROS", "conformant_tail"]

Enc = Callable[[bytearray, Any], None]
"""``enc(buf, value)``: appends the bytes of ``value`` to ``buf``."""
Dec = Callable[[bytes, int], tuple[Any, int]]
"""``dec(data, pos) -> (value, end)``: reads one value at ``pos``."""
HDec = Callable[[bytes, int, int], tuple[Any, int]]
"""``dec(data, pos, max_count) -> (value, end)``: reads a structure's conformant tail whose maximum
count was read at the start of the outermost structure (NDR, C706 section 14.3.7.1)."""

ZEROS = tuple(bytes(n) for n in range(8))
"""``ZEROS[n]``: ``n`` bytes of zero padding."""
PAD4 = (b"", b"\0\0\0", b"\0\0", b"\0")
"""``PAD4[n & 3]``: the zero padding that rounds ``n`` bytes up to a multiple of 4."""
NDR_REFERENT = 0x00020000
"""The referent id NDR writes for a pointer that is not null."""


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
        bool_nonzero: a bool octet that is not zero decodes as true (NDR, C706 section 14.2.2;
            XDR and native accept only 0 and 1).
        hoist: a conformant array or string that ends a structure has its maximum count written
            at the start of the outermost structure (NDR, C706 section 14.3.7.1).
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
    bool_nonzero: bool = False
    hoist: bool = False


F = TypeVar("F")


class TypeCompiler(TypeVisitor[F]):
    """Compiles wire types into closures of one kind (``F``) for one layout, each type once.

    A subclass is a :class:`~distlab.rpc.TypeVisitor`: its ``visit_<kind>`` methods build the
    closure of each kind of type, and :meth:`compiled` runs them once per type and layout.

    Args:
        layout: the format's choices.
        key: where in a type's cache its closure is kept (unique per layout and direction).
    """

    def __init__(self, layout: Layout, key: tuple[str, ...]) -> None:
        self.layout = layout
        self.key = key
        self._alignment = _Alignment(layout)

    def compiled(self, t: WireType) -> F:
        """The closure of ``t``: compiled on first use, then taken from ``t``'s cache."""
        return t.compiled(self.key, self.visit)

    def alignment(self, t: WireType) -> int:
        """NDR alignment of ``t`` (1 when the layout does not align)."""
        return t.accept(self._alignment) if self.layout.align else 1


class _Alignment(TypeVisitor[int]):
    """NDR alignment of each kind: a primitive's own size, a constructed type's largest member's."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._active: set[int] = set()

    def visit_int(self, t: Int) -> int:
        return t.size

    def visit_float(self, t: Float) -> int:
        return t.size

    def visit_bool(self, t: Bool) -> int:
        return self.layout.bool_size

    def visit_enum(self, t: Enum) -> int:
        return 4

    def visit_string(self, t: String) -> int:
        return 4

    def visit_opaque(self, t: Opaque) -> int:
        return 4

    def visit_optional(self, t: Optional) -> int:
        return 4

    def visit_array(self, t: Array) -> int:
        return max(4, t.elem.accept(self))

    def visit_fixed_array(self, t: FixedArray) -> int:
        return t.elem.accept(self)

    def visit_struct(self, t: Struct) -> int:
        return max([ft.accept(self) for _, ft in t.fields] or [1])

    def visit_union(self, t: Union) -> int:
        # C706 section 14.3.8: the largest alignment of the discriminant and of every arm, the
        # default arm included, whichever arm the value takes.
        arms = [a for _, _, a in t.arms] + ([t.default[1]] if t.default is not None else [])
        return max([t.discriminant.accept(self)] + [a.accept(self) for a in arms])

    def visit_ref(self, t: Ref) -> int:
        # A recursive member counts like any other (a union whose arm is a reference to a struct
        # holding a hyper aligns to 8). On a cycle the type being measured contributes nothing
        # beyond its other members, so the walk stops there with 1.
        if id(t) in self._active or not t._cell:
            return 1
        self._active.add(id(t))
        try:
            return t.target.accept(self)
        finally:
            self._active.discard(id(t))

    def default(self, t: WireType) -> int:
        # VOID and fixed opaque (bytes) need no alignment.
        return 1


def conformant_tail(t: Struct) -> tuple[tuple[str, ...], WireType] | None:
    """The conformant member that ends ``t`` (NDR, C706 section 14.3.7.1), if one does.

    A structure "contains a conformant array" when its last member is one (an :class:`Array`, an
    :class:`Opaque` or a conformant varying :class:`String`) or is a structure that does, at any
    depth; its maximum count then moves to the start of the outermost structure.

    Returns:
        The field names leading to that member and its type, or ``None``.
    """
    path: list[str] = []
    cur: WireType = t
    seen: set[int] = set()
    while True:
        kind = cur.accept(_TAIL)
        if kind == "ref":
            if id(cur) in seen:
                return None
            seen.add(id(cur))
            cur = cur.target  # type: ignore[attr-defined]
            continue
        if kind == "conformant":
            return (tuple(path), cur) if path else None
        if kind != "struct" or not cur.fields:  # type: ignore[attr-defined]
            return None
        name, cur = cur.fields[-1]  # type: ignore[attr-defined]
        path.append(name)


class _TailKind(TypeVisitor[str]):
    """What a member is to :func:`conformant_tail`."""

    def visit_struct(self, t: Struct) -> str:
        return "struct"

    def visit_ref(self, t: Ref) -> str:
        return "ref" if t._cell else "other"

    def visit_array(self, t: Array) -> str:
        return "conformant"

    def visit_opaque(self, t: Opaque) -> str:
        return "conformant"

    def visit_string(self, t: String) -> str:
        return "conformant"

    def default(self, t: WireType) -> str:
        return "other"


_TAIL = _TailKind()
