"""NDR against an independent implementation: impacket's ``impacket.dcerpc.v5.ndr``, byte for byte.

For each structure impacket can express, the same value is encoded by both and the bytes compared
(distlab's after the 4-byte format label: impacket writes the body only). impacket fills alignment
gaps with marker octets (0xaa, 0xbb, ...) where distlab writes zeros; C706 gives those octets no
value, so a byte may differ only where distlab wrote a zero and impacket one of its markers, and
each side must decode the other's bytes. Unions are left out: impacket aligns a union by its
discriminant only (its source says it knows that is not C706 14.3.8).
"""

from __future__ import annotations

from typing import Any

import pytest
from rpc_helpers import make

from distlab.rpc import BOOL, INT32, INT64, UINT32, Array, Opaque, String, Struct

ndr = pytest.importorskip("impacket.dcerpc.v5.ndr")

_MARKERS = {0xAA, 0xAB, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF, 0xCA, 0xCB, 0xCC, 0xCE, 0xDD, 0xEE, 0xEF}


class _Longs(ndr.NDRUniConformantArray):  # type: ignore[misc,name-defined]
    item = "<l"


class _Hypers(ndr.NDRUniConformantArray):  # type: ignore[misc,name-defined]
    item = "<q"


class _Bytes(ndr.NDRUniConformantArray):  # type: ignore[misc,name-defined]
    item = "c"


class _Str(ndr.NDRConformantVaryingString):  # type: ignore[misc,name-defined]
    pass


class _Tail(ndr.NDRSTRUCT):  # type: ignore[misc,name-defined]
    structure = (("flag", ndr.NDRBOOLEAN), ("big", ndr.NDRHYPER), ("xs", _Longs))


class _TailString(ndr.NDRSTRUCT):  # type: ignore[misc,name-defined]
    structure = (("n", ndr.NDRLONG), ("name", _Str))


class _TailHypers(ndr.NDRSTRUCT):  # type: ignore[misc,name-defined]
    structure = (("flag", ndr.NDRBOOLEAN), ("xs", _Hypers))


class _TailBytes(ndr.NDRSTRUCT):  # type: ignore[misc,name-defined]
    structure = (("b", ndr.NDRBOOLEAN), ("data", _Bytes))


class _Plain(ndr.NDRSTRUCT):  # type: ignore[misc,name-defined]
    structure = (("a", ndr.NDRBOOLEAN), ("b", ndr.NDRLONG), ("c", ndr.NDRHYPER), ("d", ndr.NDRULONG))


CASES: list[tuple[str, Any, Struct, dict[str, Any]]] = [
    ("plain", _Plain, Struct("plain", (("a", BOOL), ("b", INT32), ("c", INT64), ("d", UINT32))),
     {"a": True, "b": -5, "c": 2**40 + 3, "d": 7}),
    ("conformant array ends it", _Tail, Struct("tail", (("flag", BOOL), ("big", INT64), ("xs", Array(INT32)))),
     {"flag": True, "big": -2, "xs": [1, -2, 3]}),
    ("empty conformant array", _Tail, Struct("tail", (("flag", BOOL), ("big", INT64), ("xs", Array(INT32)))),
     {"flag": False, "big": 9, "xs": []}),
    ("conformant varying string ends it", _TailString, Struct("ts", (("n", INT32), ("name", String()))),
     {"n": 3, "name": "hello"}),
    ("array of hypers ends it", _TailHypers, Struct("th", (("flag", BOOL), ("xs", Array(INT64)))),
     {"flag": True, "xs": [2**33, -1]}),
    ("opaque ends it", _TailBytes, Struct("tb", (("b", BOOL), ("data", Opaque()))),
     {"b": True, "data": b"\x01\x02\x03\x04\x05"}),
]


def _impacket_value(cls: Any, value: dict[str, Any]) -> Any:
    obj = cls()
    for key, v in value.items():
        if isinstance(v, bytes):
            v = list(bytes([c]) for c in v)
        elif isinstance(v, str):
            v = v.encode() + b"\0"
        obj[key] = v
    return obj


@pytest.mark.parametrize(("name", "cls", "t", "value"), CASES, ids=[c[0] for c in CASES])
def test_bytes_match_impacket(name: str, cls: Any, t: Struct, value: dict[str, Any]) -> None:
    ours = make("ndr", byte_order="little").encode(value, t)[4:]
    theirs = _impacket_value(cls, value).getData()
    assert len(ours) == len(theirs), (ours.hex(), theirs.hex())
    differ = [i for i in range(len(ours)) if ours[i] != theirs[i]]
    assert all(ours[i] == 0 and theirs[i] in _MARKERS for i in differ), (name, ours.hex(), theirs.hex())


@pytest.mark.parametrize(("name", "cls", "t", "value"), CASES, ids=[c[0] for c in CASES])
def test_each_decodes_the_other(name: str, cls: Any, t: Struct, value: dict[str, Any]) -> None:
    s = make("ndr", byte_order="little")
    theirs = _impacket_value(cls, value).getData()
    back = s.decode(b"\x10\0\0\0" + theirs, t)  # marker-filled gaps are skipped like zeros
    for key, v in value.items():
        got = back[key]
        assert (got.tolist() if hasattr(got, "tolist") else got) == v, key
    parsed = cls(data=s.encode(value, t)[4:])
    for key, v in value.items():
        got = parsed[key]
        if isinstance(v, bool):
            assert bool(got) == v
        elif isinstance(v, bytes):
            assert b"".join(got) == v
        elif isinstance(v, str):
            assert b"".join(got).rstrip(b"\0") == v.encode()
        else:
            assert list(got) == v if isinstance(v, list) else got == v, key


def test_nonzero_boolean_octet_is_true() -> None:
    # C706 14.2.2: TRUE is any octet with a bit set; impacket reads it the same way.
    s = make("ndr", byte_order="little")
    t = Struct("p", (("a", BOOL), ("b", INT32), ("c", INT64), ("d", UINT32)))
    body = bytearray(s.encode({"a": True, "b": 1, "c": 2, "d": 3}, t)[4:])
    body[0] = 0x80
    assert s.decode(b"\x10\0\0\0" + bytes(body), t)["a"] is True
    assert _Plain(data=bytes(body))["a"] != 0


def test_union_aligns_to_every_arm_default_and_recursive_included() -> None:
    # C706 14.3.8: a union starts at the largest alignment of its discriminant and of all its arms.
    from distlab.rpc import VOID, Optional, Ref, Union

    s = make("ndr", byte_order="little")
    by_default = Union("u", INT32, ((1, "none", VOID),), ("big", INT64))
    node = Ref("node")
    node.bind(Struct("node", (("v", INT64), ("next", Optional(node)))))
    by_recursion = Union("r", INT32, ((1, "none", VOID), (2, "node", node)))
    for u in (by_default, by_recursion):
        t = Struct("s", (("flag", BOOL), ("u", u)))
        data = s.encode({"flag": True, "u": (1, None)}, t)[4:]
        # the struct aligns to 8 (its union does), the bool, then 7 octets up to the union's 8
        assert data == bytes.fromhex("01" + "00" * 7 + "01000000"), u.name
        assert s.decode(b"\x10\0\0\0" + data, t)["u"] == (1, None)


def test_nested_conformant_tail_hoists_to_the_outermost_structure() -> None:
    s = make("ndr", byte_order="big")
    inner = Struct("i", (("x", INT32), ("xs", Array(INT32))))
    outer = Struct("o", (("a", INT32), ("in", inner)))
    data = s.encode({"a": 1, "in": {"x": 2, "xs": [3, 4]}}, outer)[4:]
    assert data == bytes.fromhex("00000002" "00000001" "00000002" "00000003" "00000004")
    assert s.decode(bytes(4) + data, outer)["in"]["xs"].tolist() == [3, 4]
