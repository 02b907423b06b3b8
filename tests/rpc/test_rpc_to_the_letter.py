"""Rules every format keeps alike: FLOAT32's range, ONC RPC flavors, capped messages, and a fuzz
budget per input in time and memory (``DISTLAB_FUZZ_BUDGET`` inputs per format; the default is
small, ``DISTLAB_FUZZ_BUDGET=100000 pytest -m slow`` runs the big one)."""

from __future__ import annotations

import os
import random
import time
import tracemalloc
from typing import Any

import pytest
from rpc_helpers import CONFIGS, config_serializer, make

from distlab.rpc import FLOAT32, INT64, DecodeError, Array, Opaque, Optional, Ref, String, Struct
from distlab.rpc import oncrpc

LIMIT = 2.0**128 - 2.0**103
FORMATS = ["xdr", "ndr", "native", "json", "msgpack", "cbor"]


@pytest.mark.parametrize("name", FORMATS)
def test_float32_accepts_exactly_what_rounds_to_a_finite_single(name: str) -> None:
    s = make(name)
    below = float.fromhex("0x1.fffffefffffffp+127")  # rounds down to the largest single
    assert s.decode(s.encode(below, FLOAT32), FLOAT32) in (below, float.fromhex("0x1.fffffep+127"))
    for bad in (LIMIT, -LIMIT, 1e39):
        with pytest.raises(Exception) as info:
            s.encode(bad, FLOAT32)
        assert "32-bit float" in str(info.value)


@pytest.mark.parametrize("name", ["json", "msgpack", "cbor"])
def test_float32_decoding_refuses_what_rounds_to_infinity(name: str) -> None:
    s, wide = make(name), make(name)
    from distlab.rpc import FLOAT64

    assert s.decode(wide.encode(float.fromhex("0x1.fffffefffffffp+127"), FLOAT64), FLOAT32)
    with pytest.raises(DecodeError):
        s.decode(wide.encode(LIMIT, FLOAT64), FLOAT32)


def test_unknown_auth_flavor_decodes_as_opaque() -> None:
    xdr = make("xdr")
    tls = {"flavor": 7, "body": b"STARTTLS"}  # AUTH_TLS, RFC 9289
    assert xdr.decode(xdr.encode(tls, oncrpc.OPAQUE_AUTH), oncrpc.OPAQUE_AUTH) == tls
    data = (12345).to_bytes(4, "big") + (0).to_bytes(4, "big")
    assert xdr.decode(data, oncrpc.OPAQUE_AUTH) == {"flavor": 12345, "body": b""}
    assert oncrpc.AUTH_FLAVOR.value_of("AUTH_TLS") == 7


def test_error_messages_are_capped() -> None:
    s = make("json")
    with pytest.raises(DecodeError) as info:
        s.decode(b'{"' + b"k" * 100_000 + b'": 1}', Struct("s", (("a", INT64),)))
    assert len(str(info.value)) < 500


_NODE = Ref("node")
_NODE.bind(Struct("node", (("v", INT64), ("s", String(8)), ("next", Optional(_NODE)))))
# A linked list too: its decoders loop over the nodes, and a few bytes must not claim many nodes.
_TYPES = [
    Array(INT64), Struct("s", (("a", String(64)), ("b", Opaque()), ("c", Array(FLOAT32)))), String(), _NODE,
]
_SEEDS = ([1, -2, 3], {"a": "hé", "b": b"xy", "c": [0.5]}, "abc", {"v": 1, "s": "a", "next": {"v": -2, "s": "", "next": None}})


def _budget() -> int:
    return int(os.environ.get("DISTLAB_FUZZ_BUDGET", "300"))


def _fuzz(config: str, budget: int) -> None:
    serializer: Any = config_serializer(config)
    rng = random.Random(hash(config) & 0xFFFF)
    seeds = [serializer.encode(v, t) for t, v in zip(_TYPES, _SEEDS)]
    tracemalloc.start()
    try:
        for i in range(budget):
            t = _TYPES[i % len(_TYPES)]
            data = bytearray(seeds[i % len(seeds)])
            for _ in range(rng.randrange(1, 4)):
                at = rng.randrange(len(data) + 1)
                if rng.random() < 0.5 and data:
                    data[min(at, len(data) - 1)] = rng.getrandbits(8)
                else:
                    data[at:at] = rng.choice([b"\xff\xff\xff\x7f", b"\x9b\x7f\xff\xff\xff\xff\xff\xff\xff", b"r\xff\xff\xff\x0f"])
            if i % 7 == 0:
                data = bytearray(rng.randbytes(rng.randrange(64)))
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            start = time.perf_counter()
            try:
                serializer.decode(bytes(data), t)
            except DecodeError:
                pass
            elapsed = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] - base
            assert elapsed < 0.5, (config, bytes(data).hex(), elapsed)
            assert peak <= 64 * len(data) + 256 * 1024, (config, bytes(data).hex(), peak)
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_fuzz_time_and_memory_bounded(config: str) -> None:
    _fuzz(config, min(_budget(), 300))


@pytest.mark.slow
@pytest.mark.skipif(_budget() < 100_000, reason="set DISTLAB_FUZZ_BUDGET=100000 (or more) to run the big fuzz")
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_fuzz_big(config: str) -> None:
    _fuzz(config, _budget())
