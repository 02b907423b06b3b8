"""Plain-Python twins of the kernels in :mod:`distlab.rpc.kernels`, one per kernel and of the same name.

They define what the kernels must compute (the differential tests compare the two) and are the
"pure-Python" side of the benchmark. Written for clarity, not speed.
"""

from __future__ import annotations

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

_MASK64 = (1 << 64) - 1


def swap_into(src: np.ndarray, dst: np.ndarray, offset: int, width: int) -> None:
    """Copy ``src`` into ``dst[offset:]``, reversing each ``width``-byte item."""
    raw = bytes(src)
    for i in range(len(raw) // width):
        item = raw[i * width : (i + 1) * width]
        dst[offset + i * width : offset + (i + 1) * width] = list(item[::-1])


def bswap32(src: np.ndarray, dst: np.ndarray) -> None:
    """``dst[i] = src[i]`` with its 4 bytes reversed."""
    for i, x in enumerate(int(v) for v in src):
        dst[i] = int.from_bytes(x.to_bytes(4, "little"), "big")


def bswap64(src: np.ndarray, dst: np.ndarray) -> None:
    """``dst[i] = src[i]`` with its 8 bytes reversed."""
    for i, x in enumerate(int(v) for v in src):
        dst[i] = int.from_bytes(x.to_bytes(8, "little"), "big")


def zigzag_encode(values: np.ndarray) -> np.ndarray:
    """Signed to unsigned: 0, -1, 1, -2 -> 0, 1, 2, 3."""
    return np.array([((int(x) << 1) ^ (int(x) >> 63)) & _MASK64 for x in values], dtype=np.uint64)


def zigzag_decode(values: np.ndarray) -> np.ndarray:
    """The inverse of :func:`zigzag_encode`."""
    return np.array([(int(u) >> 1) ^ -(int(u) & 1) for u in values], dtype=np.int64)


def varint_size(values: np.ndarray) -> int:
    """Bytes the LEB128 varints of ``values`` take."""
    return sum(max(1, (int(u).bit_length() + 6) // 7) for u in values)


def encode_varint(u: int) -> bytes:
    """One unsigned LEB128 varint."""
    out = bytearray()
    while u >= 0x80:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


def varint_encode(values: np.ndarray, dst: np.ndarray, offset: int) -> int:
    """Write ``values`` as LEB128 varints into ``dst[offset:]``; return the end offset."""
    k = offset
    for u in values:
        for b in encode_varint(int(u)):
            dst[k] = b
            k += 1
    return k


def varint_decode(src: np.ndarray, offset: int, out: np.ndarray) -> int:
    """Read ``len(out)`` varints from ``src[offset:]``; the end offset, or ``-(bad offset + 1)``."""
    k = offset
    for i in range(len(out)):
        start = k
        u = 0
        shift = 0
        while True:
            if k >= len(src):
                return -(k + 1)
            b = int(src[k])
            k += 1
            if shift == 63 and b > 1:
                return -(start + 1)
            u |= (b & 0x7F) << shift
            if b < 0x80:
                break
            shift += 7
            if shift > 63:
                return -(start + 1)
        out[i] = u
    return k


def pack_padded(data: np.ndarray, lengths: np.ndarray, dst: np.ndarray, offset: int, big_endian: bool) -> int:
    """Each item as a 4-byte length, its bytes and zero padding to 4; return the end offset."""
    k = offset
    j = 0
    for n in (int(x) for x in lengths):
        dst[k : k + 4] = list(n.to_bytes(4, "big" if big_endian else "little"))
        k += 4
        dst[k : k + n] = data[j : j + n]
        k += n
        j += n
        pad = -n % 4
        dst[k : k + pad] = 0
        k += pad
    return k


def check_zero(src: np.ndarray, start: int, end: int) -> int:
    """The offset of the first nonzero byte in ``src[start:end]``, or -1."""
    for k in range(start, end):
        if src[k]:
            return k
    return -1
