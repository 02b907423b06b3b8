"""TCP record marking (RFC 5531 section 11): a message as fragments, each behind a 4-byte mark.

A mark is a 32-bit big-endian word: the top bit says "last fragment of the record", the other 31
bits the fragment's length. Nothing in the stream bounds a record, so the reader bounds it: a
fragment longer than ``max_fragment`` or a record longer than ``max_record`` is a
:class:`~distlab.oncrpc.errors.RecordError`, raised as soon as its mark is read, before a byte of it
is buffered (a peer cannot make a server allocate what it announces). After such an error the stream
cannot be resynchronised: the connection must be closed.
"""

from __future__ import annotations

from distlab.oncrpc.errors import RecordError

__all__ = ["LAST", "MAX_FRAGMENT", "MAX_RECORD", "RecordReader", "frame"]

LAST = 0x80000000
"""The bit of a record mark that says the fragment is the record's last."""
MAX_FRAGMENT = 1 << 20
"""The default bound of one fragment, in bytes."""
MAX_RECORD = 1 << 24
"""The default bound of one record (a whole message), in bytes: 16 MiB."""


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

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data`` and return the records it completes, in order.

        Raises:
            RecordError: a fragment or record over its bound (the stream is then unusable).
        """
        buf = self._buf
        buf += data
        records: list[bytes] = []
        pos = 0
        n = len(buf)
        while n - pos >= 4:
            mark = int.from_bytes(buf[pos : pos + 4], "big")
            size = mark & 0x7FFFFFFF
            if size > self.max_fragment:
                raise RecordError(f"a fragment of {size} bytes, over the bound of {self.max_fragment}")
            if self._size + size > self.max_record:
                raise RecordError(f"a record of over {self._size + size} bytes, over the bound of {self.max_record}")
            if n - pos - 4 < size:
                break
            chunk = bytes(buf[pos + 4 : pos + 4 + size])
            pos += 4 + size
            if mark & LAST:
                if self._parts:
                    self._parts.append(chunk)
                    chunk = b"".join(self._parts)
                    self._parts.clear()
                    self._size = 0
                records.append(chunk)
            else:
                self._parts.append(chunk)
                self._size += size
        del buf[:pos]
        return records
