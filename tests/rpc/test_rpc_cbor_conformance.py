"""The cbor serializer against the examples of CBOR Appendix A (RFC 7049, repeated in RFC 8949)."""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

import cbor2
import pytest
from rpc_helpers import make, shared_data

from distlab.rpc import DecodeError
from distlab.rpc import BOOL, FLOAT64, INT64, UINT64, Array, Opaque, Optional, String, WireType, equal

_UTC = datetime.timezone.utc
# Diagnostic notation of the vectors that JSON cannot carry, as the Python values cbor2 gives.
DIAGNOSTIC: dict[str, Any] = {
    "Infinity": math.inf,
    "-Infinity": -math.inf,
    "NaN": math.nan,
    "undefined": cbor2.undefined,
    "simple(16)": cbor2.CBORSimpleValue(16),
    "simple(24)": None,  # f818, which may be rejected
    "simple(255)": cbor2.CBORSimpleValue(255),
    '0("2013-03-21T20:04:00Z")': datetime.datetime(2013, 3, 21, 20, 4, tzinfo=_UTC),
    "1(1363896240)": datetime.datetime(2013, 3, 21, 20, 4, tzinfo=_UTC),
    "1(1363896240.5)": datetime.datetime(2013, 3, 21, 20, 4, 0, 500000, tzinfo=_UTC),
    "23(h'01020304')": cbor2.CBORTag(23, b"\x01\x02\x03\x04"),
    "24(h'6449455446')": cbor2.CBORTag(24, b"dIETF"),
    '32("http://www.example.com")': cbor2.CBORTag(32, "http://www.example.com"),
    "h''": b"",
    "h'01020304'": b"\x01\x02\x03\x04",
    "{1: 2, 3: 4}": {1: 2, 3: 4},
    "(_ h'0102', h'030405')": b"\x01\x02\x03\x04\x05",
}
MAY_REJECT = {"f818"}  # simple(24) in two bytes: not well-formed under RFC 8949


def _vectors() -> list[dict[str, Any]]:
    return json.loads(shared_data("cbor/appendix_a.json").read_text())  # type: ignore[no-any-return]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and not isinstance(a, bool) and a == b)


def _typed(value: Any) -> WireType | None:
    """A wire type that the vector's value is a value of, if the type model has one."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT64 if -(2**63) <= value < 2**63 else UINT64 if 0 <= value < 2**64 else None
    if isinstance(value, float):
        return FLOAT64
    if isinstance(value, str):
        return String()
    if isinstance(value, bytes):
        return Opaque()
    if value is None:
        return Optional(INT64)
    if isinstance(value, list) and all(type(v) is int for v in value):
        return Array(INT64)
    return None


@pytest.mark.parametrize("index", range(82))
def test_appendix_a(index: int) -> None:
    cbor = make("cbor")
    vectors = _vectors()
    assert len(vectors) == 82
    vector = vectors[index]
    data = bytes.fromhex(vector["hex"])
    expected = vector["decoded"] if "decoded" in vector else DIAGNOSTIC[vector["diagnostic"]]
    if vector["hex"] in MAY_REJECT:
        with pytest.raises(DecodeError):
            cbor.loads(data)
        return
    value = cbor.loads(data)
    assert _same(value, expected), (vector["hex"], value, expected)
    if vector["roundtrip"]:
        if vector["hex"].startswith("c1"):
            again = cbor2.dumps(value, datetime_as_timestamp=True, canonical=True)
        else:
            again = make("cbor", canonical=True).dumps(value)
        assert again == data, (again.hex(), vector["hex"])
    t = _typed(value)
    if t is not None:  # and through the typed API
        assert equal(cbor.decode(data, t), value, t)
        if vector["roundtrip"] and not isinstance(value, float):
            assert cbor.encode(value, t) == data


def test_trailing_and_truncated() -> None:
    cbor = make("cbor")
    with pytest.raises(DecodeError, match="trailing") as info:
        cbor.decode(bytes.fromhex("0000"), INT64)
    assert info.value.offset == 1
    with pytest.raises(DecodeError):
        cbor.decode(bytes.fromhex("5a80000000"), Opaque())  # a 2 GiB byte string: no allocation


def test_self_describe_tag_is_accepted_wherever_a_value_is() -> None:
    from distlab.rpc import INT32, Struct

    s = make("cbor")
    t = Struct("s", (("a", INT32), ("b", Array(INT32))))
    for hexed in (
        "d9d9f7 a2 6161 01 6162 82 01 02",  # the whole item (RFC 8949 3.4.6)
        "a2 6161 d9d9f7 01 6162 d9d9f7 82 01 d9d9f7 02",  # inside a map and an array
        "d9d9f7 d9d9f7 a2 6161 01 6162 82 01 02",  # twice
    ):
        value = s.decode(bytes.fromhex(hexed.replace(" ", "")), t)
        assert value["a"] == 1 and list(value["b"]) == [1, 2], hexed


def test_shared_reference_tags_are_refused_before_building_anything() -> None:
    import time

    s = make("cbor")
    # 28 marks a value shareable, 29 refers to it: each level doubles the tree
    levels = 40
    data = bytearray()
    for i in range(levels):
        data += bytes.fromhex("82d81c")  # [shareable(...), ref]
    data += b"\x01"
    for i in range(levels):
        data += bytes.fromhex("d81d") + bytes([0x18, levels - 1 - i]) if levels - 1 - i >= 24 else bytes.fromhex("d81d") + bytes([levels - 1 - i])
    start = time.perf_counter()
    with pytest.raises(DecodeError, match="shared-reference tag 28"):
        s.decode(bytes(data), Array(Array(INT64)))
    assert time.perf_counter() - start < 0.1


def test_declared_lengths_are_checked_against_the_bytes_left() -> None:
    s = make("cbor")
    for hexed in ("9b7fffffffffffffff", "5b00000000ffffffff00", "bb00000000ffffffff", "9a0000ffff01"):
        with pytest.raises(DecodeError):
            s.decode(bytes.fromhex(hexed), Array(INT64))
