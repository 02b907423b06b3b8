"""Generated struct encoders against the generic path: same bytes, same errors, fields named."""

from __future__ import annotations

import dataclasses
import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distlab.rpc import EncodeError
from distlab.rpc import BOOL, FLOAT32, FLOAT64, INT32, INT64, UINT32, Array, Enum, FixedArray, FixedOpaque, Opaque, String, Struct, equal
from distlab.rpc.testing import leaf_wire_types, values, wire_types
from distlab_serializers import xdr as xdr_module
from distlab_serializers._positional import Layout, Positional

LAYOUTS = [
    xdr_module.LAYOUT,
    Layout(key="native<", order="<"),
    Layout(key="native>", order=">"),
]
PAIRS = [(Positional(L), Positional(L, specialize=False)) for L in LAYOUTS]

COLOR = Enum("color", (("RED", 0), ("GREEN", 1), ("BLUE", -7)))

# Structs whose fields are leaves, numeric arrays and compound types (nested structs, unions, ...).
field_types = st.one_of(
    leaf_wire_types(),
    st.builds(Array, st.sampled_from([INT32, UINT32, INT64, FLOAT32, FLOAT64]), st.sampled_from([None, 0, 3, 100])),
    st.builds(FixedArray, st.sampled_from([INT32, FLOAT64, FLOAT32]), st.integers(0, 4)),
    wire_types(),
)
struct_types = st.lists(field_types, min_size=1, max_size=7).map(
    lambda ts: Struct("rec", tuple((f"f{i}", t) for i, t in enumerate(ts)))
)
BAD = [None, 0, 1, np.int64(5), np.float32(2.5), "x" * 200, 2**70, -1, 2**31, 1.5, float("inf"), b"zz", True, 2, [1] * 5, [1.5, "a"], np.zeros((2, 2)), {}]


def _outcome(serializer: Positional, value: Any, t: Struct) -> tuple[str, Any]:
    try:
        return "ok", serializer.encode(value, t)
    except EncodeError as err:
        return "error", (err.field, str(err))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), t=struct_types)
def test_generated_encoder_gives_the_generic_bytes(data: st.DataObject, t: Struct) -> None:
    value = data.draw(values(t))
    for fast, generic in PAIRS:
        assert fast.encode(value, t) == generic.encode(value, t)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), t=struct_types)
def test_generated_encoder_refuses_what_the_generic_path_refuses(data: st.DataObject, t: Struct) -> None:
    value = dict(data.draw(values(t)))
    name = data.draw(st.sampled_from([n for n, _ in t.fields]))
    value[name] = data.draw(st.sampled_from(BAD))
    for fast, generic in PAIRS:
        assert _outcome(fast, value, t) == _outcome(generic, value, t)


@dataclasses.dataclass
class Inner:
    label: str
    blob: bytes
    tag: bytes


@dataclasses.dataclass
class Outer:
    id: int
    flag: bool
    color: int
    inner: Inner
    samples: list[float]
    ratio: float


INNER = Struct.of(Inner, label=String(8), blob=Opaque(6), tag=FixedOpaque(3))
OUTER = Struct.of(Outer, id=INT64, flag=BOOL, color=COLOR, inner=INNER, samples=Array(FLOAT64, 4), ratio=FLOAT32)
GOOD = Outer(7, True, -7, Inner("héllo", b"\1\2\3", b"abc"), [0.5, -1.0], 0.25)


def test_dataclass_values_and_rfc4506_bytes() -> None:
    fast, generic = PAIRS[0]
    data = fast.encode(GOOD, OUTER)
    assert data == generic.encode(GOOD, OUTER)
    assert data == bytes.fromhex(
        "0000000000000007" "00000001" "fffffff9"
        "00000006" "68c3a96c6c6f" "0000" "00000003" "010203" "00" "616263" "00"
        "00000002" "3fe0000000000000" "bff0000000000000" "3e800000"
    )
    assert fast.encode(dataclasses.replace(GOOD, samples=np.array([0.5, -1.0])), OUTER) == data
    assert equal(fast.decode(data, OUTER), GOOD, OUTER)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": 2**63}, "value.id"),
        ({"id": "7"}, "value.id"),
        ({"flag": 2}, "value.flag"),
        ({"color": 3}, "value.color"),
        ({"samples": [1.0] * 5}, "value.samples"),
        ({"samples": [1.0, "x"]}, "value.samples[1]"),
        ({"samples": np.array([1.0, 2.0, 3.0, 4.0, 5.0])}, "value.samples"),
        ({"ratio": 1e39}, "value.ratio"),
        ({"inner": Inner("x" * 9, b"", b"abc")}, "value.inner.label"),
        ({"inner": Inner("x", b"1234567", b"abc")}, "value.inner.blob"),
        ({"inner": Inner("x", "text", b"abc")}, "value.inner.blob"),
        ({"inner": Inner("x", b"", b"ab")}, "value.inner.tag"),
    ],
)
def test_errors_name_the_field(change: dict[str, Any], field: str) -> None:
    bad = dataclasses.replace(GOOD, **change)
    for fast, _ in PAIRS:
        with pytest.raises(EncodeError) as err:
            fast.encode(bad, OUTER)
        assert err.value.field == field


def test_the_source_holds_no_names_from_the_type() -> None:
    t = Struct("evil", (("x');import os;('", INT32), ("y", String(3))))
    enc = PAIRS[0][0]._encoders.encoder(t)
    assert "import" not in enc.source and "evil" not in enc.source  # type: ignore[attr-defined]
    assert PAIRS[0][0].encode({"x');import os;('": 1, "y": "ab"}, t) == bytes.fromhex("00000001" "00000002" "61620000")


# Long lists of Python ints: the marshal-read path of distlab.rpc.arrays against struct, and the
# items it leaves to the checking path (bools, numpy scalars, floats, ints out of range).
class _Flag(int):
    pass


@settings(max_examples=40, deadline=None)
@given(
    elem=st.sampled_from([INT32, UINT32]),
    n=st.integers(1024, 3000),
    seed=st.integers(0, 2**32 - 1),
    odd=st.sampled_from([None, True, False, np.int32(5), _Flag(1), 2**31, -(2**31) - 1, -1, 2**32, 2**80, 1.0, "1", None]),
    at=st.integers(0, 2999),
)
def test_long_int_lists(elem: Any, n: int, seed: int, odd: Any, at: int) -> None:
    rng = np.random.default_rng(seed)
    items = rng.integers(elem.lo, elem.hi + 1, n, dtype=np.int64).tolist()
    if odd is not None:
        items[at % n] = odd
    t = Array(elem)
    for layout, order in ((xdr_module.LAYOUT, ">"), (LAYOUTS[1], "<")):
        fast, generic = Positional(layout), Positional(layout, specialize=False)
        try:
            expected = struct.pack(f"{order}I{n}{elem.code}", n, *items)
        except (struct.error, TypeError):
            expected = None
        for serializer in (fast, generic):
            for value in (items, tuple(items)):
                if expected is not None:
                    assert serializer.encode(value, t) == expected
                else:
                    with pytest.raises(EncodeError) as err:
                        serializer.encode(value, t)
                    assert err.value.field == f"value[{at % n}]"
