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
from typing import Any, Generic, TypeVar

from distlab.rpc.types import Array, Bool, Enum, FixedArray, Float, Int, Opaque, Optional, String, Struct, Union, WireType

__all__ = ["Dec", "Enc", "Layout", "NDR_REFERENT", "PAD4", "TypeCompiler", "ZEROS"]

Enc = Callable[[bytearray, Any], None]
"""``enc(buf, value)``: appends the bytes of ``value`` to ``buf``."""
Dec = Callable[[bytes, int], tuple[Any, int]]
"""``dec(data, pos) -> (value, end)``: reads one value at ``pos``."""

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


F = TypeVar("F")


class TypeCompiler(Generic[F]):
    """Compiles wire types into closures of one kind (``F``) for one layout, each type once.

    Args:
        layout: the format's choices.
        key: where in a type's cache its closure is kept (unique per layout and direction).
    """

    def __init__(self, layout: Layout, key: tuple[str, ...]) -> None:
        self.layout = layout
        self.key = key

    def compiled(self, t: WireType) -> F:
        """The closure of ``t``: compiled on first use, then taken from ``t``'s cache."""
        return t.compiled(self.key, self._compile)

    def _compile(self, t: WireType) -> F:
        raise NotImplementedError

    def alignment(self, t: WireType) -> int:
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
            return max(4, self.alignment(t.elem))
        if isinstance(t, FixedArray):
            return self.alignment(t.elem)
        if isinstance(t, Struct):
            return max([self.alignment(ft) for _, ft in t.fields] or [1])
        if isinstance(t, Union):
            return max([self.alignment(t.discriminant)] + [self.alignment(a) for _, _, a in t.arms])
        return 1
