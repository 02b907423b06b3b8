"""The asyncio ONC RPC client: many calls in flight on one TCP connection (or UDP socket), replies matched by xid.

Examples:
    64 calls outstanding at once::

        client = await AsyncClient.connect("127.0.0.1", port)
        async with client:
            totals = await asyncio.gather(*(client.acall(CALC_V1, 1, i, i) for i in range(64)))
"""

from __future__ import annotations

import asyncio
import math
import socket
import struct
from collections.abc import Awaitable
from types import TracebackType
from typing import Any

from distlab.oncrpc.auth import NONE, OpaqueAuth
from distlab.oncrpc.client import UDP_MAX, Transport, first_xid
from distlab.oncrpc.errors import RecordError, RpcTimeoutError, TransportError
from distlab.oncrpc.messages import Codec, encode_args, procedure_of
from distlab.oncrpc.program import Procedure, ProgramVersion
from distlab.oncrpc.record import LAST, MAX_FRAGMENT, MAX_RECORD, RecordReader, frame
from distlab.rpc.kinds import Serializer
from distlab.rpc.types import Void

__all__ = ["AsyncClient"]

# A record mark and an xid: the only bytes of a call's record that change from call to call.
_pack_mark_xid = struct.Struct(">II").pack
_unpack_xid = struct.Struct(">I").unpack_from
_Future = asyncio.Future


class _Replies(asyncio.Protocol, asyncio.DatagramProtocol):
    """Hands each reply to the call waiting for its xid; replies nobody waits for (duplicates, late) are dropped.

    ``pending`` maps an xid to the future of its call and the loop time when the call times out
    (``math.inf`` for calls that time themselves out, as UDP calls do); one timer, :meth:`sweep`,
    expires the overdue ones.
    """

    def __init__(self, codec: Codec, reader: RecordReader | None) -> None:
        self.codec = codec
        self.reader = reader
        self.pending: dict[int, tuple[asyncio.Future[bytes], float]] = {}
        self.describe = ""
        self._sweep: asyncio.TimerHandle | None = None
        self.lost: Exception | None = None
        self.transport: Any = None
        #: Framed calls not yet written; see :meth:`send`.
        self.out: list[bytes] = []
        #: Whether a :meth:`flush` is scheduled.
        self.flushing = False
        #: When the sweep runs (``math.inf``: not armed); a call whose deadline is later needs no :meth:`arm`.
        self.armed_at = math.inf
        self._xid_first = codec.xid_first

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def send(self, data: bytes) -> None:
        """Queue a framed call; the calls queued in one turn of the loop go out in one write.

        (:meth:`AsyncClient.acall` does the same inline.)
        """
        if not self.flushing:
            self.flushing = True
            asyncio.get_running_loop().call_soon(self.flush)
        self.out.append(data)

    def flush(self) -> None:
        """Write the queued calls, in one write."""
        self.flushing = False
        if self.out and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(self.out))
        self.out.clear()

    def data_received(self, data: bytes) -> None:
        assert self.reader is not None
        try:
            records = self.reader.feed(data)
        except RecordError as err:
            self._fail(err)
            self.transport.close()
            return
        if not self._xid_first:
            for record in records:
                self._deliver(record)
            return
        # _deliver inlined (and the codec's xid with it): a read brings many replies when many
        # calls are in flight, and two method calls per reply showed in the profile.
        pending = self.pending
        woke = False
        for record in records:
            if len(record) < 4:
                continue
            entry = pending.pop(_unpack_xid(record)[0], None)
            if entry is not None and not entry[0].done():
                entry[0].set_result(record)
                woke = True
        if woke and not self.flushing:
            # Scheduled after the wake-ups of the callers just answered, so the calls they make
            # next go out in this same turn of the loop, not one turn (one more epoll_wait) later.
            self.flushing = True
            asyncio.get_running_loop().call_soon(self.flush)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._deliver(data)

    def _deliver(self, record: bytes) -> None:
        entry = self.pending.pop(self.codec.xid(record), None)  # type: ignore[arg-type]
        if entry is not None and not entry[0].done():
            entry[0].set_result(record)

    def arm(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        """Make sure the sweep runs by ``deadline``.

        One timer for all the calls in flight, not one per call: a timer handle per call costs a
        heap push and a cancel each (measured: about a sixth of an async null call's time with 64 in
        flight). Calls of one client time out after the same delay, so the earliest deadline is
        that of the oldest call, and the sweep rarely finds anything to do.
        """
        if self._sweep is None or self._sweep.when() > deadline:
            if self._sweep is not None:
                self._sweep.cancel()
            self._sweep = loop.call_at(deadline, self.sweep)
            self.armed_at = deadline

    def sweep(self) -> None:
        """Fail the calls whose deadline has passed with :class:`RpcTimeoutError`; run again at the next deadline."""
        self._sweep = None
        self.armed_at = math.inf
        loop = asyncio.get_running_loop()
        now = loop.time()
        upcoming = math.inf
        for xid, (future, deadline) in list(self.pending.items()):
            if deadline <= now:
                del self.pending[xid]
                if not future.done():
                    future.set_exception(RpcTimeoutError(f"no reply from {self.describe}"))
            else:
                upcoming = min(upcoming, deadline)
        if upcoming < math.inf:
            self._sweep = loop.call_at(upcoming, self.sweep)
            self.armed_at = upcoming

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable on a connected UDP socket: nothing listens there.
        self._fail(TransportError(f"udp: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(TransportError(f"the connection was closed{f': {exc}' if exc else ''}"))

    def _fail(self, err: Exception) -> None:
        self.lost = err
        for future, _ in self.pending.values():
            if not future.done():
                future.set_exception(err)
        self.pending.clear()
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        self.armed_at = math.inf


class _Plan:
    """What every call of one procedure through one client shares: the procedure, and (over TCP, with
    a serializer that writes the xid first) the bytes of its call header after the xid.

    ``program``, ``cred`` and ``verf`` are kept to tell whether the plan still holds: the cache is
    keyed by the program's ``id`` (a :class:`ProgramVersion` holds a dict, so it is not hashable),
    and the client's credentials may be replaced between calls.
    """

    __slots__ = ("program", "proc", "cred", "verf", "head", "size", "void_reply")

    def __init__(self, program: ProgramVersion, proc: Procedure, cred: OpaqueAuth, verf: OpaqueAuth,
                 head: bytes | None, void_reply: bytes | None) -> None:
        self.program, self.proc, self.cred, self.verf, self.head = program, proc, cred, verf, head
        #: The length of a call without arguments: xid and header.
        self.size = 4 + len(head or b"")
        #: For a procedure returning void: its successful reply after the xid (its result is ``None``).
        self.void_reply = void_reply


class _StreamReplies(asyncio.BufferedProtocol, _Replies):
    """:class:`_Replies` over TCP, reading into a buffer of its own.

    asyncio's plain streaming path receives every read into a new 256 KiB bytes object, which costs
    the allocator far more than the bytes that came (measured on loopback TCP here: a small send
    and read took 19 µs of CPU with ``recv(262144)``, 6.6 µs with ``recv_into`` one buffer made
    once and a copy of what came, which is what this does).
    """

    def __init__(self, codec: Codec, reader: RecordReader, size: int = 1 << 18) -> None:
        super().__init__(codec, reader)
        self._view = memoryview(bytearray(size))

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._view[:nbytes].tobytes())


class AsyncClient:
    """An asyncio client of one server; make it with :meth:`connect`.

    Calls may overlap freely: each gets its own xid and waits for the reply with that xid, so
    replies may come in any order. Over UDP each outstanding call is retransmitted on its own timer.
    The arguments are those of :class:`~distlab.oncrpc.client.Client`.
    """

    def __init__(self, protocol: _Replies, transport: asyncio.BaseTransport, *, host: str, port: int,
                 kind: Transport, timeout_s: float, retransmit_s: float, cred: OpaqueAuth, verf: OpaqueAuth,
                 max_fragment: int) -> None:
        self._protocol, self._transport = protocol, transport
        self.host, self.port, self.transport = host, port, kind
        self.timeout_s, self.retransmit_s = timeout_s, retransmit_s
        self.cred, self.verf = cred, verf
        self.codec = protocol.codec
        protocol.describe = f"{host}:{port} within {timeout_s} s"
        self._xid = first_xid()
        self._max_fragment = max_fragment
        self._plans: dict[tuple[int, int | str], _Plan] = {}

    @classmethod
    async def connect(cls, host: str, port: int, *, transport: Transport = "tcp", timeout_s: float = 10.0,
                      retransmit_s: float = 0.25, cred: OpaqueAuth = NONE, verf: OpaqueAuth = NONE,
                      serializer: Serializer | None = None, max_fragment: int = MAX_FRAGMENT,
                      max_record: int = MAX_RECORD) -> AsyncClient:
        """Connect to ``host:port`` over ``transport``.

        Raises:
            TransportError: the connection could not be made.
        """
        if transport not in ("tcp", "udp"):
            raise ValueError(f"transport must be 'tcp' or 'udp', not {transport!r}")
        loop = asyncio.get_running_loop()
        codec = Codec(serializer)
        conn: asyncio.BaseTransport
        protocol: _Replies
        try:
            if transport == "tcp":
                protocol = _StreamReplies(codec, RecordReader(max_fragment, max_record))
                conn, _ = await asyncio.wait_for(loop.create_connection(lambda: protocol, host, port), timeout_s)
                sock = conn.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            else:
                protocol = _Replies(codec, None)
                conn, _ = await loop.create_datagram_endpoint(lambda: protocol, remote_addr=(host, port))
        except (OSError, asyncio.TimeoutError) as err:
            raise TransportError(f"cannot reach {host}:{port} over {transport}: {err}") from None
        return cls(protocol, conn, host=host, port=port, kind=transport, timeout_s=timeout_s,
                   retransmit_s=retransmit_s, cred=cred, verf=verf, max_fragment=max_fragment)

    async def acall(self, program: ProgramVersion, procedure: int | str, *args: Any) -> Any:
        """Call ``procedure`` of ``program`` with ``args``; its result. Raises as :meth:`Client.call
        <distlab.oncrpc.client.Client.call>` does."""
        plan = self._plans.get((id(program), procedure))
        if plan is None or plan.program is not program or plan.cred is not self.cred or plan.verf is not self.verf:
            plan = self._plan(program, procedure)
        proc = plan.proc
        # Arguments or none, as encode_args checks; a call without any needs no serializer.
        body = encode_args(self.codec.serializer, proc, args) if args or proc.args else b""
        head = plan.head
        if head is None:
            reply = await self._start(program.program, program.version, proc.number, body)
            return self.codec.results(reply, program.program, program.version, proc)
        # _start and send, inlined for TCP with a precomputed header (their docstrings say why each
        # step is as it is): with 64 calls in flight every method call here shows in the rate.
        protocol = self._protocol
        if protocol.lost is not None:
            raise TransportError(f"{self.host}:{self.port}: {protocol.lost}")
        self._xid = xid = (self._xid + 1) & 0xFFFFFFFF
        size = plan.size + len(body)
        if size <= self._max_fragment:
            data = _pack_mark_xid(LAST | size, xid) + head + body
        else:
            data = frame(xid.to_bytes(4, "big") + head + body, self._max_fragment)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = _Future(loop=loop)  # what loop.create_future makes, one frame less
        deadline = loop.time() + self.timeout_s
        protocol.pending[xid] = (future, deadline)
        if deadline < protocol.armed_at:
            protocol.arm(loop, deadline)
        if not protocol.flushing:
            protocol.flushing = True
            loop.call_soon(protocol.flush)
        protocol.out.append(data)
        reply = await future
        void = plan.void_reply
        if void is not None and len(reply) == 4 + len(void) and reply.endswith(void):
            return None  # what codec.results makes of it, without the checks of a reply of another shape
        return self.codec.results(reply, program.program, program.version, proc)

    def _plan(self, program: ProgramVersion, procedure: int | str) -> _Plan:
        """Look ``procedure`` up, encode its header once, and remember both for the next calls."""
        proc = procedure_of(program, procedure)
        head = void = None
        codec = self.codec
        if self.transport == "tcp" and codec.xid_first:
            head = codec.call(0, program.program, program.version, proc.number, self.cred, self.verf)[4:]
            if codec.void_empty and type(proc.result) is Void:
                void = codec.success(0)[4:]
        if len(self._plans) > 4096:  # a caller making new ProgramVersion objects for every call
            self._plans.clear()
        plan = self._plans[(id(program), procedure)] = _Plan(program, proc, self.cred, self.verf, head, void)
        return plan

    async def acall_raw(self, program: int, version: int, procedure: int, args: bytes) -> bytes:
        """Send a call whose arguments are already encoded; the whole reply, header included."""
        return await self._start(program, version, procedure, args)

    def _start(self, program: int, version: int, procedure: int, args: bytes) -> Awaitable[bytes]:
        """Send a call; what to await for its reply.

        Over TCP that is the call's future itself, not a coroutine awaiting it: with many calls in
        flight, one coroutine frame less per call is measurably faster. The protocol's sweep times
        the call out (not asyncio.wait_for, which wraps every call in a task of its own), and drops
        the entry of a call whose caller was cancelled when its reply or its deadline comes.
        """
        protocol = self._protocol
        if protocol.lost is not None:
            raise TransportError(f"{self.host}:{self.port}: {protocol.lost}")
        self._xid = xid = (self._xid + 1) & 0xFFFFFFFF
        message = self.codec.call(xid, program, version, procedure, self.cred, self.verf) + args
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        if self.transport == "tcp":
            deadline = loop.time() + self.timeout_s
            protocol.pending[xid] = (future, deadline)
            if deadline < protocol.armed_at:
                protocol.arm(loop, deadline)
            protocol.send(frame(message, self._max_fragment))
            return future
        protocol.pending[xid] = (future, math.inf)
        return self._udp_call(xid, message, future)

    async def _udp_call(self, xid: int, message: bytes, future: asyncio.Future[bytes]) -> bytes:
        try:
            return await self._udp(message, future)
        except asyncio.TimeoutError:
            raise RpcTimeoutError(f"no reply from {self.host}:{self.port} within {self.timeout_s} s") from None
        finally:
            self._protocol.pending.pop(xid, None)

    async def _udp(self, message: bytes, future: asyncio.Future[bytes]) -> bytes:
        if len(message) > UDP_MAX:
            raise TransportError(f"a call of {len(message)} bytes does not fit a UDP datagram ({UDP_MAX})")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        wait = self.retransmit_s
        while True:
            self._transport.sendto(message)  # type: ignore[attr-defined]
            try:
                return await asyncio.wait_for(asyncio.shield(future), max(min(wait, deadline - loop.time()), 0))
            except asyncio.TimeoutError:
                if loop.time() >= deadline:
                    raise
            wait *= 2

    async def close(self) -> None:
        """Close the connection; calls still waiting fail with :class:`TransportError`."""
        self._transport.close()
        await asyncio.sleep(0)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()
