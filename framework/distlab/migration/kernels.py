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

Bitmaps (dirty pages, pages sent at least once) are bit-packed ``uint64`` arrays: bit ``p % 64`` of word
``p // 64`` is page ``p``, and bits past the last page stay 0. At an eighth of a byte per page they
stay in the last-level cache up to a few hundred GiB of guest memory, where a byte per page spilled to
DRAM past 16 GiB and the cost per GiB of a trial grew with the VM. The scans at round boundaries
(:func:`sync_send`, :func:`sync_dirty`, :func:`count_dirty`) read 64 pages per word and skip clean
words; a pre-copy round with no per-page encoding is sent a word at a time.
"""

from __future__ import annotations


import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

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
    "sync_arrive",
    "sync_dirty",
    "count_dirty",
    "mark_sent",
    "sync_send",
    "sync_whole",
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
# The bitmap is bit-packed: bit b of uint64 word j is page 64 j + b. A write is a load, an OR and a
# store of one word. A byte per page made a write a single blind store, but its bitmap (1 byte per
# page) leaves the caches past a few GiB of guest memory, and then every random write waits on DRAM;
# packed, the bitmap of a 256 GiB VM is 8 MiB and stays in the last-level cache. Because the word is
# loaded anyway, whether the page was already dirty is known for free, so there is no separate
# counting pass.

_ONE = np.uint64(1)


@numba.njit(cache=True, inline="always")
def _set(bitmap: np.ndarray, p: np.int64) -> int:
    # Mark page p dirty; 1 if it was clean.
    j = p >> 6
    s = np.uint64(p & 63)
    w = bitmap[j]
    bitmap[j] = w | (_ONE << s)
    return 1 - int((w >> s) & _ONE)


@numba.njit(cache=True, inline="always")
def _is_set(bitmap: np.ndarray, p: np.int64) -> bool:
    return bool(((bitmap[p >> 6] >> np.uint64(p & 63)) & _ONE) != 0)


@intrinsic
def _prefetch_write(typingctx, arr, idx):  # type: ignore[no-untyped-def]
    # LLVM's prefetch of arr[idx] for a write (x86: prefetchw where the CPU has it, else prefetcht0);
    # a hint only, with no effect on results. Numba exposes no prefetch.
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = builder.module.declare_intrinsic(
            "llvm.prefetch", fnty=ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]))
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), i8p)
        builder.call(fn, [ptr, ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


# Writes ahead whose bitmap word is prefetched in the dense path of mark_uniform (a power of 2).
_AHEAD = 16


@numba.njit(cache=True)
def _count_range(bitmap: np.ndarray, a: int, b: int) -> int:
    n = 0
    for j in range(a, b):
        n += _popcount(bitmap[j])
    return n


@numba.njit(cache=True)
def mark_uniform(state: np.ndarray, n: int, lo: int, span: int, bitmap: np.ndarray, versions: np.ndarray) -> int:
    """Draw ``n`` pages uniformly in ``[lo, lo + span)``, mark them dirty, return how many were newly dirtied.

    ``bitmap`` is the packed dirty bitmap (``uint64`` words, bit ``p % 64`` of word ``p // 64`` is page
    ``p``). ``versions`` (one ``int64`` per page, or empty) counts writes per page for the engine's
    check mode.

    Dense writes (at least one per word of the range, no versions) take another path with the same
    results: a write only ORs its bit in (no per-write test), the word of the write ``_AHEAD`` writes
    later is prefetched (the load of a read-modify-write otherwise stalls once the bitmap is past the
    L2 cache), and the newly dirtied pages are the popcount of the range's words after minus before.
    """
    c = state[0]
    if versions.size == 0 and span > 0 and n >= ((lo + span + 63) >> 6) - (lo >> 6):
        a = lo >> 6
        b = (lo + span + 63) >> 6
        before = _count_range(bitmap, a, b)
        ulo = np.uint64(lo)
        nspan = np.uint64(span)
        ring = np.empty(_AHEAD, dtype=np.int64)
        ahead = c
        for i in range(min(n, _AHEAD)):
            q = np.int64(ulo + _below(splitmix64(ahead), nspan))
            ahead += _GOLDEN
            ring[i] = q
            _prefetch_write(bitmap, q >> 6)  # type: ignore[call-arg]  # typingctx is supplied by Numba
        for i in range(n):
            k = i & (_AHEAD - 1)
            p = ring[k]
            if i + _AHEAD < n:
                q = np.int64(ulo + _below(splitmix64(ahead), nspan))
                ahead += _GOLDEN
                ring[k] = q
                _prefetch_write(bitmap, q >> 6)  # type: ignore[call-arg]  # typingctx is supplied by Numba
            bitmap[p >> 6] |= _ONE << np.uint64(p & 63)
        state[0] = ahead  # n draws
        return _count_range(bitmap, a, b) - before
    ulo = np.uint64(lo)
    nspan = np.uint64(span)
    newly = 0
    track = versions.size > 0
    for _ in range(n):
        p = np.int64(ulo + _below(splitmix64(c), nspan))
        c += _GOLDEN
        newly += _set(bitmap, p)
        if track:
            versions[p] += 1
    state[0] = c
    return newly


@numba.njit(cache=True)
def mark_hotset(
    state: np.ndarray, n: int, hot_lo: int, hot_n: int, p_hot: float, pages: int, bitmap: np.ndarray,
    versions: np.ndarray,
) -> int:
    """Like :func:`mark_uniform`, with probability ``p_hot`` in the hot range ``[hot_lo, hot_lo + hot_n)``
    and otherwise uniformly in the rest of the ``pages`` pages of memory (wrapping around)."""
    c = state[0]
    up = np.uint64(pages)
    hlo = np.uint64(hot_lo)
    hn = np.uint64(hot_n)
    cn = up - hn
    step = _GOLDEN + _GOLDEN
    newly = 0
    track = versions.size > 0
    for _ in range(n):
        p = np.int64(_hot_page(c, hlo, hn, cn, up, p_hot))
        c += step
        newly += _set(bitmap, p)
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
        p = np.int64(perm[_zipf_rank(_unit(splitmix64(c)), cdf)])
        c += _GOLDEN
        newly += _set(bitmap, p)
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
        p = np.int64(pages[i])
        newly += _set(bitmap, p)
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

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_S56 = np.uint64(56)
_S58 = np.uint64(58)
# De Bruijn sequence for the index of a word's lowest set bit (Leiserson, Prokop and Randall, "Using de
# Bruijn sequences to index a 1 in a computer word", 1998): Numba exposes no count-trailing-zeros.
_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_CTZ = np.zeros(64, dtype=np.int64)
for _i in range(64):
    _CTZ[((1 << _i) * 0x03F79D71B4CB0A89 & (2**64 - 1)) >> 58] = _i
del _i


@numba.njit(cache=True, inline="always")
def _popcount(x: np.uint64) -> int:
    # SWAR population count (Hacker's Delight, 5-1): a dozen integer operations, no table.
    x = x - ((x >> _ONE) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return int((x * _H01) >> _S56)


@numba.njit(cache=True, inline="always")
def _low_bit(x: np.uint64) -> int:
    # Index of the lowest set bit of a nonzero word.
    return int(_CTZ[((x & (~x + _ONE)) * _DEBRUIJN) >> _S58])


@numba.njit(cache=True)
def count_dirty(bitmap: np.ndarray) -> int:
    """How many pages are dirty in the packed bitmap."""
    n = 0
    for j in range(bitmap.size):
        n += _popcount(bitmap[j])
    return n


@numba.njit(cache=True)
def sync_dirty(bitmap: np.ndarray, out: np.ndarray, zero: np.ndarray, clear_zero: bool) -> int:
    """Snapshot and clear the packed dirty bitmap: write the dirty page indices into ``out`` in ascending order.

    When ``clear_zero``, the synced pages were written by the guest, so they are no longer zero pages.
    A clean word (64 clean pages) costs one load; a dirty one a few operations per dirty page.

    Returns:
        The number of indices written, ``k`` (``out[:k]``).
    """
    k = 0
    for j in range(bitmap.size):
        x = bitmap[j]
        if x == 0:
            continue
        bitmap[j] = 0
        base = j << 6
        while x != 0:
            p = base + _low_bit(x)
            x &= x - _ONE
            out[k] = p
            k += 1
            if clear_zero:
                zero[p] = 0
    return k


@numba.njit(cache=True)
def sync_arrive(bitmap: np.ndarray, arrive: np.ndarray, zero: np.ndarray, clear_zero: bool) -> int:
    """Snapshot and clear the packed dirty bitmap into post-copy's arrival times: ``arrive[p]`` is ``inf``
    for a dirty page (still at the source) and -1 for a clean one (already at the destination).

    Every element of ``arrive`` (one per page) is written, so it may come uninitialised; the dirty
    pages lose their zero flag when ``clear_zero``, as in :func:`sync_dirty`. Post-copy needs no list of
    the missing pages, only this array, so none is made (8 bytes a page fewer at the switch-over).

    Returns:
        The number of dirty pages.
    """
    k = 0
    for j in range(bitmap.size):
        x = bitmap[j]
        base = j << 6
        hi = min(base + 64, arrive.size)
        for p in range(base, hi):
            arrive[p] = -1.0
        if x == 0:
            continue
        bitmap[j] = 0
        while x != 0:
            p = base + _low_bit(x)
            x &= x - _ONE
            arrive[p] = np.inf
            k += 1
            if clear_zero:
                zero[p] = 0
    return k


@numba.njit(cache=True)
def mark_sent(bitmap: np.ndarray, sent: np.ndarray) -> int:
    """Record that the pages dirty in ``bitmap`` are sent (``sent |= bitmap``, both packed); return how many
    of them had been sent before (re-sends). The bitmap is left as it is."""
    resent = 0
    for j in range(bitmap.size):
        x = bitmap[j]
        if x != 0:
            resent += _popcount(x & sent[j])
            sent[j] |= x
    return resent


@numba.njit(cache=True)
def drop_redirtied(idx: np.ndarray, lo: int, hi: int, bitmap: np.ndarray) -> int:
    """Pack the pages of ``idx[lo:hi]`` that are not dirty in ``bitmap`` at ``idx[lo:lo + k]``; return ``k``.

    A page of a pre-copy round that the guest wrote again since the round's sync is dirty again, and
    Xen does not send it in this round (the ``to_skip`` peek of xc_linux_save.c); it stays dirty.
    """
    k = lo
    for i in range(lo, hi):
        p = np.int64(idx[i])
        if not _is_set(bitmap, p):
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
    whole page and, if ``insert_on_miss``, takes the slot. ``sent`` is a packed bitmap of the pages
    sent at least once (a page found in it is a re-send), or empty: then no re-send is counted and
    nothing recorded (the caller knows the re-sends otherwise: every page had been sent before).
    """
    total = 0
    data = 0
    zeros = 0
    resent = 0
    hits = 0
    slots = cache.size
    track = src_versions.size > 0
    record = sent.size > 0
    for i in range(idx.size):
        p = np.int64(idx[i])
        if record:
            resent += 1 - _set(sent, p)
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


@numba.njit(cache=True)
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
    """:func:`sync_dirty` then :func:`send_pages` of what it synced, in one pass over the packed bitmap and
    with no index array; return (pages, bytes, data pages, zero pages, re-sends, cache hits).

    The same pages in the same (ascending) order, so the same results: a page's zero flag is cleared
    (``clear_zero``) before it is sent, as when the whole sync ran first. When no per-page effect is on
    (no zero flags to clear or check, no cache, no versions), a dirty word is sent whole: its page
    count, its re-sends (``popcount(dirty & sent)``) and its bytes come from word operations. An empty
    ``sent`` counts and records no re-sends, as in :func:`send_pages`.
    """
    n = 0
    full = 0
    zeros = 0
    resent = 0
    hits = 0
    slots = cache.size
    track = src_versions.size > 0
    per_page = track or use_cache or clear_zero or skip_zero
    record = sent.size > 0
    for j in range(bitmap.size):
        x = bitmap[j]
        if x == 0:
            continue
        bitmap[j] = 0
        if record:
            s = sent[j]
            resent += _popcount(x & s)
            sent[j] = s | x
        c = _popcount(x)
        n += c
        if not per_page:
            full += c
            continue
        base = j << 6
        while x != 0:
            p = base + _low_bit(x)
            x &= x - _ONE
            if track:
                dst_versions[p] = src_versions[p]
            if clear_zero:
                zero[p] = 0  # written by the guest: a data page
            elif skip_zero and zero[p]:
                zeros += 1
                continue
            if use_cache:
                q = p % slots
                if cache[q] == p:
                    hits += 1
                    continue
                if insert_on_miss:
                    cache[q] = p
            full += 1
    total = full * page_bytes + zeros * zero_bytes + hits * delta_bytes
    return n, total, full + hits, zeros, resent, hits


@numba.njit(cache=True)
def sync_whole(bitmap: np.ndarray, sent: np.ndarray) -> tuple[int, int]:
    """:func:`sync_send` when no per-page effect is on (no zero flags, no cache, no versions): clear the
    bitmap a word at a time, record its pages in ``sent`` (unless empty); return (pages, re-sends).

    Every page synced is then a full page, so the bytes are ``pages * page_size`` and the data pages
    are the pages. Two arguments instead of thirteen: Numba's dispatch costs about 40 ns an argument,
    0.35 us of the 0.5 a round's call took on a 1 GiB VM, whose bitmap scan takes as long.
    """
    n = 0
    resent = 0
    record = sent.size > 0
    for j in range(bitmap.size):
        x = bitmap[j]
        if x == 0:
            continue
        bitmap[j] = 0
        if record:
            s = sent[j]
            resent += _popcount(x & s)
            sent[j] = s | x
        n += _popcount(x)
    return n, resent


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
