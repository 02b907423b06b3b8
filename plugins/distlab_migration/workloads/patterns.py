"""Workloads drawn from a distribution over pages: idle, uniform, hot set, Zipf, sequential, streaming and phased."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distlab.migration import Guest, ZipfTable

    from distlab_migration.workloads.params import (
        HotsetParams,
        IdleParams,
        PhasedParams,
        SequentialParams,
        StreamingParams,
        UniformParams,
        ZipfParams,
    )

__all__ = ["Hotset", "Idle", "Phased", "Sequential", "Streaming", "Uniform", "Zipf"]


def _read_rate(write_rate: float, read_fraction: float) -> float:
    return write_rate * read_fraction / (1.0 - read_fraction)


class Idle:
    """Touches nothing."""

    def __init__(self, params: IdleParams) -> None:
        self.params = params

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        return None


class Uniform:
    """Every page equally likely, for writes and for reads."""

    def __init__(self, params: UniformParams) -> None:
        self.params = params
        self.write_rate = params.write_rate_pages_s
        self.read_rate = _read_rate(params.write_rate_pages_s, params.read_fraction)

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        guest.uniform(self.write_rate, t0, t1)
        guest.uniform(self.read_rate, t0, t1, read=True)


class Hotset:
    """``hot_access_fraction`` of accesses go to a hot set of ``hot_fraction`` of the pages (contiguous, at
    an offset drawn from the trial's seed); the rest are uniform over the other pages."""

    def __init__(self, params: HotsetParams) -> None:
        self.params = params
        self.read_rate = _read_rate(params.write_rate_pages_s, params.read_fraction)
        self.hot_lo = 0
        self.hot_pages = 1

    def start(self, guest: Guest) -> None:
        self.hot_pages = max(1, min(guest.pages, round(self.params.hot_fraction * guest.pages)))
        self.hot_lo = int(guest.rng.integers(0, guest.pages - self.hot_pages + 1))

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        p = self.params
        guest.hotset(p.write_rate_pages_s, t0, t1, self.hot_lo, self.hot_pages, p.hot_access_fraction)
        guest.hotset(self.read_rate, t0, t1, self.hot_lo, self.hot_pages, p.hot_access_fraction, read=True)


class Zipf:
    """Rank r is accessed with probability proportional to r**-exponent; ranks map to pages by a seeded
    permutation, so popular pages are scattered over memory."""

    def __init__(self, params: ZipfParams) -> None:
        self.params = params
        self.read_rate = _read_rate(params.write_rate_pages_s, params.read_fraction)
        self.table: ZipfTable | None = None

    def start(self, guest: Guest) -> None:
        self.table = guest.zipf_table(self.params.exponent)

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        if self.table is None:
            self.start(guest)
        assert self.table is not None
        guest.zipf(self.params.write_rate_pages_s, t0, t1, self.table)
        guest.zipf(self.read_rate, t0, t1, self.table, read=True)


class Sequential:
    """Writes sweep memory in page order, wrapping around: within a sweep every write is to a fresh page,
    so each pre-copy round re-sends all it wrote (the worst case for pre-copy). Reads are uniform."""

    def __init__(self, params: SequentialParams) -> None:
        self.params = params
        self.read_rate = _read_rate(params.write_rate_pages_s, params.read_fraction)

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        guest.sequential(self.params.write_rate_pages_s, t0, t1)
        guest.uniform(self.read_rate, t0, t1, read=True)


class Streaming:
    """A sequential reader (a scan, a backup, a media server): reads sweep memory in page order from
    ``start_fraction`` of it, wrapping around; writes are uniform.

    After a switch-over to post-copy the reader asks for pages in order from somewhere in the middle of
    memory: a push that restarts at the requested page (QEMU's) stays ahead of it after one fault, a push
    that keeps its ascending order from page 0 does not, and the reader faults on page after page until
    the push passes it.
    """

    def __init__(self, params: StreamingParams) -> None:
        self.params = params
        self.start_page = 0

    def start(self, guest: Guest) -> None:
        self.start_page = min(guest.pages - 1, int(self.params.start_fraction * guest.pages))

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        p = self.params
        if p.write_rate_pages_s > 0:
            guest.uniform(p.write_rate_pages_s, t0, t1)
        guest.sequential(p.read_rate_pages_s, t0, t1, read=True, offset=self.start_page)


class Phased:
    """A working set of ``working_set_fraction`` of memory takes every access (uniformly); every
    ``phase_s`` guest seconds it moves to the next region of memory."""

    def __init__(self, params: PhasedParams) -> None:
        self.params = params
        self.read_rate = _read_rate(params.write_rate_pages_s, params.read_fraction)
        self.ws = 1
        self.offset = 0

    def start(self, guest: Guest) -> None:
        self.ws = max(1, min(guest.pages, round(self.params.working_set_fraction * guest.pages)))
        self.offset = int(guest.rng.integers(0, guest.pages))

    def region(self, phase: int, pages: int) -> int:
        """The first page of the working set in ``phase``."""
        return (self.offset + phase * self.ws) % (pages - self.ws + 1)

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        p = self.params
        phase = math.floor(t0 / p.phase_s)
        start = t0
        while start < t1:
            end = min(t1, max(start, (phase + 1) * p.phase_s))
            lo = self.region(phase, guest.pages)
            guest.uniform(p.write_rate_pages_s, start, end, lo, self.ws)
            guest.uniform(self.read_rate, start, end, lo, self.ws, read=True)
            start = end
            phase += 1
