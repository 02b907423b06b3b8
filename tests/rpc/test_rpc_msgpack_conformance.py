"""The msgpack serializer against the msgpack-test-suite (kawanet), every listed encoding."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
from rpc_helpers import make, shared_data

from distlab.rpc import BOOL, FLOAT64, INT64, UINT64, Array, Opaque, Optional, String, WireType, equal


def _cases() -> list[tuple[str, str, Any, list[str]]]:
    suite = json.loads(shared_data("msgpack/msgpack-test-suite.json").read_text())
    out = []
    for group, entries in suite.items():
        for entry in entries:
            kinds = [k for k in entry if k not in ("msgpack", "bignum")]
            if kinds:
                out.append((group, kinds[0], entry[kinds[0]], entry["msgpack"]))
            else:  # beyond what JSON numbers carry exactly: only the decimal text
                out.append((group, "number", int(entry["bignum"]), entry["msgpack"]))
    return out


def _expected(kind: str, raw: Any) -> Any:
    if kind == "binary":
        return bytes.fromhex(raw.replace("-", ""))
    if kind == "timestamp":
        return msgpack.Timestamp(raw[0], raw[1])
    if kind == "ext":
        return msgpack.ExtType(raw[0], bytes.fromhex(raw[1].replace("-", "")))
    return raw


def _typed(kind: str, value: Any) -> WireType | None:
    if kind == "nil":
        return Optional(INT64)
    if kind == "bool":
        return BOOL
    if kind == "binary":
        return Opaque()
    if kind == "string":
        return String()
    if kind in ("number",):
        if isinstance(value, float):
            return FLOAT64
        return INT64 if -(2**63) <= value < 2**63 else UINT64
    if kind == "array" and all(type(v) is int for v in value):
        return Array(INT64)
    return None


def test_suite_size() -> None:
    cases = _cases()
    assert len(cases) == 85
    assert sum(len(c[3]) for c in cases) == 233


@pytest.mark.parametrize("index", range(85))
def test_suite(index: int) -> None:
    serializer = make("msgpack")
    group, kind, raw, encodings = _cases()[index]
    expected = _expected(kind, raw)
    for hex_ in encodings:
        data = bytes.fromhex(hex_.replace("-", ""))
        value = serializer.loads(data)
        assert value == expected, (group, hex_, value, expected)
        t = _typed(kind, value)  # the typed API is strict: 0 written as a float is not an INT64
        if t is not None:
            assert equal(serializer.decode(data, t), expected, t)
    if kind != "number" or (isinstance(expected, int) and "float" not in group):
        # A packer writes one of the shortest listed encodings (2**63 - 1 is as short as an
        # int64 as it is as a uint64, and the suite lists the int64 first).
        listed = [bytes.fromhex(h.replace("-", "")) for h in encodings]
        packed = serializer.dumps(expected)
        assert packed in listed and len(packed) == len(listed[0]), group
