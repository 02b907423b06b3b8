"""The clients' shortcuts give what the general path gives: the async client's cached call headers put the
same bytes on the wire (also after its credentials change, and for calls split into fragments), its void
shortcut still refuses a reply of another shape, and the record reader cuts any split of a stream alike."""

from __future__ import annotations

import asyncio
import random

import pytest

from distlab.oncrpc import AsyncClient, AuthSys, BadReplyError, Client, ProgUnavailError, ProgramVersion
from distlab.oncrpc.codec import default_serializer
from distlab.oncrpc.errors import RecordError
from distlab.oncrpc.messages import PROG_UNAVAIL, Codec, accepted_reply, call_message
from distlab.oncrpc.program import Procedure
from distlab.oncrpc.record import RecordReader, frame
from distlab.rpc.types import INT32, VOID, String

ECHO = ProgramVersion("ECHO_PROG", "ECHO_V1", 0x20000998, 1, {
    1: Procedure("ADD", 1, (INT32, INT32), INT32),
    2: Procedure("SAY", 2, (String(),), VOID),
})


async def _peer(reply: bytes = b"", status: int | None = None) -> tuple[asyncio.Server, list[bytes]]:
    """A server that records every call and answers it: SUCCESS followed by ``reply``, or ``status``."""
    seen: list[bytes] = []
    codec = Codec(None)

    async def serve(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        reader = RecordReader()
        while data := await r.read(65536):
            for record in reader.feed(data):
                seen.append(record)
                xid = int.from_bytes(record[:4], "big")
                if status is None:
                    w.write(frame(codec.success(xid) + reply))
                else:
                    w.write(frame(accepted_reply(codec.serializer, xid, status)))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, seen


def _expected(record: bytes, proc: int, args: bytes, cred: object, verf: object) -> bytes:
    xid = int.from_bytes(record[:4], "big")
    return call_message(default_serializer(), xid, ECHO.program, ECHO.version, proc, cred, verf) + args  # type: ignore[arg-type]


def test_async_calls_put_the_bytes_of_the_general_path_on_the_wire() -> None:
    ser = default_serializer()

    async def main() -> None:
        server, seen = await _peer(ser.encode(5, INT32))
        port = server.sockets[0].getsockname()[1]
        async with server:
            client = await AsyncClient.connect("127.0.0.1", port)
            async with client:
                assert await client.acall(ECHO, "ADD", 2, 3) == 5
                assert await client.acall(ECHO, 1, 2, 3) == 5
                first = client.cred
                client.cred = AuthSys(uid=7, gid=8, machinename="lab", stamp=1).to_opaque()
                assert await client.acall(ECHO, 1, 2, 3) == 5
                # Another ProgramVersion object equal to ECHO: looked up afresh, same bytes.
                again = ProgramVersion(ECHO.name, ECHO.version_name, ECHO.program, ECHO.version, dict(ECHO.procedures))
                assert await client.acall(again, 1, 2, 3) == 5
                with pytest.raises(TypeError):
                    await client.acall(ECHO, 1, 2)
        args = ser.encode(2, INT32) + ser.encode(3, INT32)
        creds = [first, first, client.cred, client.cred]
        assert len(seen) == 4
        for record, cred in zip(seen, creds):
            assert record == _expected(record, 1, args, cred, client.verf)
        assert len({r[:4] for r in seen}) == 4  # a new xid for every call

    asyncio.run(main())


def test_a_call_longer_than_a_fragment_is_split_as_frame_splits_it() -> None:
    ser = default_serializer()
    text = "x" * 200

    async def main() -> None:
        server, seen = await _peer()
        port = server.sockets[0].getsockname()[1]
        async with server:
            client = await AsyncClient.connect("127.0.0.1", port, max_fragment=64)
            async with client:
                assert await client.acall(ECHO, "SAY", text) is None
        assert seen == [_expected(seen[0], 2, ser.encode(text, String()), client.cred, client.verf)]

    asyncio.run(main())


def test_the_void_shortcut_refuses_what_the_general_path_refuses() -> None:
    async def main() -> None:
        for reply, status, error in ((b"\0\0\0\1", None, BadReplyError), (b"", PROG_UNAVAIL, ProgUnavailError)):
            server, _ = await _peer(reply, status)
            port = server.sockets[0].getsockname()[1]
            async with server:
                client = await AsyncClient.connect("127.0.0.1", port)
                async with client:
                    with pytest.raises(error):
                        await client.acall(ECHO, "SAY", "hi")
                    with pytest.raises(error):
                        await client.acall(ECHO, 0)

    asyncio.run(main())


def test_the_sync_client_reads_replies_split_and_joined_alike() -> None:
    async def main() -> None:
        ser = default_serializer()
        server, seen = await _peer(ser.encode(9, INT32))
        port = server.sockets[0].getsockname()[1]
        async with server:
            def calls() -> list[int]:
                with Client("127.0.0.1", port) as client:
                    return [client.call(ECHO, 1, i, i) for i in range(3)]
            assert await asyncio.to_thread(calls) == [9, 9, 9]
        assert len(seen) == 3

    asyncio.run(main())


def test_the_record_reader_cuts_every_split_of_a_stream_alike() -> None:
    rng = random.Random(11)
    records = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))) for _ in range(40)]
    stream = b"".join(frame(r, max_fragment=rng.choice((7, 64, 1 << 20))) for r in records)
    for _ in range(30):
        reader, out, pos = RecordReader(), [], 0
        while pos < len(stream):
            step = rng.choice((1, 3, 4, 5, 50, 1000))
            piece = stream[pos : pos + step]
            out += reader.feed(bytearray(piece) if step == 3 else piece)
            pos += step
        assert out == records and reader.pending == 0
    reader = RecordReader()
    assert reader.feed(stream[:10]) == [] and reader.pending == 10


def test_the_record_reader_refuses_an_oversized_fragment_or_record_from_its_mark() -> None:
    with pytest.raises(RecordError, match="fragment of 100 bytes"):
        RecordReader(max_fragment=64).feed(frame(b"a") + (0x80000000 | 100).to_bytes(4, "big"))
    reader = RecordReader(max_fragment=64, max_record=100)
    with pytest.raises(RecordError, match="record of over"):
        reader.feed(frame(b"b" * 120, max_fragment=60))
