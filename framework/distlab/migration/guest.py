"""The guest as a workload sees it: verbs that turn access patterns into dirty pages or faults.

A workload calls the verbs with a rate and a guest-time interval; the k-th access of a stream of rate
r happens at guest time k/r, so the accesses of ``[t0, t1)`` are those with ``ceil(r t0) <= k <
ceil(r t1)`` whatever the intervals are. Writes and reads draw from two independent SplitMix64
streams seeded from the trial seed, so the pages written are the same sequence however the engine
cuts time, and whichever strategy runs (common random numbers across strategies). Reads are not drawn
while the guest runs at the source (they cost nothing there), so the read stream starts when the guest
resumes at the destination: the j-th read after the switch-over uses the same draw whichever strategy
ran, though the switch-over, and so the read's guest time, differs from one strategy to another (the
k-th write, by contrast, is the same draw at the same guest time k/r).

Where the guest runs decides what an access does:

- at the source (``source`` mode), a write marks its page in the packed dirty bitmap (fused generation
  and marking, :mod:`distlab.migration.kernels`); reads cost nothing and are skipped;
- at the destination during post-copy (``destination`` mode), reads and writes are collected with
  their guest times, and the engine replays them against the pages that have arrived;
- while the VM is stopped nobody calls the workload.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from distlab.errors import PluginError
from distlab.migration import kernels, reference

__all__ = ["Guest", "ZipfTable", "dirty_bitmap"]

_READ_STREAM = 0x5EAD5EAD5EAD5EAD
_EMPTY_I64 = np.zeros(0, dtype=np.int64)


def dirty_bitmap(pages: int, *, full: bool = False) -> np.ndarray:
    """A packed page bitmap for ``pages`` pages (bit ``p % 64`` of ``uint64`` word ``p // 64`` is page ``p``).

    Args:
        pages: how many pages it covers.
        full: every page set (a fresh migration's dirty bitmap); otherwise every page clear.

    Returns:
        ``ceil(pages / 64)`` words; bits past the last page are 0, as the kernels require.
    """
    words = (pages + 63) >> 6
    if not full:
        return np.zeros(words, dtype=np.uint64)
    bitmap = np.empty(words, dtype=np.uint64)
    bitmap.fill(2**64 - 1)  # what np.full does, without its 0.7 us of overhead (once a trial)
    if pages & 63:
        bitmap[-1] = np.uint64((1 << (pages & 63)) - 1)
    return bitmap


@dataclasses.dataclass(frozen=True)
class ZipfTable:
    """A Zipf distribution over pages: rank r (1-based) has weight r**-exponent, and rank i is page ``perm[i]``.

    Attributes:
        cdf: cumulative probabilities by rank (last element 1.0).
        perm: the page of each rank.
    """

    cdf: np.ndarray
    perm: np.ndarray


def _stream(seed: int, salt: int) -> np.ndarray:
    # The kernels' splitmix64 in Python integers (its twin in distlab.migration.reference): the same
    # state, without a Numba call and a NumPy scalar per stream (a third of a guest's set-up).
    state = reference.splitmix64((seed ^ salt) & (2**64 - 1))
    return np.array([state], dtype=np.uint64)


class Guest:
    """The guest's memory, as the workload drives it.

    Attributes:
        pages: number of pages of guest memory.
        page_size_bytes: bytes per page.
        rng: a NumPy generator seeded from the trial seed, for a workload's set-up (permutations,
            offsets); never for per-access draws.
        writes: writes issued so far.
        reads: reads issued so far (counted only while they matter, i.e. at the destination).
    """

    @classmethod
    def for_check(cls, pages: int, page_size_bytes: int) -> Guest:
        """A guest with no memory behind it, for a workload's ``start`` in preflight's case check.

        It has the VM's ``pages`` and ``page_size_bytes`` but allocates nothing per page:
        :meth:`zipf_table` returns an empty table, and the access verbs raise ``PluginError`` (``start``
        prepares; it must not access memory).
        """
        guest = cls(pages, page_size_bytes, 0, np.zeros(0, dtype=np.uint64), _EMPTY_I64)
        guest._mode = "check"
        return guest

    def __init__(self, pages: int, page_size_bytes: int, seed: int, bitmap: np.ndarray, versions: np.ndarray) -> None:
        """``bitmap`` is the packed dirty bitmap the writes mark (see :func:`dirty_bitmap`); ``versions``
        one ``int64`` write count per page, or empty."""
        self.pages = pages
        self.page_size_bytes = page_size_bytes
        self._seed = seed
        self._rng: np.random.Generator | None = None
        self.writes = 0
        self.reads = 0
        self.newly_dirtied = 0
        self._write_state = _stream(seed, 0)
        # Made on the first read that is drawn (reads are drawn only at the destination: most trials none).
        self._read_stream: np.ndarray | None = None
        self._bitmap = bitmap
        self._versions = versions
        self._mode = "source"
        self._pages_out: list[np.ndarray] = []
        self._times_out: list[np.ndarray] = []

    @property
    def rng(self) -> np.random.Generator:
        """A NumPy generator seeded from the trial seed, for a workload's set-up (made on first use: most
        workloads need none, and making one costs more than the rest of a small trial's set-up)."""
        if self._rng is None:
            self._rng = np.random.default_rng(self._seed)
        return self._rng

    # -- modes (the engine's side) --------------------------------------------------------------

    def at_source(self) -> None:
        """Writes mark the dirty bitmap (the VM runs at the source)."""
        self._mode = "source"

    def at_destination(self) -> None:
        """Accesses are collected for replay (the VM runs at the destination)."""
        self._mode = "destination"

    def take_accesses(self) -> tuple[np.ndarray, np.ndarray]:
        """The accesses collected since the last call, as (pages, guest times) sorted by time."""
        if not self._pages_out:
            return _EMPTY_I64, np.zeros(0)
        pages = np.concatenate(self._pages_out)
        times = np.concatenate(self._times_out)
        self._pages_out.clear()
        self._times_out.clear()
        if len(pages) > 1 and np.any(np.diff(times) < 0):
            order = np.argsort(times, kind="stable")
            pages, times = pages[order], times[order]
        return pages, times

    # -- verbs (the workload's side) ------------------------------------------------------------

    def uniform(self, rate: float, t0: float, t1: float, lo: int = 0, span: int | None = None, *, read: bool = False) -> None:
        """Accesses at ``rate`` per second, each to a page drawn uniformly from ``[lo, lo + span)``."""
        # The whole memory needs no range check (what self._span would say: every page, which is valid).
        span = self.pages if span is None and lo == 0 else self._span(lo, span)
        if self._mode == "source":  # the pre-copy hot path: a write marks the bitmap, a read costs nothing
            if not read and rate > 0 and t1 > t0:
                # self._count(rate, t0, t1), inlined: once or twice a round
                n = math.ceil(rate * t1) - math.ceil(rate * t0)
                if n > 0:
                    self.newly_dirtied += kernels.mark_uniform(self._write_state, n, lo, span, self._bitmap,
                                                               self._versions)
                    self.writes += n
            return
        k0, n = self._count(rate, t0, t1)
        if n == 0:
            return
        out = np.empty(n, dtype=np.int64)
        kernels.draw_uniform(self._state(read), lo, span, out)
        self._collect(out, k0, rate, read)

    def hotset(
        self, rate: float, t0: float, t1: float, hot_lo: int, hot_pages: int, hot_probability: float, *, read: bool = False
    ) -> None:
        """Accesses at ``rate`` per second: with ``hot_probability`` to a uniform page of the hot range
        ``[hot_lo, hot_lo + hot_pages)``, otherwise to a uniform page of the rest of memory."""
        if not 0 <= hot_lo < self.pages or not 0 < hot_pages <= self.pages:
            raise ValueError(f"hot range [{hot_lo}, {hot_lo + hot_pages}) does not fit {self.pages} pages")
        if read and self._mode == "source":
            return  # reads cost nothing at the source
        k0, n = self._count(rate, t0, t1)
        if n == 0:
            return
        if self._mode == "source":
            if not read:
                newly = kernels.mark_hotset(self._write_state, n, hot_lo, hot_pages, hot_probability, self.pages,
                                            self._bitmap, self._versions)
                self._mark(newly, n)
            return
        out = np.empty(n, dtype=np.int64)
        kernels.draw_hotset(self._state(read), hot_lo, hot_pages, hot_probability, self.pages, out)
        self._collect(out, k0, rate, read)

    def zipf(self, rate: float, t0: float, t1: float, table: ZipfTable, *, read: bool = False) -> None:
        """Accesses at ``rate`` per second, each to a page drawn from ``table`` (see :meth:`zipf_table`)."""
        if read and self._mode == "source":
            return  # reads cost nothing at the source
        k0, n = self._count(rate, t0, t1)
        if n == 0:
            return
        if self._mode == "source":
            if not read:
                self._mark(kernels.mark_zipf(self._write_state, n, table.cdf, table.perm, self._bitmap, self._versions), n)
            return
        out = np.empty(n, dtype=np.int64)
        kernels.draw_zipf(self._state(read), table.cdf, table.perm, out)
        self._collect(out, k0, rate, read)

    def sequential(self, rate: float, t0: float, t1: float, lo: int = 0, span: int | None = None, *, read: bool = False,
                   offset: int = 0) -> None:
        """Accesses at ``rate`` per second sweeping ``[lo, lo + span)`` in order: the k-th touches
        ``lo + (offset + k) mod span``, so a sweep never touches a page twice."""
        span = self._span(lo, span)
        k0, n = self._count(rate, t0, t1)
        if n == 0:
            return
        if read and self._mode == "source":
            return  # reads cost nothing at the source (see the module's docstring)
        pages = lo + ((np.arange(k0, k0 + n, dtype=np.int64) + offset) % span)
        self.accesses(pages, np.arange(k0, k0 + n) / rate, read=read)

    def accesses(self, pages: np.ndarray, times: np.ndarray, *, read: bool | np.ndarray = False) -> None:
        """Explicit accesses: ``pages[i]`` at guest time ``times[i]`` (an access log); ``read`` may be one flag
        per access."""
        pages = np.asarray(pages, dtype=np.int64)
        if len(pages) == 0:
            return
        self._live()
        if pages.min() < 0 or pages.max() >= self.pages:
            raise ValueError(f"page index out of range 0..{self.pages - 1}")
        read_mask = np.broadcast_to(np.asarray(read, dtype=bool), pages.shape)
        if self._mode == "source":
            writes = pages[~read_mask] if read_mask.any() else pages
            if len(writes):
                self._mark(kernels.mark_pages(writes, self._bitmap, self._versions), len(writes))
            return
        self.writes += int((~read_mask).sum())
        self.reads += int(read_mask.sum())
        self._pages_out.append(pages)
        self._times_out.append(np.asarray(times, dtype=np.float64))

    def zipf_table(self, exponent: float, lo: int = 0, span: int | None = None) -> ZipfTable:
        """A Zipf table over ``[lo, lo + span)`` whose rank-to-page map is a permutation drawn from ``rng``."""
        span = self._span(lo, span)
        if self._mode == "check":
            return ZipfTable(np.zeros(0), _EMPTY_I64)
        # In place: one float64 and one int64 array per page, with no temporaries of the same size (the
        # same values as the plain expressions, which took 40 bytes per page at their peak).
        cdf = np.arange(1, span + 1, dtype=np.float64)
        cdf **= -exponent  # the operator, as before: NumPy special-cases some exponents in it
        np.cumsum(cdf, out=cdf)
        cdf /= cdf[-1]
        cdf[-1] = 1.0
        perm = self.rng.permutation(span).astype(np.int64, copy=False)
        perm += lo
        return ZipfTable(cdf, perm)

    # -- helpers --------------------------------------------------------------------------------

    def _span(self, lo: int, span: int | None) -> int:
        span = self.pages - lo if span is None else span
        if not (0 <= lo and 0 < span and lo + span <= self.pages):
            raise ValueError(f"range [{lo}, {lo + span}) does not fit {self.pages} pages")
        return span

    def _live(self) -> None:
        # The check guest has no bitmap: a kernel marking it would write out of bounds.
        if self._mode == "check":
            raise PluginError("a workload's start(guest) must not access memory: preflight calls it with a "
                              "guest that has none (Guest.for_check)")

    def _count(self, rate: float, t0: float, t1: float) -> tuple[int, int]:
        if self._mode == "check":
            self._live()
        if rate <= 0 or t1 <= t0:
            return 0, 0
        k0 = math.ceil(rate * t0)
        return k0, max(0, math.ceil(rate * t1) - k0)

    def _state(self, read: bool) -> np.ndarray:
        if not read:
            return self._write_state
        if self._read_stream is None:
            self._read_stream = _stream(self._seed, _READ_STREAM)
        return self._read_stream

    def _mark(self, newly: int, n: int) -> None:
        self.newly_dirtied += newly
        self.writes += n

    def _collect(self, pages: np.ndarray, k0: int, rate: float, read: bool) -> None:
        if read:
            self.reads += len(pages)
        else:
            self.writes += len(pages)
        self._pages_out.append(pages)
        self._times_out.append(np.arange(k0, k0 + len(pages)) / rate)
