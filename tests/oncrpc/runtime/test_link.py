"""The shaped link (distlab.oncrpc.link): delays, bandwidth, byte counts, order, and ONC RPC calls through it."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator

import pytest
from oncrpc_runtime_helpers import CALC_PROG, CALC_V1, python_handlers

from distlab.errors import ParameterError
from distlab.oncrpc import Client, Server
from distlab.oncrpc.link import CHUNK_BYTES, netem_missing, open_link
from distlab.oncrpc.record import frame


@pytest.fixture(scope="module")
def echo() -> Iterator[tuple[str, int]]:
    """A TCP echo server on loopback (one thread per connection)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return

            def handle(conn: socket.socket = conn) -> None:
                with conn:
                    while data := conn.recv(65536):
                        conn.sendall(data)

            threading.Thread(target=handle, daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield srv.getsockname()
    srv.close()


def _settled(read: object, expected: int) -> int:
    """The counter's value once the relay thread has counted what the peer already has (or after 1 s)."""
    deadline = time.monotonic() + 1
    value: int = read()  # type: ignore[operator]
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.005)
        value = read()  # type: ignore[operator]
    return value


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    got = bytearray()
    while len(got) < n:
        chunk = sock.recv(n - len(got))
        assert chunk, "the link closed the connection early"
        got += chunk
    return bytes(got)


def test_round_trip_takes_twice_the_latency_and_bytes_are_counted(echo: tuple[str, int]) -> None:
    latency = 15.0
    with open_link(echo, latency_ms=latency, bandwidth_mbit_s=None) as link:
        assert link.method == "relay"
        assert link.address != echo
        rtts = []
        with socket.create_connection(link.address) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(8):
                message = bytes([i]) * 200
                start = time.perf_counter()
                sock.sendall(message)
                assert _recv_exactly(sock, 200) == message
                rtts.append((time.perf_counter() - start) * 1000)
        # Never faster than the two one-way delays; on a noisy 2-core machine the median stays
        # within a few milliseconds of them (the relay adds well under 1 ms when the machine is idle).
        assert min(rtts) >= 2 * latency
        assert statistics.median(rtts) < 2 * latency + 8, rtts
        assert _settled(lambda: link.bytes_to_server, 1600) == 1600
        assert _settled(lambda: link.bytes_to_client, 1600) == 1600
        assert link.connections == 1


def test_throughput_is_bounded_by_the_bandwidth(echo: tuple[str, int]) -> None:
    bandwidth = 16.0
    size = 1_000_000
    with open_link(echo, latency_ms=1.0, bandwidth_mbit_s=bandwidth) as link:
        with socket.create_connection(link.address) as sock:
            received = bytearray()

            def read() -> None:
                while len(received) < size and (chunk := sock.recv(65536)):
                    received.extend(chunk)

            reader = threading.Thread(target=read)
            start = time.perf_counter()
            reader.start()
            sock.sendall(bytes(range(256)) * (size // 256) + bytes(size % 256))
            reader.join(timeout=30)
            elapsed = time.perf_counter() - start
        assert len(received) == size
        # Order kept across chunks: the bytes come back as they were sent.
        assert bytes(received[:512]) == bytes(range(256)) * 2
        mbit_s = size * 8 / elapsed / 1e6
        # Each byte crosses the link twice (to the echo and back), but the directions are
        # independent (full duplex): the pipe is paced by one direction's bandwidth.
        assert mbit_s <= bandwidth * 1.02, mbit_s
        assert mbit_s >= bandwidth * 0.5, mbit_s
        assert _settled(lambda: link.bytes_to_server, size) == size
        assert _settled(lambda: link.bytes_to_client, size) == size


def test_serialisation_delay_adds_to_the_latency(echo: tuple[str, int]) -> None:
    # 100 kB at 8 Mbit/s takes 100 ms to send. The echo starts returning the first chunk while the
    # rest is still going up (the link is full duplex and sends in chunks), so the last byte is
    # back after 2 x 5 ms + 100 ms + at most one chunk's time on the way back, not 2 x 100 ms.
    size, bandwidth, latency = 100_000, 8.0, 5.0
    with open_link(echo, latency_ms=latency, bandwidth_mbit_s=bandwidth) as link:
        with socket.create_connection(link.address) as sock:
            start = time.perf_counter()
            sock.sendall(bytes(size))
            _recv_exactly(sock, size)
            rtt_ms = (time.perf_counter() - start) * 1000
    floor = 2 * latency + size * 8 / (bandwidth * 1e6) * 1000
    chunk_ms = CHUNK_BYTES * 8 / (bandwidth * 1e6) * 1000
    assert floor <= rtt_ms < (floor + chunk_ms) * 1.2 + 10, (floor, rtt_ms)


def test_onc_rpc_calls_over_tcp_and_udp_through_the_link() -> None:
    server = Server()
    server.add(CALC_V1, python_handlers())
    with server.serve_in_thread():
        with open_link((server.host, server.port), latency_ms=5.0, bandwidth_mbit_s=50.0) as link:
            for transport in ("tcp", "udp"):
                with Client(*link.address, transport=transport) as client:  # type: ignore[arg-type]
                    start = time.perf_counter()
                    assert client.call(CALC_V1, "ADD", 2, 3) == 5
                    assert (time.perf_counter() - start) * 1000 >= 10
                    assert client.call(CALC_V1, "ECHO", b"z" * 3000) == b"z" * 3000
            # Each ECHO carries 3,000 bytes each way, plus headers: both directions saw it twice.
            deadline = time.monotonic() + 1
            while (link.bytes_to_client or 0) <= 6000 and time.monotonic() < deadline:
                time.sleep(0.005)  # the relay counts a reply just after handing it to the socket
            up, down = link.bytes_to_server, link.bytes_to_client
            assert up is not None and down is not None
            assert 6000 < up < 6400 and 6000 < down < 6400, (up, down)
    assert CALC_PROG == CALC_V1.program


def test_record_bytes_counted_exactly() -> None:
    server = Server(transports=("tcp",))
    server.add(CALC_V1, python_handlers())
    with server.serve_in_thread():
        with open_link((server.host, server.port), latency_ms=0.0, bandwidth_mbit_s=None, relay=True) as link:
            assert link.method == "relay"
            with Client(*link.address) as client:
                body = client.codec.call(7, CALC_V1.program, 1, 0, client.cred, client.verf)
                reply = client.call_raw(CALC_V1.program, 1, 0, b"")
            assert _settled(lambda: link.bytes_to_server, len(frame(body))) == len(frame(body))
            assert _settled(lambda: link.bytes_to_client, len(frame(reply))) == len(frame(reply))


def test_direct_when_there_is_nothing_to_shape(echo: tuple[str, int]) -> None:
    with open_link(echo, latency_ms=0, bandwidth_mbit_s=None) as link:
        assert link.method == "direct"
        assert link.address == echo
        assert link.bytes_to_server is None


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"latency_ms": -1.0, "bandwidth_mbit_s": None}, "latency_ms"),
    ({"latency_ms": float("nan"), "bandwidth_mbit_s": None}, "latency_ms"),
    ({"latency_ms": 1.0, "bandwidth_mbit_s": 0.0}, "bandwidth_mbit_s"),
    ({"latency_ms": 1.0, "bandwidth_mbit_s": "fast"}, "bandwidth_mbit_s"),
])
def test_bad_parameters_are_refused_before_anything_opens(kwargs: dict[str, object], key: str) -> None:
    with pytest.raises(ParameterError, match=key):
        with open_link(("127.0.0.1", 1), **kwargs):  # type: ignore[arg-type]
            pass


def test_bad_target_is_refused() -> None:
    with pytest.raises(ParameterError, match="target"):
        with open_link(("127.0.0.1", 0), latency_ms=1.0, bandwidth_mbit_s=None):
            pass


def test_netem_probe_gives_a_reason_or_none() -> None:
    reason = netem_missing()
    assert reason is None or ("netem" in reason or "namespace" in reason or "iproute2" in reason)
