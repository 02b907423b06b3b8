"""Native: every field packed in one byte order, with no alignment, no padding and no label.

The naive way, for comparison: what ``struct.pack`` of each field in turn gives, and what a C program
writing its structs field by field would send. Sender and receiver must agree on the byte order out
of band; nothing on the wire says which it is. Lengths and counts are 4-byte words, bools and the
flag of an optional value 1 byte. With ``integers=varint``, integers, enums, lengths and counts are
LEB128 varints instead (signed ones zigzagged first, as in Protocol Buffers), which is where the
varint kernels earn their keep on integer arrays.
"""

from __future__ import annotations

from distlab_serializers._positional import Layout, Positional
from distlab_serializers.params import NativeParams

__all__ = ["Native"]


class Native(Positional):
    """The native serializer (component ``native``)."""

    def __init__(self, params: NativeParams | None = None) -> None:
        self.params = params = params or NativeParams()
        order = "<" if params.byte_order == "little" else ">"
        varint = params.integers == "varint"
        super().__init__(Layout(key=f"native{order}{'v' if varint else ''}", order=order, varint=varint))
