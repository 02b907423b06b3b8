"""XDR against RFC 4506: the section 7 example and primitive vectors, byte for byte, and xdrlib as an oracle."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import pytest
from rpc_helpers import shared_data

from distlab.rpc import DecodeError
from distlab.rpc import (
    BOOL,
    FLOAT32,
    FLOAT64,
    INT32,
    INT64,
    UINT32,
    UINT64,
    VOID,
    Array,
    Enum,
    FixedArray,
    FixedOpaque,
    Opaque,
    Optional,
    Ref,
    String,
    Struct,
    Union,
    equal,
)

FILEKIND = Enum("filekind", (("TEXT", 0), ("DATA", 1), ("EXEC", 2)))
FILETYPE = Union(
    "filetype",
    FILEKIND,
    ((0, "TEXT", VOID), (1, "creator", String(255)), (2, "interpretor", String(255))),
)
FILE = Struct("file", (("filename", String(255)), ("type", FILETYPE), ("owner", String(32)), ("data", Opaque(65535))))

NODE = Ref("node")
NODE.bind(Struct("node", (("item", INT32), ("next", Optional(NODE)))))
LIST = Optional(NODE)

PRIMITIVE = {
    "int": INT32,
    "unsigned int": UINT32,
    "hyper": INT64,
    "unsigned hyper": UINT64,
    "bool": BOOL,
}


def _vectors() -> list[dict[str, Any]]:
    return json.loads(shared_data("xdr/xdr_vectors.json").read_text())  # type: ignore[no-any-return]


def _typed(vector: dict[str, Any]) -> tuple[Any, Any]:
    """The wire type and Python value a vector describes."""
    xt, value = vector["xdr_type"], vector["value"]
    if vector["name"] == "rfc4506_sec7_file_example":
        kind = FILEKIND.value_of(value["type"]["kind"])
        return FILE, {
            "filename": value["filename"],
            "type": (kind, value["type"]["interpretor"]),
            "owner": value["owner"],
            "data": value["data_ascii"].encode(),
        }
    if xt in PRIMITIVE:
        return PRIMITIVE[xt], value
    if xt.startswith("float"):
        return FLOAT32, float(value)
    if xt.startswith("double"):
        return FLOAT64, float(value)
    if xt.startswith("string"):
        return String(), value
    if xt.startswith("opaque["):
        return FixedOpaque(len(bytes.fromhex(value))), bytes.fromhex(value)
    if xt.startswith("opaque<"):
        return Opaque(), bytes.fromhex(value)
    if xt.startswith("int<>"):
        return Array(INT32), value
    if xt.startswith("int["):
        return FixedArray(INT32, len(value)), value
    if "linked list" in xt:
        node = None
        for item in reversed(value):
            node = {"item": item, "next": node}
        return LIST, node
    if xt.startswith("T *p") or xt.startswith("int *p"):
        return Optional(INT32), value
    raise AssertionError(f"unmapped vector type {xt!r}")


def test_every_vector_is_mapped() -> None:
    assert len(_vectors()) >= 38
    for vector in _vectors():
        _typed(vector)


@pytest.mark.parametrize("index", range(38))
def test_vector_byte_for_byte(xdr: Any, index: int) -> None:
    vectors = _vectors()
    if index >= len(vectors):
        pytest.skip("fewer vectors")
    vector = vectors[index]
    t, value = _typed(vector)
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        value = float(value)
    expected = bytes.fromhex(vector["hex"])
    assert xdr.encode(value, t) == expected, vector["name"]
    back = xdr.decode(expected, t)
    assert equal(back, value, t), (vector["name"], back, value)


def test_rfc4506_example_decodes_field_by_field(xdr: Any) -> None:
    vector = _vectors()[0]
    value = xdr.decode(bytes.fromhex(vector["hex"]), FILE)
    assert value["filename"] == "sillyprog"
    assert value["type"] == (FILEKIND.value_of("EXEC"), "lisp")
    assert value["owner"] == "john"
    assert value["data"] == b"(quit)"
    assert len(bytes.fromhex(vector["hex"])) == 48


def test_numeric_arrays_equal_numpy_big_endian(xdr: Any) -> None:
    rng = np.random.default_rng(7)
    for t, dtype, wire in ((INT32, np.int32, ">i4"), (UINT64, np.uint64, ">u8"), (FLOAT32, np.float32, ">f4"), (FLOAT64, np.float64, ">f8")):
        a = rng.integers(0, 2**31, 1000).astype(dtype)
        data = xdr.encode(a, Array(t))
        assert data == (1000).to_bytes(4, "big") + a.astype(wire).tobytes()
        assert data[4:] == xdr.encode(a.tolist(), FixedArray(t, 1000))
        back = xdr.decode(data, Array(t))
        assert back.dtype == dtype and np.array_equal(back, a)


xdrlib = None
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import xdrlib  # type: ignore[import-not-found,no-redef]
    except ImportError:  # gone in Python 3.13
        pass


@pytest.mark.skipif(xdrlib is None, reason="stdlib xdrlib is not importable (removed in Python 3.13)")
def test_xdrlib_oracle(xdr: Any) -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        p = xdrlib.Packer()
        ints = rng.integers(-(2**31), 2**31, 5).tolist()
        hyper = int(rng.integers(-(2**63), 2**63 - 1))
        text = "".join(chr(c) for c in rng.integers(32, 127, int(rng.integers(0, 12))))
        blob = bytes(rng.integers(0, 256, int(rng.integers(0, 9))).tolist())
        d = float(rng.standard_normal())
        p.pack_array(ints, p.pack_int)
        p.pack_hyper(hyper)
        p.pack_string(text.encode())
        p.pack_opaque(blob)
        p.pack_double(d)
        p.pack_bool(bool(hyper & 1))
        t = Struct("s", (("a", Array(INT32)), ("h", INT64), ("s", String()), ("o", Opaque()), ("d", FLOAT64), ("b", BOOL)))
        value = {"a": ints, "h": hyper, "s": text, "o": blob, "d": d, "b": bool(hyper & 1)}
        assert xdr.encode(value, t) == p.get_buffer()
        u = xdrlib.Unpacker(p.get_buffer())
        back = xdr.decode(p.get_buffer(), t)
        assert back["a"].tolist() == u.unpack_array(u.unpack_int)
        assert back["h"] == u.unpack_hyper()


@pytest.mark.parametrize(
    ("t", "hex_", "why"),
    [
        (INT32, "000000", "truncated"),
        (INT32, "0000000100", "trailing"),
        (String(), "0000000161000001", "nonzero padding"),
        (String(), "00000001ff000000", "invalid UTF-8"),
        (String(3), "0000000461626364", "exceeds the bound"),
        (BOOL, "00000002", "0 or 1"),
        (FILEKIND, "00000007", "not a value of enum"),
        (FILETYPE, "00000005", "not a value of enum"),
        (Union("u", INT32, ((1, "a", INT32),)), "00000002", "has no arm"),
        (Optional(INT32), "00000002", "0 or 1"),
        (FixedOpaque(3), "01020301", "nonzero padding"),
    ],
)
def test_bad_input_names_the_offset(xdr: Any, t: Any, hex_: str, why: str) -> None:
    with pytest.raises(DecodeError, match=why) as info:
        xdr.decode(bytes.fromhex(hex_), t)
    assert 0 <= info.value.offset <= len(hex_) // 2


def test_float_nan_roundtrip(xdr: Any) -> None:
    assert math.isnan(xdr.decode(xdr.encode(math.nan, FLOAT64), FLOAT64))
