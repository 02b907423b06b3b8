"""TCP record marking (RFC 5531 section 11): a message as fragments, each behind a 4-byte mark.

A mark is a 32-bit big-endian word: the top bit says "last fragment of the record", the other 31
bits the fragment's length. Nothing in the stream bounds a record, so the reader bounds it: a
fragment longer than ``max_fragment`` or a record longer than ``max_record`` is a
:class:`~distlab.oncrpc.errors.RecordError`, raised as soon as its mark is read, before a byte of it
is buffered (a peer cannot make a server allocate what it announces). After such an error the stream
cannot be resynchronised: the connection must be closed.
"""

from __future__ import annotations

import struct

from distlab.oncrpc.errors import RecordError

__all__ = ["LAST", "MAX_FRAGMENT", "MAX_RECORD", "RecordReader", "frame"]

LAST = 0x80000000
"""The bit of a record mark that says the fragment is the record's last."""
MAX_FRAGMENT = 1 << 20
"""The default bound of one fragment, in bytes."""
MAX_RECORD = 1 << 24
"""The default bound of one record (a whole message), in bytes: 16 MiB."""

_unpack_mark = struct.Struct(">I").unpack_from


def frame(message: bytes, max_fragment: int = MAX_FRAGMENT) -> bytes:
    """``message`` as a record: fragments of at most ``max_fragment`` bytes, each behind its mark.

    Examples:
        >>> frame(b"abcdef", max_fragment=4).hex()
        '0000000461626364800000026566'
    """
    if len(message) <= max_fragment:
        return (LAST | len(message)).to_bytes(4, "big") + message
    parts = []
    for start in range(0, len(message), max_fragment):
        chunk = message[start : start + max_fragment]
        last = LAST if start + max_fragment >= len(message) else 0
        parts.append((last | len(chunk)).to_bytes(4, "big"))
        parts.append(chunk)
    return b"".join(parts)


class RecordReader:
    """Cuts a byte stream into records; feed it what the socket gives, take whole records out.

    Args:
        max_fragment: the longest fragment accepted, in bytes.
        max_record: the longest record accepted, in bytes (the sum of its fragments).

    Examples:
        >>> reader = RecordReader()
        >>> reader.feed(frame(b"one") + frame(b"two")[:5])
        [b'one']
        >>> reader.feed(frame(b"two")[5:]), reader.pending
        ([b'two'], 0)
    """

    def __init__(self, max_fragment: int = MAX_FRAGMENT, max_record: int = MAX_RECORD) -> None:
        self.max_fragment = max_fragment
        self.max_record = max_record
        self._buf = bytearray()
        self._parts: list[bytes] = []
        self._size = 0  # bytes of the record so far, in earlier fragments

    @property
    def pending(self) -> int:
        """Bytes received that belong to no whole record yet (a partial record, if the stream ends here)."""
        return len(self._buf) + self._size

    def feed(self, data: bytes | bytearray) -> list[bytes]:
        """Add ``data`` and return the records it completes, in order.

        Raises:
            RecordError: a fragment or record over its bound (the stream is then unusable).
        """
        # Cut records straight out of what was received (one copy per record): an async client
        # with many calls in flight gets dozens of replies per read, and copying them into the
        # buffer and out again cost more than parsing them. Only an unfinished tail is buffered.
        buf = self._buf
        if buf:
            buf += data
            src = bytes(buf)
        else:
            src = data if type(data) is bytes else bytes(data)
        records: list[bytes] = []
        parts = self._parts
        pos = 0
        n = len(src)
        while n - pos >= 4:
            mark = _unpack_mark(src, pos)[0]
            size = mark & 0x7FFFFFFF
            if size > self.max_fragment or self._size + size > self.max_record:
                if not buf:
                    buf += src  # as if all of it had been buffered: the stream is unusable anyway
                if size > self.max_fragment:
                    raise RecordError(f"a fragment of {size} bytes, over the bound of {self.max_fragment}")
                raise RecordError(f"a record of over {self._size + size} bytes, over the bound of {self.max_record}")
            end = pos + 4 + size
            if end > n:
                break
            chunk = src[pos + 4 : end]
            pos = end
            if mark & LAST:
                if parts:
                    parts.append(chunk)
                    chunk = b"".join(parts)
                    parts.clear()
                    self._size = 0
                records.append(chunk)
            else:
                parts.append(chunk)
                self._size += size
        if buf:
            del buf[:pos]
        elif pos < n:
            buf += memoryview(src)[pos:]
        return records
