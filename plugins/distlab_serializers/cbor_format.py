"""CBOR (RFC 8949) through the cbor2 library.

See :mod:`distlab_serializers._schemaless` for how the wire type model maps onto CBOR's data model.

Before cbor2 builds anything, :func:`scan` walks the item once, iteratively, in time linear in its
size (RFC 8949 appendix C's well-formedness check, without building values). It

- checks every declared length against the bytes actually left: a string's length against the
  bytes, an array's count against the bytes (each item takes at least one), a map's against twice
  that, so a few bytes can never make cbor2 allocate gigabytes;
- refuses the shared-reference tags 28 and 29 (IANA CBOR tags registry, "Value Sharing"): a
  reference is a new edge to an earlier value, so 16 KB of them build a DAG of 128 MB once copied
  into typed values, and a 199-byte input takes seconds to check. The type model has no aliasing,
  so nothing distlab encodes uses them;
- refuses reserved additional information (28 to 30) and a break outside an indefinite item.

What is implemented of RFC 8949: every major type, definite and indefinite lengths, half, single
and double floats, simple values false, true, null (undefined and other simple values do not fit
the type model and are refused by the type check); the self-describe tag 55799 (section 3.4.6) is
accepted wherever a value may stand and means nothing; cbor2's decoding of the other registered
tags applies (a tagged value that is not a plain value of the model is then refused by the type
check). Inside a tag cbor2 builds tuples and frozen maps; the type check takes them for arrays and
maps. Not implemented: deterministic encoding checks when decoding (section 4.2: a non-preferred
encoding is accepted), and duplicate map keys are resolved by cbor2 (the last wins) instead of
refused (section 5.6).
"""

from __future__ import annotations

import io
from typing import Any

import cbor2

from distlab.rpc import DecodeError
from distlab_serializers._schemaless import Plain, SchemalessSerializer
from distlab_serializers.params import CborParams

__all__ = ["Cbor"]


class Cbor(SchemalessSerializer):
    """The CBOR serializer (component ``cbor``)."""

    PLAIN = Plain("cbor")

    def __init__(self, params: CborParams | None = None) -> None:
        super().__init__()
        self.params = params or CborParams()

    def dumps(self, plain: Any) -> bytes:
        """CBOR bytes of a plain value."""
        return cbor2.dumps(plain, canonical=self.params.canonical)

    def loads(self, data: bytes) -> Any:
        """One CBOR item that is all of ``data``."""
        value, end = self.loads_prefix(data)
        if end != len(data):
            raise DecodeError(end, f"{len(data) - end} trailing bytes")
        return value

    def loads_prefix(self, data: bytes) -> tuple[Any, int]:
        """The CBOR item at the start of ``data`` and the offset where it ends."""
        scan(data, 0)
        fp = io.BytesIO(data)
        try:
            value = cbor2.CBORDecoder(fp).decode()
        except RecursionError:
            raise DecodeError(fp.tell(), "CBOR nested too deeply") from None
        except Exception as err:  # CBORDecodeError and whatever a tag's decoder raises
            raise DecodeError(fp.tell(), f"invalid CBOR: {type(err).__name__}: {err}") from None
        return value, fp.tell()


_SHARED = (28, 29)
_MAX_DEPTH = 10_000
"""Nesting beyond this is refused (cbor2 builds nested items recursively)."""


def scan(data: bytes, pos: int) -> int:
    """Check the well-formedness of the CBOR item at ``pos`` without building it; where it ends.

    Iterative (a list of the counts still to read in each open container), one pass over the bytes.

    Raises:
        DecodeError: truncated, a length beyond the bytes left, a shared-reference tag, reserved
            additional information, a misplaced break, or nesting deeper than 10,000.
    """
    n = len(data)
    open_counts = [1]  # items still to read in each open container; -1: indefinite, until a break
    while open_counts:
        left = open_counts[-1]
        if left == 0:
            open_counts.pop()
            continue
        if pos >= n:
            raise DecodeError(pos, "truncated CBOR item")
        start = pos
        ib = data[pos]
        pos += 1
        if ib == 0xFF:
            if left != -1:
                raise DecodeError(start, "CBOR break outside an indefinite-length item")
            open_counts.pop()
            continue
        if left > 0:
            open_counts[-1] = left - 1
        major, ai = ib >> 5, ib & 0x1F
        if ai < 24:
            arg = ai
        elif ai <= 27:
            size = 1 << (ai - 24)
            if pos + size > n:
                raise DecodeError(start, "truncated CBOR item head")
            arg = int.from_bytes(data[pos : pos + size], "big")
            pos += size
        elif ai == 31 and major in (2, 3, 4, 5):
            open_counts.append(-1)
            if len(open_counts) > _MAX_DEPTH:
                raise DecodeError(start, "CBOR nested too deeply")
            continue
        else:
            raise DecodeError(start, f"reserved or invalid additional information {ai} in major type {major}")
        if major in (2, 3):
            if arg > n - pos:
                raise DecodeError(start, f"a string of {arg} bytes, {n - pos} left")
            pos += arg
        elif major in (4, 5):
            items = arg * (2 if major == 5 else 1)
            if items > n - pos:
                raise DecodeError(start, f"{items} items declared, {n - pos} bytes left")
            if items:
                open_counts.append(items)
        elif major == 6:
            if arg in _SHARED:
                raise DecodeError(start, f"shared-reference tag {arg} is not supported (no aliasing in the type model)")
            open_counts.append(1)
        else:
            continue
        if len(open_counts) > _MAX_DEPTH:
            raise DecodeError(start, "CBOR nested too deeply")
    return pos
