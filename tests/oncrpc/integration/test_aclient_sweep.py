"""The async client's one timer (the sweep) over TCP: overdue calls fail, calls answered in time do not,
and a cancelled call's entry goes when its deadline comes."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from distlab.oncrpc import AsyncClient, ProgramVersion, RpcTimeoutError
from distlab.oncrpc.messages import Codec
from distlab.oncrpc.record import RecordReader, frame

SILENT = ProgramVersion("SILENT_PROG", "SILENT_V1", 0x20000999, 1, {})


def test_overdue_calls_time_out_and_timely_ones_do_not() -> None:
    async def main() -> None:
        # A peer that answers only calls with an even xid, 0.2 s late: the odd ones must time out.
        reader, codec = RecordReader(), Codec(None)

        async def peer(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            while data := await r.read(65536):
                for record in reader.feed(data):
                    xid = int.from_bytes(record[:4], "big")
                    if xid % 2 == 0:
                        asyncio.get_running_loop().call_later(0.2, w.write, frame(codec.success(xid)))

        server = await asyncio.start_server(peer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            client = await AsyncClient.connect("127.0.0.1", port, timeout_s=0.5)
            async with client:
                t0 = time.monotonic()
                results = await asyncio.gather(*(client.acall(SILENT, 0) for _ in range(10)), return_exceptions=True)
                elapsed = time.monotonic() - t0
                assert sorted(type(r).__name__ for r in results) == ["NoneType"] * 5 + ["RpcTimeoutError"] * 5
                assert 0.45 <= elapsed < 2.0
                assert client._protocol.pending == {}

                # A cancelled call leaves its entry until its deadline; then the sweep drops it.
                task = asyncio.ensure_future(client.acall(SILENT, 0))
                await asyncio.sleep(0.01)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                await asyncio.sleep(0.7)
                assert client._protocol.pending == {}

    asyncio.run(main())


def test_a_peer_that_never_answers_times_out() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]

        async def main() -> None:
            client = await AsyncClient.connect("127.0.0.1", port, timeout_s=0.3)
            async with client:
                with pytest.raises(RpcTimeoutError):
                    await client.acall(SILENT, 0)  # accepted by the kernel, never answered

        asyncio.run(main())
