"""distlab's server with distlab's clients: every reply status, records in fragments, replies out of order,
and a server that keeps serving when peers send garbage, truncated frames, oversized lengths or close mid-record."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from oncrpc_runtime_helpers import CALC_PROG, CALC_V1, CALC_V2, python_handlers

from distlab.oncrpc import (
    AsyncClient,
    AuthError,
    AuthSys,
    Client,
    OpaqueAuth,
    RecordError,
    RpcMismatchError,
    RpcTimeoutError,
    Server,
    SystemErrError,
    current_call,
)
from distlab.oncrpc.messages import RPC_MSG, Codec
from distlab.oncrpc.record import RecordReader, frame


def _boom(a: int, b: int) -> int:
    raise ZeroDivisionError("the handler failed")


async def _slow_add(a: int, b: int) -> int:
    await asyncio.sleep(a / 1000)  # later calls with smaller a finish first
    return a + b


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server(max_record=1 << 16, max_fragment=1 << 15)
    handlers = python_handlers()
    handlers[1] = _slow_add
    handlers[7] = _boom
    s.add(CALC_V1, handlers)  # type: ignore[arg-type]
    s.add(CALC_V2, {1: lambda a: -a})
    with s.serve_in_thread():
        yield s


def _raw_call(codec: Codec, xid: int, rpcvers: int = 2, flavor: int = 0, body: bytes = b"") -> bytes:
    return codec.serializer.encode(
        {"xid": xid, "body": (0, {"rpcvers": rpcvers, "prog": CALC_PROG, "vers": 1, "proc": 0,
                                  "cred": {"flavor": flavor, "body": body}, "verf": {"flavor": 0, "body": b""}})},
        RPC_MSG)


def test_statuses_the_server_gives(server: Server) -> None:
    codec = Codec()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(frame(_raw_call(codec, 5, rpcvers=3)))
        reader = RecordReader()
        replies: list[bytes] = []
        while not replies:
            replies = reader.feed(sock.recv(4096))
    with pytest.raises(RpcMismatchError) as mismatch:
        codec.results(replies[0], CALC_PROG, 1, CALC_V1.procedure(1))
    assert (mismatch.value.low, mismatch.value.high) == (2, 2)
    with Client("127.0.0.1", server.port) as client, pytest.raises(SystemErrError):
        client.call(CALC_V1, "DIVIDE", 1, 0)
    with Client("127.0.0.1", server.port, cred=OpaqueAuth(1, b"\xff")) as client, pytest.raises(AuthError) as bad:
        client.call(CALC_V1, 0)
    assert bad.value.reason == 1


def test_credentials_reach_the_handler_and_an_authenticate_hook_decides() -> None:
    seen: list[OpaqueAuth] = []
    s = Server(authenticate=lambda cred, verf: 0 if cred.flavor in (0, 1, 390039) else 5)

    def who() -> None:
        seen.append(current_call().cred)

    s.add(CALC_V1, {3: lambda n: n, 6: who})
    cred = AuthSys(uid=7, gid=8, gids=(9,), machinename="m", stamp=3)
    with s.serve_in_thread():
        for c in (cred.to_opaque(), OpaqueAuth(390039, b"token")):
            with Client("127.0.0.1", s.port, cred=c) as client:
                client.call(CALC_V1, "RESET")
        with Client("127.0.0.1", s.port, cred=OpaqueAuth(3, b"")) as client, pytest.raises(AuthError) as weak:
            client.call(CALC_V1, "RESET")
    assert weak.value.reason == 5
    assert AuthSys.from_opaque(seen[0]) == cred and seen[1] == OpaqueAuth(390039, b"token")


def test_many_calls_in_flight_replies_out_of_order(server: Server) -> None:
    async def main() -> list[int]:
        client = await AsyncClient.connect("127.0.0.1", server.port)
        async with client:
            return await asyncio.gather(*(client.acall(CALC_V1, "ADD", 50 - i, i) for i in range(50)))

    assert asyncio.run(main()) == [50] * 50


def test_a_call_in_many_fragments_and_a_reply_over_udp(server: Server) -> None:
    codec = Codec()
    payload = bytes(range(256)) * 64  # 16 KiB: four fragments of 4 KiB
    message = codec.call(9, CALC_PROG, 1, 4) + codec.serializer.encode(payload, CALC_V1.procedure(4).args[0])
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(frame(message, max_fragment=4096))
        reader, replies = RecordReader(), []
        while not replies:
            replies = reader.feed(sock.recv(65536))
    assert codec.results(replies[0], CALC_PROG, 1, CALC_V1.procedure(4)) == payload
    with Client("127.0.0.1", server.port, transport="udp") as client:
        assert client.call(CALC_V1, "ECHO", payload) == payload


BAD_INPUTS = {
    "garbage": b"\x80\x00\x00\x10" + b"\xde\xad\xbe\xef" * 4,
    "a reply instead of a call": frame(Codec().success(3)),
    "truncated header": b"\x80\x00\x00\x08" + b"\x00\x00\x00\x01\x00\x00\x00\x00",
    "oversized fragment": b"\x7f\xff\xff\xff" + b"x" * 100,
    "oversized record": (b"\x00\x00\x70\x00" + b"\x00" * 0x7000) * 3,
    "mid-record close": b"\x80\x00\x10\x00" + b"\x00" * 100,
    "mid-mark close": b"\x80\x00",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_server_keeps_serving_after_bad_peers(server: Server, name: str) -> None:
    with Client("127.0.0.1", server.port) as good:
        assert good.call(CALC_V1, "GREET", "before") == "hello, before"
        with socket.create_connection(("127.0.0.1", server.port)) as bad:
            bad.sendall(BAD_INPUTS[name])
            time.sleep(0.05)
            # the well-behaved peer is served while the bad one is still connected
            assert good.call(CALC_V2, "NEG", 3) == -3
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(BAD_INPUTS[name][:1000], ("127.0.0.1", server.port))
        assert good.call(CALC_V1, "GREET", "after") == "hello, after"
    with Client("127.0.0.1", server.port, transport="udp") as fresh:
        assert fresh.call(CALC_V1, 0) is None


def test_an_oversized_fragment_closes_only_that_connection(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as bad:
        bad.sendall(b"\x7f\xff\xff\xff")
        bad.settimeout(5)
        assert bad.recv(10) == b""  # closed by the server


def test_client_bounds_and_timeouts() -> None:
    # A "server" that answers every call with a record announcing 1 GiB: the client refuses it.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    with listener, Client("127.0.0.1", port, timeout_s=2) as client:
        peer, _ = listener.accept()
        with peer:
            peer.sendall((0x80000000 | (1 << 30)).to_bytes(4, "big"))
            with pytest.raises(RecordError):
                client.call(CALC_V1, 0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        with Client("127.0.0.1", silent.getsockname()[1], transport="udp", timeout_s=0.3, retransmit_s=0.05) as client:
            with pytest.raises(RpcTimeoutError):
                client.call(CALC_V1, 0)
        sent = 0
        silent.settimeout(0.1)
        try:
            while True:
                silent.recv(100)
                sent += 1
        except TimeoutError:
            pass
        assert sent >= 3  # the call was retransmitted, with the same bytes


def test_udp_duplicate_and_stale_replies_are_ignored() -> None:
    # A fake server answers each call three times: a stale reply (another xid), the reply, and its duplicate.
    codec = Codec()
    fake = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fake.bind(("127.0.0.1", 0))

    def answer() -> None:
        for value in (11, 22):
            data, peer = fake.recvfrom(65536)
            xid = codec.xid(data)
            assert xid is not None
            stale = codec.success((xid - 1) & 0xFFFFFFFF) + (value + 1000).to_bytes(4, "big")
            good = codec.success(xid) + value.to_bytes(4, "big")
            for reply in (stale, good, good):
                fake.sendto(reply, peer)

    thread = threading.Thread(target=answer)
    thread.start()
    with fake, Client("127.0.0.1", fake.getsockname()[1], transport="udp") as client:
        assert client.call(CALC_V2, "NEG", 0) == 11
        assert client.call(CALC_V2, "NEG", 0) == 22  # the duplicate of 11 still queued is skipped
        thread.join()


def test_a_handler_raising_garbage_args_gets_garbage_args_not_system_err() -> None:
    from distlab.oncrpc import GarbageArgsError
    from distlab.oncrpc.server import GarbageArgs

    def bad(a: int, b: int) -> int:
        raise GarbageArgs(f"index {a} out of range")

    async def bad_later(name: str) -> str:
        raise GarbageArgs(f"no {name}")

    s = Server()
    s.add(CALC_V1, {1: bad, 3: bad_later, 7: _boom})  # type: ignore[dict-item]
    with s.serve_in_thread(), Client("127.0.0.1", s.port) as client:
        with pytest.raises(GarbageArgsError):
            client.call(CALC_V1, "ADD", 1, 2)
        with pytest.raises(GarbageArgsError):
            client.call(CALC_V1, "GREET", "x")
        with pytest.raises(SystemErrError):  # any other exception is still the server's failure
            client.call(CALC_V1, "DIVIDE", 1, 0)
