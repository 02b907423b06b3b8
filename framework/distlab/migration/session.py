"""One migration in progress: the verbs a strategy drives it with, and the mechanics behind them.

The model follows QEMU's RAM migration (migration/ram.c), simplified to whole rounds:

- **pre-copy round** (``precopy_round``): the dirty bitmap is synced, i.e. snapshotted and cleared
  (QEMU's ``migration_bitmap_sync``); the snapshot's pages are sent at the (possibly rate-limited) link
  rate; the guest runs meanwhile, and each of its writes marks its page dirty for the next round.
  Round 1 sends every page, because the bitmap starts full (QEMU's bulk stage).
- **skipping re-dirtied pages** (``configure(skip_redirtied=True)``, Xen's mechanism: Clark et al., "Live
  Migration of Virtual Machines", NSDI 2005, section 5.4, and the ``to_skip`` bitmap of Xen's
  tools/libxc/xc_linux_save.c): the round's pages go in batches of ``skip_batch_pages`` (Xen's 1024);
  before each batch the bitmap is peeked, and a page the guest wrote again since the round began is
  not sent in this round: it is still dirty, so a later round (or the stop-and-copy, which skips
  nothing) sends it. The guest runs batch by batch, so what a batch skips depends on what the guest
  wrote while the batches before it were on the link. Xen walks the pages in a pseudo-random
  permutation; the session walks them in ascending order for every strategy (not modelled: the
  permutation).
- **stop-and-copy** (``stop_and_copy``): the VM stops; the pages still dirty, then the CPU and device
  state, go at full link speed (QEMU lifts its pre-copy rate limit for completion; the world's
  ``link.limit_stop_copy`` keeps it; a strategy may pass its own limit, as Xen's final iteration runs
  at its allowed rate), and the VM resumes one latency plus ``vm.resume_ms`` after the last byte left.
- **post-copy** (``postcopy``): the VM stops, its CPU and device state go first, it resumes at the
  destination, and the pages still at the source are pushed in the background; a touch of a page that
  has not arrived is a fault served over the network (see :func:`distlab.migration.kernels.postcopy_replay`).
  After a fault the push restarts its scan at the page after the requested one (QEMU's
  docs/devel/migration/postcopy.rst: "the dirty page scanning restarts from the requested location"),
  so a guest reading memory in order takes about one fault; ``push_restart=False`` keeps the push in
  ascending order whatever the faults.
- **resume cost** (``world.vm.resume_ms``): a fixed time to suspend, hand over control and resume,
  added to the downtime of a stop-and-copy and of a switch-over to post-copy.

Not modelled: free-page hints and balloon handling (every page is sent), page-table or device
fix-ups, compression other than zero pages and XBZRLE, multifd channels, TCP dynamics (the link
carries its nominal rate from the first byte), and CPU cost at either end.

Mechanism and policy: a strategy (a plugin) decides *whether* and *when*: how many rounds, at what rate,
whether to throttle, when to switch over, whether the source pushes during post-copy, and how many pages
to pre-page per fault; each is an argument of a verb. The session decides *how*, the same way for every
strategy and as the modelled system does it: a round sends its dirty pages in ascending order (QEMU's
bitmap walk), the post-copy push walks the missing pages in ascending order (restarting after each
requested page, unless the strategy turns that off), and pre-paging takes the missing pages nearest
the fault. Those orders sit in the kernels because they run once per page inside
the replay loop. A plugin could pass them in (a permutation to push in, offsets to pre-page) at the same
speed, but no strategy varies them yet; one that wants another order asks for a new mechanism, to be
added here as a verb argument, as ``rate_limit_mbit_s`` was.

Encodings (mechanics, enabled by the strategy with ``configure``): a page that is still all zeros costs
``ZERO_PAGE_BYTES`` (QEMU's 8-byte page header plus one fill byte, ``save_zero_page``); with XBZRLE, a
page re-sent while its previous copy is in the direct-mapped page cache costs the compressed fraction of
a page. Headers of data pages are not counted (0.2 % of a 4 KiB page), so that a full page costs
exactly ``page_size_bytes`` and the textbook formulas hold.

Time: ``clock_s`` is real (simulated) time since the migration started; the guest's own clock runs at
``1 - throttle`` of it while throttled and stands still while stalled on a fault.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from distlab.errors import PluginError
from distlab.migration.errors import CheckFailedError, MigrationTimeoutError
from distlab.migration import kernels
from distlab.migration.guest import Guest, dirty_bitmap
from distlab.migration.kinds import Workload
from distlab.migration.world import MigrationWorld

__all__ = ["PEAK_MEMORY", "ZERO_PAGE_BYTES", "Round", "Session"]

ZERO_PAGE_BYTES = 9
"""Wire cost of a zero page: QEMU's 8-byte page header and a 1-byte fill value (migration/ram.c)."""

# A post-copy chunk with fewer accesses than this that moves no page lets the next chunk double.
_GROW_MAX_ACCESSES = 1 << 16
# Zero pages are drawn this many at a time, so the draw's float64 scratch stays small (8 MB).
_ZERO_CHUNK = 1 << 20
# Stand-ins for per-page arrays a configuration does not use (no zero pages, no check mode, no record
# of pages sent, no XBZRLE cache). The kernels never write an array of size 0, nor the cache unless
# XBZRLE is on (and then the session has its own), so one shared copy serves every session.
_NO_FLAGS = np.zeros(0, dtype=np.uint8)
_NO_VERSIONS = np.zeros(0, dtype=np.int64)
_NO_BITMAP = np.zeros(0, dtype=np.uint64)
_NO_CACHE = np.full(1, -1, dtype=np.int64)

PEAK_MEMORY = """Peak memory of one trial at the largest VM (2**28 pages: 1 TiB of 4 KiB pages).

The session holds, per page, an eighth of a byte (the packed dirty bitmap), and only what its
configuration uses: zero flags (1, when ``zero_page_fraction > 0``); for rounds that skip re-dirtied
pages, index scratch (8) and a packed record of the pages sent (an eighth; a migration that skips
nothing knows every page was sent after its first round and keeps no record); a Zipf workload adds
its table (16: the CDF and the rank-to-page permutation), post-copy its arrival times (8, written
straight from the bitmap, with no list of the missing pages). Measured as the peak resident set size of
``distlab strategy=S workload=W world.vm.memory_mib=1048576 world.link.bandwidth_mbit_s=100000
repeats=1`` (``/usr/bin/time -v``, Linux x86_64, Python 3.11, 2026-11-30), the whole process (the
same command with a 16 MiB VM peaks at 224 MiB):

- pre-copy: 230 to 249 MiB with idle, uniform, hotset, sequential, phased and replay (the 32 MiB
  bitmap); 4.2 GiB with zipf;
- hybrid with ``stop_policy=xen`` (skips re-dirtied pages), uniform: 2.25 GiB;
- post-copy: 2.2 GiB with idle and uniform; 6.2 GiB with zipf (the largest: plan 7 GiB of RAM).

Before (same commands): with a byte-per-page bitmap, 4-byte send counts and a post-copy index list,
pre-copy took 3.4 to 3.7 GiB (7.7 GiB with zipf) and post-copy 5.4 GiB (9.4 GiB with zipf); before
the Zipf table was built in place and the zero pages drawn in chunks, pre-copy with zipf took 8.7 GiB
and post-copy with zipf 11.7 GiB."""


def _zero_pages(seed: int, pages: int, fraction: float) -> np.ndarray:
    """Flags of the pages that start all zeros: page i is one when the i-th draw of the session's
    generator (seeded from ``[seed, 0x2E50]``) is below ``fraction``.

    Empty when ``fraction`` is 0: no page is a zero page, and no page can become one (writes only clear
    the flags), so nothing per page is allocated and the kernels are told there are none.
    """
    if fraction == 0.0:  # no draw is below 0: skip drawing (and making the generator: nothing else uses it)
        return _NO_FLAGS
    rng = np.random.default_rng([seed, 0x2E50])
    zero = np.zeros(pages, dtype=np.uint8)
    flags = zero.view(bool)
    # Chunks draw the same numbers as one call would (one double per draw, in order).
    for lo in range(0, pages, _ZERO_CHUNK):
        hi = min(pages, lo + _ZERO_CHUNK)
        np.less(rng.random(hi - lo), fraction, out=flags[lo:hi])
    return zero


# Slotted and not frozen: a frozen dataclass sets each of its 11 fields through object.__setattr__,
# 0.8 us a round against 0.1 (a tenth of a small trial's fixed cost). A strategy gets its own Round,
# and the session keeps no reference to it, so changing one changes nothing in the migration.
@dataclasses.dataclass(slots=True)
class Round:
    """What one pre-copy round did (a record: the session keeps no reference to it).

    Attributes:
        index: 1 for the first round.
        start_time_s: when it started.
        duration_s: how long sending its pages took.
        pages_sent: pages sent (zero pages included; skipped pages not).
        bytes_sent: bytes put on the link.
        pages_dirty: pages dirty at its end (what the next round or the stop-and-copy would send).
        bytes_dirty: ``pages_dirty * page_size_bytes`` (QEMU's "remaining" estimate).
        rate_mbit_s: the rate it was sent at.
        throttle: the fraction of guest CPU taken away during it.
        writes: guest writes during it.
        pages_skipped: pages dirty when it began that it did not send because the guest had written
            them again before their batch (0 unless the session skips re-dirtied pages).
    """

    index: int
    start_time_s: float
    duration_s: float
    pages_sent: int
    bytes_sent: int
    pages_dirty: int
    bytes_dirty: int
    rate_mbit_s: float
    throttle: float
    writes: int
    pages_skipped: int = 0


class Session:
    """One migration: a strategy's handle on the world.

    Args:
        world: the world's parameters.
        workload: the guest's workload.
        seed: the trial seed.
        check: keep per-page write versions at the source and the destination, to verify at the end
            that the destination holds the last version of every page (slower; for tests).
    """

    def __init__(self, world: MigrationWorld, workload: Workload, seed: int, *, check: bool = False) -> None:
        vm = world.vm
        self.world = world
        self.pages = (vm.memory_mib << 20) // vm.page_size_bytes  # whole: VM checks that pages divide memory
        self.page_size_bytes = vm.page_size_bytes
        self.state_bytes = vm.cpu_state_bytes + vm.device_state_bytes
        self.check = check
        # Every page starts dirty: the first round (or a plain stop-and-copy) sends all of them.
        self._bitmap = dirty_bitmap(self.pages, full=True)
        self._zero = _zero_pages(seed, self.pages, vm.zero_page_fraction)
        self.resume_s = vm.resume_ms / 1e3
        # Which pages were sent at least once (a re-send is a page sent again), in one of three states.
        # The first sync takes every page (the bitmap starts full, and only a sync clears it), so a
        # migration whose first sync sends all it takes, as every one that skips nothing, has then sent
        # every page: ``_sent_all``, and each later page sent is a re-send, with no per-page record. A
        # round that skips re-dirtied pages before that sends only some: then, and only then, the
        # packed record ``_sent`` is allocated (until then it is empty: nothing sent yet).
        self._sent = _NO_BITMAP
        self._sent_all = False
        # The dirty page indices (8 bytes a page), made only for what needs them as a list: the rounds
        # that skip re-dirtied pages; a plain round syncs and sends in one pass, and post-copy syncs
        # straight into its arrival times.
        self._idx_array: np.ndarray | None = None
        self.src_versions = np.zeros(self.pages, dtype=np.int64) if check else _NO_VERSIONS
        self.dst_versions = np.full(self.pages, -1, dtype=np.int64) if check else _NO_VERSIONS
        self.guest = Guest(self.pages, self.page_size_bytes, seed, self._bitmap, self.src_versions)
        self.workload = workload
        start = getattr(workload, "start", None)
        if start is not None:
            start(self.guest)

        self.clock_s = 0.0
        self.guest_time_s = 0.0
        self.throttle = 0.0
        self.rounds = 0
        self.total_pages_sent = 0
        self.done = False
        self._bitmap_from_writes = False  # the initial full bitmap is not writes: zero pages stay zero
        self._skip_zero = True
        # Flags the hot path reads instead of calling _has_zero() and _clear_zero(): some page started
        # as zeros (the zero flags exist), and a page may be sent as a zero page (the encoding is on too).
        self._zero_flags = self._zero.size > 0
        self._send_zero = self._zero_flags
        # The rate of a round without a limit of its own, and the horizon (the world is frozen).
        self._rate = self.rate_mbit_s()
        self._max_time_s = world.max_time_s
        self._skip_redirtied = False
        self._skip_batch = 1024
        self._cache = _NO_CACHE  # never written: configure() makes the session its own when XBZRLE is on
        self._xbzrle = False
        self._delta_bytes = self.page_size_bytes
        self.trace: list[dict[str, Any]] = []
        self.metrics: dict[str, Any] = {
            "total_time_s": 0.0,
            "downtime_s": 0.0,
            "bytes_sent": 0,
            "pages_sent": 0,
            "pages_resent": 0,
            "rounds": 0,
            "remote_faults": 0,
            "degraded_time_s": 0.0,
            "source_busy_s": 0.0,
            "converged": True,
        }
        self.cache_hits = 0
        self.zero_pages_sent = 0

    # -- what a strategy may read ---------------------------------------------------------------

    @property
    def dirty_pages(self) -> int:
        """Pages the next round (or a stop-and-copy) would send."""
        return int(kernels.count_dirty(self._bitmap))

    @property
    def dirty_bytes(self) -> int:
        """``dirty_pages * page_size_bytes``: what QEMU calls the remaining bytes."""
        return int(self.dirty_pages * self.page_size_bytes)

    @property
    def link_mbit_s(self) -> float:
        """The link's full bandwidth."""
        return float(self.world.link.bandwidth_mbit_s)

    def rate_mbit_s(self, rate_limit_mbit_s: float | None = None) -> float:
        """The rate a pre-copy round runs at: the link, capped by the world's and the strategy's limits."""
        link = self.world.link
        rate = link.bandwidth_mbit_s
        cap = link.precopy_rate_limit_mbit_s
        if cap is not None:
            rate = min(rate, cap)
        if rate_limit_mbit_s is not None:
            rate = min(rate, rate_limit_mbit_s)
        return float(rate)

    # -- verbs ----------------------------------------------------------------------------------

    def configure(
        self,
        *,
        skip_zero_pages: bool = True,
        xbzrle_cache_mib: int | None = None,
        xbzrle_compressed_fraction: float = 0.25,
        skip_redirtied: bool = False,
        skip_batch_pages: int = 1024,
    ) -> None:
        """Choose the page encodings, and whether pre-copy rounds skip pages written again.

        Args:
            skip_zero_pages: send a page that is all zeros as a header only.
            xbzrle_cache_mib: size of the XBZRLE page cache, or None for no delta compression.
            xbzrle_compressed_fraction: size of a delta-encoded page as a fraction of a page.
            skip_redirtied: in a pre-copy round, do not send a page the guest wrote again since the
                round began (Xen's ``to_skip``; Clark et al. 2005, section 5.4); it is sent later.
            skip_batch_pages: how many pages go between two peeks at the bitmap (Xen's batch: 1024).
        """
        if skip_batch_pages < 1:
            raise PluginError(f"skip_batch_pages must be >= 1, got {skip_batch_pages!r}")
        self._skip_redirtied = skip_redirtied
        self._skip_batch = skip_batch_pages
        self._skip_zero = skip_zero_pages
        self._send_zero = skip_zero_pages and self._zero_flags
        self._xbzrle = xbzrle_cache_mib is not None
        if xbzrle_cache_mib is not None:
            # Slot = page mod slots: a cache with more slots than pages behaves as one with a slot per
            # page, so it need not be larger (a 1 TiB cache for a small VM would take 2 GB here).
            slots = max(1, min(self.pages, (xbzrle_cache_mib << 20) // self.page_size_bytes))
            self._cache = np.full(slots, -1, dtype=np.int64)
            self._delta_bytes = max(1, math.ceil(xbzrle_compressed_fraction * self.page_size_bytes))

    def set_throttle(self, fraction: float) -> None:
        """Take ``fraction`` of the guest's CPU away (auto-converge): its clock runs at ``1 - fraction``."""
        if not 0.0 <= fraction < 1.0:
            raise PluginError(f"throttle must be in [0, 1), got {fraction!r}")
        self.throttle = fraction

    def precopy_round(self, rate_limit_mbit_s: float | None = None) -> Round:
        """Run one pre-copy round while the guest keeps running at the source.

        Args:
            rate_limit_mbit_s: the strategy's cap for this round (None: the link's rate, or the world's cap).

        Returns:
            What the round did.
        """
        if self.done:
            self._not_done()
        rate = self._rate if rate_limit_mbit_s is None else self.rate_mbit_s(rate_limit_mbit_s)
        start = self.clock_s
        # XBZRLE starts after the bulk stage, as QEMU's xbzrle_started does.
        use_cache = self._xbzrle and self.rounds >= 1
        clear_zero = self._bitmap_from_writes and self._zero_flags  # self._clear_zero(), without the call
        self._bitmap_from_writes = True
        guest = self.guest
        writes_before = guest.writes
        # The sync clears the bitmap and only the guest's writes set it again, so the pages dirty at the
        # round's end are those its writes newly dirtied: no scan of the bitmap.
        newly_before = guest.newly_dirtied
        throttle = self.throttle
        skipped = 0
        if self._skip_redirtied:
            idx = self._idx()
            n = kernels.sync_dirty(self._bitmap, idx, self._zero, clear_zero)
            if not self._sent_all and self._sent.size == 0:
                self._sent = dirty_bitmap(self.pages)  # the first sync, and this round may not send it all
            nbytes = 0
            duration = 0.0
            for lo in range(0, n, self._skip_batch):
                hi = min(n, lo + self._skip_batch)
                # The pages of the batch that the guest has not written again are packed in place at
                # idx[lo:lo + k]; the others stay dirty in the bitmap for a later round.
                k = int(kernels.drop_redirtied(idx, lo, hi, self._bitmap))
                skipped += hi - lo - k
                b, _ = self._send(idx[lo:lo + k], use_cache=use_cache, insert=True)
                d = b * 8 / (rate * 1e6)
                self._run_guest(d)  # the guest runs while this batch is on the link
                nbytes += b
                duration += d
        else:
            n, nbytes = self._sync_send(clear_zero, use_cache, True)
            duration = nbytes * 8 / (rate * 1e6)
            if duration > 0:  # self._run_guest(duration), without the call (once a round)
                guest_s = duration * (1.0 - throttle)
                t0 = self.guest_time_s
                self.workload.run(guest, t0, t0 + guest_s)
                self.guest_time_s = t0 + guest_s
                self.clock_s += duration
                if throttle > 0:
                    self.metrics["degraded_time_s"] += duration
        rounds = self.rounds = self.rounds + 1
        self.metrics["rounds"] = rounds
        dirty = guest.newly_dirtied - newly_before
        if self.check and dirty != self.dirty_pages:
            raise CheckFailedError(f"pre-copy round {rounds}: the guest's writes newly dirtied {dirty} pages, "
                                   f"but {self.dirty_pages} are dirty")
        if self.clock_s > self._max_time_s:
            self._check_time(f"pre-copy round {rounds}")
        writes = guest.writes - writes_before
        # self._row(...) inline, once a round: every value is already a Python int or float (the kernels
        # return Python ints, the clocks and the rate are floats) except the throttle a strategy set.
        trace = self.trace
        trace.append({"round": len(trace) + 1, "phase": "precopy", "start_time_s": start, "duration_s": duration,
                      "pages_sent": n - skipped, "pages_dirty": dirty, "bandwidth_mbit_s": rate,
                      "throttle": float(throttle), "guest_time_s": self.guest_time_s, "writes": writes})
        return Round(rounds, start, duration, n - skipped, nbytes, dirty, dirty * self.page_size_bytes, rate,
                     throttle, writes, skipped)

    def stop_and_copy(self, *, converged: bool = True, rate_limit_mbit_s: float | None = None) -> None:
        """Stop the VM, send what is still dirty and the CPU and device state, resume at the destination.

        The downtime is the transfer, one latency, and the world's ``vm.resume_ms``.

        Args:
            converged: whether the strategy's stop condition held (False when it gave up on a bound;
                True when it has no stop condition to miss, as plain stop-and-copy).
            rate_limit_mbit_s: the strategy's cap for the final copy (None: the full link, as QEMU;
                Xen's final iteration keeps its rate limit).
        """
        self._not_done()
        link = self.world.link
        rate = self._rate if link.limit_stop_copy else link.bandwidth_mbit_s
        if rate_limit_mbit_s is not None:
            rate = min(rate, rate_limit_mbit_s)
        start = self.clock_s
        # QEMU's last stage still uses cached pages but inserts no new ones.
        n, nbytes = self._sync_send(self._bitmap_from_writes and self._zero_flags, self._xbzrle and self.rounds >= 1,
                                    False)
        nbytes += self.state_bytes
        self.metrics["bytes_sent"] += self.state_bytes
        duration = nbytes * 8 / (rate * 1e6)
        latency = link.latency_ms / 1e3
        self.clock_s += duration
        self._check_time("the stop-and-copy")
        self.metrics.update(
            downtime_s=duration + latency + self.resume_s,
            total_time_s=self.clock_s + latency + self.resume_s,
            source_busy_s=self.clock_s,
            converged=bool(converged),
        )
        self._row("stop_copy", start, duration, n, 0, rate, 0.0, 0)
        self.done = True
        self._check_end("the stop-and-copy (the VM resumes one latency after the last byte)")

    def postcopy(self, *, prepage_pages: int = 0, background_push: bool = True, push_restart: bool = True,
                 converged: bool = True) -> None:
        """Stop the VM, send its CPU and device state, resume it at the destination, then move the
        pages still at the source.

        A touch of a page that has not arrived is a fault, and the guest stalls until the page is there.
        If the page is still at the source, the request takes one latency to get there, the page goes
        next on the link, and right behind it up to ``prepage_pages`` of the missing pages nearest it,
        tried in the order p+1, p-1, p+2, p-2, ... up to ``prepage_pages`` away on either side. If the
        page is already on its way (pushed, pre-paged or requested), the fault only waits for it.

        Args:
            prepage_pages: how many missing neighbours of a faulting page to send with it (0: none).
            background_push: push the pages not yet sent, in ascending order, whenever the link is idle
                (QEMU does); without it, pages move only on faults (pure on-demand paging), so the
                source is needed until the guest has touched every page it never had.
            push_restart: after a page is requested, the push goes on from the page after it, wrapping
                around to the pages it passed over (QEMU: "the dirty page scanning restarts from the
                requested location", docs/devel/migration/postcopy.rst); False: it keeps its ascending
                order whatever the faults.
            converged: whether a preceding pre-copy phase ended on its own stop condition (true when
                there was none to miss).
        """
        self._not_done()
        if prepage_pages < 0:
            raise PluginError(f"prepage_pages must be >= 0, got {prepage_pages!r}")
        link = self.world.link
        bw = link.bandwidth_mbit_s * 1e6 / 8  # bytes per second; QEMU lifts the rate limit in post-copy
        latency = link.latency_ms / 1e3
        if self._sent.size:
            self.metrics["pages_resent"] += int(kernels.mark_sent(self._bitmap, self._sent))
        # Per page, when it arrives at the destination: inf while still at the source (the dirty pages),
        # -1 for those already there; written whole by the sync, with no list of the missing pages.
        arrive = np.empty(self.pages)
        n = kernels.sync_arrive(self._bitmap, arrive, self._zero, self._clear_zero())
        if self._sent_all:
            self.metrics["pages_resent"] += n  # every page was sent before: each one still here is a re-send
        self._sent_all = True  # (or the first sync: it took every page, none sent before)
        state_s = self.state_bytes / bw
        self.metrics["bytes_sent"] += self.state_bytes
        self.metrics["downtime_s"] = state_s + latency + self.resume_s
        self.metrics["converged"] = bool(converged)
        self._row("switchover", self.clock_s, state_s, 0, n, link.bandwidth_mbit_s, 0.0, 0)
        resume = self.clock_s + state_s + latency + self.resume_s
        page_s = self.page_size_bytes / bw
        zero_s = ZERO_PAGE_BYTES / bw
        # [0] real minus guest time, [1] link free at, [2] push pointer, [3] faults, [4] stall seconds,
        # [5] data pages, [6] zero pages, [7] pages at the source, [8] last arrival, [9] no page below it
        # is still at the source (where the restarted push wraps around to)
        st = np.array([resume - self.guest_time_s, self.clock_s + state_s, 0, 0, 0, 0, 0, n, resume, 0],
                      dtype=np.float64)
        self.guest.at_destination()
        # Chunks of guest time: about a hundred over the time the background push alone would take.
        # A chunk in which nothing moves (no fault, no page sent; an idle guest under on-demand paging)
        # doubles the next one, so that simulated time reaches the horizon in a few dozen chunks instead
        # of millions; the first chunk that moves a page goes back to the base step. The metrics do not
        # depend on how time is cut (the replay is exact at any chunk boundary), only the trace's rows do.
        base = max(n * page_s / 100, 1e-3)
        step = base
        idle_row: dict[str, Any] | None = None  # the trace row that consecutive idle chunks extend
        while st[7] > 0 or self.guest_time_s + st[0] < st[8]:
            g0 = self.guest_time_s
            # Never jump past the horizon by more than a base step, as without growth.
            g1 = g0 + min(step, max(base, self.world.max_time_s - self.clock_s))
            real0 = g0 + st[0]
            sent0, faults0 = st[5] + st[6], st[3]
            self.workload.run(self.guest, g0, g1)
            pages, times = self.guest.take_accesses()
            kernels.postcopy_replay(pages, times, g1, arrive, self._zero, self._has_zero(), page_s, zero_s,
                                    latency, prepage_pages, background_push, push_restart, st, self.src_versions,
                                    self.dst_versions)
            self.guest_time_s = g1
            self.clock_s = g1 + st[0]
            sent = int(st[5] + st[6] - sent0)
            idle = sent == 0 and st[3] == faults0
            if idle and idle_row is not None:
                idle_row["duration_s"] = float(self.clock_s - idle_row["start_time_s"])
                idle_row["guest_time_s"] = float(self.guest_time_s)
            else:
                self._row("postcopy", real0, self.clock_s - real0, sent, int(st[7]), link.bandwidth_mbit_s, 0.0, 0)
                idle_row = self.trace[-1] if idle else None
            # Many accesses to pages already here are not idleness worth skipping over: a longer
            # chunk would only hold more of them at once.
            step = min(2 * step, self.world.max_time_s) if idle and len(pages) < _GROW_MAX_ACCESSES else base
            self._check_postcopy_time(st)
        data, zeros = int(st[5]), int(st[6])
        self.metrics["pages_sent"] += data
        self.total_pages_sent += data + zeros
        self.zero_pages_sent += zeros
        self.metrics["bytes_sent"] += data * self.page_size_bytes + zeros * ZERO_PAGE_BYTES
        self.metrics["remote_faults"] = int(st[3])
        self.metrics["degraded_time_s"] += float(st[4])
        self.metrics["total_time_s"] = float(max(st[8], resume))
        self.metrics["source_busy_s"] = float(max(st[8], resume) - latency)
        self.clock_s = max(self.clock_s, float(st[8]))
        self.done = True
        self._check_end("post-copy")

    # -- mechanics ------------------------------------------------------------------------------

    def _has_zero(self) -> bool:
        # Whether a page may be sent as a zero page: the encoding is on and some page started as zeros.
        return self._send_zero

    def _clear_zero(self) -> bool:
        # Synced pages lose their zero flag once the guest has written them (not the initial full bitmap).
        return self._bitmap_from_writes and self._zero_flags

    def _not_done(self) -> None:
        if self.done:
            raise PluginError("the migration is over: a strategy ends it once, with stop_and_copy() or postcopy()")

    def _idx(self) -> np.ndarray:
        # The index scratch, allocated on first use (only rounds that skip re-dirtied pages need it).
        if self._idx_array is None:
            self._idx_array = np.empty(self.pages, dtype=np.int64)
        return self._idx_array

    def _sync_send(self, clear_zero: bool, use_cache: bool, insert: bool) -> tuple[int, int]:
        # Sync the dirty bitmap and send every page it held (a round that skips nothing): (pages, bytes).
        whole = not (clear_zero or use_cache or self._send_zero or self.check)
        if whole:  # no per-page effect: every page a full page, and a kernel of 2 arguments instead of 13
            n, resent = kernels.sync_whole(self._bitmap, self._sent)
            nbytes = n * self.page_size_bytes
            data = n
        else:
            n, nbytes, data, zeros, resent, hits = kernels.sync_send(
                self._bitmap, self._zero, clear_zero, self._sent, self._cache, use_cache, insert, self._send_zero,
                self.page_size_bytes, ZERO_PAGE_BYTES, self._delta_bytes, self.src_versions, self.dst_versions,
            )
        if self._sent_all:
            resent = n  # every page had been sent: each one is a re-send
        elif self._sent.size == 0:
            self._sent_all = True  # the first sync, of the full bitmap (see __init__): every page is sent now
        # (The kernels return Python ints.)
        metrics = self.metrics
        metrics["bytes_sent"] += nbytes
        metrics["pages_sent"] += data
        metrics["pages_resent"] += resent
        self.total_pages_sent += n
        if not whole:  # (a whole sync sends no zero page and hits no cache)
            self.zero_pages_sent += zeros
            self.cache_hits += hits
        return n, nbytes

    def _send(self, idx: np.ndarray, *, use_cache: bool, insert: bool) -> tuple[int, int]:
        nbytes, data, zeros, resent, hits = kernels.send_pages(
            idx, self._zero, self._sent, self._cache, use_cache, insert, self._has_zero(), self.page_size_bytes,
            ZERO_PAGE_BYTES, self._delta_bytes, self.src_versions, self.dst_versions,
        )
        if self._sent_all:
            resent = len(idx)  # every page had been sent (no record kept): each one is a re-send
        self.metrics["bytes_sent"] += int(nbytes)
        self.metrics["pages_sent"] += int(data)
        self.metrics["pages_resent"] += int(resent)
        self.total_pages_sent += len(idx)
        self.zero_pages_sent += int(zeros)
        self.cache_hits += int(hits)
        return int(nbytes), int(data)

    def _run_guest(self, real_s: float) -> None:
        """Let the guest run at the source for ``real_s`` seconds of real time."""
        if real_s <= 0:
            return
        guest_s = real_s * (1.0 - self.throttle)
        self.workload.run(self.guest, self.guest_time_s, self.guest_time_s + guest_s)
        self.guest_time_s += guest_s
        self.clock_s += real_s
        if self.throttle > 0:
            self.metrics["degraded_time_s"] += real_s

    def _check_postcopy_time(self, st: np.ndarray) -> None:
        # Once every page has left the source, the migration's end is known (the last arrival): it
        # fails only if that is past the horizon, not because the chunk that saw it end ran past it.
        if st[7] == 0:
            if st[8] > self.world.max_time_s:
                self.clock_s = max(self.clock_s, float(st[8]))
                self._check_time("post-copy (the last page arrives then)")
            return
        self._check_time("post-copy")

    def _check_end(self, where: str) -> None:
        # The clock stops at the last byte sent; the migration ends later, when the VM resumes or the
        # last page arrives, and that end must be within the horizon too.
        if self.metrics["total_time_s"] > self.world.max_time_s:
            self.clock_s = max(self.clock_s, float(self.metrics["total_time_s"]))
            self._check_time(where)

    def _check_time(self, where: str) -> None:
        if self.clock_s > self.world.max_time_s:
            raise MigrationTimeoutError(
                f"the migration did not finish within world.max_time_s={self.world.max_time_s:g} s of simulated "
                f"time (at {self.clock_s:.6g} s, during {where}, after {self.rounds} pre-copy rounds); "
                "raise world.max_time_s, the bandwidth, or choose a strategy that converges"
            )

    def _row(self, phase: str, start: float, duration: float, sent: int, dirty: int, rate: float, throttle: float,
             writes: int) -> None:
        self.trace.append(
            {
                "round": len(self.trace) + 1,
                "phase": phase,
                "start_time_s": float(start),
                "duration_s": float(duration),
                "pages_sent": int(sent),
                "pages_dirty": int(dirty),
                "bandwidth_mbit_s": float(rate),
                "throttle": float(throttle),
                "guest_time_s": float(self.guest_time_s),
                "writes": int(writes),
            }
        )
