"""The trivial serializer fake keeps the Serializer contract: round trips, EncodeError, only DecodeError."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from test_rpc_bad_input import GOOD, ORDER
from test_rpc_fuzz import TYPES, _mutations

from distlab.rpc import (
    FLOAT32,
    FLOAT64,
    INT32,
    Array,
    DecodeError,
    EncodeError,
    Ref,
    Serializer,
    String,
    Struct,
    TrivialSerializer,
    equal,
)
from distlab.rpc import Optional as Opt
from distlab.rpc.testing import typed_values

FAKE = TrivialSerializer()


def test_satisfies_the_contract() -> None:
    assert isinstance(FAKE, Serializer)
    assert FAKE.schemaless and not FAKE.unsafe


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tv=typed_values())
def test_roundtrip_every_wire_type(tv: tuple[Any, Any]) -> None:
    t, value = tv
    data = FAKE.encode(value, t)
    assert isinstance(data, bytes)
    back = FAKE.decode(data, t)
    assert equal(back, value, t), (t, value, back)
    assert FAKE.encode(back, t) == data  # one text per value


def test_floats_are_exact_and_nan_survives() -> None:
    values = [0.1, -0.0, float("inf"), float("nan"), 5e-324]
    back = FAKE.decode(FAKE.encode(values, Array(FLOAT64)), Array(FLOAT64))
    assert isinstance(back, np.ndarray) and back.dtype == np.float64
    assert equal(back, values, Array(FLOAT64)) and np.signbit(back[1])


def test_recursive_type() -> None:
    node = Ref("node")
    node.bind(Struct("node", (("item", INT32), ("next", Opt(node)))))
    value = {"item": 1, "next": {"item": 2, "next": None}}
    assert FAKE.decode(FAKE.encode(value, node), node) == value


def test_encode_errors_name_the_field() -> None:
    with pytest.raises(EncodeError) as info:
        FAKE.encode({"id": 1, "items": [{"name": "x" * 9, "count": 0, "color": 0}], "note": None}, ORDER)
    assert info.value.field == "value.items[0].name"
    with pytest.raises(EncodeError):
        FAKE.encode(1e39, FLOAT32)


def test_truncated_trailing_and_mutated_input_raise_only_decode_error() -> None:
    data = FAKE.encode(GOOD, ORDER)
    for cut in range(len(data)):
        with pytest.raises(DecodeError):
            FAKE.decode(data[:cut], ORDER)
    with pytest.raises(DecodeError):
        FAKE.decode(data + b" ", ORDER)
    rng = random.Random(8)
    for t, value in TYPES:
        for bad in _mutations(rng, FAKE.encode(value, t)):
            try:
                FAKE.decode(bad, t)
            except DecodeError:
                pass


@pytest.mark.parametrize(
    "text",
    [b"[7, [], []]", b'[7,[["bolt",3,1]],["ok"]] ', b"[7,[],[]]\xff", b'[7,[["bolt",3,1]],["o\\u006b"]]',
     b"[1e999,[],[]]", b"[NaN,[],[]]", b"[" * 100_000, b"[" + b"9" * 5000 + b",[],[]]", b'{"id":7}'],
)
def test_non_canonical_or_invalid_text_is_refused(text: bytes) -> None:
    with pytest.raises(DecodeError):
        FAKE.decode(text, ORDER)


def test_oversized_values_are_refused() -> None:
    with pytest.raises(DecodeError, match="exceed the bound"):
        FAKE.decode(b'"' + b"x" * 9 + b'"', String(8))


def test_decode_prefix_leaves_what_follows() -> None:
    data = FAKE.encode(GOOD, ORDER)
    value, end = FAKE.decode_prefix(data + b"tail", ORDER)
    assert end == len(data) and equal(value, GOOD, ORDER)
