"""Every Numba kernel of the marshaling engine: the loops that run once per array item or byte.

Each kernel has a plain-Python twin of the same name in :mod:`distlab.rpc.reference`; the tests assert
both give identical results for the same inputs. Compiled with ``cache=True`` so that a second process
loads them from ``__pycache__``.

Errors cannot be raised cheaply from a kernel, so the decoding kernels return a negative number
``-(offset + 1)`` naming the byte at which the input went wrong; the caller turns it into a
:class:`~distlab.rpc.errors.DecodeError`.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "bswap32",
    "bswap64",
    "check_zero",
    "pack_padded",
    "swap_into",
    "varint_decode",
    "varint_encode",
    "varint_size",
    "zigzag_decode",
    "zigzag_encode",
]

_S1 = np.uint64(1)
_S7 = np.uint64(7)
_S63 = np.uint64(63)
_LOW7 = np.uint64(0x7F)
_HIGH = np.uint64(0x80)


@numba.njit(cache=True)
def swap_into(src: np.ndarray, dst: np.ndarray, offset: int, width: int) -> None:
    """Copy the bytes ``src`` (``uint8``) into ``dst[offset:]``, reversing each ``width``-byte item.

    This is the byte swap between the two byte orders, written straight into the (preallocated)
    output buffer so that no swapped temporary is made; ``width`` is 2, 4 or 8.
    """
    n = src.shape[0] // width
    if width == 4:
        for i in range(n):
            j = 4 * i
            k = offset + j
            dst[k] = src[j + 3]
            dst[k + 1] = src[j + 2]
            dst[k + 2] = src[j + 1]
            dst[k + 3] = src[j]
    elif width == 8:
        for i in range(n):
            j = 8 * i
            k = offset + j
            for b in range(8):
                dst[k + b] = src[j + 7 - b]
    else:
        for i in range(n):
            j = width * i
            k = offset + j
            for b in range(width):
                dst[k + b] = src[j + width - 1 - b]


@numba.njit(cache=True)
def bswap32(src: np.ndarray, dst: np.ndarray) -> None:
    """``dst[i] = src[i]`` with its 4 bytes reversed (``uint32`` views; LLVM makes it a vector bswap)."""
    for i in range(src.shape[0]):
        x = src[i]
        dst[i] = ((x & 0xFF) << 24) | ((x & 0xFF00) << 8) | ((x >> 8) & 0xFF00) | (x >> 24)


@numba.njit(cache=True)
def bswap64(src: np.ndarray, dst: np.ndarray) -> None:
    """``dst[i] = src[i]`` with its 8 bytes reversed (``uint64`` views)."""
    m = np.uint64(0xFF)
    for i in range(src.shape[0]):
        x = src[i]
        y = np.uint64(0)
        for b in range(8):
            y = (y << np.uint64(8)) | ((x >> np.uint64(8 * b)) & m)
        dst[i] = y


@numba.njit(cache=True)
def zigzag_encode(values: np.ndarray) -> np.ndarray:
    """Map signed ``int64`` to ``uint64`` so that small magnitudes stay small (0, -1, 1, -2 -> 0, 1, 2, 3)."""
    out = np.empty(values.shape[0], dtype=np.uint64)
    for i in range(values.shape[0]):
        x = values[i]
        out[i] = (np.uint64(x) << _S1) ^ np.uint64(x >> 63)
    return out


@numba.njit(cache=True)
def zigzag_decode(values: np.ndarray) -> np.ndarray:
    """The inverse of :func:`zigzag_encode`."""
    out = np.empty(values.shape[0], dtype=np.int64)
    for i in range(values.shape[0]):
        u = values[i]
        out[i] = np.int64(u >> _S1) ^ -np.int64(u & _S1)
    return out


@numba.njit(cache=True)
def varint_size(values: np.ndarray) -> int:
    """Bytes the LEB128 varints of the ``uint64`` ``values`` take (1 to 10 each)."""
    total = 0
    for i in range(values.shape[0]):
        u = values[i]
        total += 1
        while u >= _HIGH:
            u >>= _S7
            total += 1
    return total


@numba.njit(cache=True)
def varint_encode(values: np.ndarray, dst: np.ndarray, offset: int) -> int:
    """Write the ``uint64`` ``values`` as LEB128 varints into ``dst[offset:]``; return the end offset.

    ``dst`` must hold :func:`varint_size` bytes from ``offset``.
    """
    k = offset
    for i in range(values.shape[0]):
        u = values[i]
        while u >= _HIGH:
            dst[k] = np.uint8((u & _LOW7) | _HIGH)
            u >>= _S7
            k += 1
        dst[k] = np.uint8(u)
        k += 1
    return k


@numba.njit(cache=True)
def varint_decode(src: np.ndarray, offset: int, out: np.ndarray) -> int:
    """Read ``out.shape[0]`` LEB128 varints from ``src[offset:]`` into ``out`` (``uint64``).

    Returns:
        The end offset, or ``-(offset + 1)`` of the first bad byte: input that ends inside a varint,
        a varint longer than 10 bytes, or one that overflows 64 bits.
    """
    k = offset
    end = src.shape[0]
    for i in range(out.shape[0]):
        u = np.uint64(0)
        shift = np.uint64(0)
        start = k
        while True:
            if k >= end:
                return -(k + 1)
            b = np.uint64(src[k])
            k += 1
            if shift == _S63 and b > _S1:
                return -(start + 1)
            u |= (b & _LOW7) << shift
            if b < _HIGH:
                break
            shift += _S7
            if shift > _S63:
                return -(start + 1)
        out[i] = u
    return k


@numba.njit(cache=True)
def pack_padded(data: np.ndarray, lengths: np.ndarray, dst: np.ndarray, offset: int, big_endian: bool) -> int:
    """Lay out items as XDR does: a 4-byte length, the bytes, zero padding to a multiple of 4.

    Args:
        data: the items' bytes, concatenated (``uint8``).
        lengths: each item's length (``int64``).
        dst: the output buffer; it must be large enough (zeroed padding is written here).
        offset: where in ``dst`` to start.
        big_endian: byte order of the length words.

    Returns:
        The end offset.
    """
    k = offset
    j = 0
    for i in range(lengths.shape[0]):
        n = lengths[i]
        if big_endian:
            dst[k] = (n >> 24) & 0xFF
            dst[k + 1] = (n >> 16) & 0xFF
            dst[k + 2] = (n >> 8) & 0xFF
            dst[k + 3] = n & 0xFF
        else:
            dst[k + 3] = (n >> 24) & 0xFF
            dst[k + 2] = (n >> 16) & 0xFF
            dst[k + 1] = (n >> 8) & 0xFF
            dst[k] = n & 0xFF
        k += 4
        for b in range(n):
            dst[k + b] = data[j + b]
        k += n
        j += n
        while n & 3:
            dst[k] = 0
            k += 1
            n += 1
    return k


@numba.njit(cache=True)
def check_zero(src: np.ndarray, start: int, end: int) -> int:
    """The offset of the first nonzero byte in ``src[start:end]``, or -1 if all are zero."""
    for k in range(start, end):
        if src[k] != 0:
            return k
    return -1
