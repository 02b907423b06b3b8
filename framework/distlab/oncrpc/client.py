"""The synchronous ONC RPC client: one call at a time over TCP (record marking) or UDP (retransmission).

Examples:
    A call of a program version (the IDL compiler's client stubs make exactly this call)::

        with Client("127.0.0.1", port) as client:
            total = client.call(CALC_V1, 1, 2, 3)     # procedure 1 with arguments 2 and 3
            client.call(CALC_V1, 0)                   # NULL: a ping
"""

from __future__ import annotations

import os
import socket
import time
from types import TracebackType
from typing import Any, Literal

from distlab.oncrpc.auth import NONE, OpaqueAuth
from distlab.oncrpc.errors import RecordError, RpcTimeoutError, TransportError
from distlab.oncrpc.messages import Codec, encode_args, procedure_of
from distlab.oncrpc.program import ProgramVersion
from distlab.oncrpc.record import MAX_FRAGMENT, MAX_RECORD, RecordReader, frame
from distlab.rpc.kinds import Serializer

__all__ = ["UDP_MAX", "Client", "Transport"]

Transport = Literal["tcp", "udp"]
UDP_MAX = 65507
"""The largest UDP payload over IPv4, in bytes: a call or reply over UDP must fit one datagram."""


def first_xid() -> int:
    """A random first xid, so that two clients (or one restarted) do not reuse each other's xids."""
    return int.from_bytes(os.urandom(4), "big")


class Client:
    """A synchronous client of one server (one host and port).

    Args:
        host: the server's address (a name or an IPv4/IPv6 literal).
        port: the server's port (see :func:`distlab.oncrpc.pmap.getport` to ask a binder).
        transport: ``"tcp"`` (record marking, one connection) or ``"udp"`` (one datagram per call).
        timeout_s: how long a call waits for its reply in all.
        retransmit_s: over UDP, how long to wait before sending the call again (same xid); each
            wait doubles, up to ``timeout_s``. Replies to earlier xids (duplicates) are ignored.
        cred, verf: the credential and verifier sent with every call (default AUTH_NONE).
        serializer: lays out headers, arguments and results (default: distlab's XDR).
        max_fragment, max_record: bounds of a reply's fragments and of a whole reply over TCP.

    Raises:
        TransportError: the connection could not be made.
    """

    def __init__(self, host: str, port: int, *, transport: Transport = "tcp", timeout_s: float = 10.0,
                 retransmit_s: float = 0.25, cred: OpaqueAuth = NONE, verf: OpaqueAuth = NONE,
                 serializer: Serializer | None = None, max_fragment: int = MAX_FRAGMENT,
                 max_record: int = MAX_RECORD) -> None:
        if transport not in ("tcp", "udp"):
            raise ValueError(f"transport must be 'tcp' or 'udp', not {transport!r}")
        self.host, self.port, self.transport = host, port, transport
        self.timeout_s, self.retransmit_s = timeout_s, retransmit_s
        self.cred, self.verf = cred, verf
        self.codec = Codec(serializer)
        self._xid = first_xid()
        self._reader = RecordReader(max_fragment, max_record)
        # Replies are received into this buffer, made once: sock.recv(262144) makes a new 256 KiB
        # bytes object per read, which costs the allocator far more than the bytes that came (see
        # distlab.oncrpc.aclient._StreamReplies for the figures).
        self._rbuf = memoryview(bytearray(262144)) if transport == "tcp" else memoryview(b"")
        kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
        try:
            family, _, _, _, addr = socket.getaddrinfo(host, port, type=kind)[0]
            self._sock = socket.socket(family, kind)
            self._sock.settimeout(timeout_s)
            self._sock.connect(addr)
        except OSError as err:
            raise TransportError(f"cannot reach {host}:{port} over {transport}: {err}") from None
        if transport == "tcp":
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def call(self, program: ProgramVersion, procedure: int | str, *args: Any) -> Any:
        """Call ``procedure`` (its number or name) of ``program`` with ``args``; its result (``None`` for void).

        Raises:
            ReplyError: the server answered with an error status (a subclass per status).
            TransportError: the connection failed or no reply came in time (:class:`RpcTimeoutError`).
            BadReplyError: the reply or its results did not decode.
            EncodeError: an argument does not fit its type (nothing was sent).
        """
        proc = procedure_of(program, procedure)
        body = encode_args(self.codec.serializer, proc, args)
        reply = self.call_raw(program.program, program.version, proc.number, body)
        return self.codec.results(reply, program.program, program.version, proc)

    def call_raw(self, program: int, version: int, procedure: int, args: bytes) -> bytes:
        """Send a call whose arguments are already encoded (or deliberately not valid); the whole reply.

        The reply is returned as it came, header included, for :meth:`Codec.results
        <distlab.oncrpc.messages.Codec.results>` or :func:`~distlab.oncrpc.messages.read_reply` to read.
        """
        self._xid = xid = (self._xid + 1) & 0xFFFFFFFF
        message = self.codec.call(xid, program, version, procedure, self.cred, self.verf) + args
        if self.transport == "tcp":
            return self._tcp(xid, message)
        return self._udp(xid, message)

    def _tcp(self, xid: int, message: bytes) -> bytes:
        sock = self._sock
        try:
            sock.sendall(frame(message))
            deadline = time.monotonic() + self.timeout_s
            rbuf = self._rbuf
            while True:
                n = sock.recv_into(rbuf)
                if not n:
                    raise TransportError(f"{self.host}:{self.port} closed the connection")
                for record in self._reader.feed(rbuf[:n].tobytes()):
                    # A reply to an earlier call that timed out is dropped here.
                    if self.codec.xid(record) == xid:
                        return record
                sock.settimeout(max(deadline - time.monotonic(), 1e-3))
        except TimeoutError:
            raise RpcTimeoutError(f"no reply from {self.host}:{self.port} within {self.timeout_s} s") from None
        except RecordError:
            self.close()
            raise
        except OSError as err:
            raise TransportError(f"{self.host}:{self.port}: {err}") from None
        finally:
            if sock.gettimeout() != self.timeout_s:
                sock.settimeout(self.timeout_s)

    def _udp(self, xid: int, message: bytes) -> bytes:
        if len(message) > UDP_MAX:
            raise TransportError(f"a call of {len(message)} bytes does not fit a UDP datagram ({UDP_MAX})")
        sock = self._sock
        deadline = time.monotonic() + self.timeout_s
        wait = self.retransmit_s
        try:
            while True:
                sock.send(message)
                resend = min(time.monotonic() + wait, deadline)
                while True:
                    left = resend - time.monotonic()
                    if left <= 0:
                        break
                    sock.settimeout(left)
                    try:
                        data = sock.recv(UDP_MAX + 1)
                    except TimeoutError:
                        break
                    if self.codec.xid(data) == xid:
                        return data
                if time.monotonic() >= deadline:
                    raise RpcTimeoutError(f"no reply from {self.host}:{self.port} over udp within {self.timeout_s} s")
                wait *= 2
        except ConnectionRefusedError:
            raise TransportError(f"{self.host}:{self.port}: nothing listens on this UDP port") from None
        except OSError as err:
            if isinstance(err, RpcTimeoutError):
                raise
            raise TransportError(f"{self.host}:{self.port}: {err}") from None

    def close(self) -> None:
        """Close the connection (or socket); the client cannot be used after."""
        self._sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
