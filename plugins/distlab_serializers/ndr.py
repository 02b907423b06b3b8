"""NDR, the Network Data Representation of DCE RPC: receiver makes it right.

The sender writes every number in its own byte order and says which in a 4-byte format label
before the data (DCE 1.1 RPC, chapter 14): byte 0 holds the integer representation in its high
nibble (0 big-endian, 1 little-endian) and the character set in its low nibble (0 ASCII), byte 1
the floating-point representation (0 IEEE 754), bytes 2 and 3 are reserved (zero). The receiver
swaps only when the label's order differs from its own, so two little-endian machines never swap.

Every primitive is aligned to its own size (a hyper to 8), counted from the end of the label, with
zero padding. The type model maps as in the DCE IDL: ``BOOL`` is 1 byte, an enum 4 bytes (the
``v1_enum`` form), a ``String`` a conformant varying string (maximum count, offset 0, actual count,
the bytes and a terminating NUL, counts including the NUL), ``Opaque`` and ``Array`` conformant
arrays (a 4-byte count, then the items), the fixed kinds just their items, ``Optional`` a unique
pointer (a 4-byte referent id, 0 for null). Simplification: a pointer's referent follows the pointer
at once, where DCE defers the referents of pointers embedded in a structure to after it.
"""

from __future__ import annotations

import sys
from typing import Any

from distlab.rpc import DecodeError, WireType
from distlab_serializers._positional import Layout, Positional, _as_bytes, _read
from distlab_serializers._positional_decode import DecoderCompiler
from distlab_serializers.params import NdrParams

__all__ = ["LABEL_BIG", "LABEL_LITTLE", "Ndr"]

LABEL_BIG = bytes((0x00, 0x00, 0x00, 0x00))
LABEL_LITTLE = bytes((0x10, 0x00, 0x00, 0x00))


def _layout(order: str) -> Layout:
    return Layout(
        key=f"ndr{order}", order=order, align=True, origin=4, strings="ndr", optional="referent",
        bool_nonzero=True, hoist=True,
    )


_DECODERS = {"<": DecoderCompiler(_layout("<")), ">": DecoderCompiler(_layout(">"))}


class Ndr(Positional):
    """The NDR serializer (component ``ndr``); ``byte_order`` is the sender's."""

    def __init__(self, params: NdrParams | None = None) -> None:
        self.params = params = params or NdrParams()
        order = "<" if params.byte_order == "little" else ">"
        super().__init__(_layout(order))
        self._label = LABEL_LITTLE if order == "<" else LABEL_BIG
        self.native_order = "<" if sys.byteorder == "little" else ">"

    def _prefix(self) -> bytes:
        return self._label

    def decode(self, data: bytes, type: WireType) -> Any:
        """Read the label, then the value in the order the label names (swapping only if it differs)."""
        data = _as_bytes(data)
        return self._decode_from(_DECODERS[_label_order(data)], data, 4, type)

    def decode_prefix(self, data: bytes, type: WireType) -> tuple[Any, int]:
        """Read the label, then one value in the order it names; return it and the offset where it ends."""
        data = _as_bytes(data)
        return _read(_DECODERS[_label_order(data)], data, 4, type)


def _label_order(data: bytes) -> str:
    """The byte order the 4-byte format label at the start of ``data`` names ("<" or ">")."""
    if len(data) < 4:
        raise DecodeError(0, f"truncated: a 4-byte NDR format label is needed, {len(data)} bytes given")
    rep = data[0]
    if rep & 0x0F:
        raise DecodeError(0, f"character representation {rep & 0x0F} (EBCDIC) is not supported")
    if rep >> 4 not in (0, 1):
        raise DecodeError(0, f"unknown integer representation {rep >> 4} in the format label")
    if data[1] != 0:
        raise DecodeError(1, f"floating-point representation {data[1]} is not IEEE 754")
    return "<" if rep >> 4 == 1 else ">"
