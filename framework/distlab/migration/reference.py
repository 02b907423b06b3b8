"""Plain-Python twins of the kernels in :mod:`distlab.migration.kernels`: the same algorithms, the same
generator, written for reading rather than speed.

The tests run each twin against its kernel on small inputs and assert identical results; the benchmark
times them as the pure-Python baseline. Arrays are the same NumPy arrays the kernels take, but every
element is handled by the interpreter, one at a time; 64-bit unsigned arithmetic is emulated with masks.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "count_dirty",
    "drop_redirtied",
    "mark_sent",
    "draw_hotset",
    "draw_uniform",
    "draw_zipf",
    "mark_hotset",
    "mark_pages",
    "mark_uniform",
    "mark_zipf",
    "next_u64",
    "postcopy_replay",
    "send_pages",
    "splitmix64",
    "sync_arrive",
    "sync_dirty",
    "sync_send",
    "sync_whole",
]

_M64 = (1 << 64) - 1


def splitmix64(x: int) -> int:
    """One splitmix64 output for input ``x``."""
    z = (x + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


_GOLDEN = 0x9E3779B97F4A7C15


def next_u64(state: np.ndarray) -> int:
    """Advance the generator state ``state[0]`` and return the next 64-bit output."""
    x = int(state[0])
    state[0] = (x + _GOLDEN) & _M64
    return splitmix64(x)


def _below(r: int, n: int) -> int:
    return ((r >> 32) * n) >> 32


def _unit(r: int) -> float:
    return (r >> 11) * (1.0 / 9007199254740992.0)


def _hot_page(state: np.ndarray, hot_lo: int, hot_n: int, cold_n: int, pages: int, p_hot: float) -> int:
    u = _unit(next_u64(state))
    r = next_u64(state)
    if u < p_hot or cold_n == 0:
        return hot_lo + _below(r, hot_n)
    return (hot_lo + hot_n + _below(r, cold_n)) % pages


def _zipf_rank(u: float, cdf: np.ndarray) -> int:
    lo, hi = 0, len(cdf) - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if cdf[mid] > u:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _test(bitmap: np.ndarray, p: int) -> int:
    """Bit ``p`` of a packed bitmap (bit ``p % 64`` of ``uint64`` word ``p // 64``)."""
    return (int(bitmap[p // 64]) >> (p % 64)) & 1


def _set(bitmap: np.ndarray, p: int) -> int:
    """Set bit ``p`` of a packed bitmap; 1 if it was clear."""
    was = _test(bitmap, p)
    bitmap[p // 64] = np.uint64(int(bitmap[p // 64]) | (1 << (p % 64)))
    return 1 - was


def _count_words(bitmap: np.ndarray, a: int, b: int) -> int:
    """Set bits in words ``a`` to ``b - 1`` of a packed bitmap."""
    return sum(bin(int(bitmap[j])).count("1") for j in range(a, b))


def _mark(p: int, bitmap: np.ndarray, versions: np.ndarray) -> int:
    if len(versions):
        versions[p] += 1
    return _set(bitmap, p)


def mark_uniform(state: np.ndarray, n: int, lo: int, span: int, bitmap: np.ndarray, versions: np.ndarray) -> int:
    """Twin of :func:`distlab.migration.kernels.mark_uniform`, with its dense path: at least one write per
    word of the range and no versions, the bits are set without a test and the newly dirtied pages are
    the range's popcount after minus before (the kernel's prefetch has no counterpart here)."""
    a, b = lo // 64, (lo + span + 63) // 64
    if len(versions) == 0 and span > 0 and n >= b - a:
        before = _count_words(bitmap, a, b)
        for _ in range(n):
            p = lo + _below(next_u64(state), span)
            bitmap[p // 64] = np.uint64(int(bitmap[p // 64]) | (1 << (p % 64)))
        return _count_words(bitmap, a, b) - before
    return sum(_mark(lo + _below(next_u64(state), span), bitmap, versions) for _ in range(n))


def mark_hotset(
    state: np.ndarray, n: int, hot_lo: int, hot_n: int, p_hot: float, pages: int, bitmap: np.ndarray,
    versions: np.ndarray,
) -> int:
    """Twin of :func:`distlab.migration.kernels.mark_hotset`."""
    return sum(
        _mark(_hot_page(state, hot_lo, hot_n, pages - hot_n, pages, p_hot), bitmap, versions) for _ in range(n)
    )


def mark_zipf(state: np.ndarray, n: int, cdf: np.ndarray, perm: np.ndarray, bitmap: np.ndarray, versions: np.ndarray) -> int:
    """Twin of :func:`distlab.migration.kernels.mark_zipf`."""
    return sum(_mark(int(perm[_zipf_rank(_unit(next_u64(state)), cdf)]), bitmap, versions) for _ in range(n))


def mark_pages(pages: np.ndarray, bitmap: np.ndarray, versions: np.ndarray) -> int:
    """Twin of :func:`distlab.migration.kernels.mark_pages`."""
    return sum(_mark(int(p), bitmap, versions) for p in pages)


def draw_uniform(state: np.ndarray, lo: int, span: int, out: np.ndarray) -> None:
    """Twin of :func:`distlab.migration.kernels.draw_uniform`."""
    for i in range(len(out)):
        out[i] = lo + _below(next_u64(state), span)


def draw_hotset(state: np.ndarray, hot_lo: int, hot_n: int, p_hot: float, pages: int, out: np.ndarray) -> None:
    """Twin of :func:`distlab.migration.kernels.draw_hotset`."""
    for i in range(len(out)):
        out[i] = _hot_page(state, hot_lo, hot_n, pages - hot_n, pages, p_hot)


def draw_zipf(state: np.ndarray, cdf: np.ndarray, perm: np.ndarray, out: np.ndarray) -> None:
    """Twin of :func:`distlab.migration.kernels.draw_zipf`."""
    for i in range(len(out)):
        out[i] = perm[_zipf_rank(_unit(next_u64(state)), cdf)]


def _pages_of(bitmap: np.ndarray) -> list[int]:
    """The pages set in a packed bitmap, ascending."""
    return [64 * j + b for j in range(len(bitmap)) for b in range(64) if (int(bitmap[j]) >> b) & 1]


def count_dirty(bitmap: np.ndarray) -> int:
    """Twin of :func:`distlab.migration.kernels.count_dirty`."""
    return len(_pages_of(bitmap))


def sync_dirty(bitmap: np.ndarray, out: np.ndarray, zero: np.ndarray, clear_zero: bool) -> int:
    """Twin of :func:`distlab.migration.kernels.sync_dirty`."""
    pages = _pages_of(bitmap)
    bitmap[:] = 0
    for k, p in enumerate(pages):
        out[k] = p
        if clear_zero:
            zero[p] = 0
    return len(pages)


def sync_arrive(bitmap: np.ndarray, arrive: np.ndarray, zero: np.ndarray, clear_zero: bool) -> int:
    """Twin of :func:`distlab.migration.kernels.sync_arrive`."""
    pages = _pages_of(bitmap)
    bitmap[:] = 0
    arrive[:] = -1.0
    for p in pages:
        arrive[p] = math.inf
        if clear_zero:
            zero[p] = 0
    return len(pages)


def mark_sent(bitmap: np.ndarray, sent: np.ndarray) -> int:
    """Twin of :func:`distlab.migration.kernels.mark_sent`."""
    return sum(1 - _set(sent, p) for p in _pages_of(bitmap))


def drop_redirtied(idx: np.ndarray, lo: int, hi: int, bitmap: np.ndarray) -> int:
    """Twin of :func:`distlab.migration.kernels.drop_redirtied`."""
    kept = [int(p) for p in idx[lo:hi] if _test(bitmap, int(p)) == 0]
    idx[lo:lo + len(kept)] = kept
    return len(kept)


def send_pages(
    idx: np.ndarray,
    zero: np.ndarray,
    sent: np.ndarray,
    cache: np.ndarray,
    use_cache: bool,
    insert_on_miss: bool,
    skip_zero: bool,
    page_bytes: int,
    zero_bytes: int,
    delta_bytes: int,
    src_versions: np.ndarray,
    dst_versions: np.ndarray,
) -> tuple[int, int, int, int, int]:
    """Twin of :func:`distlab.migration.kernels.send_pages`."""
    total = data = zeros = resent = hits = 0
    for p in (int(i) for i in idx):
        if len(sent):
            resent += 1 - _set(sent, p)
        if len(src_versions):
            dst_versions[p] = src_versions[p]
        if skip_zero and zero[p]:
            total += zero_bytes
            zeros += 1
            continue
        data += 1
        if use_cache:
            s = p % len(cache)
            if cache[s] == p:
                hits += 1
                total += delta_bytes
                continue
            if insert_on_miss:
                cache[s] = p
        total += page_bytes
    return total, data, zeros, resent, hits


def sync_send(
    bitmap: np.ndarray,
    zero: np.ndarray,
    clear_zero: bool,
    sent: np.ndarray,
    cache: np.ndarray,
    use_cache: bool,
    insert_on_miss: bool,
    skip_zero: bool,
    page_bytes: int,
    zero_bytes: int,
    delta_bytes: int,
    src_versions: np.ndarray,
    dst_versions: np.ndarray,
) -> tuple[int, int, int, int, int, int]:
    """Twin of :func:`distlab.migration.kernels.sync_send`: the whole sync, then the send, as two steps."""
    idx = np.zeros(count_dirty(bitmap), dtype=np.int64)
    n = sync_dirty(bitmap, idx, zero, clear_zero)
    return (n, *send_pages(idx, zero, sent, cache, use_cache, insert_on_miss, skip_zero, page_bytes, zero_bytes,
                           delta_bytes, src_versions, dst_versions))


def sync_whole(bitmap: np.ndarray, sent: np.ndarray) -> tuple[int, int]:
    """Twin of :func:`distlab.migration.kernels.sync_whole`: :func:`sync_send` with no per-page effect."""
    none = np.zeros(0, dtype=np.int64)
    n, nbytes, data, zeros, resent, hits = sync_send(bitmap, np.zeros(0, dtype=np.uint8), False, sent,
                                                    np.full(1, -1, dtype=np.int64), False, False, False, 1, 1, 1,
                                                    none, none)
    assert nbytes == data == n and zeros == hits == 0  # every page a full page of 1 byte
    return n, resent


def _post_send(q: int, arrive: np.ndarray, zero: np.ndarray, skip_zero: bool, page_s: float, zero_s: float,
               latency_s: float, st: np.ndarray, src_versions: np.ndarray, dst_versions: np.ndarray) -> None:
    if skip_zero and zero[q]:
        st[1] += zero_s
        st[6] += 1
    else:
        st[1] += page_s
        st[5] += 1
    arrive[q] = st[1] + latency_s
    st[8] = max(st[8], arrive[q])
    st[7] -= 1
    if len(src_versions):
        dst_versions[q] = src_versions[q]


def _push_next(arrive: np.ndarray, zero: np.ndarray, skip_zero: bool, page_s: float, zero_s: float,
               latency_s: float, st: np.ndarray, src_versions: np.ndarray, dst_versions: np.ndarray) -> bool:
    """Twin of :func:`distlab.migration.kernels._push_next`."""
    q = int(st[2])
    while q < len(arrive) and arrive[q] != math.inf:
        q += 1
    if q >= len(arrive):  # wrap around to the lowest page that may still be at the source
        q = int(st[9])
        while q < len(arrive) and arrive[q] != math.inf:
            q += 1
        st[9] = q
    st[2] = q
    if q >= len(arrive):
        return False
    _post_send(q, arrive, zero, skip_zero, page_s, zero_s, latency_s, st, src_versions, dst_versions)
    return True


def postcopy_replay(
    pages: np.ndarray,
    times: np.ndarray,
    until: float,
    arrive: np.ndarray,
    zero: np.ndarray,
    skip_zero: bool,
    page_s: float,
    zero_s: float,
    latency_s: float,
    prepage: int,
    push: bool,
    restart: bool,
    st: np.ndarray,
    src_versions: np.ndarray,
    dst_versions: np.ndarray,
) -> None:
    """Twin of :func:`distlab.migration.kernels.postcopy_replay`."""
    n_pages = len(arrive)
    args = (arrive, zero, skip_zero, page_s, zero_s, latency_s, st, src_versions, dst_versions)
    for i in range(len(pages) + 1):
        t = (times[i] if i < len(pages) else until) + st[0]
        while push and st[7] > 0 and st[1] <= t:
            if not _push_next(*args):
                break
        if i == len(pages):
            break
        p = int(pages[i])
        if arrive[p] <= t:
            continue
        st[3] += 1
        while arrive[p] == math.inf and push and st[7] > 0 and st[1] < t + latency_s:
            if not _push_next(*args):
                break
        if arrive[p] == math.inf:
            st[1] = max(t + latency_s, st[1])
            _post_send(p, *args)
            sent = 0
            for d in range(1, prepage + 1):
                if sent >= prepage:
                    break
                for q in (p + d, p - d):
                    if sent < prepage and 0 <= q < n_pages and arrive[q] == math.inf:
                        _post_send(q, *args)
                        sent += 1
            if restart:
                st[2] = p + 1
        stall = arrive[p] - t
        st[4] += stall
        st[0] += stall
