"""The engine of the ONC RPC study: one trial makes calls against a distlab server in the same process.

The server runs its asyncio loop in a thread on 127.0.0.1 (a free port); the trial's client is the
synchronous :class:`~distlab.oncrpc.client.Client` for ``in_flight = 1`` and the
:class:`~distlab.oncrpc.aclient.AsyncClient` with that many calls outstanding otherwise. Both ends use
the case's serializer. The payload is seeded, so a trial's bytes are the same on every run; only the
timings vary.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from distlab.oncrpc.aclient import AsyncClient
from distlab.oncrpc.client import Client
from distlab.oncrpc.messages import Codec
from distlab.oncrpc.program import Procedure, ProgramVersion
from distlab.oncrpc.record import frame
from distlab.oncrpc.server import Server
from distlab.oncrpc.world import OncrpcWorld
from distlab.rpc.kinds import Serializer
from distlab.rpc.types import Opaque
from distlab.study import TrialResult

__all__ = ["ECHO", "run_trial"]

ECHO = ProgramVersion("DISTLAB_ECHO", "ECHO_V1", 0x20000D15, 1,
                      {1: Procedure("ECHO", 1, (Opaque(),), Opaque())})
"""The study's interface: procedure 1 returns the opaque bytes it is given."""


def _echo(data: bytes) -> bytes:
    return data


def run_trial(world: OncrpcWorld, components: Mapping[str, Any], seed: int) -> TrialResult:
    """Make ``world.calls`` echo calls of ``world.payload_bytes`` each and time them.

    Returns:
        ``calls_per_s``, ``mean_latency_us``, ``p99_latency_us`` (timed), ``bytes_per_call``
        (deterministic) and ``calls_ok``.
    """
    serializer: Serializer = components["serializer"]
    payload = np.random.default_rng(seed).integers(0, 256, world.payload_bytes, dtype=np.uint8).tobytes()
    server = Server(transports=(world.transport,), serializer=serializer)  # type: ignore[arg-type]
    server.add(ECHO, {1: _echo})
    with server.serve_in_thread():
        if world.in_flight == 1:
            latencies, elapsed, ok = _sync_calls(world, server.port, serializer, payload)
        else:
            latencies, elapsed, ok = asyncio.run(_async_calls(world, server.port, serializer, payload))
    return TrialResult(metrics={
        "calls_per_s": world.calls / elapsed,
        "mean_latency_us": float(np.mean(latencies)) * 1e6,
        "p99_latency_us": float(np.percentile(latencies, 99)) * 1e6,
        "bytes_per_call": _bytes_per_call(world, serializer, payload),
        "calls_ok": ok,
    })


def _sync_calls(world: OncrpcWorld, port: int, serializer: Serializer, payload: bytes) -> tuple[np.ndarray, float, bool]:
    latencies = np.empty(world.calls)
    ok = True
    with Client("127.0.0.1", port, transport=world.transport, serializer=serializer) as client:  # type: ignore[arg-type]
        start = time.perf_counter()
        for i in range(world.calls):
            t0 = time.perf_counter()
            ok &= client.call(ECHO, 1, payload) == payload
            latencies[i] = time.perf_counter() - t0
        elapsed = time.perf_counter() - start
    return latencies, elapsed, ok


async def _async_calls(world: OncrpcWorld, port: int, serializer: Serializer,
                       payload: bytes) -> tuple[np.ndarray, float, bool]:
    latencies = np.empty(world.calls)
    results: list[bool] = []
    client = await AsyncClient.connect("127.0.0.1", port, transport=world.transport,  # type: ignore[arg-type]
                                       serializer=serializer)
    next_call = 0

    async def worker() -> None:
        nonlocal next_call
        while next_call < world.calls:
            i, next_call = next_call, next_call + 1
            t0 = time.perf_counter()
            results.append(await client.acall(ECHO, 1, payload) == payload)
            latencies[i] = time.perf_counter() - t0

    async with client:
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(world.in_flight, world.calls))))
        elapsed = time.perf_counter() - start
    return latencies, elapsed, all(results)


def _bytes_per_call(world: OncrpcWorld, serializer: Serializer, payload: bytes) -> int:
    codec = Codec(serializer)
    args = serializer.encode(payload, Opaque())
    call = codec.call(1, ECHO.program, ECHO.version, 1) + args
    reply = codec.success(1) + serializer.encode(payload, Opaque())
    if world.transport == "tcp":
        return len(frame(call)) + len(frame(reply))
    return len(call) + len(reply)
