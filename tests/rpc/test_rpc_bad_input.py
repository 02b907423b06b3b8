"""Bad input, for every serializer: one DecodeError with an offset, or an EncodeError naming the field."""

from __future__ import annotations

import pickle
import time
from typing import Any

import cbor2
import numpy as np
import pytest
from rpc_helpers import make

from distlab.rpc import DecodeError, EncodeError
from distlab.rpc import (
    BOOL,
    FLOAT32,
    INT32,
    UINT32,
    Array,
    Enum,
    FixedOpaque,
    Opaque,
    Optional,
    String,
    Struct,
    Union,
)

COLOR = Enum("color", (("RED", 0), ("GREEN", 1)))
ITEM = Struct("item", (("name", String(8)), ("count", UINT32), ("color", COLOR)))
ORDER = Struct("order", (("id", INT32), ("items", Array(ITEM, 4)), ("note", Optional(String()))))
GOOD = {"id": 7, "items": [{"name": "bolt", "count": 3, "color": 1}], "note": "ok"}


def test_truncations_and_trailing_bytes(serializer: Any) -> None:
    data = serializer.encode(GOOD, ORDER)
    for cut in range(len(data)):
        with pytest.raises(DecodeError) as info:
            serializer.decode(data[:cut], ORDER)
        assert 0 <= info.value.offset <= len(data)
    with pytest.raises(DecodeError) as info:
        serializer.decode(data + b"\0", ORDER)
    assert info.value.offset <= len(data)


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"id": 2**31, "items": [], "note": None}, "value.id"),
        ({"id": 1, "items": [{"name": "x" * 9, "count": 0, "color": 0}], "note": None}, "value.items[0].name"),
        ({"id": 1, "items": [{"name": "x", "count": -1, "color": 0}], "note": None}, "value.items[0].count"),
        ({"id": 1, "items": [{"name": "x", "count": 1, "color": 5}], "note": None}, "value.items[0].color"),
        ({"id": 1, "items": [{"name": "x", "count": 1}], "note": None}, "value.items[0].color"),
        ({"id": 1, "items": [GOOD["items"][0]] * 5, "note": None}, "value.items"),
        ({"id": 1, "items": [], "note": 3}, "value.note"),
    ],
)
def test_encode_error_names_the_field(serializer: Any, value: Any, field: str) -> None:
    with pytest.raises(EncodeError) as info:
        serializer.encode(value, ORDER)
    assert info.value.field == field, str(info.value)


def test_encode_errors_of_every_kind(serializer: Any) -> None:
    cases = [
        (np.array([1, 2**40]), Array(INT32), "value[1]"),
        (np.array([1.5]), Array(INT32), "value"),
        ([1, "x"], Array(INT32), "value[1]"),
        (1e39, FLOAT32, "value"),
        ("yes", BOOL, "value"),
        (b"ab", FixedOpaque(3), "value"),
        ((3, 1), Union("u", INT32, ((1, "a", INT32),)), "value"),
        ("\ud800", String(), "value"),
    ]
    for value, t, field in cases:
        with pytest.raises(EncodeError) as info:
            serializer.encode(value, t)
        assert info.value.field == field, (t, str(info.value))


def test_length_bomb_does_not_allocate() -> None:
    bombs = {
        "xdr": bytes.fromhex("80000000") + b"abcd",
        "native": bytes.fromhex("00000080") + b"abcd",
        "ndr": bytes.fromhex("10000000") + bytes.fromhex("00000080") + b"abcd",
        "msgpack": bytes.fromhex("c680000000") + b"abcd",
        "cbor": bytes.fromhex("5a80000000") + b"abcd",
    }
    for name, data in bombs.items():
        start = time.perf_counter()
        for t in (Opaque(), Array(INT32), Array(ITEM), String()):
            with pytest.raises(DecodeError):
                make(name).decode(data, t)
        assert time.perf_counter() - start < 0.5, name


def test_bound_enforced_when_decoding() -> None:
    xdr = make("xdr")
    data = xdr.encode("abcdef", String())
    with pytest.raises(DecodeError, match="bound") as info:
        xdr.decode(data, String(5))
    assert info.value.offset == 0
    with pytest.raises(DecodeError, match="bound"):
        xdr.decode(xdr.encode([1, 2, 3], Array(INT32)), Array(INT32, 2))
    for name in ("json", "msgpack", "cbor"):
        s = make(name)
        with pytest.raises(DecodeError, match="bytes exceed the bound"):
            s.decode(s.encode("abcdef", String()), String(5))


def test_invalid_utf8_has_its_offset() -> None:
    data = bytes.fromhex("00000003") + b"a\xffb" + b"\0"
    with pytest.raises(DecodeError, match="UTF-8") as info:
        make("xdr").decode(data, String())
    assert info.value.offset == 5


@pytest.mark.parametrize("config", ["cbor", "pickle"])
@pytest.mark.parametrize("t", [INT32, FLOAT32, Array(INT32), COLOR, BOOL, Union("u", INT32, ((1, "a", INT32),))])
def test_a_bignum_is_a_decode_error(config: str, t: Any) -> None:
    # Python refuses to print an int of more than 4,300 digits: the error message must not try.
    big = 10**5000
    value = [big] if isinstance(t, Array) else (big, 1) if isinstance(t, Union) else big
    serializer = make(config, **({"allow_untrusted": True} if config == "pickle" else {}))
    data = cbor2.dumps(value) if config == "cbor" else pickle.dumps(value)
    with pytest.raises(DecodeError):
        serializer.decode(data, t)
    with pytest.raises(EncodeError):
        serializer.encode(value, t)


@pytest.mark.parametrize(("t", "value"), [(COLOR, [10**5000]), (BOOL, {"k": [10**5000]}), (ITEM, {10**5000: 1})])
def test_a_bignum_inside_a_container_is_a_decode_error(t: Any, value: Any) -> None:
    with pytest.raises(DecodeError):
        make("cbor").decode(cbor2.dumps(value), t)


def test_ndr_label_checks() -> None:
    ndr = make("ndr")
    with pytest.raises(DecodeError, match="label"):
        ndr.decode(b"\x10\x00", INT32)
    with pytest.raises(DecodeError, match="EBCDIC"):
        ndr.decode(b"\x11\x00\x00\x00\x01\x00\x00\x00", INT32)
    with pytest.raises(DecodeError, match="IEEE"):
        ndr.decode(b"\x10\x01\x00\x00\x01\x00\x00\x00", INT32)
