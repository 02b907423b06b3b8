"""Every Numba kernel of the migration engine: the loops that run once per guest write or per page.

Each kernel has a plain-Python twin of the same name in :mod:`distlab.migration.reference`; the tests
assert both give identical results for the same inputs and seed. The kernels are compiled with
``cache=True`` so that a second process loads them from ``__pycache__`` instead of compiling again.

Random numbers come from SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014): a counter-based generator whose state is one ``uint64`` that advances by a
fixed odd constant, each output being a bijective mix of the counter. The state lives in a length-1
array so that the caller sees it advance; kernels copy it into a local for the loop (a value LLVM
can keep in a register, which it cannot prove for an array element next to the bitmap stores), and
because draws do not depend on each other the loop runs at the speed of the stores. The trial seed
is mixed into the starting state. ``np.random`` is never called inside a loop (DESIGN.md, "Hot
paths"). A draw below ``n`` uses the top 32 bits of the output and a multiply-shift (Lemire), so ``n``
must stay below 2**32 pages (16 TiB of 4 KiB pages).

Bitmaps are ``uint8`` arrays with one byte per page (1 = dirty), which is what makes the write loop a
single store; a packed bitmap would need a read-modify-write per write. The scans at round boundaries
(:func:`sync_dirty`, :func:`count_dirty`) read the bitmap eight pages at a time, as ``uint64`` words,
and skip clean words, so that a round with few dirty pages costs a pass over ``pages / 8`` words.
"""

from __future__ import annotations

import sys

import numba
import numpy as np

__all__ = [
    "drop_redirtied",
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
    "sync_dirty",
    "count_dirty",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SM1 = np.uint64(0xBF58476D1CE4E5B9)
_SM2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_S11 = np.uint64(11)
_S27b = np.uint64(27)
_TWO_M53 = 1.0 / 9007199254740992.0


@numba.njit(cache=True, inline="always")
def splitmix64(x: np.uint64) -> np.uint64:
    """SplitMix64's output for counter value ``x + gamma`` (also turns a seed into a state)."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _SM1
    z = (z ^ (z >> _S27b)) * _SM2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always")
def next_u64(state: np.ndarray) -> np.uint64:
    """Advance the generator state ``state[0]`` and return the next 64-bit output."""
    x = state[0]
    state[0] = x + _GOLDEN
    return splitmix64(x)


@numba.njit(cache=True, inline="always")
def _below(r: np.uint64, n: np.uint64) -> np.uint64:
    return ((r >> _S32) * n) >> _S32


@numba.njit(cache=True, inline="always")
def _unit(r: np.uint64) -> float:
    return float(r >> _S11) * _TWO_M53


@numba.njit(cache=True, inline="always")
def _hot_page(c: np.uint64, hot_lo: np.uint64, hot_n: np.uint64, cold_n: np.uint64, pages: np.uint64, p_hot: float) -> np.uint64:
    # Two draws per write (counters c and c + gamma) whatever the branch, so the k-th write is the same
    # page however the guest's time is cut into chunks.
    u = _unit(splitmix64(c))
    r = splitmix64(c + _GOLDEN)
    if u < p_hot or cold_n == 0:
        return hot_lo + _below(r, hot_n)
    return (hot_lo + hot_n + _below(r, cold_n)) % pages


@numba.njit(cache=True, inline="always")
def _zipf_rank(u: float, cdf: np.ndarray) -> int:
    # First rank whose cumulative probability exceeds u (inverse transform by bisection).
    lo = 0
    hi = cdf.size - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if cdf[mid] > u:
            hi = mid
        else:
            lo = mid + 1
    return lo


# -- writes straight into the dirty bitmap (the pre-copy hot path) ---------------------------------
#
# A write is a single store. Counting the pages newly dirtied by reading each byte before the store
# would make every write wait for a cache miss (5x slower on a bitmap larger than the L2 cache), so
# when the writes are many compared with the pages, the kernels count the dirty pages before and
# after instead (two sequential scans); for a few writes, or with versions to keep, they read.

_DENSE = 64  # scan when n * _DENSE >= pages


@numba.njit(cache=True)
def _count(bitmap: np.ndarray) -> int:
    n = 0
    for i in range(bitmap.size):
        n += bitmap[i]
    return n


@numba.njit(cache=True)
def mark_uniform(state: np.ndarray, n: int, lo: int, span: int, bitmap: np.ndarray, versions: np.ndarray) -> int:
    """Draw ``n`` pages uniformly in ``[lo, lo + span)``, mark them dirty, return how many were newly dirtied.

    ``versions`` (one ``int64`` per page, or empty) counts writes per page for the engine's check mode.
    """
    c = state[0]
    ulo = np.uint64(lo)
    nspan = np.uint64(span)
    newly = 0
    if versions.size == 0 and n * _DENSE >= bitmap.size:
        before = _count(bitmap)
        for _ in range(n):
            bitmap[ulo + _below(splitmix64(c), nspan)] = 1
            c += _GOLDEN
        newly = _count(bitmap) - before
    else:
        track = versions.size > 0
        for _ in range(n):
            p = ulo + _below(splitmix64(c), nspan)
            c += _GOLDEN
            newly += 1 - bitmap[p]
            bitmap[p] = 1
            if track:
                versions[p] += 1
    state[0] = c
    return newly


@numba.njit(cache=True)
def mark_hotset(
    state: np.ndarray, n: int, hot_lo: int, hot_n: int, p_hot: float, bitmap: np.ndarray, versions: np.ndarray
) -> int:
    """Like :func:`mark_uniform`, with probability ``p_hot`` in the hot range ``[hot_lo, hot_lo + hot_n)``
    and otherwise uniformly in the rest of memory (wrapping around)."""
    c = state[0]
    pages = np.uint64(bitmap.size)
    hlo = np.uint64(hot_lo)
    hn = np.uint64(hot_n)
    cn = pages - hn
    step = _GOLDEN + _GOLDEN
    newly = 0
    if versions.size == 0 and n * _DENSE >= bitmap.size:
        before = _count(bitmap)
        for _ in range(n):
            bitmap[_hot_page(c, hlo, hn, cn, pages, p_hot)] = 1
            c += step
        newly = _count(bitmap) - before
    else:
        track = versions.size > 0
        for _ in range(n):
            p = _hot_page(c, hlo, hn, cn, pages, p_hot)
            c += step
            newly += 1 - bitmap[p]
            bitmap[p] = 1
            if track:
                versions[p] += 1
    state[0] = c
    return newly


@numba.njit(cache=True)
def mark_zipf(state: np.ndarray, n: int, cdf: np.ndarray, perm: np.ndarray, bitmap: np.ndarray, versions: np.ndarray) -> int:
    """Like :func:`mark_uniform`, drawing a rank from the cumulative table ``cdf`` and writing page ``perm[rank]``."""
    c = state[0]
    newly = 0
    track = versions.size > 0
    for _ in range(n):
        p = perm[_zipf_rank(_unit(splitmix64(c)), cdf)]
        c += _GOLDEN
        newly += 1 - bitmap[p]
        bitmap[p] = 1
        if track:
            versions[p] += 1
    state[0] = c
    return newly


@numba.njit(cache=True)
def mark_pages(pages: np.ndarray, bitmap: np.ndarray, versions: np.ndarray) -> int:
    """Mark the given pages dirty (in order); return how many were newly dirtied."""
    newly = 0
    track = versions.size > 0
    for i in range(pages.size):
        p = pages[i]
        newly += 1 - bitmap[p]
        bitmap[p] = 1
        if track:
            versions[p] += 1
    return newly


# -- the same draws into an array (post-copy needs each access, in order) --------------------------


@numba.njit(cache=True)
def draw_uniform(state: np.ndarray, lo: int, span: int, out: np.ndarray) -> None:
    """Fill ``out`` with the pages :func:`mark_uniform` would write from the same state."""
    c = state[0]
    ulo = np.uint64(lo)
    nspan = np.uint64(span)
    for i in range(out.size):
        out[i] = ulo + _below(splitmix64(c), nspan)
        c += _GOLDEN
    state[0] = c


@numba.njit(cache=True)
def draw_hotset(state: np.ndarray, hot_lo: int, hot_n: int, p_hot: float, pages: int, out: np.ndarray) -> None:
    """Fill ``out`` with the pages :func:`mark_hotset` would write from the same state."""
    c = state[0]
    up = np.uint64(pages)
    hn = np.uint64(hot_n)
    step = _GOLDEN + _GOLDEN
    for i in range(out.size):
        out[i] = _hot_page(c, np.uint64(hot_lo), hn, up - hn, up, p_hot)
        c += step
    state[0] = c


@numba.njit(cache=True)
def draw_zipf(state: np.ndarray, cdf: np.ndarray, perm: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` with the pages :func:`mark_zipf` would write from the same state."""
    c = state[0]
    for i in range(out.size):
        out[i] = perm[_zipf_rank(_unit(splitmix64(c)), cdf)]
        c += _GOLDEN
    state[0] = c


# -- the bitmap at round boundaries ---------------------------------------------------------------


_BYTE_SUM = np.uint64(0x0101010101010101)
_S56 = np.uint64(56)
_ONE = np.uint64(1)
# The word scans take byte i of a word as bits 8i..8i+7, i.e. page base + i: true on little-endian hosts.
assert sys.byteorder == "little", "distlab.migration.kernels assumes a little-endian host"


@numba.njit(cache=True)
def count_dirty(bitmap: np.ndarray) -> int:
    """How many pages are dirty."""
    words = bitmap.size >> 3
    w = bitmap[: words << 3].view(np.uint64)
    n = 0
    for j in range(words):
        # Each byte is 0 or 1, so the multiply gathers the eight of them in the top byte (at most 8).
        n += (w[j] * _BYTE_SUM) >> _S56
    for i in range(words << 3, bitmap.size):
        n += bitmap[i]
    return n


@numba.njit(cache=True)
def sync_dirty(bitmap: np.ndarray, out: np.ndarray, zero: np.ndarray, clear_zero: bool) -> int:
    """Snapshot and clear the dirty bitmap: write the dirty page indices into ``out`` in ascending order.

    When ``clear_zero``, the synced pages were written by the guest, so they are no longer zero pages.
    The bitmap is read as ``uint64`` words; a clean word (eight clean pages) costs one load, a dirty one
    eight stores and no branch.

    Returns:
        The number of indices written, ``k``; what ``out`` holds past ``out[k - 1]`` is scratch.
    """
    k = 0
    words = bitmap.size >> 3
    w = bitmap[: words << 3].view(np.uint64)
    for j in range(words):
        x = w[j]
        if x == 0:
            continue
        w[j] = 0
        base = j << 3
        # Branch-free compaction: every page of the word is written at out[k], and k moves on past it
        # only if it is dirty (byte i of the word is page base + i; each byte is 0 or 1).
        k0 = k
        for i in range(8):
            out[k] = base + i
            k += int((x >> np.uint64(8 * i)) & _ONE)
        if clear_zero:
            for q in range(k0, k):
                zero[out[q]] = 0
    for i in range(words << 3, bitmap.size):
        if bitmap[i]:
            bitmap[i] = 0
            out[k] = i
            k += 1
            if clear_zero:
                zero[i] = 0
    return k


@numba.njit(cache=True)
def drop_redirtied(idx: np.ndarray, lo: int, hi: int, bitmap: np.ndarray) -> int:
    """Pack the pages of ``idx[lo:hi]`` that are not dirty in ``bitmap`` at ``idx[lo:lo + k]``; return ``k``.

    A page of a pre-copy round that the guest wrote again since the round's sync is dirty again, and
    Xen does not send it in this round (the ``to_skip`` peek of xc_linux_save.c); it stays dirty.
    """
    k = lo
    for i in range(lo, hi):
        p = idx[i]
        if bitmap[p] == 0:
            idx[k] = p
            k += 1
    return k - lo


@numba.njit(cache=True)
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
    """Encode and send the pages ``idx``; return (bytes, data pages, zero pages, re-sends, cache hits).

    A zero page costs ``zero_bytes`` when ``skip_zero`` (checked first, as QEMU's ``save_zero_page``
    runs before XBZRLE in migration/ram.c). With ``use_cache``, the delta cache is direct-mapped like
    QEMU's migration/page_cache.c (slot = page mod slots): a hit sends ``delta_bytes``, a miss sends the
    whole page and, if ``insert_on_miss``, takes the slot. ``sent`` counts transmissions per page.
    """
    total = 0
    data = 0
    zeros = 0
    resent = 0
    hits = 0
    slots = cache.size
    track = src_versions.size > 0
    for i in range(idx.size):
        p = idx[i]
        if sent[p] > 0:
            resent += 1
        sent[p] += 1
        if track:
            dst_versions[p] = src_versions[p]
        if skip_zero and zero[p]:
            total += zero_bytes
            zeros += 1
            continue
        data += 1
        if use_cache:
            s = p % slots
            if cache[s] == p:
                hits += 1
                total += delta_bytes
                continue
            if insert_on_miss:
                cache[s] = p
        total += page_bytes
    return total, data, zeros, resent, hits


# -- post-copy: the guest runs at the destination and faults on missing pages ----------------------


@numba.njit(cache=True, inline="always")
def _post_send(
    q: np.int64, arrive: np.ndarray, zero: np.ndarray, skip_zero: bool, page_s: float, zero_s: float,
    latency_s: float, st: np.ndarray, src_versions: np.ndarray, dst_versions: np.ndarray,
) -> None:
    # The page leaves when the link is free (st[1] is set by the caller) and arrives one latency later.
    if skip_zero and zero[q]:
        st[1] += zero_s
        st[6] += 1
    else:
        st[1] += page_s
        st[5] += 1
    arrive[q] = st[1] + latency_s
    st[8] = max(st[8], arrive[q])
    st[7] -= 1
    if src_versions.size > 0:
        dst_versions[q] = src_versions[q]


@numba.njit(cache=True)
def _push_next(
    arrive: np.ndarray, zero: np.ndarray, skip_zero: bool, page_s: float, zero_s: float, latency_s: float,
    st: np.ndarray, src_versions: np.ndarray, dst_versions: np.ndarray,
) -> bool:
    # The background push: the next page still at the source from the push pointer st[2] up; past the
    # end, from the lowest page that may still be there (st[9]; only a restarted push leaves pages
    # behind it). False when no page is at the source.
    q = np.int64(st[2])
    while q < arrive.size and arrive[q] != np.inf:
        q += 1
    if q >= arrive.size:
        q = np.int64(st[9])
        while q < arrive.size and arrive[q] != np.inf:
            q += 1
        st[9] = q
    st[2] = q
    if q >= arrive.size:
        return False
    _post_send(q, arrive, zero, skip_zero, page_s, zero_s, latency_s, st, src_versions, dst_versions)
    return True


@numba.njit(cache=True)
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
    """Replay guest accesses at the destination during post-copy, with faults and a background push.

    The link is one serial resource: whenever it is idle the source pushes the next missing page in
    ascending order; with ``restart``, a requested page moves the push to the page after it (QEMU's
    "the dirty page scanning restarts from the requested location"), and past the last page the push
    wraps around to the pages it passed over. A fault (a touch of a page still at the source) sends a request, which takes
    one latency to reach the source while the push goes on; then the page goes next on the link,
    followed by at most ``prepage`` of the missing pages nearest it, tried in the order p+1, p-1, p+2,
    p-2, ... up to ``prepage`` away on either side, and the guest stalls until the faulting page
    arrives. Touching a page still in flight stalls until it arrives and counts as a fault too (the
    page is not there), without pre-paging. Without ``push`` (pure on-demand paging) pages move only
    on faults.

    Args:
        pages: the page of each access, in time order.
        times: the guest time of each access (nondecreasing).
        until: guest time up to which to advance after the last access.
        arrive: per page, when it arrives at the destination (``inf`` while still at the source).
        st: the replay state, updated in place: [0] real minus guest time (grows with stalls),
            [1] time the link is next free, [2] push pointer, [3] faults, [4] stall seconds,
            [5] data pages sent, [6] zero pages sent, [7] pages still at the source,
            [8] last arrival, [9] no page below it is still at the source.
        src_versions / dst_versions: check-mode version arrays, or empty.
    """
    n_pages = arrive.size
    inf = np.inf
    for i in range(pages.size + 1):
        if i < pages.size:
            t = times[i] + st[0]
        else:
            t = until + st[0]
        # Background push while the link is idle before t.
        while push and st[7] > 0 and st[1] <= t:
            if not _push_next(arrive, zero, skip_zero, page_s, zero_s, latency_s, st, src_versions, dst_versions):
                break
        if i == pages.size:
            break
        p = np.int64(pages[i])
        if arrive[p] <= t:
            continue
        st[3] += 1
        # The push goes on while the request travels to the source (one latency); the faulting page
        # goes next after the page on the link when the request arrives.
        while arrive[p] == inf and push and st[7] > 0 and st[1] < t + latency_s:
            if not _push_next(arrive, zero, skip_zero, page_s, zero_s, latency_s, st, src_versions, dst_versions):
                break
        if arrive[p] == inf:
            st[1] = max(t + latency_s, st[1])
            _post_send(p, arrive, zero, skip_zero, page_s, zero_s, latency_s, st, src_versions, dst_versions)
            sent = 0
            for d in range(1, prepage + 1):
                if sent >= prepage:
                    break
                for q in (p + d, p - d):
                    if sent < prepage and 0 <= q < n_pages and arrive[q] == inf:
                        _post_send(q, arrive, zero, skip_zero, page_s, zero_s, latency_s, st, src_versions, dst_versions)
                        sent += 1
            if restart:
                st[2] = p + 1
        stall = arrive[p] - t
        st[4] += stall
        st[0] += stall
