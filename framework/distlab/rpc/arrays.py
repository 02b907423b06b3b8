"""Marshaling of numeric arrays and varints: the hot paths every positional serializer shares.

Numeric arrays (items of an :class:`~distlab.rpc.types.Int` or :class:`~distlab.rpc.types.Float`
type) go to the wire in one step: a numpy array is byte-swapped by a kernel straight into the output
buffer when the wire order differs from this machine's, and copied as it is otherwise; a Python
sequence goes through one ``struct.pack`` call, which also checks every item's type and range.
Decoding returns a fresh numpy array in this machine's byte order (the receiver makes it right).
"""

from __future__ import annotations

import array
import marshal
import struct
import sys
from typing import Any

import numpy as np

from distlab.rpc.errors import DecodeError, EncodeError
from distlab.rpc import kernels
from distlab.rpc.types import Float, Int
from distlab.rpc.values import check_numeric_array

__all__ = ["encode_array", "get_numeric", "swapped", "LARGE", "get_varints", "numeric_bytes", "put_numeric", "put_varints", "zigzag"]

NATIVE = "<" if sys.byteorder == "little" else ">"

_SMALL = 64
"""Below this many items, numpy's own casts beat a kernel call's fixed cost."""
LARGE = 1024
"""From this many items, a Python sequence goes through array.array rather than struct.pack."""
_ARRAY_CODES = {"i": "i", "I": "I", "q": "q", "Q": "Q", "d": "d"}
_VIEWS = {4: np.uint32, 8: np.uint64}

# marshal (format version 2, no back-references) writes a list or tuple of n >= 256 items as a
# 5-byte header and then each item; an exact int in the int32 range, and nothing else, as the
# 5-byte record ``b"i"`` + int32 little-endian (TYPE_INT). If the record at 5 + 5k starts with b"i"
# for every k and the total is 5 + 5n, then by induction every item is such an int. Its C loop
# reads a list of Python ints faster than array.array, numpy or struct do. The check below turns
# the path off if an interpreter ever writes TYPE_INT differently.
_MARSHAL_INT = np.dtype([("type", "u1"), ("value", "<i4")])
_MARSHAL_OK = marshal.dumps([1, -2] * 128, 2) == b"[\0\1\0\0" + b"i\1\0\0\0i\xfe\xff\xff\xff" * 128


def swapped(value: np.ndarray, elem: Int | Float, out: np.ndarray | None = None) -> np.ndarray:
    """``value`` (contiguous, of ``elem``'s dtype) with every item's bytes reversed, as ``uint8``.

    Args:
        value: the items.
        elem: their wire type.
        out: where to write (``uint8``, ``value.nbytes`` long); default a new array.
    """
    if out is None:
        out = np.empty(value.nbytes, np.uint8)
    if value.shape[0] < _SMALL:
        out[:] = value.astype(value.dtype.newbyteorder("S")).view(np.uint8)
        return out
    view = _VIEWS[elem.size]
    (kernels.bswap32 if elem.size == 4 else kernels.bswap64)(value.view(view), out.view(view))
    return out


def encode_array(value: np.ndarray, elem: Int | Float, order: str, head: bytes) -> bytes:
    """``head`` followed by the items of the numpy array ``value`` in byte order ``order``: one pass
    into a preallocated buffer (the swap when the orders differ) and one copy into ``bytes``."""
    if value.dtype != elem.dtype:
        check_numeric_array(value, elem, "value")
        value = value.astype(elem.dtype)
    value = np.ascontiguousarray(value)
    if order == NATIVE:
        return head + value.tobytes()
    out = np.empty(len(head) + value.nbytes, np.uint8)
    out[: len(head)] = np.frombuffer(head, np.uint8)
    swapped(value, elem, out[len(head) :])
    return out.tobytes()


def put_numeric(buf: bytearray, value: Any, elem: Int | Float, order: str) -> None:
    """Append the items of ``value`` to ``buf`` as ``elem`` in byte order ``order`` ("<" or ">").

    Raises:
        EncodeError: an item does not fit ``elem`` (the path is relative: ``value[i]``).
        struct.error, TypeError: a sequence item is not a number (the caller names the field).
    """
    buf += numeric_bytes(value, elem, order)


def numeric_bytes(value: Any, elem: Int | Float, order: str) -> Any:
    """The items of ``value`` as ``elem`` in byte order ``order``: a bytes-like object to append.

    Raises:
        EncodeError, struct.error, TypeError: as :func:`put_numeric`.
    """
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise EncodeError("value", f"expected a one-dimensional array, got shape {value.shape}")
        if value.dtype != elem.dtype:
            check_numeric_array(value, elem, "value")
            value = value.astype(elem.dtype)
        if order == NATIVE:
            return np.ascontiguousarray(value).data.cast("B")
        return swapped(np.ascontiguousarray(value), elem).data
    if _MARSHAL_OK and elem.code in "iI" and len(value) >= LARGE and type(value) in (list, tuple):
        items32 = _int32_items(value, elem, order)
        if items32 is not None:
            return items32
    if len(value) >= LARGE and elem.code != "f":
        # array.array converts and checks each item in C (TypeError for a float or str, OverflowError
        # out of range), faster than building a million-argument struct.pack call.
        items = array.array(_ARRAY_CODES[elem.code], value)
        if order != NATIVE:
            items.byteswap()
        return items
    return struct.pack(f"{order}{len(value)}{elem.code}", *value)


def _int32_items(value: list[Any] | tuple[Any, ...], elem: Int | Float, order: str) -> Any:
    """The items of a list of at least 256 Python ints as int32 or uint32 in ``order``, or ``None``
    if any item is not an exact int of the type's range (the caller then takes the checking path)."""
    try:
        data = marshal.dumps(value, 2)
    except ValueError:  # an item marshal does not know (a numpy scalar, an object)
        return None
    n = len(value)
    if len(data) != 5 + 5 * n:
        return None
    records = np.frombuffer(data, _MARSHAL_INT, n, 5)
    if not (records["type"] == 0x69).all():
        return None
    items = records["value"]
    if elem.code == "I" and items.min() < 0:
        return None
    return items.astype(order + "i4").data.cast("B")


def get_numeric(data: bytes, pos: int, n: int, elem: Int | Float, order: str) -> np.ndarray:
    """Read ``n`` items of ``elem`` in byte order ``order`` from ``data[pos:]``.

    The caller has checked that the bytes are there.
    """
    size = n * elem.size
    src = np.frombuffer(data, np.uint8, count=size, offset=pos)
    if order == NATIVE:
        return src.view(elem.dtype).copy()
    if n < _SMALL:
        # The wire order is not this machine's, so the wire dtype is the native one swapped.
        return src.view(np.dtype(elem.dtype).newbyteorder("S")).astype(elem.dtype)
    out = np.empty(n, elem.dtype)
    view = _VIEWS[elem.size]
    (kernels.bswap32 if elem.size == 4 else kernels.bswap64)(src.view(view), out.view(view))
    return out


def zigzag(values: np.ndarray) -> np.ndarray:
    """Signed ``int64`` to ``uint64`` by zigzag (0, -1, 1, -2 -> 0, 1, 2, 3)."""
    return kernels.zigzag_encode(np.ascontiguousarray(values, dtype=np.int64))


def put_varints(buf: bytearray, values: np.ndarray) -> None:
    """Append the ``uint64`` ``values`` to ``buf`` as LEB128 varints."""
    values = np.ascontiguousarray(values, dtype=np.uint64)
    out = np.empty(kernels.varint_size(values), np.uint8)
    kernels.varint_encode(values, out, 0)
    buf += out.data


def get_varints(data: bytes, pos: int, n: int) -> tuple[np.ndarray, int]:
    """Read ``n`` LEB128 varints from ``data[pos:]``; return them (``uint64``) and the end offset.

    Raises:
        DecodeError: the input ends inside a varint, or a varint is over-long or overflows 64 bits.
    """
    if n > len(data) - pos:
        raise DecodeError(pos, f"{n} varints cannot fit in the {len(data) - pos} bytes left")
    out = np.empty(n, np.uint64)
    end = kernels.varint_decode(np.frombuffer(data, np.uint8), pos, out)
    if end < 0:
        raise DecodeError(-end - 1, "truncated or over-long varint")
    return out, int(end)
