"""A shaped link between a client and a server on this machine: a given one-way latency and bandwidth.

:func:`open_link` puts a link in front of a server that is already listening: the client connects
to :attr:`Link.address` instead of the server's, and every byte crosses the link, delayed and
counted. The link's :attr:`Link.method` says how it was made, for each result row's provenance:

- ``"relay"``: a relay in user space (TCP and UDP on the same port, as an ONC RPC server listens)
  run by an asyncio loop on a daemon thread of this process. Each direction is a FIFO link of its
  own (full duplex): bytes that arrive at time ``t`` start to be sent when the link is free, take
  ``bytes * 8 / bandwidth`` seconds to send (serialisation), and arrive ``latency_ms`` later
  (propagation); so a request and its reply take at least ``2 * latency_ms`` plus both
  serialisation times, and the bytes of every connection keep their order. The connections through
  one link share its bandwidth (one clock per direction), as flows on one wire do.
- ``"direct"``: no link at all (``latency_ms == 0`` and ``bandwidth_mbit_s is None``); the client
  connects to the server itself, and bytes are not counted (the counters are ``None``).
- ``"netem"`` (Linux traffic control in a network namespace) is named by the study's issue but not
  made here, for two reasons found on this machine (kernel 6.18, root): the kernel is built
  without ``CONFIG_NET_SCH_NETEM`` and has no loadable modules (``tc qdisc add ... netem`` answers
  "Specified qdisc kind is unknown"; only tbf, htb and fifo are built in, none of which delays);
  and a qdisc shapes a device, so a server would have to be moved into the namespace (started
  under ``ip netns exec``) by whoever starts it, while :func:`open_link` is handed the address of a
  server that already runs; shaping the loopback device of the root namespace instead would slow
  every other process on the machine. :func:`netem_missing` tells whether (and why) netem cannot
  be used here, so that a report can say so.

Examples:
    A call through a link of 5 ms each way and 10 Mbit/s::

        with open_link(("127.0.0.1", port), latency_ms=5.0, bandwidth_mbit_s=10.0) as link:
            with Client(*link.address) as client:
                client.call(PROGRAM, 1, data)
            print(link.method, link.bytes_to_server, link.bytes_to_client)
"""

from __future__ import annotations

import asyncio
import collections
import math
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from distlab.errors import ParameterError

__all__ = ["CHUNK_BYTES", "Link", "netem_missing", "open_link"]

CHUNK_BYTES = 16384
"""The most bytes the relay reads from a socket at once: a chunk is the unit the link sends, so a
large write crosses it in pieces, the first arriving before the last is sent (as packets do)."""

# How many bytes may wait in one connection's direction before the relay stops reading from the
# sender (then the sender's socket buffer fills and TCP's flow control slows it, as a full queue
# in a router does); a UDP datagram that would go past it is dropped (tail drop).
_QUEUE_BYTES = 1 << 20


@dataclass
class _Clock:
    """When one direction of the link is next free to send; shared by every connection through it."""

    bits_per_s: float | None
    latency_s: float
    free_at: float = 0.0

    def arrival(self, now: float, size: int) -> float:
        """When ``size`` bytes handed to the link at ``now`` arrive at the far end."""
        start = max(now, self.free_at)
        if self.bits_per_s is not None:
            start += size * 8 / self.bits_per_s
        self.free_at = start
        return start + self.latency_s


@dataclass
class Link:
    """A link that is open: where the client connects, how the link is made, and the bytes it carried.

    Attributes:
        address: the (host, port) the client connects to instead of the server's (TCP and UDP).
        method: ``"relay"`` or ``"direct"`` (see the module's docstring; ``"netem"`` is not made here).
        target: the server's own address.
        latency_ms: the one-way delay of each direction.
        bandwidth_mbit_s: each direction's bandwidth in Mbit/s (10**6 bit/s), ``None`` for no limit.
    """

    address: tuple[str, int]
    method: str
    target: tuple[str, int]
    latency_ms: float
    bandwidth_mbit_s: float | None
    _counts: dict[str, int] = field(default_factory=lambda: {"to_server": 0, "to_client": 0,
                                                               "connections": 0, "dropped": 0})

    @property
    def bytes_to_server(self) -> int | None:
        """Bytes delivered to the server so far (TCP payload and UDP datagrams); ``None`` when direct."""
        return None if self.method == "direct" else self._counts["to_server"]

    @property
    def bytes_to_client(self) -> int | None:
        """Bytes delivered back to the client(s) so far; ``None`` when direct."""
        return None if self.method == "direct" else self._counts["to_client"]

    @property
    def connections(self) -> int | None:
        """TCP connections accepted so far (UDP peers are not counted); ``None`` when direct."""
        return None if self.method == "direct" else self._counts["connections"]

    @property
    def datagrams_dropped(self) -> int | None:
        """UDP datagrams dropped because a direction's queue was full; ``None`` when direct."""
        return None if self.method == "direct" else self._counts["dropped"]


def netem_missing() -> str | None:
    """Why Linux netem cannot shape a link on this machine, or ``None`` if a netem qdisc can be made.

    Tries a netem qdisc on the loopback device of a throw-away network namespace (needs root and
    ``ip``/``tc``); the namespace is removed again whatever happens.
    """
    if not shutil.which("ip") or not shutil.which("tc"):
        return "the ip and tc commands (iproute2) are not installed"
    name = f"distlab-probe-{threading.get_ident() % 100000}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot make a network namespace: {made.stderr.strip() or 'ip netns add failed'}"
    try:
        qdisc = subprocess.run(["ip", "netns", "exec", name, "tc", "qdisc", "add", "dev", "lo", "root",
                                "netem", "delay", "1ms"], capture_output=True, text=True)
        if qdisc.returncode != 0:
            return f"tc cannot make a netem qdisc: {qdisc.stderr.strip()} (the kernel lacks sch_netem)"
        return None
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def _check(target: object, latency_ms: object, bandwidth_mbit_s: object) -> tuple[str, int]:
    if (not isinstance(target, tuple) or len(target) != 2 or not isinstance(target[0], str)
            or not isinstance(target[1], int) or isinstance(target[1], bool) or not 0 < target[1] < 65536):
        raise ParameterError("target", target, "a (host, port) tuple, host a string, port an integer in 1..65535")
    if (not isinstance(latency_ms, (int, float)) or isinstance(latency_ms, bool)
            or not math.isfinite(latency_ms) or latency_ms < 0):
        raise ParameterError("latency_ms", latency_ms, "a finite number of milliseconds >= 0")
    if bandwidth_mbit_s is not None and (
            not isinstance(bandwidth_mbit_s, (int, float)) or isinstance(bandwidth_mbit_s, bool)
            or not math.isfinite(bandwidth_mbit_s) or bandwidth_mbit_s <= 0):
        raise ParameterError("bandwidth_mbit_s", bandwidth_mbit_s, "a finite number of Mbit/s > 0, or None for no limit")
    return target


@contextmanager
def open_link(target: tuple[str, int], *, latency_ms: float, bandwidth_mbit_s: float | None,
              relay: bool = False) -> Iterator[Link]:
    """A link to the server at ``target`` with ``latency_ms`` each way and ``bandwidth_mbit_s`` each way.

    Args:
        target: the server's (host, port), listening on TCP, UDP or both.
        latency_ms: one-way delay in milliseconds, >= 0 (a round trip adds twice this).
        bandwidth_mbit_s: each direction's bandwidth in Mbit/s (> 0), or ``None`` for no limit.
        relay: make a relay even for ``latency_ms == 0`` and no bandwidth limit, to count bytes.

    Yields:
        The open :class:`Link`; it is closed (and its connections cut) when the block ends.

    Raises:
        ParameterError: a bad target, latency or bandwidth (before anything is opened).
        OSError: the relay's port could not be bound.
    """
    target = _check(target, latency_ms, bandwidth_mbit_s)
    if latency_ms == 0 and bandwidth_mbit_s is None and not relay:
        yield Link(target, "direct", target, float(latency_ms), None)
        return
    relay_ = _Relay(target, float(latency_ms), None if bandwidth_mbit_s is None else float(bandwidth_mbit_s))
    link = relay_.start()
    try:
        yield link
    finally:
        relay_.stop()


class _Relay:
    """The relay: an asyncio loop on a daemon thread, one TCP listener and one UDP socket on one port."""

    def __init__(self, target: tuple[str, int], latency_ms: float, bandwidth_mbit_s: float | None) -> None:
        self.target = target
        self.latency_ms, self.bandwidth_mbit_s = latency_ms, bandwidth_mbit_s
        bits = None if bandwidth_mbit_s is None else bandwidth_mbit_s * 1e6
        self.up = _Clock(bits, latency_ms / 1000)
        self.down = _Clock(bits, latency_ms / 1000)
        self.loop = asyncio.new_event_loop()
        self.counts = {"to_server": 0, "to_client": 0, "connections": 0, "dropped": 0}
        self.tasks: set[asyncio.Task[None]] = set()  # held so that running tasks are not collected
        self.writers: set[asyncio.StreamWriter] = set()
        self.closers: list[Callable[[], None]] = []
        self.thread = threading.Thread(target=self.loop.run_forever, name="distlab-link", daemon=True)

    def start(self) -> Link:
        self.thread.start()
        port = asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(timeout=10)
        host = "::1" if ":" in self.target[0] else "127.0.0.1"
        return Link((host, port), "relay", self.target, self.latency_ms, self.bandwidth_mbit_s, self.counts)

    def stop(self) -> None:
        async def close() -> None:
            for closer in self.closers:
                closer()
            for writer in list(self.writers):
                writer.close()
            # Every task of this loop is the relay's: the accepted connections, their pipes and lanes.
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()

    async def _listen(self) -> int:
        host = "::1" if ":" in self.target[0] else "127.0.0.1"
        # The TCP listener picks a free port; UDP takes the same number (an ONC RPC client asks a
        # binder for one port and uses it for either transport). Another program may hold that UDP
        # port, so try a few times.
        for _ in range(20):
            server = await asyncio.start_server(self._accept, host, 0)
            port = int(server.sockets[0].getsockname()[1])
            try:
                udp, _ = await self.loop.create_datagram_endpoint(lambda: _UdpFront(self), local_addr=(host, port))
            except OSError:
                server.close()
                continue
            self.closers += [server.close, udp.close]
            return port
        raise OSError(f"no port on {host} was free for both TCP and UDP after 20 tries")

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _accept(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        self.counts["connections"] += 1
        self.writers.add(cwriter)
        try:
            sreader, swriter = await asyncio.open_connection(*self.target)
        except OSError:
            cwriter.close()
            self.writers.discard(cwriter)
            return
        self.writers.add(swriter)
        for sock in (cwriter.get_extra_info("socket"), swriter.get_extra_info("socket")):
            if sock is not None:
                # The relay delays on purpose; Nagle's algorithm would add delays of its own.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        both = [self._pipe(creader, swriter, self.up, "to_server"), self._pipe(sreader, cwriter, self.down, "to_client")]
        try:
            await asyncio.gather(*both, return_exceptions=True)
        except asyncio.CancelledError:
            # The link is closing. Python 3.11's start_server callback calls exception() on this
            # task, which raises if the task ends cancelled: end it normally instead.
            pass
        for writer in (cwriter, swriter):
            writer.close()
            self.writers.discard(writer)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, clock: _Clock, count: str) -> None:
        """One direction of one connection: read, stamp each chunk with its arrival time, write it then."""
        lane = _Lane(self.loop)
        deliver = self.loop.create_task(self._deliver(lane, writer, count))
        try:
            while True:
                await lane.room()
                data = await reader.read(CHUNK_BYTES)
                if not data:
                    break
                lane.put(clock.arrival(self.loop.time(), len(data)), data)
            # The end of the stream arrives after the last byte, not before it.
            lane.put(max(self.loop.time(), clock.free_at) + clock.latency_s, b"")
            await deliver
        except (OSError, asyncio.IncompleteReadError):
            deliver.cancel()
            writer.close()

    async def _deliver(self, lane: _Lane, writer: asyncio.StreamWriter, count: str) -> None:
        while True:
            at, data = await lane.get()
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            self.counts[count] += len(data)
            await writer.drain()


class _Lane:
    """The chunks of one direction of one flow, each with the time it arrives, in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self.queued = 0
        self.changed = asyncio.Event()

    def put(self, at: float, data: bytes) -> None:
        self.queue.append((at, data))
        self.queued += len(data)
        self.changed.set()

    def full(self, extra: int = 0) -> bool:
        return self.queued + extra > _QUEUE_BYTES

    async def room(self) -> None:
        while self.full():
            self.changed.clear()
            await self.changed.wait()

    async def get(self) -> tuple[float, bytes]:
        while not self.queue:
            self.changed.clear()
            await self.changed.wait()
        at, data = self.queue[0]
        # Sleep until the arrival time, never less (asyncio may wake a timer a little early).
        while (wait := at - self.loop.time()) > 0:
            await asyncio.sleep(wait)
        self.queue.popleft()
        self.queued -= len(data)
        self.changed.set()
        return at, data


class _UdpFront(asyncio.DatagramProtocol):
    """The relay's UDP side: each client address gets its own socket towards the server."""

    def __init__(self, relay: _Relay) -> None:
        self.relay = relay
        self.transport: asyncio.DatagramTransport | None = None
        self.backs: dict[Any, _UdpBack] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.relay.closers.append(self._close_backs)

    def _close_backs(self) -> None:
        for back in self.backs.values():
            back.close()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        back = self.backs.get(addr)
        if back is None:
            back = self.backs[addr] = _UdpBack(self, addr)
            self.relay._spawn(back.open())
        back.send(data)

    def error_received(self, exc: Exception) -> None:
        pass


class _UdpBack(asyncio.DatagramProtocol):
    """One client's UDP flow: datagrams to the server and back, each delayed by the link."""

    def __init__(self, front: _UdpFront, client: Any) -> None:
        self.front, self.client = front, client
        relay = front.relay
        self.relay = relay
        self.up = _Lane(relay.loop)
        self.down = _Lane(relay.loop)
        self.transport: asyncio.DatagramTransport | None = None

    async def open(self) -> None:
        relay = self.relay
        await relay.loop.create_datagram_endpoint(lambda: self, remote_addr=relay.target)
        relay._spawn(self._deliver(self.up, "to_server"))
        relay._spawn(self._deliver(self.down, "to_client"))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _offer(self, lane: _Lane, clock: _Clock, data: bytes) -> None:
        if lane.full(len(data)):
            self.relay.counts["dropped"] += 1
            return
        lane.put(clock.arrival(self.relay.loop.time(), len(data)), data)

    def send(self, data: bytes) -> None:
        self._offer(self.up, self.relay.up, data)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._offer(self.down, self.relay.down, data)

    def error_received(self, exc: Exception) -> None:
        pass

    async def _deliver(self, lane: _Lane, count: str) -> None:
        while True:
            _, data = await lane.get()
            if count == "to_server":
                # The socket towards the server may still be opening when the first datagram is due.
                while self.transport is None:
                    await asyncio.sleep(0.001)
                self.transport.sendto(data)
            else:
                front = self.front.transport
                if front is None:
                    continue
                front.sendto(data, self.client)
            self.relay.counts[count] += len(data)
