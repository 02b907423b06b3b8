"""Differential tests: every Numba kernel against its plain-Python twin, on small inputs, same seed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.migration import kernels as K
from distlab.migration import reference as R

SETTINGS = settings(max_examples=40, deadline=None)
seeds = st.integers(min_value=0, max_value=2**63 - 1)


def _state(seed: int) -> np.ndarray:
    return np.array([int(K.splitmix64(np.uint64(seed))) or 1], dtype=np.uint64)


def _pair(seed: int) -> tuple[np.ndarray, np.ndarray]:
    return _state(seed), _state(seed)


def _packed(bits: list[int]) -> np.ndarray:
    """A packed bitmap (bit p % 64 of uint64 word p // 64) holding ``bits``."""
    out = np.zeros((len(bits) + 63) // 64, np.uint64)
    for p, b in enumerate(bits):
        if b:
            out[p // 64] |= np.uint64(1 << (p % 64))
    return out


def _bits(bitmap: np.ndarray, pages: int) -> list[int]:
    return [(int(bitmap[p // 64]) >> (p % 64)) & 1 for p in range(pages)]


def _clear(pages: int) -> np.ndarray:
    return np.zeros((pages + 63) // 64, np.uint64)


@SETTINGS
@given(seeds)
def test_splitmix_and_xorshift_match(seed: int) -> None:
    assert int(K.splitmix64(np.uint64(seed))) == R.splitmix64(seed)
    a, b = _pair(seed)
    assert [int(K.next_u64(a)) for _ in range(20)] == [R.next_u64(b) for _ in range(20)]
    assert a[0] == b[0]


@SETTINGS
@given(seeds, st.integers(1, 300), st.integers(0, 500), st.integers(0, 50), st.booleans())
def test_mark_uniform_matches(seed: int, pages: int, n: int, lo_pick: int, versions: bool) -> None:
    lo = lo_pick % pages
    span = pages - lo
    a, b = _pair(seed)
    bm_a, bm_b = _clear(pages), _clear(pages)
    va, vb = (np.zeros(pages if versions else 0, np.int64) for _ in range(2))
    assert K.mark_uniform(a, n, lo, span, bm_a, va) == R.mark_uniform(b, n, lo, span, bm_b, vb)
    assert np.array_equal(bm_a, bm_b) and np.array_equal(va, vb) and a[0] == b[0]
    if versions:
        assert va.sum() == n
    assert [bool(v) for v in _bits(bm_a, pages)][lo:] == [bool(v) for v in (va[lo:] > 0)] if versions else True


@SETTINGS
@given(seeds, st.integers(1, 300), st.integers(0, 500), st.floats(0, 1), st.data())
def test_mark_hotset_matches(seed: int, pages: int, n: int, p_hot: float, data: st.DataObject) -> None:
    hot_n = data.draw(st.integers(1, pages))
    hot_lo = data.draw(st.integers(0, pages - hot_n))
    a, b = _pair(seed)
    bm_a, bm_b = _clear(pages), _clear(pages)
    e = np.zeros(0, np.int64)
    assert K.mark_hotset(a, n, hot_lo, hot_n, p_hot, pages, bm_a, e) == R.mark_hotset(b, n, hot_lo, hot_n, p_hot, pages, bm_b, e)
    assert np.array_equal(bm_a, bm_b) and a[0] == b[0]


def _zipf(pages: int, s: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    cdf = np.cumsum(np.arange(1, pages + 1, dtype=float) ** -s)
    cdf /= cdf[-1]
    return cdf, np.random.default_rng(seed).permutation(pages).astype(np.int64)


@SETTINGS
@given(seeds, st.integers(1, 300), st.integers(0, 500), st.floats(0.1, 2.0))
def test_mark_zipf_matches(seed: int, pages: int, n: int, s: float) -> None:
    cdf, perm = _zipf(pages, s, seed % 1000)
    a, b = _pair(seed)
    bm_a, bm_b = _clear(pages), _clear(pages)
    e = np.zeros(0, np.int64)
    assert K.mark_zipf(a, n, cdf, perm, bm_a, e) == R.mark_zipf(b, n, cdf, perm, bm_b, e)
    assert np.array_equal(bm_a, bm_b) and a[0] == b[0]


@SETTINGS
@given(seeds, st.integers(1, 200), st.integers(0, 300))
def test_draws_match_and_equal_what_marking_writes(seed: int, pages: int, n: int) -> None:
    cdf, perm = _zipf(pages, 0.99, 7)
    hot_n = max(1, pages // 10)
    cases = [
        (lambda m, s, out: m.draw_uniform(s, 0, pages, out), lambda s, bm: K.mark_uniform(s, n, 0, pages, bm, np.zeros(0, np.int64))),
        (lambda m, s, out: m.draw_hotset(s, 0, hot_n, 0.9, pages, out), lambda s, bm: K.mark_hotset(s, n, 0, hot_n, 0.9, pages, bm, np.zeros(0, np.int64))),
        (lambda m, s, out: m.draw_zipf(s, cdf, perm, out), lambda s, bm: K.mark_zipf(s, n, cdf, perm, bm, np.zeros(0, np.int64))),
    ]
    for draw, mark in cases:
        a, b, c = _state(seed), _state(seed), _state(seed)
        out_a, out_b = np.zeros(n, np.int64), np.zeros(n, np.int64)
        draw(K, a, out_a)
        draw(R, b, out_b)
        assert np.array_equal(out_a, out_b) and a[0] == b[0]
        # The fused kernel writes exactly the pages the draw produced.
        bm_mark, bm_draw = _clear(pages), _clear(pages)
        newly = mark(c, bm_mark)
        assert newly == K.mark_pages(out_a, bm_draw, np.zeros(0, np.int64))
        assert np.array_equal(bm_mark, bm_draw) and c[0] == a[0]


@SETTINGS
@given(st.lists(st.integers(0, 1), min_size=1, max_size=300), st.booleans(), st.integers(0, 2**32))
def test_sync_count_and_send_match(bits: list[int], clear_zero: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pages = len(bits)
    bm_a, bm_b = _packed(bits), _packed(bits)
    zero_a = (rng.random(pages) < 0.3).astype(np.uint8)
    zero_b = zero_a.copy()
    assert K.count_dirty(bm_a) == R.count_dirty(bm_b) == sum(bits)
    sent_bits = [int(b) for b in rng.integers(0, 2, pages)]
    sa, sb = _packed(sent_bits), _packed(sent_bits)
    assert K.mark_sent(bm_a, sa) == R.mark_sent(bm_b, sb) == sum(b & s for b, s in zip(bits, sent_bits))
    assert np.array_equal(sa, sb) and _bits(sa, pages) == [b | s for b, s in zip(bits, sent_bits)]
    out_a, out_b = np.zeros(pages, np.int64), np.zeros(pages, np.int64)
    k = K.sync_dirty(bm_a, out_a, zero_a, clear_zero)
    assert k == R.sync_dirty(bm_b, out_b, zero_b, clear_zero) == sum(bits)
    assert np.array_equal(out_a[:k], out_b[:k]) and np.array_equal(zero_a, zero_b) and not bm_a.any() and not bm_b.any()
    assert list(out_a[:k]) == [i for i, b in enumerate(bits) if b]
    idx = np.concatenate([out_a[:k], rng.integers(0, pages, 20)])
    slots = int(rng.integers(1, 16))
    for use_cache, insert, skip in [(False, True, True), (True, True, False), (True, False, True)]:
        sent_a, sent_b = _clear(pages), _clear(pages)
        cache_a = rng.integers(-1, pages, slots).astype(np.int64)
        cache_b = cache_a.copy()
        src = rng.integers(0, 5, pages).astype(np.int64)
        dst_a, dst_b = np.full(pages, -1, np.int64), np.full(pages, -1, np.int64)
        ra = K.send_pages(idx, zero_a, sent_a, cache_a, use_cache, insert, skip, 4096, 9, 1024, src, dst_a)
        rb = R.send_pages(idx, zero_b, sent_b, cache_b, use_cache, insert, skip, 4096, 9, 1024, src, dst_b)
        assert tuple(int(x) for x in ra) == rb
        assert np.array_equal(sent_a, sent_b) and np.array_equal(cache_a, cache_b) and np.array_equal(dst_a, dst_b)
        assert rb[3] == len(idx) - len(set(idx.tolist()))  # every page sent again is a re-send
        # With no record of pages sent, the same bytes and pages, and no re-send counted.
        cache_c, dst_c = cache_b.copy(), np.full(pages, -1, np.int64)
        rc = K.send_pages(idx, zero_a.copy(), np.zeros(0, np.uint64), cache_c, False, insert, skip, 4096, 9, 1024,
                          src, dst_c)
        rd = R.send_pages(idx, zero_b.copy(), np.zeros(0, np.uint64), cache_c.copy(), False, insert, skip, 4096, 9,
                          1024, src, dst_c.copy())
        assert tuple(int(x) for x in rc) == rd and rd[3] == 0


@SETTINGS
@given(st.lists(st.integers(0, 1), min_size=1, max_size=300), st.booleans(), st.integers(0, 2**32))
def test_sync_arrive_matches_its_twin_and_a_sync(bits: list[int], clear_zero: bool, seed: int) -> None:
    # Post-copy's sync into arrival times: inf exactly at the dirty pages, -1 elsewhere (whatever the
    # array held before), the bitmap cleared and the zero flags of dirty pages cleared, as sync_dirty does.
    rng = np.random.default_rng(seed)
    pages = len(bits)
    zero = (rng.random(pages) < 0.3).astype(np.uint8)
    runs = []
    for mod in (K, R):
        bm, z = _packed(bits), zero.copy()
        arrive = rng.random(pages)  # garbage: every element must be written
        n = mod.sync_arrive(bm, arrive, z, clear_zero)
        assert not bm.any()
        runs.append((int(n), arrive, z))
    (na, aa, za), (nb, ab, zb) = runs
    assert na == nb == sum(bits) and np.array_equal(aa, ab) and np.array_equal(za, zb)
    assert np.array_equal(aa, np.where(np.array(bits, dtype=bool), np.inf, -1.0))
    bm, z, out = _packed(bits), zero.copy(), np.zeros(pages, np.int64)
    assert K.sync_dirty(bm, out, z, clear_zero) == na and np.array_equal(z, za)


@SETTINGS
@given(st.lists(st.integers(0, 1), min_size=1, max_size=300), st.integers(0, 2**32), st.booleans(), st.booleans(),
       st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_sync_send_matches_a_sync_then_a_send(bits: list[int], seed: int, clear_zero: bool, has_zero: bool,
                                              skip_zero: bool, use_cache: bool, insert: bool, track: bool,
                                              record: bool) -> None:
    # The twin runs the two steps the fused kernel replaces (sync_dirty, then send_pages), so this also
    # shows that fusing them changes nothing, in every combination of per-page effects.
    rng = np.random.default_rng(seed)
    pages = len(bits)
    zero = (rng.random(pages if has_zero else 0) < 0.3).astype(np.uint8)
    clear_zero, skip_zero = clear_zero and has_zero, skip_zero and has_zero
    sent_bits = [int(b) for b in rng.integers(0, 2, pages)]
    # An empty record of pages sent (the session's "every page was sent before"): no re-send counted.
    sent = _packed(sent_bits) if record else np.zeros(0, np.uint64)
    cache = rng.integers(-1, pages, int(rng.integers(1, 16))).astype(np.int64)
    src = rng.integers(0, 5, pages if track else 0).astype(np.int64)
    runs = []
    for mod in (K, R):
        bm, z, se, ca = _packed(bits), zero.copy(), sent.copy(), cache.copy()
        dst = np.full(pages if track else 0, -1, np.int64)
        r = mod.sync_send(bm, z, clear_zero, se, ca, use_cache, insert, skip_zero, 4096, 9, 1024, src, dst)
        assert not bm.any()
        runs.append((tuple(int(x) for x in r), z, se, ca, dst))
    (ra, za, sa, ca_, da), (rb, zb, sb, cb, db) = runs
    assert ra == rb and ra[0] == sum(bits)
    assert ra[4] == (sum(b & s for b, s in zip(bits, sent_bits)) if record else 0)
    assert np.array_equal(za, zb) and np.array_equal(sa, sb) and np.array_equal(ca_, cb) and np.array_equal(da, db)


@SETTINGS
@given(st.lists(st.integers(0, 1), min_size=1, max_size=300), st.integers(0, 2**32), st.booleans())
def test_sync_whole_matches_sync_send_without_per_page_effects(bits: list[int], seed: int, record: bool) -> None:
    # The session calls sync_whole instead of sync_send when no per-page effect is on: the same pages,
    # re-sends and record of pages sent, and sync_send's bytes are the pages times the page size.
    rng = np.random.default_rng(seed)
    sent_bits = [int(b) for b in rng.integers(0, 2, len(bits))]
    sent = _packed(sent_bits) if record else np.zeros(0, np.uint64)
    none = np.zeros(0, np.int64)
    bm, se = _packed(bits), sent.copy()
    full = K.sync_send(bm, np.zeros(0, np.uint8), False, se, np.full(1, -1, np.int64), False, True, False, 4096, 9,
                       1024, none, none)
    runs = []
    for mod in (K, R):
        bw, sw = _packed(bits), sent.copy()
        n, resent = mod.sync_whole(bw, sw)
        assert not bw.any() and np.array_equal(sw, se)
        runs.append((int(n), int(resent)))
    assert runs[0] == runs[1] == (full[0], full[4])
    assert full[:4] == (sum(bits), 4096 * sum(bits), sum(bits), 0) and full[5] == 0
    assert runs[0][1] == (sum(b & s for b, s in zip(bits, sent_bits)) if record else 0)


@SETTINGS
@given(seeds, st.integers(1, 200), st.integers(0, 400), st.integers(0, 6), st.booleans(), st.booleans(), st.booleans())
def test_postcopy_replay_matches(seed: int, pages: int, n: int, prepage: int, skip_zero: bool, push: bool,
                                 restart: bool) -> None:
    rng = np.random.default_rng(seed % 2**32)
    acc = rng.integers(0, pages, n).astype(np.int64)
    times = np.sort(rng.random(n)) * 0.05
    missing = rng.random(pages) < 0.7
    zero = (rng.random(pages) < 0.2).astype(np.uint8)
    results = []
    for mod in (K, R):
        arrive = np.where(missing, np.inf, -1.0)
        st_ = np.array([0.01, 0.0, 0, 0, 0, 0, 0, missing.sum(), 0.01, 0], dtype=np.float64)
        src = np.arange(pages, dtype=np.int64)
        dst = np.where(missing, -1, src)
        # Two chunks, then run out the push.
        half = n // 2
        mod.postcopy_replay(acc[:half], times[:half], 0.025, arrive, zero, skip_zero, 1e-4, 1e-7, 1e-3, prepage, push, restart, st_, src, dst)
        mod.postcopy_replay(acc[half:], times[half:], 0.05, arrive, zero, skip_zero, 1e-4, 1e-7, 1e-3, prepage, push, restart, st_, src, dst)
        mod.postcopy_replay(acc[:0], times[:0], 10.0, arrive, zero, skip_zero, 1e-4, 1e-7, 1e-3, prepage, push, restart, st_, src, dst)
        results.append((arrive, st_, dst))
    (a1, s1, d1), (a2, s2, d2) = results
    assert np.array_equal(a1, a2) and np.array_equal(s1, s2) and np.array_equal(d1, d2)
    if push:
        assert s1[7] == 0 and np.isfinite(a1).all() and np.array_equal(d1, np.arange(pages))
        assert s1[5] + s1[6] == missing.sum()  # every missing page sent exactly once
    else:  # on demand: every touched missing page moved (with its pre-paged neighbours), each once
        touched = np.zeros(pages, bool)
        touched[acc] = True
        moved = missing & np.isfinite(a1)
        assert s1[5] + s1[6] == moved.sum() and s1[7] == missing.sum() - moved.sum()
        assert not (missing & touched & ~moved).any()
        if prepage == 0:
            assert np.array_equal(moved, missing & touched)


def test_kernels_are_compiled_with_cache() -> None:
    for name in K.__all__:
        dispatcher = getattr(K, name)
        assert getattr(dispatcher, "_cache", None) is not None, name
        assert type(dispatcher._cache).__name__ != "NullCache", f"{name} is not @njit(cache=True)"


@pytest.mark.parametrize("pages", [1, 7, 4096])
def test_uniform_draws_stay_in_range(pages: int) -> None:
    s = _state(3)
    out = np.zeros(10000, np.int64)
    K.draw_uniform(s, 5, pages, out)
    assert out.min() >= 5 and out.max() < 5 + pages


@SETTINGS
@given(st.lists(st.integers(0, 1), min_size=1, max_size=200), st.integers(0, 2**32), st.integers(1, 40))
def test_drop_redirtied_matches(bits: list[int], seed: int, batch: int) -> None:
    rng = np.random.default_rng(seed)
    pages = len(bits)
    bitmap = _packed(bits)
    idx = np.sort(rng.choice(pages, int(rng.integers(0, pages + 1)), replace=False)).astype(np.int64)
    a, b = idx.copy(), idx.copy()
    for lo in range(0, len(idx), batch):
        hi = min(len(idx), lo + batch)
        ka, kb = K.drop_redirtied(a, lo, hi, bitmap), R.drop_redirtied(b, lo, hi, bitmap)
        assert ka == kb
        kept = [int(p) for p in idx[lo:hi] if bits[p] == 0]  # the pages not written again, in order
        assert a[lo:lo + ka].tolist() == b[lo:lo + kb].tolist() == kept


@SETTINGS
@given(seeds, st.integers(1, 300), st.integers(0, 500), st.integers(0, 299))
def test_mark_uniform_dense_path_matches_per_write_path(seed: int, pages: int, n: int, lo_pick: int) -> None:
    # Without versions, a write count of at least one per word takes the popcount path; with versions,
    # the per-write test. Same pages, same count, same state.
    lo = lo_pick % pages
    span = pages - lo
    a, b = _pair(seed)
    bm_a, bm_b = _clear(pages), _clear(pages)
    bm_a[:] = bm_b[:] = np.uint64(seed & 0xFFFF)  # some pages already dirty
    if pages % 64:
        bm_a[-1] &= np.uint64((1 << (pages % 64)) - 1)
        bm_b[-1] = bm_a[-1]
    newly_a = K.mark_uniform(a, n, lo, span, bm_a, np.zeros(0, np.int64))
    newly_b = K.mark_uniform(b, n, lo, span, bm_b, np.zeros(pages, np.int64))
    assert newly_a == newly_b and np.array_equal(bm_a, bm_b) and a[0] == b[0]
