"""Property-based round trips: every serializer, random types and random values of them."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rpc_helpers import CONFIGS, config_serializer

from distlab.rpc import FLOAT32, FLOAT64, INT32, INT64, UINT64, Array, FixedArray, Float, Int, equal, is_numeric
from distlab.rpc.testing import typed_values, values

SERIALIZERS = {name: config_serializer(name) for name in sorted(CONFIGS)}


def _check(serializer: Any, t: Any, value: Any) -> None:
    data = serializer.encode(value, t)
    assert isinstance(data, bytes)
    back = serializer.decode(data, t)
    assert equal(back, value, t), (t, value, back)
    if not serializer.schemaless:
        assert serializer.encode(back, t) == data  # one encoding per value
    if isinstance(t, (Array, FixedArray)) and is_numeric(t.elem) and not getattr(serializer, "unsafe", False):
        assert isinstance(back, np.ndarray) and back.dtype == np.dtype(t.elem.dtype)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(name=st.sampled_from(sorted(SERIALIZERS)), tv=typed_values())
def test_roundtrip_random_types(name: str, tv: tuple[Any, Any]) -> None:
    t, value = tv
    _check(SERIALIZERS[name], t, value)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_roundtrip_numeric_arrays_every_serializer(data: st.DataObject) -> None:
    elem = data.draw(st.sampled_from([INT32, INT64, UINT64, FLOAT32, FLOAT64]))
    t = Array(elem)
    value = data.draw(values(t))
    for serializer in SERIALIZERS.values():
        _check(serializer, t, value)


def test_both_byte_orders_differ_only_in_order() -> None:
    a = np.arange(1, 200, dtype=np.int64) * 0x0102030405
    little = SERIALIZERS["native_little"].encode(a, FixedArray(INT64, len(a)))
    big = SERIALIZERS["native_big"].encode(a, FixedArray(INT64, len(a)))
    assert little == a.astype("<i8").tobytes() and big == a.astype(">i8").tobytes()
    for t in (Int(32, True), Float(64)):
        assert SERIALIZERS["native_big"].encode(1, t)[::-1] == SERIALIZERS["native_little"].encode(1, t)
