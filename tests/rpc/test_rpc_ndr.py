"""NDR: receiver makes it right, in both directions, with natural alignment."""

from __future__ import annotations

import numpy as np
from rpc_helpers import make

from distlab.rpc import BOOL, FLOAT64, INT32, INT64, Array, Optional, String, Struct

T = Struct("t", (("flag", BOOL), ("big", INT64), ("name", String()), ("xs", Array(INT32)), ("p", Optional(FLOAT64))))
V = {"flag": True, "big": -2, "name": "hé", "xs": [1, 2], "p": 0.5}


def test_layout_of_little_endian_sender() -> None:
    data = make("ndr", byte_order="little").encode(V, T)
    assert data[:4] == bytes.fromhex("10000000")
    body = data[4:]
    assert body[0] == 1 and body[1:8] == bytes(7)  # the bool, then padding to the hyper's 8
    assert body[8:16] == (-2).to_bytes(8, "little", signed=True)
    assert body[16:28] == bytes.fromhex("04000000" "00000000" "04000000")  # max, offset, actual (with NUL)
    assert body[28:32] == "hé".encode() + b"\0"


def test_both_directions_decode_on_this_machine() -> None:
    little, big = make("ndr", byte_order="little"), make("ndr", byte_order="big")
    from_little, from_big = little.encode(V, T), big.encode(V, T)
    assert from_big[:4] == bytes(4) and from_little != from_big and len(from_little) == len(from_big)
    # The receiver reads the label, so either sender's bytes decode with either configuration.
    for receiver in (little, big):
        for data in (from_little, from_big):
            value = receiver.decode(data, T)
            assert value["big"] == -2 and value["name"] == "hé" and value["xs"].tolist() == [1, 2] and value["p"] == 0.5


def test_arrays_swap_only_when_orders_differ() -> None:
    a = np.arange(1000, dtype=np.int64) * 0x01020304
    for order in ("little", "big"):
        s = make("ndr", byte_order=order)
        data = s.encode(a, Array(INT64))
        assert data[4:8] == (1000).to_bytes(4, order)
        assert data[12:] == a.astype("<i8" if order == "little" else ">i8").tobytes()  # aligned to 8 after the count
        back = s.decode(data, Array(INT64))
        assert back.dtype == np.int64 and back.dtype.isnative and np.array_equal(back, a)
