"""The marshaling engine of the rpc study: one trial encodes and decodes a seeded payload."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from distlab.rpc.kinds import Serializer
from distlab.rpc.payloads import make_payload
from distlab.rpc.values import equal
from distlab.rpc.world import RpcWorld
from distlab.study import TrialResult

__all__ = ["best_time", "run_trial"]


def best_time(call: Callable[[], Any], min_time_s: float) -> float:
    """The fastest of repeated calls, repeating for at least ``min_time_s`` (and at least 3 times)."""
    best = float("inf")
    start = time.perf_counter()
    runs = 0
    while runs < 3 or time.perf_counter() - start < min_time_s:
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best


def run_trial(world: RpcWorld, components: Mapping[str, Any], seed: int) -> TrialResult:
    """Encode and decode the payload of ``world`` for ``seed`` with the trial's serializer.

    Returns:
        ``bytes_on_wire`` and ``bytes_per_item`` (deterministic), ``encode_items_per_s`` and
        ``decode_items_per_s`` (timed), and ``roundtrip_ok``.
    """
    serializer: Serializer = components["serializer"]
    value, wire_type = make_payload(world, seed)
    data = serializer.encode(value, wire_type)
    back = serializer.decode(data, wire_type)
    encode_s = best_time(lambda: serializer.encode(value, wire_type), world.min_time_s)
    decode_s = best_time(lambda: serializer.decode(data, wire_type), world.min_time_s)
    return TrialResult(
        metrics={
            "bytes_on_wire": len(data),
            "bytes_per_item": len(data) / world.size,
            "encode_items_per_s": world.size / encode_s,
            "decode_items_per_s": world.size / decode_s,
            "roundtrip_ok": equal(back, value, wire_type),
        }
    )
