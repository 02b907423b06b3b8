"""A client that counts what it puts on the wire: calls, bytes out and bytes in (record marks included)."""

from __future__ import annotations

from typing import Any

from distlab.oncrpc.client import Client
from distlab.oncrpc.record import MAX_FRAGMENT

__all__ = ["MeteredClient", "wire_bytes"]


def wire_bytes(message_bytes: int) -> int:
    """The bytes a TCP message of ``message_bytes`` takes: the message and a 4-byte record mark per fragment."""
    fragments = max(1, -(-message_bytes // MAX_FRAGMENT))
    return message_bytes + 4 * fragments


class MeteredClient(Client):
    """A TCP :class:`~distlab.oncrpc.client.Client` that counts its round trips and bytes each way.

    Attributes:
        calls: calls made (each one round trip).
        bytes_out: bytes sent (calls), ``bytes_in``: bytes received (replies).
    """

    def __init__(self, host: str, port: int, **options: Any) -> None:
        super().__init__(host, port, transport="tcp", **options)
        self.calls = 0
        self.bytes_out = 0
        self.bytes_in = 0
        self._headers: dict[tuple[int, int, int], int] = {}

    def call_raw(self, program: int, version: int, procedure: int, args: bytes) -> bytes:
        """:meth:`Client.call_raw`, counted."""
        key = (program, version, procedure)
        header = self._headers.get(key)
        if header is None:  # a header's size depends only on these (and the fixed credentials)
            header = self._headers[key] = len(self.codec.call(0, program, version, procedure, self.cred, self.verf))
        self.calls += 1
        self.bytes_out += wire_bytes(header + len(args))
        reply = super().call_raw(program, version, procedure, args)
        self.bytes_in += wire_bytes(len(reply))
        return reply
