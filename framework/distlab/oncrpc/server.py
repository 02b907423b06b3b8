"""The asyncio ONC RPC server: program versions and their handlers, served over TCP and UDP.

Examples:
    Serving a program version (``handlers`` as the IDL compiler's server base class returns them)::

        server = Server()                         # 127.0.0.1, a free port, TCP and UDP
        server.add(CALC_V1, {1: lambda a, b: a + b})
        with server.serve_in_thread():            # or: async with server: ...
            print(server.port)

What the server answers (RFC 5531 section 9): procedure 0 (NULL) of every version it has;
PROG_UNAVAIL for a program it does not have; PROG_MISMATCH with its lowest and highest version for
a version it does not have; PROC_UNAVAIL for a procedure without a handler; GARBAGE_ARGS for
arguments that do not decode, or when a handler raises :class:`GarbageArgs` (arguments that decode but
are not valid for the procedure, such as an index out of range); SYSTEM_ERR when a handler raises or returns what does not fit the
result type; RPC_MISMATCH for an RPC version other than 2; AUTH_ERROR (AUTH_BADCRED) for an AUTH_SYS
credential whose body does not decode, or whatever an ``authenticate`` hook says. A message whose
header does not decode, or a reply sent to it, gets no answer (there is no xid to answer). A TCP
peer that sends an over-long fragment or record is disconnected; every other peer keeps being served.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import inspect
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, cast

from distlab.oncrpc.auth import AUTH_SYS, AUTHSYS_PARMS, OpaqueAuth
from distlab.oncrpc.client import UDP_MAX, Transport
from distlab.oncrpc.errors import RecordError
from distlab.oncrpc.messages import (
    AUTH_ERROR,
    CALL,
    GARBAGE_ARGS,
    PROC_UNAVAIL,
    PROG_MISMATCH,
    PROG_UNAVAIL,
    RPC_MISMATCH,
    RPC_MSG,
    RPC_VERSION,
    SYSTEM_ERR,
    Codec,
    accepted_reply,
    decode_args,
    denied_reply,
)
from distlab.oncrpc.program import ProgramVersion
from distlab.oncrpc.record import MAX_FRAGMENT, MAX_RECORD, RecordReader, frame
from distlab.rpc.errors import DecodeError, EncodeError
from distlab.rpc.kinds import Serializer

__all__ = ["CallInfo", "GarbageArgs", "Handler", "Server", "current_call"]

log = logging.getLogger("distlab.oncrpc")

Handler = Callable[..., Any]
"""A procedure's implementation: called with the decoded arguments, returns the result (or an awaitable of it)."""

AUTH_BADCRED = 1


class GarbageArgs(Exception):
    """Raised by a handler whose arguments decoded but make no sense for the procedure: the server answers
    GARBAGE_ARGS (the caller's :class:`~distlab.oncrpc.errors.GarbageArgsError`), not SYSTEM_ERR."""


@dataclasses.dataclass(frozen=True)
class CallInfo:
    """The call a handler is running for (see :func:`current_call`)."""

    xid: int
    program: int
    version: int
    procedure: int
    cred: OpaqueAuth
    verf: OpaqueAuth
    peer: Any


_current: contextvars.ContextVar[CallInfo] = contextvars.ContextVar("distlab_oncrpc_call")


def current_call() -> CallInfo:
    """The call being served, inside a handler: its xid, credential (any flavor, as opaque) and peer address.

    Raises:
        LookupError: outside a handler.
    """
    return _current.get()


class Server:
    """An ONC RPC server on one port number, over TCP and UDP.

    Args:
        host: the address to listen on (default loopback only).
        port: the port for both transports; 0 picks a free one (the same number for TCP and UDP).
        transports: which of ``"tcp"`` and ``"udp"`` to serve.
        serializer: lays out headers, arguments and results (default: distlab's XDR).
        binder: ``(host, port)`` of a portmapper/rpcbind (``distlab binder`` or the system's) to
            register every program version with on start and unregister from on stop.
        authenticate: optional ``f(cred, verf) -> auth_stat``; anything but 0 (AUTH_OK) denies the
            call with AUTH_ERROR and that reason.
        max_fragment, max_record: bounds of a call's fragments and of a whole call over TCP.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, transports: tuple[Transport, ...] = ("tcp", "udp"),
                 serializer: Serializer | None = None, binder: tuple[str, int] | None = None,
                 authenticate: Callable[[OpaqueAuth, OpaqueAuth], int] | None = None,
                 max_fragment: int = MAX_FRAGMENT, max_record: int = MAX_RECORD) -> None:
        if not transports or set(transports) - {"tcp", "udp"}:
            raise ValueError(f"transports must be some of 'tcp' and 'udp', not {transports!r}")
        self.host, self.port, self.transports = host, port, tuple(transports)
        self.codec = Codec(serializer)
        self.binder = binder
        self.authenticate = authenticate
        self.max_fragment, self.max_record = max_fragment, max_record
        self._programs: dict[int, dict[int, tuple[ProgramVersion, Mapping[int, Handler]]]] = {}
        self._tcp: asyncio.Server | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._registered: list[tuple[int, int, str]] = []
        self._requested = port
        self._connections: set[_TcpConnection] = set()

    def add(self, program: ProgramVersion, handlers: Mapping[int, Handler]) -> None:
        """Serve ``program`` with ``handlers`` (procedure number to function); NULL needs none.

        Raises:
            ValueError: a handler for a procedure the program version does not have, or the
                version is already served.
        """
        unknown = sorted(set(handlers) - set(program.procedures) - {0})
        if unknown:
            raise ValueError(f"{program.name} version {program.version} has no procedures {unknown}")
        versions = self._programs.setdefault(program.program, {})
        if program.version in versions:
            raise ValueError(f"{program.name} version {program.version} is already served")
        versions[program.version] = (program, dict(handlers))

    @property
    def programs(self) -> list[ProgramVersion]:
        """The program versions served, by program and version number."""
        return [self._programs[p][v][0] for p in sorted(self._programs) for v in sorted(self._programs[p])]

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen (setting :attr:`port` if it was 0) and register with the binder, if one was given."""
        loop = asyncio.get_running_loop()
        for attempt in range(20):
            try:
                await self._listen(loop)
                break
            except OSError:
                # Port 0: TCP got a free port whose UDP twin is taken; try another pair.
                await self._close_listeners()
                if self._requested or attempt == 19:
                    raise
                self.port = 0
        if self.binder is not None:
            await self._register()

    async def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        port = self.port
        if "tcp" in self.transports:
            self._tcp = await loop.create_server(lambda: _TcpConnection(self), self.host, port,
                                                 reuse_address=True)
            port = self._tcp.sockets[0].getsockname()[1]
        if "udp" in self.transports:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            self._udp, _ = await loop.create_datagram_endpoint(lambda: _UdpEndpoint(self),
                                                               local_addr=(self.host, port), family=family)
            port = self._udp.get_extra_info("sockname")[1]
        self.port = port

    async def _close_listeners(self) -> None:
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
            self._tcp = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    async def stop(self) -> None:
        """Unregister from the binder and stop listening (and close every connection)."""
        if self._registered:
            await self._unregister()
        if self._tcp is not None:
            self._tcp.close()
        for connection in list(self._connections):
            if connection.transport is not None:
                connection.transport.close()
        await self._close_listeners()

    async def serve_forever(self) -> None:
        """Start, and serve until cancelled (then stop)."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def __aenter__(self) -> Server:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    @contextlib.contextmanager
    def serve_in_thread(self) -> Iterator[Server]:
        """Serve from a thread running its own event loop while the block runs (for synchronous code)."""
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as err:  # handed to the caller's thread below
                failure.append(err)
                started.set()
                return
            started.set()
            loop.run_forever()

        thread = threading.Thread(target=run, name=f"oncrpc-server-{id(self):x}", daemon=True)
        thread.start()
        started.wait()
        if failure:
            thread.join()
            loop.close()
            raise failure[0]
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    async def _register(self) -> None:
        from distlab.oncrpc import pmap

        assert self.binder is not None
        for program in self.programs:
            for transport in self.transports:
                ok = await pmap.aset(self.binder, program.program, program.version, transport, self.port)
                if not ok:
                    log.warning("binder %s:%d refused %s version %d over %s (already registered?)",
                                *self.binder, program.name, program.version, transport)
                    continue
                self._registered.append((program.program, program.version, transport))

    async def _unregister(self) -> None:
        from distlab.oncrpc import pmap

        assert self.binder is not None
        done = set()
        for prog, vers, _ in self._registered:
            if (prog, vers) not in done:
                done.add((prog, vers))
                try:
                    await pmap.aunset(self.binder, prog, vers)
                except Exception as err:  # a binder gone first must not stop the server stopping
                    log.warning("could not unregister program %d version %d: %s", prog, vers, err)
        self._registered.clear()

    # -- dispatch --------------------------------------------------------------------------------

    def dispatch(self, data: bytes, peer: Any = None) -> bytes | None | Awaitable[bytes | None]:
        """The reply to one call message (an awaitable of it if the handler is a coroutine), or ``None``.

        Never raises: every failure is a reply status, or no reply for a message that is not a call.
        """
        ser = self.codec.serializer
        try:
            header, pos = ser.decode_prefix(data, RPC_MSG)
        except DecodeError:
            return None
        except Exception:  # a third-party serializer breaking its contract must not kill a connection
            log.exception("serializer failed on a call header")
            return None
        xid = header["xid"]
        msg_type, call = header["body"]
        if msg_type != CALL:
            return None
        if call["rpcvers"] != RPC_VERSION:
            return denied_reply(ser, xid, RPC_MISMATCH, RPC_VERSION, RPC_VERSION)
        cred = OpaqueAuth(call["cred"]["flavor"], call["cred"]["body"])
        verf = OpaqueAuth(call["verf"]["flavor"], call["verf"]["body"])
        reason = self._check_auth(cred, verf)
        if reason:
            return denied_reply(ser, xid, AUTH_ERROR, reason=reason)
        prog, vers, number = call["prog"], call["vers"], call["proc"]
        versions = self._programs.get(prog)
        if versions is None:
            return accepted_reply(ser, xid, PROG_UNAVAIL)
        served = versions.get(vers)
        if served is None:
            return accepted_reply(ser, xid, PROG_MISMATCH, min(versions), max(versions))
        if number == 0:
            return self.codec.success(xid)
        program, handlers = served
        handler = handlers.get(number)
        if handler is None:
            return accepted_reply(ser, xid, PROC_UNAVAIL)
        proc = program.procedures[number]
        try:
            args = decode_args(ser, proc, data, pos)
        except DecodeError:
            return accepted_reply(ser, xid, GARBAGE_ARGS)
        token = _current.set(CallInfo(xid, prog, vers, number, cred, verf, peer))
        try:
            result = handler(*args)
        except GarbageArgs as err:
            log.info("%s.%s (xid %d): garbage arguments: %s", program.name, proc.name, xid, err)
            return accepted_reply(ser, xid, GARBAGE_ARGS)
        except Exception:
            log.exception("%s.%s (xid %d) raised", program.name, proc.name, xid)
            return accepted_reply(ser, xid, SYSTEM_ERR)
        finally:
            _current.reset(token)
        if inspect.isawaitable(result):
            return self._finish(xid, program, number, result)
        return self._reply(xid, program, number, result)

    def _check_auth(self, cred: OpaqueAuth, verf: OpaqueAuth) -> int:
        if cred.flavor == AUTH_SYS:
            try:
                self.codec.serializer.decode(cred.body, AUTHSYS_PARMS)
            except DecodeError:
                return AUTH_BADCRED
        if self.authenticate is not None:
            try:
                return int(self.authenticate(cred, verf))
            except Exception:
                log.exception("the authenticate hook raised")
                return AUTH_BADCRED
        return 0

    def _reply(self, xid: int, program: ProgramVersion, number: int, result: Any) -> bytes:
        proc = program.procedures[number]
        try:
            return self.codec.success(xid) + self.codec.serializer.encode(result, proc.result)
        except EncodeError as err:
            log.error("%s.%s (xid %d) returned what its result type refuses: %s", program.name, proc.name, xid, err)
            return accepted_reply(self.codec.serializer, xid, SYSTEM_ERR)

    async def _finish(self, xid: int, program: ProgramVersion, number: int, result: Awaitable[Any]) -> bytes:
        try:
            value = await result
        except GarbageArgs as err:
            log.info("%s procedure %d (xid %d): garbage arguments: %s", program.name, number, xid, err)
            return accepted_reply(self.codec.serializer, xid, GARBAGE_ARGS)
        except Exception:
            log.exception("%s procedure %d (xid %d) raised", program.name, number, xid)
            return accepted_reply(self.codec.serializer, xid, SYSTEM_ERR)
        return self._reply(xid, program, number, value)


class _TcpConnection(asyncio.Protocol):
    """One TCP peer: records in, replies out, in the order the handlers finish."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.reader = RecordReader(server.max_fragment, server.max_record)
        self.transport: asyncio.Transport | None = None
        self.peer: Any = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server._connections.add(self)
        self.peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        transport = self.transport
        assert transport is not None
        try:
            records = self.reader.feed(data)
        except RecordError as err:
            log.warning("closing the connection of %s: %s", self.peer, err)
            transport.close()
            return
        for record in records:
            reply = self.server.dispatch(record, self.peer)
            if reply is None:
                continue
            if isinstance(reply, bytes):
                transport.write(frame(reply))
            else:
                task = asyncio.ensure_future(self._send_later(reply))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    async def _send_later(self, reply: Awaitable[bytes | None]) -> None:
        data = await reply
        if data is not None and self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame(data))

    def connection_lost(self, exc: Exception | None) -> None:
        # A peer gone mid-record leaves a partial record behind: nothing to answer, nothing to keep.
        for task in self.tasks:
            task.cancel()
        self.transport = None
        self.server._connections.discard(self)


class _UdpEndpoint(asyncio.DatagramProtocol):
    """Every datagram is one call; the reply goes back to its sender."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's datagram transports do not all subclass DatagramTransport (3.11's selector one does not).
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        reply = self.server.dispatch(data, addr)
        if reply is None:
            return
        if isinstance(reply, bytes):
            self._send(reply, addr)
        else:
            asyncio.ensure_future(self._send_later(reply, addr))

    async def _send_later(self, reply: Awaitable[bytes | None], addr: Any) -> None:
        data = await reply
        if data is not None:
            self._send(data, addr)

    def _send(self, data: bytes, addr: Any) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if len(data) > UDP_MAX:
            xid = self.server.codec.xid(data)
            log.error("a reply of %d bytes does not fit a UDP datagram; SYSTEM_ERR sent instead", len(data))
            if xid is None:
                return
            data = accepted_reply(self.server.codec.serializer, xid, SYSTEM_ERR)
        self.transport.sendto(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("udp: %s", exc)
